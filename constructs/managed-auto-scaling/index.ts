export * from './options';
export * from './managed-auto-scaling-tier';
