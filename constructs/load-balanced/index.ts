export * from './load-balanced-tier';
