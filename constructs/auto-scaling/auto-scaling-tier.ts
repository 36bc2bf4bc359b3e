import { type CfnElement, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { notify } from '../shared/alarms';
import { acknowledgeAll, guard } from '../shared/compliance';
import { Deployment, DeploymentStrategy, type IDeployment } from '../shared/deployment';
import { amazonLinux2023, serverUserData } from '../shared/server-bootstrap';
import { ServerFleetTier, type ServerFleetProps } from '../shared/server-fleet';
import { WebTiersValidationError, checkIntegerRange } from '../shared/validation';
import { SinglePointOfFailure, warnSinglePointOfFailure } from '../shared/warnings';
import { ScaleOn } from './scale-on';

/** Size of the Auto Scaling group. */
export interface Capacity {
  /**
   * Fewest instances, 1–1000.
   * @default 2
   */
  readonly min?: number;
  /**
   * Most instances, 1–1000, at least `min`.
   * @default 4
   */
  readonly max?: number;
  /**
   * Instances right now. Leave it unset so that a deploy does not reset what scaling chose.
   * @default - `min` at creation, then whatever scaling decides
   */
  readonly desired?: number;
}

/** A capacity change at scheduled times, e.g. more instances during business hours. */
export interface ScheduledCapacity {
  /** When: a cron schedule (UTC unless `timeZone`). */
  readonly schedule: autoscaling.Schedule;
  /** @default - unchanged */
  readonly min?: number;
  /** @default - unchanged */
  readonly max?: number;
  /** @default - unchanged */
  readonly desired?: number;
  /**
   * IANA time zone of the schedule, e.g. 'Europe/Paris'.
   * @default 'UTC'
   */
  readonly timeZone?: string;
}

/** How a deploy replaces instances: tier 3's own form, which `Deployment.rolling()` also covers. */
export interface RollingDeployment {
  /**
   * Share of `capacity.min` that stays in service while instances are replaced, 50–100.
   * @default 90
   */
  readonly minHealthyPercent?: number;
  /**
   * How long a new instance may take to report healthy, 1–60 minutes; a failure rolls the
   * deploy back.
   * @default Duration.minutes(15)
   */
  readonly signalTimeout?: Duration;
}

/** Props of {@link AutoScalingTier}. */
export interface AutoScalingTierProps extends ServerFleetProps {
  /**
   * Size of the group.
   * @default - min 2, max 4
   */
  readonly capacity?: Capacity;
  /**
   * Target-tracking policies, at most one per signal.
   * @default [ScaleOn.cpu(60)]
   */
  readonly scaleOn?: ScaleOn[];
  /**
   * Scheduled capacity changes.
   * @default - none
   */
  readonly schedules?: ScheduledCapacity[];
}

/**
 * Tier 3: an EC2 Auto Scaling group from a launch template behind an ALB.
 *
 * ELB health checks replace instances that fail the app's health route; target tracking
 * (`ScaleOn`) and optional schedules size the group; a deploy rolls through the group keeping
 * (unless `deployment` says otherwise) at least 90 % of `min` in service, each new instance reporting healthy to CloudFormation
 * before the next batch, with rollback on failure. On scale-in the load balancer drains
 * the instance, then the app drains its own in-flight requests on SIGTERM.
 */
export class AutoScalingTier extends ServerFleetTier {
  public readonly autoScalingGroup: autoscaling.AutoScalingGroup;
  public readonly launchTemplate: ec2.LaunchTemplate;

  constructor(scope: Construct, id: string, props: AutoScalingTierProps) {
    let checked!: ReturnType<typeof checkCapacity>;
    const scaleOn = props.scaleOn ?? [ScaleOn.cpu(60)];
    super(scope, id, props, true, {
      checkProps: (self) => {
        checked = checkCapacity(self, props);
        checkScaling(self, scaleOn, props.schedules ?? []);
      },
    });
    const { min, max, desired, minInService, maxBatchSize, signalTimeout } = checked;
    const fleet = this._fleet;

    this.launchTemplate = new ec2.LaunchTemplate(this, 'LaunchTemplate', {
      instanceType: fleet.instanceType,
      machineImage: props.machineImage ?? amazonLinux2023(fleet.arm64),
      // The group's logical id, known once the group exists: the hosts signal it directly.
      userData: serverUserData(this, {
        ...fleet.bootstrap,
        signal: Lazy.string({ produce: () => Stack.of(this).getLogicalId(this.autoScalingGroup.node.defaultChild as CfnElement) }),
      }),
      role: fleet.role,
      securityGroup: fleet.securityGroup,
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [{
        deviceName: '/dev/xvda',
        volume: ec2.BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: ec2.EbsDeviceVolumeType.GP3 }),
      }],
    });

    this.autoScalingGroup = new autoscaling.AutoScalingGroup(this, 'Group', {
      vpc: fleet.network.vpc,
      vpcSubnets: fleet.network.appSubnets,
      launchTemplate: this.launchTemplate,
      minCapacity: min,
      maxCapacity: max,
      desiredCapacity: desired,
      healthChecks: autoscaling.HealthChecks.withAdditionalChecks({
        additionalTypes: [autoscaling.AdditionalHealthCheckType.ELB],
        gracePeriod: Duration.minutes(5),
      }),
      defaultInstanceWarmup: Duration.minutes(3),
      signals: autoscaling.Signals.waitForMinCapacity({ timeout: signalTimeout }),
      updatePolicy: autoscaling.UpdatePolicy.rollingUpdate({
        minInstancesInService: minInService,
        maxBatchSize,
        waitOnResourceSignals: true,
        pauseTime: signalTimeout,
      }),
      notifications: [{ topic: fleet.alarmTopic, scalingEvents: autoscaling.ScalingEvents.ERRORS }],
      groupMetrics: [autoscaling.GroupMetrics.all()],
    });
    this.autoScalingGroup.attachToApplicationTargetGroup(fleet.web.targetGroup);
    Validations.of(this.autoScalingGroup).acknowledge({
      id: 'AwsSolutions::AwsSolutions-AS3',
      reason: 'Failed launches and terminations notify the alarm topic; routine launches and terminations are in the activity history and group metrics, and paging on each would be noise.',
    });

    for (const policy of scaleOn) policy._apply(this.autoScalingGroup);
    (props.schedules ?? []).forEach((s, i) => this.autoScalingGroup.scaleOnSchedule(`Schedule${i + 1}`, {
      schedule: s.schedule, minCapacity: s.min, maxCapacity: s.max, desiredCapacity: s.desired, timeZone: s.timeZone,
    }));

    const atMax = notify(new cloudwatch.Alarm(this, 'AtMaxCapacityAlarm', {
      alarmDescription: 'The group has been at its maximum size for 15 minutes: scaling can do no more.',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/AutoScaling', metricName: 'GroupInServiceInstances',
        dimensionsMap: { AutoScalingGroupName: this.autoScalingGroup.autoScalingGroupName },
        statistic: 'Minimum', period: Duration.minutes(5),
      }),
      threshold: max, evaluationPeriods: 3,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    }), fleet.alarmTopic);
    this.alarms.push(atMax);
    acknowledgeAll(this.autoScalingGroup, [guard('autoscaling_mixed_instances_policy_multiple_instance_types_check')],
      'One instance type by configuration (instanceType); a mixed-instances policy is not needed for on-demand capacity of this size.');
    acknowledgeAll(this.autoScalingGroup, [guard('autoscaling_multiple_az_check')],
      'The group spans the app subnets of at least two AZs (VPCZoneIdentifier), checked at synth; the rule only reads AvailabilityZones.');
    // min 1 covers max 1 too (min ≤ max): at low load, or always, one instance serves.
    if (min === 1) {
      warnSinglePointOfFailure(this, SinglePointOfFailure.SINGLE_INSTANCE_GROUP,
        'AutoScalingTier with capacity.min 1 runs one instance whenever load is low: an instance or AZ failure stops the site ' +
        'until the group has replaced it. Use capacity.min 2 or more.');
    }
  }
}

