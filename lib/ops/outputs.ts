/**
 * The stack outputs the operating commands read (`cdk-web-tiers url|logs|shell|status`), so an
 * operator never looks up a generated log group name or an instance id in the console: what the
 * tier runs, which build, where its logs and alarms are, and how to find one of its instances.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CfnOutput, Fn, type CfnOutputProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { AutoScalingTier } from '../../constructs/auto-scaling';
import { HybridRouter } from '../../constructs/hybrid';
import { LoadBalancedTier } from '../../constructs/load-balanced';
import { ManagedAutoScalingTier } from '../../constructs/managed-auto-scaling';
import { ManagedServerlessTier } from '../../constructs/managed-serverless';
import { ServerlessTier } from '../../constructs/serverless';
import { AppFunction } from '../../constructs/shared/app-function';
import type { WebApp, WebAppBundle } from '../../constructs/shared/web-app';
import type { IWebTier } from '../../constructs/shared/web-tier';
import { SingleInstanceTier } from '../../constructs/single-instance';
import type { TierName } from '../config';
import { LIST_SEPARATOR, OpsOutput } from './names';

export { LIST_SEPARATOR, OpsOutput } from './names';

/** Each tier's class and name; the serverless ones run the lambda bundle, the others the server bundle. */
const TIER_CLASSES: ReadonlyArray<readonly [abstract new (...args: never[]) => IWebTier, TierName]> = [
  [SingleInstanceTier, 'single-instance'],
  [LoadBalancedTier, 'load-balanced'],
  [AutoScalingTier, 'auto-scaling'],
  [ManagedAutoScalingTier, 'managed-auto-scaling'],
  [ServerlessTier, 'serverless'],
  [ManagedServerlessTier, 'managed-serverless'],
];

/** The name of one of this package's tiers, or undefined for an `IWebTier` of another kind. */
export function tierNameOf(tier: IWebTier): TierName | undefined {
  return TIER_CLASSES.find(([type]) => tier instanceof type)?.[1];
}

/**
 * What identifies the deployed build: the SHA-256 of the bundle file the tier runs. It changes
 * exactly when the deployed code does (the app, its dependencies, the adapter, the esbuild options),
 * and a checkout rebuilds the same bytes, so a deploy is matched to its commit; a package version
 * is not bumped on every deploy and would call two different builds the same.
 */
function versionOf(bundle: WebAppBundle): string {
  return `sha256:${createHash('sha256').update(fs.readFileSync(path.join(bundle.directory, bundle.file))).digest('hex')}`;
}

/**
 * The outputs the operating commands read, by name (see {@link OpsOutput}), for `tier` in `scope`
 * (the stack). Outputs the tier writes itself (`AutoScalingGroupName` on tier 1, `EnvironmentName`
 * on tier 4) are reused, not repeated. The app's lambda bundle next to a server tier
 * (`hybrid`: an `AppFunction` and a `HybridRouter` made by the stack) adds its log group and alarms.
 */
export function operatorOutputs(scope: Construct, tier: IWebTier, app: WebApp): { [name: string]: CfnOutputProps } {
  const name = tierNameOf(tier);
  const extras = scope.node.children;
  const hybridFunctions = extras.filter((c): c is AppFunction => c instanceof AppFunction);
  const routers = extras.filter((c): c is HybridRouter => c instanceof HybridRouter);
  const logGroups: logs.ILogGroup[] = [...tier.appLogGroups, ...hybridFunctions.map((f) => f.logGroup)];
  const alarms: cloudwatch.IAlarm[] = [...new Set<cloudwatch.IAlarm>([
    ...tier.alarms, ...hybridFunctions.flatMap((f) => f.alarms), ...routers.flatMap((r) => [...r.alarms, r.rollbackErrorsAlarm]),
  ])];

  const outputs: { [name: string]: CfnOutputProps } = {};
  if (name) {
    outputs[OpsOutput.TIER] = { value: name, description: 'The tier running the app (cdk-web-tiers status)' };
    const serverless = name === 'serverless' || name === 'managed-serverless';
    outputs[OpsOutput.VERSION] = {
      value: versionOf(serverless ? app.lambdaBundle(tier) : app.serverBundle(tier)),
      description: `SHA-256 of the app bundle the tier runs (${serverless ? 'the lambda bundle' : 'the server bundle'}): the deployed build`,
    };
  }
  outputs[OpsOutput.HEALTH_PATH] = { value: app.healthCheckPath, description: 'The path the app answers health checks on (cdk-web-tiers url)' };
  outputs[OpsOutput.APP_LOG_GROUPS] = {
    value: Fn.join(LIST_SEPARATOR, logGroups.map((g) => g.logGroupName)),
    description: "The log groups of the app's output, comma-separated (cdk-web-tiers logs)",
  };
  if (alarms.length > 0) {
    outputs[OpsOutput.ALARMS] = {
      value: Fn.join(LIST_SEPARATOR, alarms.map((a) => a.alarmName)),
      description: "The tier's alarms, comma-separated (cdk-web-tiers status)",
    };
  }
  if (tier instanceof SingleInstanceTier || tier instanceof AutoScalingTier) {
    outputs[OpsOutput.AUTO_SCALING_GROUP_NAME] = {
      value: tier.autoScalingGroup.autoScalingGroupName,
      description: 'The Auto Scaling group running the instances (cdk-web-tiers shell)',
    };
  } else if (tier instanceof LoadBalancedTier) {
    outputs[OpsOutput.INSTANCE_IDS] = {
      value: Fn.join(LIST_SEPARATOR, tier.instances.map((i) => i.instanceId)),
      description: 'The instances, comma-separated (cdk-web-tiers shell)',
    };
  } else if (tier instanceof ManagedAutoScalingTier) {
    outputs[OpsOutput.ENVIRONMENT_NAME] = { value: tier.environment.ref, description: 'The Beanstalk environment (cdk-web-tiers shell)' };
  }
  // What the tier writes itself stays as the tier wrote it.
  for (const own of Object.keys(tier.outputs)) delete outputs[own];
  return outputs;
}

/** Writes {@link operatorOutputs} into `scope` (the stack), next to the tier's own outputs. */
export function addOperatorOutputs(scope: Construct, tier: IWebTier, app: WebApp): void {
  for (const [name, output] of Object.entries(operatorOutputs(scope, tier, app))) new CfnOutput(scope, name, output);
}
