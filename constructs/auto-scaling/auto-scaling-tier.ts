import { type CfnElement, Duration, Lazy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { notify } from '../shared/alarms';
import {
  type Check, arrayOf, checkSpec, checkedWhereUsed, describe, instanceOf, integer, literal, required, satisfies, shape, string, type Spec, withoutNulls,
} from '../shared/checks';
import { acknowledgeAll, guard } from '../shared/compliance';
import { Deployment, DeploymentStrategy, type IDeployment } from '../shared/deployment';
import { amazonLinux2023, serverUserData } from '../shared/server-bootstrap';
import { FLEET_DEPLOYMENT_SPEC, SERVER_FLEET_SPEC, ServerFleetTier, type ServerFleetProps } from '../shared/server-fleet';
import { WebTiersValidationError } from '../shared/validation';
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
   * Most instances, 1–1000, at least `min`, and above what a rolling deploy keeps in service.
   * @default - 4, or `min` plus one deploy batch when that is more (room for a rolling deploy), or `desired` when that is more
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
  /**
   * When: a cron schedule of five fields, minute hour day-of-month month day-of-week (UTC unless
   * `timeZone`), e.g. `Schedule.cron({ hour: '7', minute: '0', weekDay: 'MON-FRI' })`.
   */
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

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const WEEK_DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The fields of a Unix cron expression, as EC2 Auto Scaling's `Recurrence` takes it: range and names. */
const CRON_FIELDS: Array<[string, number, number, string[]]> = [
  ['minute', 0, 59, []], ['hour', 0, 23, []], ['day of month', 1, 31, []], ['month', 1, 12, MONTHS], ['day of week', 0, 7, WEEK_DAYS],
];

/** Why `expression` is not a Unix cron expression of five fields, or undefined when it is one. */
function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`;
  for (let i = 0; i < 5; i++) {
    const [name, min, max, names] = CRON_FIELDS[i];
    const value = (v: string) => {
      const n = /^\d+$/.test(v) ? Number(v) : names.indexOf(v.toUpperCase()) + (names === MONTHS ? 1 : 0);
      return n >= min && n <= max && (/^\d+$/.test(v) || names.includes(v.toUpperCase()));
    };
    const ok = fields[i].split(',').every((item) => {
      const [range, step, ...more] = item.split('/');
      if (more.length || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
      if (range === '*') return true;
      const [from, to, ...beyond] = range.split('-');
      return !beyond.length && value(from) && (to === undefined || value(to));
    });
    if (!ok) return `its ${name} field '${fields[i]}' is not ${min}-${max}${names.length ? ` or ${names[0]}-${names[names.length - 1]}` : ''}, '*', a list, a range or a step`;
  }
  return undefined;
}

/** A `Schedule` whose expression is a Unix cron expression (a deploy-time token passes). */
const cronSchedule: Check = {
  accepted: "an autoscaling.Schedule of a Unix cron expression 'minute hour day-of-month month day-of-week', " +
    "e.g. Schedule.cron({ hour: '7', minute: '0', weekDay: 'MON-FRI' }) or Schedule.expression('0 7 * * MON-FRI')",
  validate(value, at) {
    if (!(value instanceof autoscaling.Schedule)) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)}; accepted: ${this.accepted}`);
    }
    const expression = value.expressionString;
    if (typeof expression === 'string' && Token.isUnresolved(expression)) return;
    const problem = typeof expression === 'string' ? cronProblem(expression) : 'no expression';
    if (problem) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(expression)} (${problem}); accepted: ${this.accepted}`);
    }
  },
};

/**
 * An IANA time zone as the time-zone database names it, e.g. 'Europe/Paris' (a deploy-time token
 * passes). Node's own database tells which names exist; a name in other letter case is rejected
 * with its proper spelling, as EC2 Auto Scaling matches names exactly.
 */
const timeZone: Check = {
  accepted: "an IANA time zone name such as 'Europe/Paris', 'America/New_York' or 'UTC'",
  validate(value, at) {
    string(undefined, this.accepted).validate(value, at);
    const name = value as string;
    if (Token.isUnresolved(name)) return;
    let canonical: string | undefined;
    try {
      canonical = new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
    } catch {
      canonical = undefined;
    }
    // Offsets ('+01:00') are accepted by newer Node versions but are no IANA name.
    if (canonical === undefined || !/^[A-Za-z]/.test(name)) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)} (not in the IANA time zone database); accepted: ${this.accepted}`);
    }
    if (canonical !== name && canonical.toLowerCase() === name.toLowerCase()) {
      throw new WebTiersValidationError(at.scope, at.prop, `got ${describe(value)} (written '${canonical}'); accepted: ${this.accepted}`);
    }
  },
};

