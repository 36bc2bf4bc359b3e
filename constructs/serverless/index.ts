export * from './options';
export * from './serverless-tier';
