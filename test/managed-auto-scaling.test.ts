import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  BatchSize, BeanstalkDeployment, beanstalkSourceBundle, BeanstalkLoadBalancer, ManagedAutoScalingTier, Network, SOLUTION_STACK, UpdateLevel,
  type ManagedAutoScalingTierProps,
} from '../constructs';
import { addNagChecks } from '../lib/nag';
import { snapshotOf, testApp, testStack, webApp } from './helpers';

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';

function synth(props: Partial<ManagedAutoScalingTierProps> = {}, stack = testStack()) {
  const tier = new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

const byDefault = synth();
const full = (() => {
  const stack = testStack();
  return synth({
    instanceTypes: [new ec2.InstanceType('c7g.large'), new ec2.InstanceType('m7g.large')],
    scaling: { min: 3, max: 9, trigger: { metric: 'NetworkOut', statistic: 'Sum', unit: 'Bytes', upperThreshold: 6_000_000, lowerThreshold: 2_000_000, breachDuration: Duration.minutes(10) } },
    deployment: BeanstalkDeployment.trafficSplitting(15, Duration.minutes(20)),
    managedUpdates: { window: 'Wed:04:30', level: UpdateLevel.PATCH },
    monitoring: { logRetention: RetentionDays.ONE_YEAR },
    loadBalancer: BeanstalkLoadBalancer.dedicated({ certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT) }),
    solutionStackName: '64bit Amazon Linux 2023 v6.10.0 running Node.js 22',
    environment: { GREETING: 'hello' },
    optionSettings: [{ namespace: 'aws:elasticbeanstalk:xray', optionName: 'XRayEnabled', value: 'true' }],
    removalPolicy: RemovalPolicy.RETAIN,
  }, stack);
})();

/** The environment's option settings as { 'namespace optionName': value }. */
function options(t: Template): Record<string, unknown> {
  const [env] = Object.values(t.findResources('AWS::ElasticBeanstalk::Environment'));
  return Object.fromEntries((env.Properties.OptionSettings as Array<{ Namespace: string; OptionName: string; Value: unknown }>)
    .map((o) => [`${o.Namespace} ${o.OptionName}`, o.Value]));
}
const defaults = options(byDefault.template);
const configured = options(full.template);

describe('snapshots', () => {
  test('default', () => expect(snapshotOf(byDefault.template)).toMatchSnapshot());
  test('fully configured', () => expect(snapshotOf(full.template)).toMatchSnapshot());
});

describe('application, version and environment', () => {
  test('a version made from the server bundle, deployed to a web-server environment on the Node.js AL2023 platform', () => {
    byDefault.template.resourceCountIs('AWS::ElasticBeanstalk::Application', 1);
    byDefault.template.hasResourceProperties('AWS::ElasticBeanstalk::ApplicationVersion', {
      ApplicationName: { Ref: Match.stringLikeRegexp('WebApplication') },
      SourceBundle: { S3Bucket: Match.anyValue(), S3Key: Match.stringLikeRegexp('^[0-9a-f]{64}\\.zip$') },
    });
    byDefault.template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
      SolutionStackName: SOLUTION_STACK, Tier: { Name: 'WebServer', Type: 'Standard' },
      VersionLabel: { Ref: Match.stringLikeRegexp('WebVersion') },
    });
    full.template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', { SolutionStackName: '64bit Amazon Linux 2023 v6.10.0 running Node.js 22' });
  });

  test('the source bundle: the server bundle, a Procfile, and a start script that reads the secret with the instance profile', () => {
    const dir = beanstalkSourceBundle(webApp);
    expect(fs.readFileSync(path.join(dir, 'Procfile'), 'utf8')).toBe('web: bash start.sh\n');
    const start = fs.readFileSync(path.join(dir, 'start.sh'), 'utf8');
    expect(start).toContain('REGION=$(echo "$SECRET_ARN" | cut -d: -f4)');
    expect(start).toContain('aws secretsmanager get-secret-value --region "$REGION" --secret-id "$SECRET_ARN"');
    expect(start).toContain('exec node --enable-source-maps server.js');
    expect(fs.readFileSync(path.join(dir, 'server.js'))).toEqual(fs.readFileSync(path.join(webApp.serverBundle().directory, 'server.js')));
  });

  test('the start script hands the server DATABASE_URL from the secret and starts it', () => {
    // Run it for real, with stub aws, curl and node on the PATH.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eb-start-'));
    fs.cpSync(beanstalkSourceBundle(webApp), dir, { recursive: true });
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'stub-bin-'));
    fs.writeFileSync(path.join(bin, 'aws'), `#!/bin/bash\necho '{"username":"u","password":"p w","host":"db","port":5432,"dbname":"webapp"}'\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'curl'), '#!/bin/bash\nexit 7\n', { mode: 0o755 });
    fs.writeFileSync(path.join(bin, 'node'), `#!/bin/bash\nif [ "$1" = -e ]; then exec ${process.execPath} "$@"; fi\necho "started $* with $DATABASE_URL"\n`, { mode: 0o755 });
    const out = execFileSync('bash', ['start.sh'], {
      cwd: dir, encoding: 'utf8',
      env: { PATH: `${bin}:${process.env.PATH}`, DATABASE_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf' },
    });
    expect(out.trim()).toBe('started --enable-source-maps server.js with postgresql://u:p%20w@db:5432/webapp?sslmode=no-verify');
  });
});

