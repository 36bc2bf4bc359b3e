// The public API of cdk-web-tiers: the six tiers and their props, what every tier shares, the
// building blocks a user composes, and the enum-like classes. Everything else is internal: the
// package's own files import it by path, and it may change in any release.

// What every tier shares
export type { IWebTier, WebTierDomain, WebTierOutput, WebTierProps } from './shared/web-tier';
export { Deployment, DeploymentStrategy, type CanaryOptions, type IDeployment, type RollingOptions } from './shared/deployment';
export { SinglePointOfFailure } from './shared/warnings';
export { WebTiersErrors } from './shared/validation';
export type { AlarmOptions } from './shared/alarms';

// The app
export { WebApp, type WebAppBundle, type WebAppOptions } from './shared/web-app';

// Building blocks
export { Egress, Network, VPC_CIDR, type NetworkProps } from './shared/network';
export {
  AURORA_POSTGRES_VERSION, Database, DatabaseEngine, POSTGRES_MAJOR, POSTGRES_VERSION,
  type AppDatabaseAttributes, type AuroraServerlessOptions, type DatabaseProps, type IAppDatabase,
} from './shared/database';
export { STATEFUL_RESOURCES, StatefulDataGuard, type StatefulResource } from './shared/stateful';

// Tier 1
export { SINGLE_POINT_OF_FAILURE_WARNING, SNAPSHOT_TAG, SingleInstanceTier, type SingleInstanceTierProps } from './single-instance/single-instance-tier';
// Tiers 2 and 3
export type { LoadBalancerOptions } from './shared/load-balancer';
export { APP_PORT, ServerFleetTier, type IFleetPropsCheck, type ServerFleetProps } from './shared/server-fleet';
export { SINGLE_INSTANCE_FLEET_WARNING, LoadBalancedTier, type LoadBalancedTierProps } from './load-balanced/load-balanced-tier';
export { AutoScalingTier, type AutoScalingTierProps, type Capacity, type RollingDeployment, type ScheduledCapacity } from './auto-scaling/auto-scaling-tier';
export { ScaleOn } from './auto-scaling/scale-on';
// Tier 4
export { ManagedAutoScalingTier, SOLUTION_STACK, type ManagedAutoScalingTierProps } from './managed-auto-scaling/managed-auto-scaling-tier';
export {
  BatchSize, BeanstalkDeployment, BeanstalkLoadBalancer, UpdateLevel,
  type BeanstalkMonitoring, type BeanstalkScaling, type ManagedUpdates, type OptionSetting, type ScalingTrigger,
} from './managed-auto-scaling/options';
export { NodePlatform, type NodePlatformProps } from './managed-auto-scaling/platform';
// Tiers 5 and 6
export { LAMBDA_RUNTIME, ServerlessDeployment, type FunctionOptions } from './shared/app-function';
export { ServerlessTier, type ServerlessTierProps } from './serverless/serverless-tier';
export {
  ServerlessApi, ServerlessAuth,
  type AuthOptions, type CorsOptions, type RestApiOptions, type RouteFunction, type ThrottleOptions, type UsagePlanOptions, type ValidatedRequest,
} from './serverless/options';
export { ManagedServerlessTier, type ManagedServerlessTierProps } from './managed-serverless/managed-serverless-tier';
// A server tier and a function behind one entry point
export { HybridRouter, type HybridRouterProps } from './hybrid/hybrid-router';
// A disposable stack that deletes itself
export { StackExpiry, type StackExpiryProps } from './shared/stack-expiry';
