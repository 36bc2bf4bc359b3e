export * from './hybrid-router';