describe('typed options become option settings', () => {
  test.each<[string, string, unknown, unknown]>([
    ['VPC', 'aws:ec2:vpc VPCId', { Ref: expect.stringMatching(/^WebNetworkVpc/) }, undefined],
    ['instance types', 'aws:ec2:instances InstanceTypes', 't4g.small', 'c7g.large,m7g.large'],
    ['architecture (arm64 by default)', 'aws:ec2:instances SupportedArchitectures', 'arm64', 'arm64'],
    ['min capacity', 'aws:autoscaling:asg MinSize', '2', '3'],
    ['max capacity', 'aws:autoscaling:asg MaxSize', '4', '9'],
    ['trigger metric', 'aws:autoscaling:trigger MeasureName', 'CPUUtilization', 'NetworkOut'],
    ['trigger statistic', 'aws:autoscaling:trigger Statistic', 'Average', 'Sum'],
    ['trigger unit', 'aws:autoscaling:trigger Unit', 'Percent', 'Bytes'],
    ['trigger upper threshold', 'aws:autoscaling:trigger UpperThreshold', '60', '6000000'],
    ['trigger lower threshold', 'aws:autoscaling:trigger LowerThreshold', '25', '2000000'],
    ['trigger breach duration', 'aws:autoscaling:trigger BreachDuration', '5', '10'],
    ['deployment policy', 'aws:elasticbeanstalk:command DeploymentPolicy', 'RollingWithAdditionalBatch', 'TrafficSplitting'],
    ['batch size type', 'aws:elasticbeanstalk:command BatchSizeType', 'Percentage', undefined],
    ['batch size', 'aws:elasticbeanstalk:command BatchSize', '30', undefined],
    ['traffic-splitting percentage', 'aws:elasticbeanstalk:trafficsplitting NewVersionPercent', undefined, '15'],
    ['traffic-splitting evaluation time', 'aws:elasticbeanstalk:trafficsplitting EvaluationTime', undefined, '20'],
    ['managed updates on', 'aws:elasticbeanstalk:managedactions ManagedActionsEnabled', 'true', 'true'],
    ['managed updates window', 'aws:elasticbeanstalk:managedactions PreferredStartTime', 'Sun:03:00', 'Wed:04:30'],
    ['managed updates level', 'aws:elasticbeanstalk:managedactions:platformupdate UpdateLevel', 'minor', 'patch'],
    ['enhanced health', 'aws:elasticbeanstalk:healthreporting:system SystemType', 'enhanced', 'enhanced'],
    ['log streaming', 'aws:elasticbeanstalk:cloudwatch:logs StreamLogs', 'true', 'true'],
    ['log retention', 'aws:elasticbeanstalk:cloudwatch:logs RetentionInDays', '90', '365'],
    ['health log streaming', 'aws:elasticbeanstalk:cloudwatch:logs:health HealthStreamingEnabled', 'true', 'true'],
    ['HTTPS listener', 'aws:elbv2:listener:443 Protocol', undefined, 'HTTPS'],
    ['certificate', 'aws:elbv2:listener:443 SSLCertificateArns', undefined, CERT],
    ['TLS policy', 'aws:elbv2:listener:443 SSLPolicy', undefined, 'ELBSecurityPolicy-TLS13-1-2-2021-06'],
    ['HTTP closed with HTTPS', 'aws:elbv2:listener:default ListenerEnabled', undefined, 'false'],
    ['health check path', 'aws:elasticbeanstalk:environment:process:default HealthCheckPath', '/health', '/health'],
    ['IMDSv1 disabled', 'aws:autoscaling:launchconfiguration DisableIMDSv1', 'true', 'true'],
    ['environment variables', 'aws:elasticbeanstalk:application:environment GREETING', undefined, 'hello'],
    ['the secret by ARN, not its value', 'aws:elasticbeanstalk:application:environment DATABASE_SECRET_ARN', { Ref: expect.stringMatching(/SecretAttachment/) }, undefined],
    ['load balancer type', 'aws:elasticbeanstalk:environment LoadBalancerType', 'application', 'application'],
    ['raw option setting', 'aws:elasticbeanstalk:xray XRayEnabled', undefined, 'true'],
  ])('%s: %s', (_name, key, byDefaultValue, configuredValue) => {
    if (byDefaultValue !== undefined) expect(defaults[key]).toEqual(byDefaultValue);
    if (configuredValue !== undefined) expect(configured[key]).toEqual(configuredValue);
  });

  test('instances in the app subnets, the load balancer in the public ones, access logs on', () => {
    expect(JSON.stringify(defaults['aws:ec2:vpc Subnets'])).toMatch(/AppSubnet1.*AppSubnet2/);
    expect(JSON.stringify(defaults['aws:ec2:vpc ELBSubnets'])).toMatch(/PublicSubnet1.*PublicSubnet2/);
    expect(defaults['aws:ec2:vpc AssociatePublicIpAddress']).toBe('false');
    expect(defaults['aws:elbv2:loadbalancer AccessLogsS3Enabled']).toBe('true');
  });

  test('no database password anywhere in the environment', () => {
    const envKeys = Object.keys(defaults).filter((k) => k.startsWith('aws:elasticbeanstalk:application:environment'));
    expect(envKeys.sort()).toEqual([
      'aws:elasticbeanstalk:application:environment DATABASE_SECRET_ARN',
      'aws:elasticbeanstalk:application:environment HEALTH_CHECK_PATH',
      'aws:elasticbeanstalk:application:environment NODE_ENV',
    ]);
  });

  test('a shared load balancer', () => {
    const stack = testStack();
    const network = new Network(stack, 'Net');
    const alb = new elbv2.ApplicationLoadBalancer(stack, 'Shared', { vpc: network.vpc });
    const o = options(synth({ network, loadBalancer: BeanstalkLoadBalancer.shared(alb) }, stack).template);
    expect(o['aws:elasticbeanstalk:environment LoadBalancerIsShared']).toBe('true');
    expect(o['aws:elbv2:loadbalancer SharedLoadBalancer']).toEqual({ Ref: expect.stringMatching(/^Shared/) });
    expect(o['aws:elbv2:loadbalancer AccessLogsS3Enabled']).toBeUndefined();
  });

  test('a single instance without a load balancer, with a warning', () => {
    const { template, stack } = synth({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.rolling(BatchSize.fixed(1)) });
    const o = options(template);
    expect(o['aws:elasticbeanstalk:environment EnvironmentType']).toBe('SingleInstance');
    expect(o['aws:autoscaling:asg MaxSize']).toBe('1');
    expect(o['aws:elasticbeanstalk:command BatchSizeType']).toBe('Fixed');
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('single point of failure'));
  });
});

