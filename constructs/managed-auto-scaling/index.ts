export * from './options';
export * from './managed-auto-scaling-tier';
export * from './source-bundle';
export * from './platform';
