import { Annotations, App, CfnDeletionPolicy, CfnResource, Stack, type IAspect } from 'aws-cdk-lib';
import { CfnDBInstance } from 'aws-cdk-lib/aws-rds';
import { Construct, type IConstruct } from 'constructs';

/** How one stateful resource type must be protected. */
interface Protection {
  /** DeletionPolicy (and UpdateReplacePolicy) values that keep the data. */
  readonly keep: CfnDeletionPolicy[];
  /** The service's own deletion protection, where it has one: a check on the properties. */
  readonly deletionProtection?: { readonly property: string; readonly on: (props: Record<string, any>) => boolean };
}

const RETAIN_OR_SNAPSHOT = [CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.SNAPSHOT, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE];
const RETAIN = [CfnDeletionPolicy.RETAIN, CfnDeletionPolicy.RETAIN_EXCEPT_ON_CREATE];

/** The resource types that hold data, and what keeps it. */
export const STATEFUL_RESOURCES: Readonly<Record<string, Protection>> = {
  'AWS::RDS::DBInstance': { keep: RETAIN_OR_SNAPSHOT, deletionProtection: { property: 'DeletionProtection', on: (p) => p.DeletionProtection === true } },
  'AWS::RDS::DBCluster': { keep: RETAIN_OR_SNAPSHOT, deletionProtection: { property: 'DeletionProtection', on: (p) => p.DeletionProtection === true } },
  'AWS::DynamoDB::Table': { keep: RETAIN, deletionProtection: { property: 'DeletionProtectionEnabled', on: (p) => p.DeletionProtectionEnabled === true } },
  'AWS::DynamoDB::GlobalTable': {
    keep: RETAIN,
    deletionProtection: {
      property: 'Replicas[].DeletionProtectionEnabled',
      on: (p) => Array.isArray(p.Replicas) && p.Replicas.every((r: Record<string, unknown>) => r.DeletionProtectionEnabled === true),
    },
  },
  'AWS::EC2::Volume': { keep: RETAIN_OR_SNAPSHOT },
  'AWS::S3::Bucket': { keep: RETAIN },
  'AWS::EFS::FileSystem': { keep: RETAIN },
  'AWS::Cognito::UserPool': { keep: RETAIN, deletionProtection: { property: 'DeletionProtection', on: (p) => p.DeletionProtection === 'ACTIVE' } },
};

const EXEMPT = 'cdk-web-tiers:statefulDataExempt';

/**
 * Fails synthesis (an error annotation on the resource) when a stateful resource — an RDS
 * instance or cluster, a DynamoDB table, an EBS volume, an S3 bucket, an EFS file system, a
 * Cognito user pool — would lose its data: its DeletionPolicy or UpdateReplacePolicy does not
 * retain (or snapshot) it, or the service's own deletion protection is off.
 *
 * Add it to every stack outside development: `Aspects.of(stack).add(new StatefulDataGuard())`.
 * A resource that holds no user data can be exempted, with a reason: `StatefulDataGuard.exempt(bucket, '…')`.
 */
export class StatefulDataGuard implements IAspect {
  /** Excludes `scope` (and what is under it) from the guard. */
  public static exempt(scope: IConstruct, reason: string): void {
    if (!reason || reason.trim().length < 10) throw new Error('StatefulDataGuard.exempt: give the reason why this holds no user data');
    scope.node.addMetadata(EXEMPT, reason);
  }

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource)) return;
    const protection = STATEFUL_RESOURCES[node.cfnResourceType];
    if (!protection || isExempt(node)) return;
    // A member of an Aurora cluster holds no data of its own: the cluster's storage does, and the cluster is guarded.
    if (node instanceof CfnDBInstance && node.dbClusterIdentifier !== undefined) return;
    const problems: string[] = [];
    const deletion = node.cfnOptions.deletionPolicy ?? CfnDeletionPolicy.DELETE;
    const replace = node.cfnOptions.updateReplacePolicy ?? CfnDeletionPolicy.DELETE;
    if (!protection.keep.includes(deletion)) problems.push(`DeletionPolicy is ${deletion} (accepted: ${protection.keep.join(' or ')})`);
    if (!protection.keep.includes(replace)) problems.push(`UpdateReplacePolicy is ${replace} (accepted: ${protection.keep.join(' or ')})`);
    if (protection.deletionProtection) {
      const template = Stack.of(node).resolve((node as unknown as { _toCloudFormation(): any })._toCloudFormation());
      const props = (Object.values(template.Resources ?? {})[0] as { Properties?: Record<string, any> } | undefined)?.Properties ?? {};
      if (!protection.deletionProtection.on(props)) problems.push(`${protection.deletionProtection.property} is not on`);
    }
    if (problems.length) {
      Annotations.of(node).addError(
        `cdk-web-tiers:statefulData: ${node.cfnResourceType} ${node.node.path} would lose its data outside development: ${problems.join('; ')}. ` +
        'Keep it (removalPolicy RETAIN or SNAPSHOT, deletion protection on), or StatefulDataGuard.exempt() it with a reason.');
    }
  }
}

function isExempt(node: IConstruct): boolean {
  return node.node.scopes.some((s) => s.node.metadata.some((m) => m.type === EXEMPT));
}

/** A stateful resource in a template: what a change of logical id would replace. */
export interface StatefulResource {
  readonly logicalId: string;
  readonly type: string;
}

/**
 * The stateful resources of a synthesized template, sorted. A logical id that disappears
 * between two versions of a template means CloudFormation deletes (or replaces) that resource.
 */
export function statefulResources(template: { Resources?: Record<string, { Type: string }> }): StatefulResource[] {
  return Object.entries(template.Resources ?? {})
    .filter(([, r]) => r.Type in STATEFUL_RESOURCES)
    .map(([logicalId, r]) => ({ logicalId, type: r.Type }))
    .sort((a, b) => a.logicalId.localeCompare(b.logicalId));
}

/** Stateful resources of `before` that `after` no longer has under the same logical id. */
export function removedStatefulResources(
  before: { Resources?: Record<string, { Type: string }> }, after: { Resources?: Record<string, { Type: string }> },
): StatefulResource[] {
  const kept = new Set(statefulResources(after).map((r) => `${r.type}|${r.logicalId}`));
  return statefulResources(before).filter((r) => !kept.has(`${r.type}|${r.logicalId}`));
}

/**
 * The logical id a stack gives a resource at `path` (construct ids below the stack, ending with
 * the resource's own, e.g. `['Web', 'Instance', 'Resource']`), computed by CDK's own naming on a
 * throwaway stack: for keeping the logical id of a resource that moved in the construct tree, so
 * CloudFormation updates it in place instead of creating a second one.
 */
export function logicalIdAt(stackName: string, path: string[]): string {
  // Never synthesized: under the CDK CLI a plain App would write itself into cdk.out at exit.
  const probe = new Stack(new App({ autoSynth: false }), stackName);
  let scope: Construct = probe;
  for (const id of path.slice(0, -1)) scope = new Construct(scope, id);
  return probe.getLogicalId(new CfnResource(scope, path[path.length - 1], { type: 'Probe::Probe::Probe' }));
}
