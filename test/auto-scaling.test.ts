import { CfnParameter, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { AutoScalingTier, Egress, Network, ScaleOn, SinglePointOfFailure, type AutoScalingTierProps } from '../constructs';
import { BeanstalkDeployment } from '../constructs/managed-auto-scaling';
import { Deployment } from '../constructs/shared/deployment';
import { addNagChecks } from '../lib/nag';
import { testApp, testStack, userDataText, webApp, snapshotOf } from './helpers';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { captureSynthWarnings } from './synth-warnings';

// Most stacks here have the default network, with one NAT gateway; the fully configured one sets
// capacity.desired, of which aws-cdk-lib warns (the group is resized to it on every deploy).
const warnings = captureSynthWarnings(SinglePointOfFailure.NAT, '@aws-cdk/aws-autoscaling:desiredCapacitySet');

function synth(props: Partial<AutoScalingTierProps> = {}, stack = testStack()) {
  const tier = new AutoScalingTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

const byDefault = synth();
const full = (() => {
  const stack = testStack();
  return synth({
    network: new Network(stack, 'Net', { egress: Egress.NONE, maxAzs: 3 }),
    capacity: { min: 3, max: 12, desired: 4 },
    instanceType: new ec2.InstanceType('m7i.large'),
    scaleOn: [ScaleOn.cpu(50), ScaleOn.memory(85), ScaleOn.requestsPerTarget(1000)],
    schedules: [
      { schedule: autoscaling.Schedule.cron({ hour: '7', minute: '0', weekDay: 'MON-FRI' }), min: 6, timeZone: 'Europe/Paris' },
      { schedule: autoscaling.Schedule.cron({ hour: '20', minute: '0' }), min: 3 },
    ],
    deployment: { minHealthyPercent: 100, signalTimeout: Duration.minutes(20) },
    domain: {
      certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f'),
      domainName: 'app.example.com',
      domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
    },
    removalPolicy: RemovalPolicy.RETAIN,
  }, stack);
})();

const group = (t: Template) => Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];

describe('snapshots', () => {
  test('default', () => expect(snapshotOf(byDefault.template)).toMatchSnapshot());
  test('fully configured', () => expect(snapshotOf(full.template)).toMatchSnapshot());
});

describe('launch template', () => {
  test('IMDSv2, encrypted gp3 root, detailed monitoring, arm64 image by default', () => {
    byDefault.template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        InstanceType: 't4g.small',
        MetadataOptions: Match.objectLike({ HttpTokens: 'required' }),
        Monitoring: { Enabled: true },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) }],
        KeyName: Match.absent(),
      }),
    });
    const params = byDefault.template.toJSON().Parameters as Record<string, { Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
  });

  test('metrics carry the group dimension, so memory can be tracked per group', () => {
    const text = userDataText(byDefault.template);
    expect(text).toContain('"AutoScalingGroupName":"${aws:AutoScalingGroupName}"');
    expect(text).toContain('"aggregation_dimensions":[["AutoScalingGroupName"],["AutoScalingGroupName","path"]]');
    // The hosts signal the group itself, by its logical id.
    const [groupId] = Object.keys(byDefault.template.findResources('AWS::AutoScaling::AutoScalingGroup'));
    expect(text).toContain(`SIGNAL_RESOURCE='${groupId}'`);
  });
});

describe('group', () => {
  test('min 2, max 4, no desired (so deploys do not reset scaling), in the app subnets', () => {
    const g = group(byDefault.template);
    expect(g.Properties).toMatchObject({ MinSize: '2', MaxSize: '4' });
    expect(g.Properties.DesiredCapacity).toBeUndefined();
    expect(JSON.stringify(g.Properties.VPCZoneIdentifier)).toMatch(/AppSubnet1.*AppSubnet2/);
    expect(group(full.template).Properties).toMatchObject({ MinSize: '3', MaxSize: '12', DesiredCapacity: '4' });
    // A desired size given anyway is applied, and aws-cdk-lib warns that every deploy resets the group to it.
    Annotations.fromStack(full.stack).hasWarning('/Test/Web/Group', Match.stringLikeRegexp('reset the size of your AutoScalingGroup on every deployment'));
  });

  test('self-healing: ELB health checks with a grace period, behind the target group', () => {
    expect(group(byDefault.template).Properties).toMatchObject({
      HealthCheckType: 'ELB', HealthCheckGracePeriod: 300, TargetGroupARNs: [{ Ref: expect.stringMatching(/^WebLoadBalancerTargets/) }],
    });
  });

  test('creation waits for every instance to report healthy', () => {
    expect(group(byDefault.template).CreationPolicy).toEqual({ ResourceSignal: { Count: 2, Timeout: 'PT15M' } });
  });

  test('deploys roll through the group keeping ≥ 90 % of min in service, waiting for signals (rollback on failure)', () => {
    expect(group(byDefault.template).UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MinInstancesInService: 2, MaxBatchSize: 1, WaitOnResourceSignals: true, PauseTime: 'PT15M',
    });
    expect(group(full.template).UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({ MinInstancesInService: 3, PauseTime: 'PT20M' });
  });

  test('scale-in drains: the target group deregisters with a short delay before termination', () => {
    byDefault.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
    });
  });
});