describe('roles and network', () => {
  test('instance profile and service role with the policies Beanstalk requires, plus the secret', () => {
    byDefault.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'elasticbeanstalk.amazonaws.com' }, Condition: { StringEquals: { 'sts:ExternalId': 'elasticbeanstalk' } } })] },
      ManagedPolicyArns: Match.arrayWith([Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([':iam::aws:policy/service-role/AWSElasticBeanstalkEnhancedHealth'])]) })]),
    });
    byDefault.template.hasResourceProperties('AWS::IAM::InstanceProfile', { Roles: [{ Ref: Match.stringLikeRegexp('WebInstanceRole') }] });
    byDefault.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'] })]) },
      Roles: [{ Ref: Match.stringLikeRegexp('WebInstanceRole') }],
    });
  });

  test('the database admits only the instances', () => {
    byDefault.template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebDatabaseSecurityGroup'), 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebInstanceSecurityGroup'), 'GroupId'] },
    });
  });

  test('alarms on environment health, 5xx rate and p99 latency', () => {
    expect(byDefault.tier.alarms).toHaveLength(3);
    byDefault.template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'EnvironmentHealth', Threshold: 20 });
    expect(JSON.parse(defaults['aws:elasticbeanstalk:healthreporting:system ConfigDocument'] as string).CloudWatchMetrics.Environment)
      .toMatchObject({ EnvironmentHealth: 60, ApplicationRequests5xx: 60, ApplicationLatencyP99: 60 });
  });
});

