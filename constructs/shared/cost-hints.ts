import { CfnResource } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Template metadata that tells the cost estimator what the template alone cannot: which log
 * group holds the app's per-request lines, and how many custom metrics the CloudWatch agent of
 * each instance publishes. It changes nothing that is deployed.
 */
export const COST_HINT = 'cdk-web-tiers:cost';

export interface CostHint {
  /** What a log group receives: the app's output ('app') or system and boot logs ('system'). */
  readonly logs?: 'app' | 'system';
  /** Custom metrics the agent publishes per instance (dimension InstanceId). */
  readonly metricsPerInstance?: number;
  /** Custom metrics the agent publishes once per group (aggregated dimensions). */
  readonly metricsPerGroup?: number;
}

/** Puts the hint on the construct's CloudFormation resource; an imported one (none in the template) gets none. */
export function costHint(construct: IConstruct, hint: CostHint): void {
  const resource = construct.node.defaultChild ?? construct;
  if (CfnResource.isCfnResource(resource)) resource.addMetadata(COST_HINT, hint);
}