const capacityCount = literal(integer(1, 1000));
const scheduledCount = integer(0, 1000);

/**
 * The runtime checks of {@link AutoScalingTierProps}, run first. The capacity is computed with
 * (instances kept in service, batch sizes, the at-max alarm), so it must be known at synth; a
 * schedule's sizes and a `ScaleOn` target go straight to CloudFormation and may be deploy-time tokens.
 * `deployment` is checked as the group's rolling update is worked out.
 */
export const AUTO_SCALING_SPEC: Spec = {
  ...SERVER_FLEET_SPEC,
  capacity: shape({ min: capacityCount, max: capacityCount, desired: capacityCount },
    'an object { min?, max?, desired? } of integers from 1 to 1000, known at synth'),
  scaleOn: arrayOf(instanceOf([ScaleOn], 'a ScaleOn: ScaleOn.cpu(percent), ScaleOn.memory(percent) or ScaleOn.requestsPerTarget(requestsPerMinute)')),
  schedules: arrayOf(shape({
    schedule: required(cronSchedule),
    min: scheduledCount,
    max: scheduledCount,
    desired: scheduledCount,
    timeZone,
  }, 'an object { schedule, min?, max?, desired?, timeZone? }')),
  deployment: checkedWhereUsed('Deployment.allAtOnce(), Deployment.rolling({ batchPercent, minHealthyPercent, timeout }) or a RollingDeployment'),
};

/** The runtime checks of a {@link RollingDeployment}: computed with, so known at synth. */
const ROLLING_DEPLOYMENT_SPEC: Spec = {
  minHealthyPercent: literal(integer(50, 100, 'percent')),
  signalTimeout: satisfies((v) => {
    if (!(v instanceof Duration) || v.isUnresolved()) return false;
    const ms = v.toMilliseconds({ integral: false });
    return ms % 1000 === 0 && ms >= 60_000 && ms <= 3_600_000;
  }, 'a Duration of whole seconds from 1 to 60 minutes (e.g. Duration.minutes(15)), known at synth'),
};

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
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    let checked!: ReturnType<typeof checkCapacity>;
    super(scope, id, props, true, {
      checkProps: (self) => {
        checkSpec(self, props as unknown as Record<string, unknown>, AUTO_SCALING_SPEC);
        checked = checkCapacity(self, props);
        checkScaling(self, props.scaleOn ?? [], props.schedules ?? []);
      },
    });
    const scaleOn = props.scaleOn ?? [ScaleOn.cpu(60)];
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
      // null counts as not given, as jsii languages pass it.
      schedule: s.schedule, minCapacity: s.min ?? undefined, maxCapacity: s.max ?? undefined, desiredCapacity: s.desired ?? undefined, timeZone: s.timeZone ?? undefined,
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

/**
 * The group's size and rolling update. `max` defaults to room for a rolling deploy: 4, or `min`
 * plus one batch when that is more, so any `min` alone works.
 */
function checkCapacity(self: Construct, props: AutoScalingTierProps) {
  const c = props.capacity ?? {};
  const min = c.min ?? 2;
  const desired = c.desired ?? undefined;
  const rollout = autoScalingRollout(self, props.deployment, min);
  const max = c.max ?? Math.max(4, min + (rollout.maxBatchSize ?? 0), desired ?? 0);
  if (min > max) throw new WebTiersValidationError(self, 'capacity', `min ${min} is above max ${max}; accepted: min ≤ desired ≤ max`);
  if (desired !== undefined && (desired < min || desired > max)) {
    throw new WebTiersValidationError(self, 'capacity.desired', `got ${desired}; accepted: from min ${min} to max ${max}`);
  }
  const { minInService, minHealthyPercent, signalTimeout } = rollout;
  if (minInService >= max) {
    throw new WebTiersValidationError(self, 'capacity.max',
      `is ${max}, but a rolling deploy keeps ${minInService} of min ${min} in service (deployment.minHealthyPercent ` +
      `${minHealthyPercent}) and needs room for a new instance; accepted: max above ${minInService}, a lower minHealthyPercent, or no max (room is left by default)`);
  }
  // All at once: one batch of the whole group.
  return { min, max, desired, minInService, maxBatchSize: rollout.maxBatchSize ?? max, signalTimeout };
}

