export * from './single-instance-tier';
