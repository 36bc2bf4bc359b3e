export * from './shared/web-app';
export * from './shared/validation';
export * from './shared/alarms';
export * from './single-instance';
