import type { Duration } from 'aws-cdk-lib';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { duration, instanceOf, integer, satisfies, type Check } from '../shared/checks';
import type { IDeployment } from '../shared/deployment';
import { WebTiersValidationError } from '../shared/validation';

/**
 * Checks a parameter of a static factory, which has no construct to name: the error names the
 * factory and the parameter, e.g. `BatchSize.percent(percent)`. Null counts as not given.
 */
function checkParameter(parameter: string, value: unknown, check: Check, isRequired = true): void {
  if (value === undefined || value === null) {
    if (isRequired) throw new WebTiersValidationError(undefined, parameter, `is required; accepted: ${check.accepted}`);
    return;
  }
  check.validate(value, { scope: undefined, prop: parameter });
}

/** An application load balancer: `IApplicationLoadBalancer` is an interface, so its shape. */
const isApplicationLoadBalancer = (v: unknown) => typeof v === 'object' && v !== null && 'loadBalancerArn' in v &&
  typeof (v as { addListener?: unknown }).addListener === 'function';

/** One Elastic Beanstalk option setting. */
export interface OptionSetting {
  /** e.g. 'aws:autoscaling:asg' */
  readonly namespace: string;
  /** e.g. 'MinSize' */
  readonly optionName: string;
  readonly value: string;
}

enum BatchKind { PERCENTAGE = 'Percentage', FIXED = 'Fixed' }

/** How many instances a rolling deployment takes out of service at a time. */
export class BatchSize {
  /** A share of the instances, 1–100. */
  public static percent(percent: number): BatchSize {
    // Passed through to Beanstalk's BatchSize: a deploy-time token is accepted.
    checkParameter('BatchSize.percent(percent)', percent, integer(1, 100, 'percent'));
    return new BatchSize(BatchKind.PERCENTAGE, percent);
  }

  /** A number of instances, from 1 to the group's maximum (checked by the tier). */
  public static fixed(instances: number): BatchSize {
    checkParameter('BatchSize.fixed(instances)', instances, integer(1, 10000, 'instances'));
    return new BatchSize(BatchKind.FIXED, instances);
  }

  private constructor(public readonly type: string, public readonly value: number) {}

  /** True for a fixed number of instances. */
  public get isFixed(): boolean {
    return this.type === BatchKind.FIXED;
  }
}

enum Policy {
  ALL_AT_ONCE = 'AllAtOnce', ROLLING = 'Rolling', ROLLING_WITH_ADDITIONAL_BATCH = 'RollingWithAdditionalBatch',
  IMMUTABLE = 'Immutable', TRAFFIC_SPLITTING = 'TrafficSplitting',
}

/** How Elastic Beanstalk deploys a new application version. */
export class BeanstalkDeployment implements IDeployment {
  /** Every instance at once: fastest, with downtime. For development. */
  public static allAtOnce(): BeanstalkDeployment {
    return new BeanstalkDeployment(Policy.ALL_AT_ONCE);
  }

  /**
   * Batches of the existing instances in turn: capacity drops by one batch.
   * @param batchSize how many instances a batch takes; default BatchSize.percent(30)
   */
  public static rolling(batchSize?: BatchSize): BeanstalkDeployment {
    return new BeanstalkDeployment(Policy.ROLLING, batchSizeOf('BeanstalkDeployment.rolling(batchSize)', batchSize));
  }

  /**
   * Like rolling, but launches an extra batch first, so capacity never drops.
   * @param batchSize how many instances a batch takes; default BatchSize.percent(30)
   */
  public static rollingWithAdditionalBatch(batchSize?: BatchSize): BeanstalkDeployment {
    return new BeanstalkDeployment(Policy.ROLLING_WITH_ADDITIONAL_BATCH, batchSizeOf('BeanstalkDeployment.rollingWithAdditionalBatch(batchSize)', batchSize));
  }

  /** A full set of new instances in a temporary group; old ones are kept until the new pass health checks. */
  public static immutable(): BeanstalkDeployment {
    return new BeanstalkDeployment(Policy.IMMUTABLE);
  }

  /**
   * Canary: a new set of instances gets `percent` (1–100) of traffic for `evaluationTime`
   * (whole minutes, 3–600); if healthy, all of it.
   * @param percent share of traffic to the new instances, 1–100; default 10
   * @param evaluationTime how long before all traffic moves; default Duration.minutes(5)
   */
  public static trafficSplitting(percent?: number, evaluationTime?: Duration): BeanstalkDeployment {
    // The percentage is passed through (a token is accepted); the time is converted to minutes, so known at synth.
    checkParameter('BeanstalkDeployment.trafficSplitting(percent)', percent, integer(1, 100, 'percent'), false);
    checkParameter('BeanstalkDeployment.trafficSplitting(evaluationTime)', evaluationTime, duration(3, 600, 'minutes'), false);
    return new BeanstalkDeployment(Policy.TRAFFIC_SPLITTING, undefined, percent ?? 10, evaluationTime ?? undefined);
  }

  private constructor(
    public readonly policy: string,
    public readonly batchSize?: BatchSize,
    public readonly trafficPercent?: number,
    public readonly evaluationTime?: Duration,
  ) {}