describe('scaling', () => {
  const policies = (t: Template) => Object.values(t.findResources('AWS::AutoScaling::ScalingPolicy')).map((p) => p.Properties.TargetTrackingConfiguration);

  test('default: CPU at 60 %', () => {
    expect(policies(byDefault.template)).toEqual([expect.objectContaining({
      PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 60,
    })]);
  });

  test('cpu, memory from the agent, and requests per target', () => {
    const all = policies(full.template);
    expect(all).toHaveLength(3);
    expect(all).toEqual(expect.arrayContaining([
      expect.objectContaining({ PredefinedMetricSpecification: { PredefinedMetricType: 'ASGAverageCPUUtilization' }, TargetValue: 50 }),
      expect.objectContaining({
        CustomizedMetricSpecification: expect.objectContaining({
          Namespace: 'CWAgent', MetricName: 'mem_used_percent', Statistic: 'Average',
          Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: expect.stringMatching(/WebGroupASG/) } }],
        }),
        TargetValue: 85,
      }),
      expect.objectContaining({
        PredefinedMetricSpecification: expect.objectContaining({ PredefinedMetricType: 'ALBRequestCountPerTarget' }), TargetValue: 1000,
      }),
    ]));
  });

  test('scheduled capacity', () => {
    full.template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: '0 7 * * MON-FRI', MinSize: 6, TimeZone: 'Europe/Paris' });
    full.template.resourceCountIs('AWS::AutoScaling::ScheduledAction', 2);
  });
});

describe('alarms and notifications', () => {
  test('5xx, latency, unhealthy hosts, and the group pinned at max; failures notify the topic', () => {
    expect(byDefault.tier.alarms).toHaveLength(4);
    byDefault.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'GroupInServiceInstances', Threshold: 4 });
    expect(group(byDefault.template).Properties.NotificationConfigurations).toEqual([expect.objectContaining({
      NotificationTypes: ['autoscaling:EC2_INSTANCE_LAUNCH_ERROR', 'autoscaling:EC2_INSTANCE_TERMINATE_ERROR'],
    })]);
  });
});

