export * from './auto-scaling-tier';
export * from './scale-on';