  /**
   * True when the policy needs a load-balanced environment: Beanstalk supports only AllAtOnce and
   * Immutable on a single instance.
   */
  public get needsLoadBalancer(): boolean {
    return this.policy === Policy.ROLLING || this.policy === Policy.ROLLING_WITH_ADDITIONAL_BATCH || this.policy === Policy.TRAFFIC_SPLITTING;
  }

  /** True for TrafficSplitting. */
  public get isTrafficSplitting(): boolean {
    return this.policy === Policy.TRAFFIC_SPLITTING;
  }
}

enum LbKind { DEDICATED = 'dedicated', SHARED = 'shared', NONE = 'none' }

/** A rolling deployment's batch size: a BatchSize, 30 % when not given. */
function batchSizeOf(parameter: string, batchSize: BatchSize | undefined): BatchSize {
  checkParameter(parameter, batchSize, instanceOf([BatchSize], 'a BatchSize: BatchSize.percent(n) or BatchSize.fixed(n)'), false);
  return batchSize ?? BatchSize.percent(30);
}

/** The load balancer in front of the environment. */
export class BeanstalkLoadBalancer {
  /** An Application Load Balancer of the environment's own; with the tier's `domain`, HTTPS on 443 (port 80 closed). */
  public static dedicated(): BeanstalkLoadBalancer {
    // The certificate and the domain were options here before they became the tier's `domain`.
    // eslint-disable-next-line prefer-rest-params
    if (arguments.length > 0 && arguments[0] !== undefined) {
      throw new WebTiersValidationError(undefined, 'loadBalancer',
        "BeanstalkLoadBalancer.dedicated() takes no options; accepted instead: the tier's domain: { domainName, domainZone, certificate? }");
    }
    return new BeanstalkLoadBalancer(LbKind.DEDICATED);
  }

  /** An existing Application Load Balancer shared with other environments; its listeners stay its own. */
  public static shared(loadBalancer: elbv2.IApplicationLoadBalancer): BeanstalkLoadBalancer {
    checkParameter('BeanstalkLoadBalancer.shared(loadBalancer)', loadBalancer, satisfies(isApplicationLoadBalancer,
      'an elbv2.IApplicationLoadBalancer (e.g. ApplicationLoadBalancer.fromApplicationLoadBalancerAttributes(…) or .fromLookup(…))'));
    return new BeanstalkLoadBalancer(LbKind.SHARED, loadBalancer);
  }

  /** A single instance with an Elastic IP and no load balancer: the cheapest, a single point of failure. */
  public static none(): BeanstalkLoadBalancer {
    return new BeanstalkLoadBalancer(LbKind.NONE);
  }

  private constructor(
    private readonly kind: LbKind,
    public readonly sharedLoadBalancer?: elbv2.IApplicationLoadBalancer,
  ) {}

  /** True for a single-instance environment. */
  public get isNone(): boolean {
    return this.kind === LbKind.NONE;
  }

  /** True for a shared load balancer. */
  public get isShared(): boolean {
    return this.kind === LbKind.SHARED;
  }
}

/** Which platform updates Elastic Beanstalk applies in the maintenance window. */
export enum UpdateLevel {
  /** Patch versions only (e.g. 6.10.0 → 6.10.1). */
  PATCH = 'patch',
  /** Minor and patch versions (e.g. 6.10 → 6.11). */
  MINOR = 'minor',
}

/** Managed platform updates. */
export interface ManagedUpdates {
  /**
   * Weekly start of the maintenance window, 'Ddd:HH:MM' in UTC.
   * @default 'Sun:03:00'
   */
  readonly window?: string;
  /**
   * Which updates to apply.
   * @default UpdateLevel.MINOR
   */
  readonly level?: UpdateLevel;
}

/** The Auto Scaling trigger (one CloudWatch alarm pair) of the environment. */
export interface ScalingTrigger {
  /** e.g. 'CPUUtilization', 'NetworkOut', 'Latency', 'RequestCount'. */
  readonly metric: string;
  /** 'Minimum', 'Maximum', 'Sum' or 'Average'. */
  readonly statistic: string;
  /** e.g. 'Percent', 'Bytes', 'Seconds', 'Count'. */
  readonly unit: string;
  /** Add an instance above this. */
  readonly upperThreshold: number;
  /** Remove an instance below this. */
  readonly lowerThreshold: number;
  /**
   * How long the metric must stay beyond a threshold, 1–600 minutes.
   * @default Duration.minutes(5)
   */
  readonly breachDuration?: Duration;
}

/** Size and scaling of the group. */
export interface BeanstalkScaling {
  /** @default 2 (1 without a load balancer) */
  readonly min?: number;
  /** @default 4 (1 without a load balancer) */
  readonly max?: number;
  /**
   * What scales the group.
   * @default - CPU: add above 60 %, remove below 25 %, over 5 minutes
   */
  readonly trigger?: ScalingTrigger;
}

/** Health reporting and logs. */
export interface BeanstalkMonitoring {
  /**
   * Enhanced health reporting (required by managed updates).
   * @default true
   */
  readonly enhancedHealth?: boolean;
  /**
   * Retention of the streamed instance and health logs: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150,
   * 180, 365, 400, 545, 731, 1827 or 3653 days.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: RetentionDays;
}
