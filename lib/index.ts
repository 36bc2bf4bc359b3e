// Public entry of the cdk-web-tiers package.
export * from '../constructs';
export * from './config';
export * from './web-tiers-stack';