describe('validation', () => {
  test.each<[string, Partial<AutoScalingTierProps>, RegExp]>([
    ['min above max', { capacity: { min: 5, max: 3 } }, /invalid capacity: min 5 is above max 3; accepted: min ≤ desired ≤ max/],
    ['desired below min', { capacity: { min: 2, max: 6, desired: 1 } }, /invalid capacity\.desired: got 1; accepted: from min 2 to max 6/],
    ['desired above max', { capacity: { min: 2, max: 6, desired: 7 } }, /invalid capacity\.desired: got 7/],
    ['min of 0', { capacity: { min: 0 } }, /invalid capacity\.min: got 0; accepted: an integer from 1 to 1000/],
    ['no room to roll', { capacity: { min: 2, max: 2 } }, /invalid capacity\.max: is 2, but a rolling deploy keeps 2 of min 2 in service/],
    ['cpu 0', { scaleOn: [ScaleOn.cpu(0)] }, /invalid scaleOn\[0\]: got ScaleOn\.cpu\(0\); accepted: a number from 1 to 100 percent/],
    ['memory 150', { scaleOn: [ScaleOn.memory(150)] }, /invalid scaleOn\[0\]: got ScaleOn\.memory\(150\)/],
    ['fractional requests', { scaleOn: [ScaleOn.requestsPerTarget(0.5)] }, /invalid scaleOn\[0\]: got ScaleOn\.requestsPerTarget\(0\.5\); accepted: an integer from 1 to 1000000/],
    ['two CPU policies', { scaleOn: [ScaleOn.cpu(50), ScaleOn.cpu(70)] }, /invalid scaleOn\[1\]: a second cpu policy/],
    ['not a ScaleOn', { scaleOn: [{ cpu: 50 } as never] }, /invalid scaleOn\[0\]: got an object \{cpu\}; accepted: a ScaleOn: ScaleOn\.cpu\(percent\)/],
    ['minHealthyPercent 40', { deployment: { minHealthyPercent: 40 } }, /invalid deployment\.minHealthyPercent: got 40; accepted: an integer from 50 to 100 percent/],
    ['signal timeout of 2 hours', { deployment: { signalTimeout: Duration.hours(2) } }, /invalid deployment\.signalTimeout: got Duration\.hours\(2\); accepted: a Duration of whole seconds from 1 to 60 minutes/],
    ['schedule that changes nothing', { schedules: [{ schedule: autoscaling.Schedule.cron({ hour: '1' }) }] }, /invalid schedules\[0\]: changes nothing/],
    ['schedule min above max', { schedules: [{ schedule: autoscaling.Schedule.cron({ hour: '1' }), min: 5, max: 2 }] }, /invalid schedules\[0\]: min 5 is above max 2/],
  ])('%s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(Object.values(Egress))('no unacknowledged finding with egress %s', (egress) => {
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    new AutoScalingTier(stack, 'Web', { app: webApp, network: new Network(stack, 'Net', { egress }), scaleOn: [ScaleOn.memory(85)] });
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('Deployment', () => {
  const rollingUpdate = (t: Template) => group(t).UpdatePolicy.AutoScalingRollingUpdate;

  test('rolling() with the defaults gives the default update policy: min in service, one instance per batch', () => {
    expect(rollingUpdate(synth({ deployment: Deployment.rolling() }).template)).toEqual(rollingUpdate(byDefault.template));
    expect(rollingUpdate(byDefault.template)).toMatchObject({ MinInstancesInService: 2, MaxBatchSize: 1, WaitOnResourceSignals: true, PauseTime: 'PT15M' });
  });

  test('allAtOnce(): one batch of max, none kept in service', () => {
    const { template } = synth({ capacity: { min: 2, max: 6 }, deployment: Deployment.allAtOnce() });
    expect(rollingUpdate(template)).toMatchObject({ MinInstancesInService: 0, MaxBatchSize: 6, WaitOnResourceSignals: true, PauseTime: 'PT15M' });
  });

  test('rolling({ batchPercent, minHealthyPercent, timeout }): shares of min, the timeout as the signal timeout', () => {
    const { template } = synth({ capacity: { min: 4, max: 8 }, deployment: Deployment.rolling({ batchPercent: 50, minHealthyPercent: 75, timeout: Duration.minutes(20) }) });
    expect(rollingUpdate(template)).toMatchObject({ MinInstancesInService: 3, MaxBatchSize: 2, WaitOnResourceSignals: true, PauseTime: 'PT20M' });
    expect(group(template).CreationPolicy).toEqual({ ResourceSignal: { Count: 4, Timeout: 'PT20M' } });
  });

  test('a RollingDeployment still works as before', () => {
    expect(rollingUpdate(full.template)).toMatchObject({ MinInstancesInService: 3, MaxBatchSize: 1, PauseTime: 'PT20M' });
  });

  test.each<[string, Partial<AutoScalingTierProps>, RegExp]>([
    ['canary', { deployment: Deployment.canary({ percent: 10, bake: Duration.minutes(5) }) },
      /Test\/Web: invalid deployment: Deployment\.canary\(\) is not possible on AutoScalingTier: .*; accepted on AutoScalingTier: Deployment\.allAtOnce\(\), Deployment\.rolling\(.*\) or a RollingDeployment/],
    ['minHealthyPercent above 100', { deployment: Deployment.rolling({ minHealthyPercent: 101 }) }, /invalid deployment\.minHealthyPercent: got 101 on AutoScalingTier; accepted: an integer from 0 to 100 percent/],
    ['a timeout of 2 hours', { deployment: Deployment.rolling({ timeout: Duration.hours(2) }) }, /invalid deployment\.timeout: got 120 minutes on AutoScalingTier; accepted: whole minutes from 1 to 60/],
    ['no room for a new instance', { capacity: { min: 2, max: 2 }, deployment: Deployment.rolling() }, /invalid capacity\.max: is 2, but a rolling deploy keeps 2 of min 2 in service \(deployment\.minHealthyPercent 100\)/],
    ["another tier's deployment type", { deployment: BeanstalkDeployment.allAtOnce() }, /invalid deployment: a BeanstalkDeployment is not possible on AutoScalingTier/],
  ])('%s fails at synth, naming the option and the tier', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});

describe('runtime checks at the boundary (from JavaScript, config files, other jsii languages)', () => {
  /** A deploy-time value, as a CfnParameter gives it. */
  const numberParam = (s: Stack, id = 'Param') => new CfnParameter(s, id, { type: 'Number' }).valueAsNumber;
  const stringParam = (s: Stack, id = 'Text') => new CfnParameter(s, id, { type: 'String' }).valueAsString;
  const at7 = autoscaling.Schedule.cron({ hour: '7', minute: '0' });
  const rollingUpdate = (t: Template) => group(t).UpdatePolicy.AutoScalingRollingUpdate;

  // Each: what a user might pass, and the message naming the prop, the value and what is accepted.
  test.each<[string, (s: Stack) => Record<string, unknown>, RegExp]>([
    ['capacity.min from a CfnParameter (gave MinInstancesInService -1.7e+289)', (s) => ({ capacity: { min: numberParam(s) } }),
      /Test\/Web: invalid capacity\.min: got a token \(the construct computes with this value, so it cannot be a deploy-time token\); accepted: an integer from 1 to 1000, known at synth/],
    ['capacity.max from a CfnParameter', (s) => ({ capacity: { max: numberParam(s) } }), /invalid capacity\.max: got a token .*; accepted: an integer from 1 to 1000, known at synth/],
    ['capacity.desired from a CfnParameter', (s) => ({ capacity: { desired: numberParam(s) } }), /invalid capacity\.desired: got a token .*known at synth/],
    ['capacity as a number', () => ({ capacity: 4 }), /invalid capacity: got 4; accepted: an object \{ min\?, max\?, desired\? \} of integers from 1 to 1000/],
    ['capacity.min as a string', () => ({ capacity: { min: '2' } }), /invalid capacity\.min: got '2'; accepted: an integer from 1 to 1000/],
    ['a single ScaleOn instead of an array (was: scaleOn.forEach is not a function)', () => ({ scaleOn: ScaleOn.cpu(50) }),
      /invalid scaleOn: got a ScaleOn; accepted: an array of a ScaleOn: ScaleOn\.cpu\(percent\), ScaleOn\.memory\(percent\) or ScaleOn\.requestsPerTarget\(requestsPerMinute\)/],
    ['undefined in scaleOn', () => ({ scaleOn: [ScaleOn.cpu(50), undefined] }), /invalid scaleOn\[1\]: got undefined \(an empty place in the array\); accepted: a ScaleOn/],
    ['null in scaleOn', () => ({ scaleOn: [null] }), /invalid scaleOn\[0\]: got null \(an empty place in the array\)/],
    ['a hole in scaleOn', () => ({ scaleOn: [, ScaleOn.cpu(50)] }), /invalid scaleOn\[0\]: got undefined \(an empty place in the array\)/],
    ['a string as scaleOn', () => ({ scaleOn: 'cpu' }), /invalid scaleOn: got 'cpu'; accepted: an array of a ScaleOn/],
    ['a target as a string', () => ({ scaleOn: [ScaleOn.cpu('60' as never)] }), /invalid scaleOn\[0\]: got ScaleOn\.cpu\('60'\); accepted: a number from 1 to 100 percent/],
    ['a single schedule instead of an array', () => ({ schedules: { schedule: at7, min: 3 } }), /invalid schedules: got an object \{schedule, min\}; accepted: an array of an object \{ schedule, min\?, max\?, desired\?, timeZone\? \}/],
    ['undefined in schedules', () => ({ schedules: [undefined] }), /invalid schedules\[0\]: got undefined \(an empty place in the array\)/],
    ['a schedule without its schedule', () => ({ schedules: [{ min: 3 }] }), /invalid schedules\[0\]\.schedule: is required; accepted: an autoscaling\.Schedule/],
    ['a cron string where a Schedule is expected', () => ({ schedules: [{ schedule: '0 7 * * *', min: 3 }] }),
      /invalid schedules\[0\]\.schedule: got '0 7 \* \* \*'; accepted: an autoscaling\.Schedule of a Unix cron expression .*Schedule\.expression\('0 7 \* \* MON-FRI'\)/],
    ['Schedule.expression of words', () => ({ schedules: [{ schedule: autoscaling.Schedule.expression('every day at 8'), min: 3 }] }),
      /invalid schedules\[0\]\.schedule: got 'every day at 8' \(4 fields, not 5\); accepted: an autoscaling\.Schedule of a Unix cron expression/],
    ['Schedule.expression of five words', () => ({ schedules: [{ schedule: autoscaling.Schedule.expression('every day at 8 am'), min: 3 }] }),
      /invalid schedules\[0\]\.schedule: got 'every day at 8 am' \(its minute field 'every' is not 0-59, '\*', a list, a range or a step\)/],
    ['a cron of six fields (Application Auto Scaling\'s form)', () => ({ schedules: [{ schedule: autoscaling.Schedule.expression('0 7 ? * MON *'), min: 3 }] }),
      /invalid schedules\[0\]\.schedule: got '0 7 \? \* MON \*' \(6 fields, not 5\)/],
    ['an hour of 25', () => ({ schedules: [{ schedule: autoscaling.Schedule.cron({ hour: '25', minute: '0' }), min: 3 }] }),
      /invalid schedules\[0\]\.schedule: got '0 25 \* \* \*' \(its hour field '25' is not 0-23/],
    ['a week day that does not exist', () => ({ schedules: [{ schedule: autoscaling.Schedule.cron({ hour: '7', minute: '0', weekDay: 'MON-FRY' }), min: 3 }] }),
      /its day of week field 'MON-FRY' is not 0-7 or SUN-SAT/],
    ['an unknown time zone', () => ({ schedules: [{ schedule: at7, min: 3, timeZone: 'Mars/Olympus_Mons' }] }),
      /invalid schedules\[0\]\.timeZone: got 'Mars\/Olympus_Mons' \(not in the IANA time zone database\); accepted: an IANA time zone name such as 'Europe\/Paris'/],
    ['a time zone in the wrong letter case', () => ({ schedules: [{ schedule: at7, min: 3, timeZone: 'europe/paris' }] }),
      /invalid schedules\[0\]\.timeZone: got 'europe\/paris' \(written 'Europe\/Paris'\)/],
    ['an offset as time zone', () => ({ schedules: [{ schedule: at7, min: 3, timeZone: '+01:00' }] }), /invalid schedules\[0\]\.timeZone: got '\+01:00' \(not in the IANA time zone database\)/],
    ['a time zone as a number', () => ({ schedules: [{ schedule: at7, min: 3, timeZone: 1 }] }), /invalid schedules\[0\]\.timeZone: got 1; accepted: an IANA time zone name/],
    ['a scheduled size as a string', () => ({ schedules: [{ schedule: at7, min: '3' }] }), /invalid schedules\[0\]\.min: got '3'; accepted: an integer from 0 to 1000/],
    ['a scheduled desired outside its min and max', () => ({ schedules: [{ schedule: at7, min: 2, max: 4, desired: 6 }] }), /invalid schedules\[0\]\.desired: got 6; accepted: from min 2 to max 4/],
    ['a number of minutes as the signal timeout (was: toSeconds is not a function)', () => ({ deployment: { signalTimeout: 15 } }),
      /invalid deployment\.signalTimeout: got 15; accepted: a Duration of whole seconds from 1 to 60 minutes \(e\.g\. Duration\.minutes\(15\)\), known at synth/],
    ['a deploy-time minHealthyPercent (the instances kept in service are computed from it)', (s) => ({ deployment: { minHealthyPercent: numberParam(s) } }),
      /invalid deployment\.minHealthyPercent: got a token .*; accepted: an integer from 50 to 100 percent, known at synth/],
    ['a deploy-time batchPercent', (s) => ({ deployment: Deployment.rolling({ batchPercent: numberParam(s) }) }), /invalid deployment\.batchPercent: got a token .*known at synth/],
    ['a number as the deploy timeout of a Deployment', () => ({ deployment: Deployment.rolling({ timeout: 15 as never }) }), /invalid deployment\.timeout: got 15; accepted: a Duration of whole minutes/],
    ['a string as deployment', () => ({ deployment: 'rolling' }), /invalid deployment: "rolling" \(string\) is not possible on AutoScalingTier; accepted on AutoScalingTier: /],
    ['a number as deployment', () => ({ deployment: 90 }), /invalid deployment: 90 \(number\) is not possible on AutoScalingTier/],
    ['Deployment.rolling()\'s options as a plain object', () => ({ deployment: { batchPercent: 50 } }), /invalid deployment: an object of another shape is not possible on AutoScalingTier/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    let error: unknown;
    try {
      new AutoScalingTier(stack, 'Web', { app: webApp, ...props(stack) } as unknown as AutoScalingTierProps);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebTiersValidationError);
    expect((error as Error).message).toMatch(message);
  });

  describe('valid but unusual inputs still synthesize', () => {
    // Over-strict before: the default max (4) left no room for a rolling deploy from min 4 to 9.
    test.each([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])('capacity { min: %i } alone: max leaves room for a rolling deploy', (min) => {
      if (min === 1) warnings.allow(SinglePointOfFailure.SINGLE_INSTANCE_GROUP);
      const { template } = synth({ capacity: { min } });
      const { MinSize, MaxSize } = group(template).Properties;
      const { MinInstancesInService, MaxBatchSize } = rollingUpdate(template);
      expect(Number(MinSize)).toBe(min);
      expect(Number(MaxSize)).toBe(Math.max(4, min + MaxBatchSize));
      expect(MinInstancesInService).toBeLessThan(Number(MaxSize));
    });

    test('min without max for every deployment: the default max fits the batch it needs', () => {
      expect(group(synth({ capacity: { min: 8 }, deployment: Deployment.rolling({ batchPercent: 50 }) }).template).Properties.MaxSize).toBe('12');
      expect(group(synth({ capacity: { min: 8 }, deployment: Deployment.allAtOnce() }).template).Properties.MaxSize).toBe('8');
      expect(group(synth({ capacity: { min: 2, desired: 6 } }).template).Properties).toMatchObject({ MinSize: '2', MaxSize: '6', DesiredCapacity: '6' });
    });

    test.each([
      ['t4g.small', 'arm64'],
      ['c7i.large', 'x86_64'],
    ])('an instance type given by name, %s, gets the %s image', (name, architecture) => {
      const { template } = synth({ instanceType: name as never });
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: name }) });
      const params = Object.values(template.toJSON().Parameters as Record<string, { Default?: string }>).map((p) => p.Default);
      expect(params).toContain(`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`);
    });

    test('deploy-time tokens where the value only goes to CloudFormation: a ScaleOn target, a schedule, its sizes and time zone', () => {
      const stack = testStack();
      const { template } = synth({
        scaleOn: [ScaleOn.cpu(numberParam(stack, 'Cpu'))],
        schedules: [{ schedule: autoscaling.Schedule.expression(stringParam(stack, 'Cron')), min: numberParam(stack, 'Min'), timeZone: stringParam(stack, 'Zone') }],
      }, stack);
      template.hasResourceProperties('AWS::AutoScaling::ScalingPolicy', { TargetTrackingConfiguration: Match.objectLike({ TargetValue: { Ref: 'Cpu' } }) });
      template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: { Ref: 'Cron' }, MinSize: { Ref: 'Min' }, TimeZone: { Ref: 'Zone' } });
    });

    test.each([
      ['names, lists, ranges and steps', '*/15 8-18 1,15 JAN-MAR mon-fri', 'Europe/Paris'],
      ['a Sunday written 7', '0 7 * * 7', 'UTC'],
      ['a time zone alias', '0 7 * * *', 'Etc/UTC'],
      ['a time zone link the database keeps', '0 7 * * *', 'Asia/Kolkata'],
    ])('a schedule with %s', (_name, expression, timeZone) => {
      const { template } = synth({ schedules: [{ schedule: autoscaling.Schedule.expression(expression), desired: 3, timeZone }] });
      template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { Recurrence: expression, DesiredCapacity: 3, TimeZone: timeZone });
    });

    test('no scaling policy (scaleOn: []), a RollingDeployment of defaults ({}), and null for what is not given', () => {
      const { template } = synth({ scaleOn: [], deployment: {}, capacity: { min: 2, max: null as never }, schedules: [{ schedule: at7, min: 3, max: null as never, timeZone: null as never }] });
      template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 0);
      expect(rollingUpdate(template)).toEqual(rollingUpdate(byDefault.template));
      template.hasResourceProperties('AWS::AutoScaling::ScheduledAction', { MinSize: 3, MaxSize: Match.absent(), TimeZone: Match.absent() });
    });
  });
});
