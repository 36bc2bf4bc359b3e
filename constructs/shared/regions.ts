import { Stack, Token } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct, type IConstruct } from 'constructs';
import { WebTiersValidationError } from './validation';

/**
 * What synth can tell of where an imported or given resource lives, for the cross-region checks
 * every tier makes (a certificate, a network, a database, a table, a load balancer must be in the
 * stack's region). Anything only a deploy can tell is undefined, and the check is left to it.
 */

/** A region known at synth (not a token, not empty), else undefined. */
export function knownRegion(region: unknown): string | undefined {
  return typeof region === 'string' && region !== '' && !Token.isUnresolved(region) ? region : undefined;
}

/** The region in an ARN (`arn:<partition>:<service>:<region>:…`) when that part is literal (the partition may be a token). */
export function regionOfArn(arn: unknown): string | undefined {
  const match = typeof arn === 'string' ? /^arn:[^:]+:[a-z0-9-]+:([a-z]{2}(?:-[a-z]+)+-\d):/.exec(arn) : null;
  return match?.[1];
}

/** The region a resource declares: its stack's, or the one it was imported with (`Vpc.fromVpcAttributes({ region })`). */
export function regionOfEnv(resource: unknown): string | undefined {
  return knownRegion((resource as { env?: { region?: unknown } } | undefined)?.env?.region);
}

/**
 * The region of a resource defined in CDK (from its ARN when literal, else its stack's). An
 * imported resource whose ARN is a token takes the importing stack's env, which says nothing of
 * where it lives: undefined then.
 */
export function regionOfDefined(arn: string | undefined, resource: unknown): string | undefined {
  const fromArn = regionOfArn(arn);
  if (fromArn) return fromArn;
  const defined = (resource as Partial<Construct> | undefined)?.node?.defaultChild !== undefined;
  return defined ? regionOfEnv(resource) : undefined;
}

/** A resource's own environment's region, else its stack's, when known at synth. */
export function regionOfResource(resource: unknown): string | undefined {
  return regionOfEnv(resource) ?? (Construct.isConstruct(resource) ? knownRegion(Stack.of(resource).region) : undefined);
}

/**
 * Fails when what `regions` reveal of a prop names another region than the construct's stack,
 * when both are known at synth; a deploy-time region is left to CloudFormation.
 */
export function checkSameRegion(scope: IConstruct, prop: string, what: string, regions: Array<string | undefined>, accepted: string): void {
  const here = knownRegion(Stack.of(scope).region);
  const there = regions.map(knownRegion).find((r) => r !== undefined && r !== here);
  if (here === undefined || there === undefined) return;
  throw new WebTiersValidationError(scope, prop, `got ${what} in ${there}, but the tier's stack is in ${here}; accepted: ${accepted} in ${here}`);
}

/** A VPC as an error names it: its id when known at synth, else its construct path. */
export function describeVpc(vpc: ec2.IVpc): string {
  return Token.isUnresolved(vpc.vpcId) ? vpc.node.path : `'${vpc.vpcId}'`;
}
