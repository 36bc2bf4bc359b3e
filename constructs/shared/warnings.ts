import { Annotations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Ids of the warnings that something in a tier is a single point of failure: one failed instance,
 * NAT device or Availability Zone takes the site (or its egress, or its data) down until it is
 * replaced. Every id starts with `cdk-web-tiers:singlePointOfFailure`; each one is raised on the
 * construct that has the single point and is acknowledged by id, on that construct or any scope
 * above it:
 *
 * ```ts
 * Annotations.of(tier).acknowledgeWarning(SinglePointOfFailure.NAT, 'dev: one NAT gateway is enough');
 * ```
 */
export class SinglePointOfFailure {
  /** `SingleInstanceTier`: the app and its database on one instance in one Availability Zone. */
  public static readonly SINGLE_INSTANCE = 'cdk-web-tiers:singlePointOfFailure';
  /** `LoadBalancedTier` with `instanceCount` 1. */
  public static readonly SINGLE_INSTANCE_FLEET = 'cdk-web-tiers:singlePointOfFailure:singleInstanceFleet';
  /** `ManagedAutoScalingTier` without a load balancer (`BeanstalkLoadBalancer.none()`): one instance. */
  public static readonly BEANSTALK_SINGLE_INSTANCE = 'cdk-web-tiers:singlePointOfFailure:beanstalkSingleInstance';
  /** An Auto Scaling group that can shrink to one instance: `AutoScalingTier` (or a load-balanced `ManagedAutoScalingTier`) with a minimum of 1. */
  public static readonly SINGLE_INSTANCE_GROUP = 'cdk-web-tiers:singlePointOfFailure:singleInstanceGroup';
  /** `Network` whose app subnets reach the internet through one NAT device (`Egress.NAT_GATEWAY` or `Egress.NAT_INSTANCE`). */
  public static readonly NAT = 'cdk-web-tiers:singlePointOfFailure:nat';
  /** `Database` with `multiAz: false`: no standby in a second Availability Zone. */
  public static readonly SINGLE_AZ_DATABASE = 'cdk-web-tiers:singlePointOfFailure:singleAzDatabase';

  /** Every id above. */
  public static readonly ALL: string[] = [
    SinglePointOfFailure.SINGLE_INSTANCE,
    SinglePointOfFailure.SINGLE_INSTANCE_FLEET,
    SinglePointOfFailure.BEANSTALK_SINGLE_INSTANCE,
    SinglePointOfFailure.SINGLE_INSTANCE_GROUP,
    SinglePointOfFailure.NAT,
    SinglePointOfFailure.SINGLE_AZ_DATABASE,
  ];

  private constructor() {}
}

/**
 * Raises the acknowledgeable single-point-of-failure warning `id` (one of
 * {@link SinglePointOfFailure}'s) on `scope`, with `message` saying what fails and what removes
 * the single point.
 */
export function warnSinglePointOfFailure(scope: IConstruct, id: string, message: string): void {
  Annotations.of(scope).addWarningV2(id, `${message} (A single point of failure: acknowledge it by id where that is accepted.)`);
}