function checkCapacity(self: Construct, props: AutoScalingTierProps) {
  const c = props.capacity ?? {};
  checkIntegerRange(self, 'capacity.min', c.min, 1, 1000);
  checkIntegerRange(self, 'capacity.max', c.max, 1, 1000);
  checkIntegerRange(self, 'capacity.desired', c.desired, 1, 1000);
  const min = c.min ?? 2;
  const max = c.max ?? Math.max(4, min);
  const desired = c.desired;
  if (min > max) throw new WebTiersValidationError(self, 'capacity', `min ${min} is above max ${max}; accepted: min ≤ desired ≤ max`);
  if (desired !== undefined && (desired < min || desired > max)) {
    throw new WebTiersValidationError(self, 'capacity.desired', `got ${desired}; accepted: from min ${min} to max ${max}`);
  }
  return { min, max, desired, ...autoScalingRollout(self, props.deployment, min, max) };
}

/**
 * `deployment` on tier 3, as the group's rolling update: how many instances stay in service,
 * how many are replaced per batch and how long each new one may take to signal.
 */
function autoScalingRollout(self: Construct, deployment: IDeployment | undefined, min: number, max: number) {
  const accepted = 'Deployment.allAtOnce(), Deployment.rolling({ batchPercent, minHealthyPercent, timeout }) or a RollingDeployment';
  let minHealthyPercent: number;
  let batchPercent: number | undefined;
  let signalTimeout = Duration.minutes(15);
  if (deployment instanceof Deployment) {
    deployment._validate(self, 'AutoScalingTier');
    if (deployment.strategy === DeploymentStrategy.CANARY) {
      throw Deployment._unsupported(self, 'AutoScalingTier', deployment, accepted,
        'its instances all sit in one target group, which cannot send a share of traffic to a new version');
    }
    const minutes = deployment._minutes(self, 'AutoScalingTier', 'timeout', 1, 60);
    if (minutes !== undefined) signalTimeout = Duration.minutes(minutes);
    if (deployment.strategy === DeploymentStrategy.ALL_AT_ONCE) return { minInService: 0, maxBatchSize: max, signalTimeout };
    minHealthyPercent = deployment.minHealthyPercent ?? 100;
    batchPercent = deployment.batchPercent;
  } else if (deployment === undefined || isRollingDeployment(deployment)) {
    const d: RollingDeployment = deployment ?? {};
    checkIntegerRange(self, 'deployment.minHealthyPercent', d.minHealthyPercent, 50, 100, 'percent');
    signalTimeout = d.signalTimeout ?? signalTimeout;
    const minutes = signalTimeout.toSeconds() / 60;
    if (minutes < 1 || minutes > 60) {
      throw new WebTiersValidationError(self, 'deployment.signalTimeout', `got ${minutes} minutes; accepted: 1 to 60 minutes`);
    }
    minHealthyPercent = d.minHealthyPercent ?? 90;
  } else {
    throw Deployment._unsupported(self, 'AutoScalingTier', deployment, accepted);
  }
  const minInService = Math.ceil(min * minHealthyPercent / 100);
  if (minInService >= max) {
    throw new WebTiersValidationError(self, 'capacity.max',
      `is ${max}, but a rolling deploy keeps ${minInService} of min ${min} in service (deployment.minHealthyPercent ` +
      `${minHealthyPercent}) and needs room for a new instance; accepted: max above ${minInService}, or a lower minHealthyPercent`);
  }
  const maxBatchSize = batchPercent === undefined
    ? (deployment instanceof Deployment ? 1 : Math.max(1, min - minInService))
    : Math.max(1, Math.ceil(min * batchPercent / 100));
  return { minInService, maxBatchSize, signalTimeout };
}

