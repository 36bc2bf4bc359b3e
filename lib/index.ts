// Public entry of the cdk-web-tiers package: the constructs, and the per-environment layer
// (WebTiersStack and its config type) for apps that want the same setup. This repo's own
// environments (ENVIRONMENTS) stay in its app.
export * from '../constructs';
export * from './cost';
export {
  TIERS, checkEnvironmentConfig, previewConfig, selectEnvironments,
  type BudgetConfig, type CapacityConfig, type DataRetention, type DataStore, type DatabaseConfig, type DomainConfig, type EnvironmentConfig, type HybridConfig, type LambdaConfig, type PreviewsConfig, type RetentionConfig, type TierName,
} from './config';
export { WebTiersStack, type PreviewStage, type WebTiersStackProps } from './web-tiers-stack';