describe('validation', () => {
  test.each<[string, (s: Stack) => Partial<ManagedAutoScalingTierProps>, RegExp]>([
    ['min above max', () => ({ scaling: { min: 5, max: 2 } }), /invalid scaling: min 5 is above max 2; accepted: min ≤ max/],
    ['batch of 0 %', () => ({ deployment: BeanstalkDeployment.rolling(BatchSize.percent(0)) }), /invalid deployment\.batchSize: got 0; accepted: an integer from 1 to 100 percent/],
    ['batch of 150 %', () => ({ deployment: BeanstalkDeployment.rolling(BatchSize.percent(150)) }), /invalid deployment\.batchSize: got 150/],
    ['fixed batch larger than the group', () => ({ scaling: { max: 3 }, deployment: BeanstalkDeployment.rolling(BatchSize.fixed(5)) }), /invalid deployment\.batchSize: got 5; accepted: an integer from 1 to 3 instances \(scaling\.max is 3\)/],
    ['traffic split of 0 %', () => ({ deployment: BeanstalkDeployment.trafficSplitting(0) }), /invalid deployment\.trafficPercent: got 0/],
    ['traffic splitting without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.trafficSplitting() }), /invalid deployment: TrafficSplitting launches new instances behind a load balancer/],
    ['immutable without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.immutable() }), /invalid deployment: Immutable launches new instances behind a load balancer/],
    ['several instances without a load balancer', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.allAtOnce(), scaling: { max: 3 } }), /invalid scaling\.max: is 3 without a load balancer/],
    ['managed updates without enhanced health', () => ({ monitoring: { enhancedHealth: false } }), /invalid managedUpdates: need enhanced health/],
    ['a bad maintenance window', () => ({ managedUpdates: { window: 'Sunday 3am' } }), /invalid managedUpdates\.window: got 'Sunday 3am'/],
    ['a retention Beanstalk does not offer', () => ({ monitoring: { logRetention: RetentionDays.THREE_YEARS } }), /invalid monitoring\.logRetention: 1096 days; accepted by Beanstalk: 1, 3, 5/],
    ['mixed architectures', () => ({ instanceTypes: [new ec2.InstanceType('t4g.small'), new ec2.InstanceType('t3.small')] }), /invalid instanceTypes: mixes architectures/],
    ['a bad instance type', () => ({ instanceTypes: [new ec2.InstanceType('small')] }), /invalid instanceTypes\[0\]: got 'small'/],
    ['a trigger with lower above upper', () => ({ scaling: { trigger: { metric: 'CPUUtilization', statistic: 'Average', unit: 'Percent', upperThreshold: 20, lowerThreshold: 50 } } }), /invalid scaling\.trigger: upperThreshold 20 and lowerThreshold 50; accepted: 0 ≤ lower < upper/],
    ['a trigger statistic', () => ({ scaling: { trigger: { metric: 'CPUUtilization', statistic: 'p99', unit: 'Percent', upperThreshold: 60, lowerThreshold: 20 } } }), /invalid scaling\.trigger\.statistic: got 'p99'/],
    ['a platform that is not Node.js on AL2023', () => ({ solutionStackName: '64bit Amazon Linux 2 v5.8.0 running Node.js 18' }), /invalid solutionStackName: got '64bit Amazon Linux 2 v5\.8\.0 running Node\.js 18'; accepted: '64bit Amazon Linux 2023 vX\.Y\.Z running Node\.js N'/],
    ['Node.js 18', () => ({ solutionStackName: '64bit Amazon Linux 2023 v6.1.0 running Node.js 18' }), /invalid solutionStackName/],
    ['a bad raw namespace', () => ({ optionSettings: [{ namespace: 'autoscaling', optionName: 'MinSize', value: '1' }] }), /invalid optionSettings\[0\]\.namespace: got 'autoscaling'/],
    ['a bad raw option name', () => ({ optionSettings: [{ namespace: 'aws:autoscaling:asg', optionName: 'Min Size', value: '1' }] }), /invalid optionSettings\[0\]\.optionName: got 'Min Size'/],
    ['a raw setting repeating a typed one', () => ({ optionSettings: [{ namespace: 'aws:autoscaling:asg', optionName: 'MinSize', value: '1' }] }), /invalid optionSettings\[0\]: aws:autoscaling:asg MinSize is set by a typed prop/],
    ['a reserved variable', () => ({ environment: { DATABASE_URL: 'postgres://x' } }), /invalid environment: variable 'DATABASE_URL' is set by the tier/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    expect(() => synth(props(stack), stack)).toThrow(message);
  });
});

describe('cdk-nag AwsSolutions (Elastic Beanstalk rules included)', () => {
  test.each<[string, (s: Stack) => Partial<ManagedAutoScalingTierProps>]>([
    ['default', () => ({})],
    ['HTTPS, traffic splitting', (s) => ({ deployment: BeanstalkDeployment.trafficSplitting(), loadBalancer: BeanstalkLoadBalancer.dedicated({ certificate: acm.Certificate.fromCertificateArn(s, 'C', CERT) }) })],
    ['single instance, no managed updates', () => ({ loadBalancer: BeanstalkLoadBalancer.none(), deployment: BeanstalkDeployment.allAtOnce(), managedUpdates: false })],
  ])('%s: no unacknowledged finding', (_name, props) => {
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props(stack) });
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });
});