/** A plain object with at most the fields of a {@link RollingDeployment}. */
function isRollingDeployment(value: IDeployment): value is RollingDeployment {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.keys(value).every((k) => k === 'minHealthyPercent' || k === 'signalTimeout');
}

function checkScaling(self: Construct, scaleOn: ScaleOn[], schedules: ScheduledCapacity[]) {
  const seen = new Set<string>();
  scaleOn.forEach((policy, i) => {
    if (!(policy instanceof ScaleOn)) throw new WebTiersValidationError(self, `scaleOn[${i}]`, 'accepted: ScaleOn.cpu(), ScaleOn.memory() or ScaleOn.requestsPerTarget()');
    policy._validate(self, `scaleOn[${i}]`);
    if (seen.has(policy._signal)) throw new WebTiersValidationError(self, `scaleOn[${i}]`, `a second ${policy._signal} policy; accepted: at most one per signal`);
    seen.add(policy._signal);
  });
  schedules.forEach((s, i) => {
    const prop = `schedules[${i}]`;
    for (const k of ['min', 'max', 'desired'] as const) checkIntegerRange(self, `${prop}.${k}`, s[k], 0, 1000);
    if (s.min === undefined && s.max === undefined && s.desired === undefined) {
      throw new WebTiersValidationError(self, prop, 'changes nothing; accepted: at least one of min, max, desired');
    }
    if (s.min !== undefined && s.max !== undefined && !Token.isUnresolved(s.min) && s.min > s.max) {
      throw new WebTiersValidationError(self, prop, `min ${s.min} is above max ${s.max}`);
    }
  });
}
