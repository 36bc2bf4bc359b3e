import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
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
import { captureSynthWarnings } from './synth-warnings';

// Most stacks here have the default network, with one NAT gateway; the fully configured one sets
// capacity.desired, of which aws-cdk-lib warns (the group is resized to it on every deploy).
captureSynthWarnings(SinglePointOfFailure.NAT, '@aws-cdk/aws-autoscaling:desiredCapacitySet');

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
    ['cpu 0', { scaleOn: [ScaleOn.cpu(0)] }, /invalid scaleOn\[0\]: ScaleOn\.cpu\(0\); accepted: a number from 1 to 100 percent/],
    ['memory 150', { scaleOn: [ScaleOn.memory(150)] }, /invalid scaleOn\[0\]: ScaleOn\.memory\(150\)/],
    ['fractional requests', { scaleOn: [ScaleOn.requestsPerTarget(0.5)] }, /invalid scaleOn\[0\]: ScaleOn\.requestsPerTarget\(0\.5\); accepted: an integer from 1 to 1000000/],
    ['two CPU policies', { scaleOn: [ScaleOn.cpu(50), ScaleOn.cpu(70)] }, /invalid scaleOn\[1\]: a second cpu policy/],
    ['not a ScaleOn', { scaleOn: [{ cpu: 50 } as never] }, /invalid scaleOn\[0\]: accepted: ScaleOn\.cpu\(\)/],
    ['minHealthyPercent 40', { deployment: { minHealthyPercent: 40 } }, /invalid deployment\.minHealthyPercent: got 40; accepted: an integer from 50 to 100 percent/],
    ['signal timeout of 2 hours', { deployment: { signalTimeout: Duration.hours(2) } }, /invalid deployment\.signalTimeout: got 120 minutes; accepted: 1 to 60 minutes/],
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
