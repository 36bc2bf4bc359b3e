export * from './managed-serverless-tier';