/**
 * `deployment` on tier 3, as the group's rolling update: how many instances of `min` stay in
 * service, how many are replaced per batch (undefined: all at once) and how long each new one may
 * take to signal.
 */
function autoScalingRollout(self: Construct, deployment: IDeployment | undefined, min: number) {
  const accepted = 'Deployment.allAtOnce(), Deployment.rolling({ batchPercent, minHealthyPercent, timeout }) or a RollingDeployment { minHealthyPercent?, signalTimeout? }';
  let minHealthyPercent: number;
  let batchPercent: number | undefined;
  let signalTimeout = Duration.minutes(15);
  if (deployment instanceof Deployment) {
    deployment._validate(self, 'AutoScalingTier');
    checkSpec(self, deployment as unknown as Record<string, unknown>, FLEET_DEPLOYMENT_SPEC, 'deployment');
    if (deployment.strategy === DeploymentStrategy.CANARY) {
      throw Deployment._unsupported(self, 'AutoScalingTier', deployment, accepted,
        'its instances all sit in one target group, which cannot send a share of traffic to a new version');
    }
    // null counts as not given, as jsii languages pass it.
    const minutes = deployment.timeout == null ? undefined : deployment._minutes(self, 'AutoScalingTier', 'timeout', 1, 60);
    if (minutes !== undefined) signalTimeout = Duration.minutes(minutes);
    if (deployment.strategy === DeploymentStrategy.ALL_AT_ONCE) {
      return { minInService: 0, minHealthyPercent: 0, maxBatchSize: undefined, signalTimeout };
    }
    minHealthyPercent = deployment.minHealthyPercent ?? 100;
    batchPercent = deployment.batchPercent ?? undefined;
  } else if (deployment === undefined || isRollingDeployment(deployment)) {
    const d: RollingDeployment = deployment ?? {};
    checkSpec(self, d as unknown as Record<string, unknown>, ROLLING_DEPLOYMENT_SPEC, 'deployment');
    signalTimeout = d.signalTimeout ?? signalTimeout;
    minHealthyPercent = d.minHealthyPercent ?? 90;
  } else {
    throw Deployment._unsupported(self, 'AutoScalingTier', deployment, accepted);
  }
  const minInService = Math.ceil(min * minHealthyPercent / 100);
  const maxBatchSize = batchPercent === undefined
    ? (deployment instanceof Deployment ? 1 : Math.max(1, min - minInService))
    : Math.max(1, Math.ceil(min * batchPercent / 100));
  return { minInService, minHealthyPercent, maxBatchSize: maxBatchSize as number | undefined, signalTimeout };
}

/** A plain object with at most the fields of a {@link RollingDeployment}. */
function isRollingDeployment(value: IDeployment): value is RollingDeployment {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.keys(value).every((k) => k === 'minHealthyPercent' || k === 'signalTimeout');
}

/** What the spec cannot say of scaling: one policy per signal, each in its range; schedules that change something. */
function checkScaling(self: Construct, scaleOn: ScaleOn[], schedules: ScheduledCapacity[]) {
  const seen = new Set<string>();
  scaleOn.forEach((policy, i) => {
    policy._validate(self, `scaleOn[${i}]`);
    if (seen.has(policy._signal)) throw new WebTiersValidationError(self, `scaleOn[${i}]`, `a second ${policy._signal} policy; accepted: at most one per signal`);
    seen.add(policy._signal);
  });
  schedules.forEach((s, i) => {
    const prop = `schedules[${i}]`;
    if (s.min == null && s.max == null && s.desired == null) {
      throw new WebTiersValidationError(self, prop, 'changes nothing; accepted: at least one of min, max, desired');
    }
    const known = (n: number | undefined): n is number => n != null && !Token.isUnresolved(n);
    if (known(s.min) && known(s.max) && s.min > s.max) {
      throw new WebTiersValidationError(self, prop, `min ${s.min} is above max ${s.max}; accepted: min ≤ desired ≤ max`);
    }
    if (known(s.desired) && ((known(s.min) && s.desired < s.min) || (known(s.max) && s.desired > s.max))) {
      throw new WebTiersValidationError(self, `${prop}.desired`, `got ${s.desired}; accepted: from min ${s.min ?? '(unchanged)'} to max ${s.max ?? '(unchanged)'}`);
    }
  });
}
