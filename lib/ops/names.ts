/**
 * The names of the stack outputs the operating commands (`cdk-web-tiers url|logs|shell|status`)
 * read. Written by `addOperatorOutputs` (outputs.ts) and the tiers' own `outputs`, read by the
 * commands (cli.ts). A module of its own, so the commands load without aws-cdk-lib.
 */
export const OpsOutput = {
  /** Where the app answers (written by `WebTiersStack` on every tier). */
  URL: 'Url',
  /** The tier's name, one of `TIERS` ('single-instance' … 'managed-serverless'). */
  TIER: 'Tier',
  /** `sha256:<hex>` of the app bundle the tier runs (server.js on tiers 1-4, index.js on 5-6). */
  VERSION: 'Version',
  /** The path the app answers health checks on, e.g. '/health'. */
  HEALTH_PATH: 'HealthPath',
  /** The names of the log groups holding the app's output, comma-joined. */
  APP_LOG_GROUPS: 'AppLogGroups',
  /** The names of the alarms, comma-joined; absent when the tier has none. */
  ALARMS: 'Alarms',
  /** Tiers 1 and 3: the Auto Scaling group running the instances (tier 1's own output). */
  AUTO_SCALING_GROUP_NAME: 'AutoScalingGroupName',
  /** Tier 2: the instances' ids, comma-joined. */
  INSTANCE_IDS: 'InstanceIds',
  /** Tier 4: the Elastic Beanstalk environment (the tier's own output). */
  ENVIRONMENT_NAME: 'EnvironmentName',
} as const;

/**
 * The separator of the list outputs (`AppLogGroups`, `Alarms`, `InstanceIds`): log group names and
 * instance ids cannot hold one, and the tiers' alarm names are CloudFormation's (`<stack>-<id>-<suffix>`).
 */
export const LIST_SEPARATOR = ',';
