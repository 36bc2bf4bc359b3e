import * as path from 'node:path';
import { Annotations as CoreAnnotations, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SINGLE_POINT_OF_FAILURE_WARNING, SNAPSHOT_TAG, SingleInstanceTier, WebApp, type SingleInstanceTierProps } from '../constructs';
import { Duration } from 'aws-cdk-lib';
import { Deployment } from '../constructs/shared/deployment';
import { addNagChecks } from '../lib/nag';
import { POSTGRES_MAJOR } from '../constructs/shared/database';
import { scriptBody } from '../constructs/shared/server-bootstrap';
import { logicalIds, testApp, testStack, userDataText, webApp, snapshotOf } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

// Every stack here has the tier's one instance, of which it warns.
const warnings = captureSynthWarnings(SINGLE_POINT_OF_FAILURE_WARNING);

function synth(props: Partial<SingleInstanceTierProps> = {}, stack = testStack()) {
  const tier = new SingleInstanceTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

function zone(stack = new Stack()) {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123456ABCDEFG', zoneName: 'example.com' });
}

function fullyConfigured() {
  const stack = testStack();
  const zone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123456ABCDEFG', zoneName: 'example.com' });
  return synth({
    instanceType: new ec2.InstanceType('m7i.large'),
    dataVolumeSize: Size.gibibytes(100),
    snapshotRetention: 14,
    removalPolicy: RemovalPolicy.SNAPSHOT,
    logRetention: logs.RetentionDays.ONE_YEAR,
    domain: { domainName: 'app.example.com', domainZone: zone },
    certificateEmail: 'ops@example.com',
    alarms: { email: 'oncall@example.com' },
    environment: { FEATURE_FLAGS: 'guestbook' },
  }, stack);
}

const byDefault = synth();
const full = fullyConfigured();

describe('snapshots', () => {
  test('default', () => expect(snapshotOf(byDefault.template)).toMatchSnapshot());
  test('fully configured', () => expect(snapshotOf(full.template)).toMatchSnapshot());
});

describe('a group of one', () => {
  const { template } = byDefault;
  const group = () => Object.values(template.findResources('AWS::AutoScaling::AutoScalingGroup'))[0];

  test('one Graviton instance on the latest Amazon Linux 2023 for arm64, from a launch template', () => {
    template.resourceCountIs('AWS::EC2::Instance', 0);
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '1', MaxSize: '1' });
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ InstanceType: 't4g.small', Monitoring: { Enabled: true } }),
    });
    const params = template.toJSON().Parameters as Record<string, { Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
  });

  test('an x86 type gets the x86_64 image', () => {
    const params = full.template.toJSON().Parameters as Record<string, { Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
  });

  test('IMDSv2 required, no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ MetadataOptions: { HttpTokens: 'required' }, KeyName: Match.absent() }),
    });
  });

  test("in one public subnet, the data volume's zone; the boot takes the Elastic IP over", () => {
    const subnets = group().Properties.VPCZoneIdentifier as Array<{ Ref: string }>;
    expect(subnets).toHaveLength(1);
    const subnet = template.toJSON().Resources[subnets[0].Ref];
    expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    const [volume] = Object.values(template.findResources('AWS::EC2::Volume'));
    expect(volume.Properties.AvailabilityZone).toEqual(subnet.Properties.AvailabilityZone);
    template.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc' });
    template.resourceCountIs('AWS::EC2::EIPAssociation', 0);
    expect(userDataText(template)).toMatch(/ELASTIC_IP_ALLOCATION='\{GetAtt:WebElasticIp[0-9A-F]+\.AllocationId\}'/);
  });

  test('a deploy waits for the boot to report a healthy app, and replaces terminate-first', () => {
    const g = group();
    expect(g.CreationPolicy).toEqual({ ResourceSignal: { Count: 1, Timeout: 'PT30M' } });
    expect(g.UpdatePolicy.AutoScalingRollingUpdate).toMatchObject({
      MaxBatchSize: 1, MinInstancesInService: 0, WaitOnResourceSignals: true, PauseTime: 'PT30M',
    });
    expect(g.Properties.InstanceMaintenancePolicy).toEqual({ MinHealthyPercentage: 0, MaxHealthyPercentage: 100 });
    const logicalId = logicalIds(template, 'AWS::AutoScaling::AutoScalingGroup')[0];
    expect(userDataText(template)).toContain(`SIGNAL_RESOURCE='${logicalId}'`);
    // The group waits for the permissions the first boot needs.
    expect(g.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^WebBootPermissions/)]));
  });

  test('a stack deployed when the tier was a plain instance keeps its volume and its address', () => {
    // The logical ids that tier had: unchanged ids are updated in place, never replaced.
    expect(logicalIds(template, 'AWS::EC2::Volume')).toEqual(['WebDataVolumeD04BD05C']);
    expect(logicalIds(template, 'AWS::EC2::EIP')).toEqual(['WebElasticIpB7D40D0A']);
    // The boot stops that instance (by its old logical id) to take the volume over.
    expect(userDataText(template)).toContain("LEGACY_INSTANCE_TAG='WebInstance8546399B'");
  });

  test('every volume is encrypted', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 16, VolumeType: 'gp3' } }],
      }),
    });
    for (const volume of Object.values(template.findResources('AWS::EC2::Volume'))) {
      expect(volume.Properties.Encrypted).toBe(true);
    }
  });

  test('the default VPC has no NAT gateway and logs its flows', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });
});

describe('security group', () => {
  const ingressOf = (template: Template) => {
    const [sg] = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    return sg.Properties.SecurityGroupIngress as Array<{ FromPort: number; ToPort: number; CidrIp: string }>;
  };

  test('open only on HTTP by default', () => {
    expect(ingressOf(byDefault.template).map((r) => [r.FromPort, r.ToPort, r.CidrIp])).toEqual([[80, 80, '0.0.0.0/0']]);
  });

  test('HTTP and HTTPS with a domain; never SSH', () => {
    const rules = ingressOf(full.template);
    expect(rules.map((r) => r.FromPort).sort()).toEqual([443, 80].sort());
    expect(rules.some((r) => r.FromPort <= 22 && r.ToPort >= 22)).toBe(false);
  });
});

describe('data volume', () => {
  test('a separate gp3 volume, tagged for the daily snapshot policy', () => {
    const { template } = byDefault;
    const [volume] = Object.values(template.findResources('AWS::EC2::Volume'));
    expect(volume.Properties).toMatchObject({ Size: 20, VolumeType: 'gp3', Encrypted: true });
    const tag = (volume.Properties.Tags as Array<{ Key: string; Value: string }>).find((t) => t.Key === SNAPSHOT_TAG);
    template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      State: 'ENABLED',
      PolicyDetails: {
        ResourceTypes: ['VOLUME'],
        TargetTags: [{ Key: SNAPSHOT_TAG, Value: tag!.Value }],
        Schedules: [Match.objectLike({ CreateRule: { Interval: 24, IntervalUnit: 'HOURS', Times: ['03:00'] }, RetainRule: { Count: 7 } })],
      },
    });
  });

  test.each([
    [undefined, 'Retain'],
    [RemovalPolicy.RETAIN, 'Retain'],
    [RemovalPolicy.SNAPSHOT, 'Snapshot'],
    [RemovalPolicy.DESTROY, 'Delete'],
  ])('removal policy %s → DeletionPolicy %s', (removalPolicy, expected) => {
    const { template } = synth({ removalPolicy });
    template.hasResource('AWS::EC2::Volume', { DeletionPolicy: expected, UpdateReplacePolicy: expected });
    // Logs and the address cannot be snapshotted: kept unless the data itself is deleted.
    const keep = expected === 'Delete' ? 'Delete' : 'Retain';
    template.hasResource('AWS::EC2::EIP', { DeletionPolicy: keep });
    template.allResources('AWS::Logs::LogGroup', { DeletionPolicy: keep });
  });

  test('size and snapshot count follow props', () => {
    full.template.hasResourceProperties('AWS::EC2::Volume', { Size: 100 });
    full.template.hasResourceProperties('AWS::DLM::LifecyclePolicy', {
      PolicyDetails: { Schedules: [Match.objectLike({ RetainRule: { Count: 14 } })] },
    });
  });
});

describe('IAM', () => {
  const { template } = byDefault;
  const statements = () => Object.values(template.findResources('AWS::IAM::Policy'))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown; Condition?: unknown }>);

  test('Session Manager instead of SSH', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: { Statement: [Match.objectLike({ Principal: { Service: 'ec2.amazonaws.com' } })] },
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
  });

  test('"*" resources only for actions without resource-level permissions', () => {
    const wildcard = statements().filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(wildcard.flatMap((s) => s.Action).sort()).toEqual(['cloudwatch:PutMetricData', 'ec2:DescribeInstances', 'ec2:DescribeTags', 'ec2:DescribeVolumes']);
    expect(wildcard.find((s) => s.Action === 'cloudwatch:PutMetricData')!.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'CWAgent' } });
  });

  test('reads exactly the bundle object; attaches its own volume and takes its own address, for instances of its profile only', () => {
    const get = statements().find((s) => s.Action === 's3:GetObject')!;
    expect(JSON.stringify(get.Resource)).toMatch(/[0-9a-f]{64}\.zip/);
    const byAction = (action: string) => statements().filter((s) => [s.Action].flat().includes(action));
    const attach = JSON.stringify(byAction('ec2:AttachVolume'));
    expect(attach).toMatch(/:volume\/",\{"Ref":"WebDataVolume[0-9A-F]+"\}/);
    expect(attach).toMatch(/"ArnEquals":\{"ec2:InstanceProfile":\{"Fn::GetAtt":\["WebInstanceProfile[0-9A-F]+","Arn"\]\}\}/);
    const associate = JSON.stringify(byAction('ec2:AssociateAddress'));
    expect(associate).toMatch(/:elastic-ip\/",\{"Fn::GetAtt":\["WebElasticIp[0-9A-F]+","AllocationId"\]\}/);
    expect(associate).toContain('ec2:InstanceProfile');
    // Its own instance: attach, detach (to give a volume back) and associate, by instance profile.
    const own = statements().find((s) => JSON.stringify(s.Condition ?? {}).includes('ec2:InstanceProfile'))!;
    expect([...own.Action].sort()).toEqual(['ec2:AssociateAddress', 'ec2:AttachVolume', 'ec2:DetachVolume']);
    // The launch template gives the instance a public address of its own until the Elastic IP moves over.
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({ NetworkInterfaces: [Match.objectLike({ AssociatePublicIpAddress: true, DeviceIndex: 0 })] }),
    });
    // Stopping and starting an instance is allowed only for the pre-group instance of this very stack.
    const [stop] = byAction('ec2:StopInstances');
    expect([...stop.Action].sort()).toEqual(['ec2:DetachVolume', 'ec2:StartInstances', 'ec2:StopInstances']);
    expect(stop.Resource).toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ec2:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':instance/*']] });
    expect(stop.Condition).toEqual({
      StringEquals: { 'aws:ResourceTag/aws:cloudformation:stack-id': { Ref: 'AWS::StackId' }, 'aws:ResourceTag/aws:cloudformation:logical-id': 'WebInstance8546399B' },
    });
    const [signal] = byAction('cloudformation:SignalResource');
    expect(signal.Resource).toEqual({ Ref: 'AWS::StackId' });
  });
});

describe('user data', () => {
  const text = userDataText(byDefault.template);

  test('runs on every boot so a new bundle is deployed by stop/start', () => {
    expect(text).toContain('[scripts-user, always]');
  });

  test('user data stays well inside EC2\'s 16 KB, with room for the app\'s environment', () => {
    const bytes = Buffer.byteLength(userDataText(full.template));
    expect(bytes).toBeLessThan(8 * 1024);
  });

  test('the boot script behind quoted inputs: Node.js, PostgreSQL of the one major, the app under systemd', () => {
    expect(text).toContain(`PACKAGES='nodejs24 amazon-cloudwatch-agent rsyslog unzip postgresql${POSTGRES_MAJOR}-server'`);
    expect(text).toContain("NODE_BIN='/usr/bin/node-24'");
    expect(text).toMatch(/BOOT_SCRIPT_URL='s3:\/\/[^']+\/[0-9a-f]{64}\.sh'/);
    expect(text).toMatch(/PORT="80"\nHOST="0.0.0.0"\nHEALTH_CHECK_PATH="\/health"/);
    expect(text).toContain('DATABASE_URL="postgresql://webapp@localhost/webapp?host=/run/postgresql"');
    expect(text).toMatch(/DATA_VOLUME_ID='\{Ref:WebDataVolume[0-9A-F]+\}'/);
    expect(text).toContain(scriptBody('boot-loader.sh'));
  });

  test('ships memory, disk and logs to CloudWatch', () => {
    expect(text).toContain('"mem_used_percent"');
    expect(text).toContain('"/var/lib/pgsql"');
    expect(text).toMatch(/"log_group_name":"\{Ref:WebAppLogs[0-9A-F]+\}"/);
    expect(text).toMatch(/"log_group_name":"\{Ref:WebSystemLogs[0-9A-F]+\}"/);
  });

  test('HTTPS: Caddy for the domain, the app on loopback', () => {
    const https = userDataText(full.template);
    expect(https).toContain("TLS_DOMAIN='app.example.com'");
    expect(https).toContain("TLS_EMAIL='ops@example.com'");
    expect(https).toContain("CADDY_ARCH='amd64'");
    expect(https).toMatch(/PORT="8080"\nHOST="127.0.0.1"/);
    expect(text).toContain("TLS_DOMAIN=''");
  });

  test('extra environment reaches the env file', () => {
    expect(userDataText(full.template)).toContain('FEATURE_FLAGS="guestbook"');
  });
});

describe('alarms', () => {
  const { template } = byDefault;
  const topicRef = { Ref: Match.stringLikeRegexp('WebAlarmTopic') };

  test('no instance in service for 10 minutes notifies (the group itself replaces a failed instance)', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/AutoScaling', MetricName: 'GroupInServiceInstances', Threshold: 1, EvaluationPeriods: 10,
      ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching', AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', {
      MetricsCollection: [{ Granularity: '1Minute', Metrics: ['GroupInServiceInstances'] }],
    });
  });

  test('memory and data-disk alarms from the agent notify the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CWAgent', MetricName: 'mem_used_percent', Threshold: 90, AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CWAgent', MetricName: 'disk_used_percent', Threshold: 80,
      Dimensions: [{ Name: 'AutoScalingGroupName', Value: { Ref: Match.stringLikeRegexp('^WebGroup') } }, { Name: 'path', Value: '/var/lib/pgsql' }],
    });
    // The agent publishes exactly that aggregate.
    expect(userDataText(template)).toContain('"aggregation_dimensions":[["AutoScalingGroupName"],["AutoScalingGroupName","path"]]');
    expect(byDefault.tier.alarms).toHaveLength(3);
  });

  test('the topic is KMS-encrypted, TLS-only, and CloudWatch may use the key', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: [Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })] },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } })]) },
    });
  });

  test('an email subscription when asked; a given topic is used as is', () => {
    full.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    const stack = testStack();
    const topic = new sns.Topic(stack, 'Mine');
    const { template: t } = synth({ alarms: { topic } }, stack);
    t.resourceCountIs('AWS::SNS::Topic', 1);
    t.resourceCountIs('AWS::KMS::Key', 0);
  });
});

describe('HTTPS and URL', () => {
  test('A record to the Elastic IP in the given zone', () => {
    full.template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'app.example.com.', Type: 'A', HostedZoneId: 'Z123456ABCDEFG',
      ResourceRecords: [{ Ref: Match.stringLikeRegexp('WebElasticIp') }],
    });
  });

  test('url is https with a domain, else the Elastic IP over http', () => {
    expect(full.tier.url).toBe('https://app.example.com');
    expect(JSON.stringify(byDefault.stack.resolve(byDefault.tier.url))).toMatch(/http:\/\/.*WebElasticIp/);
  });
});

describe('single point of failure warning', () => {
  test('is raised, printed by every synth, and can be acknowledged by id', () => {
    Annotations.fromStack(byDefault.stack).hasWarning('/Test/Web', Match.stringLikeRegexp('single.*Availability Zone|one instance'));
    const { stack, tier } = synth();
    expect(warnings.take()).toEqual([[SINGLE_POINT_OF_FAILURE_WARNING], [SINGLE_POINT_OF_FAILURE_WARNING]]);
    CoreAnnotations.of(tier).acknowledgeWarning(SINGLE_POINT_OF_FAILURE_WARNING, 'dev only');
    Annotations.fromStack(stack).hasNoWarning('/Test/Web', Match.anyValue());
    expect(warnings.take()).toEqual([]);
  });
});

describe('validation', () => {
  test.each<[string, Partial<SingleInstanceTierProps>, RegExp]>([
    ['instance type without size', { instanceType: new ec2.InstanceType('t4g') }, /invalid instanceType: got 't4g'; accepted: .*family\.size/],
    ['instance type with spaces', { instanceType: new ec2.InstanceType('t4g small') }, /invalid instanceType/],
    ['data volume of 0 GiB', { dataVolumeSize: Size.gibibytes(0) }, /invalid dataVolumeSize: got 0 GiB; accepted: a Size of whole GiB from 1 to 16384/],
    ['data volume over 16 TiB', { dataVolumeSize: Size.tebibytes(17) }, /invalid dataVolumeSize: got 17408 GiB/],
    ['data volume in fractional GiB', { dataVolumeSize: Size.mebibytes(1500) }, /invalid dataVolumeSize/],
    ['no snapshots', { snapshotRetention: 0 }, /invalid snapshotRetention: got 0; accepted: an integer from 1 to 1000/],
    ['bad domain', { domain: { domainName: 'Not A Domain', domainZone: zone() } }, /invalid domain\.domainName: got 'Not A Domain'/],
    ['domain outside the zone', { domain: { domainName: 'app.example.org', domainZone: zone() } }, /invalid domain\.domainName: 'app\.example\.org' is not in hosted zone 'example\.com'/],
    ['a domain without its zone', { domain: { domainName: 'app.example.com' } as never }, /invalid domain\.domainZone: is required/],
    ['an e-mail that would add lines to the Caddyfile', { domain: { domainName: 'app.example.com', domainZone: zone() }, certificateEmail: 'a@b.co\n}\n:80 {' },
      /invalid certificateEmail: got [\s\S]*accepted: an e-mail address/],
    ['an e-mail without a domain', { certificateEmail: 'ops@example.com' }, /invalid certificateEmail: is used only with a domain/],
    ['reserved variable', { environment: { PORT: '8080' } }, /invalid environment: variable 'PORT' is set by the tier/],
    ['bad variable name', { environment: { 'bad-name': 'x' } }, /invalid environment: variable name 'bad-name'/],
    ['multi-line value', { environment: { NOTE: 'a\nb' } }, /invalid environment: variable 'NOTE'.*single-line/],
    ['an environment EC2 user data cannot hold', { environment: { BIG: 'x'.repeat(12000) } }, /invalid environment: makes the host's user data about \d+ bytes; accepted: up to 15872 \(EC2 takes 16 KB\)/],
    ['bad email', { alarms: { email: 'nobody' } }, /invalid alarms\.email: got 'nobody'/],
  ])('%s', (_name, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });

  test('a VPC without public subnets', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Private', { subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    expect(() => synth({ vpc }, stack)).toThrow(/Test\/Web: invalid vpc: the VPC has no public subnet/);
  });

  test('errors name the construct path', () => {
    expect(() => synth({ snapshotRetention: -1 })).toThrow(/^Test\/Web: invalid snapshotRetention/);
  });
});

describe('WebApp', () => {
  test('a missing entry', () => {
    expect(() => WebApp.fromEntry('does/not/exist.ts')).toThrow(/invalid entry: no file at '.*does\/not\/exist\.ts'/);
  });

  test('a health check path that is not a path', () => {
    expect(() => WebApp.fromEntry(path.join(__dirname, 'fixtures', 'echo-app.ts'), { healthCheckPath: 'health' }))
      .toThrow(/invalid healthCheckPath: got 'health'/);
  });

  test('an entry esbuild cannot bundle is reported with its location', () => {
    const broken = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'broken-app.js'));
    expect(() => broken.serverBundle()).toThrow(/invalid entry: esbuild could not bundle .*broken-app\.js.*\(.*broken-app\.js:\d+\)/);
  });

  test('each target is bundled once and shared', () => {
    const again = WebApp.fromEntry(webApp.entry, { externalModules: ['pg-native'] });
    expect(again.serverBundle()).toBe(webApp.serverBundle());
    expect(webApp.lambdaBundle()).not.toBe(webApp.serverBundle());
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each([
    ['default', (s: Stack) => new SingleInstanceTier(s, 'Web', { app: webApp })],
    ['fully configured', (s: Stack) => new SingleInstanceTier(s, 'Web', {
      app: webApp, domain: { domainName: 'app.example.com', domainZone: zone(s) }, alarms: { email: 'ops@example.com' }, removalPolicy: RemovalPolicy.SNAPSHOT,
    })],
  ])('%s: no unacknowledged finding', (_name, build) => {
    const app = testApp();
    build(new Stack(app, 'Nag'));
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });

  test('a finding the tier does not acknowledge still fails synth', () => {
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    const tier = new SingleInstanceTier(stack, 'Web', { app: webApp });
    new ec2.SecurityGroup(stack, 'Open', { vpc: tier.vpc }).addIngressRule(ec2.Peer.anyIpv4(), ec2.Port.allTcp());
    addNagChecks(app);
    expect(() => app.synth()).toThrow(/Nag\/Open\/Resource[\s\S]*AwsSolutions-EC23/);
  });

  test('every acknowledgement in the tier carries a specific reason', () => {
    const { tier } = synth();
    const acks = tier.node.findAll().flatMap((c) => c.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules'))
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      .filter(([id]) => id.startsWith('AwsSolutions::'));
    expect(acks.length).toBeGreaterThanOrEqual(5);
    for (const [id, reason] of acks) {
      expect(id).toMatch(/^AwsSolutions::AwsSolutions-(EC23|EC29|IAM4|IAM5|AS3)/);
      expect(String(reason).length).toBeGreaterThan(40);
    }
  });
});

test('only the expected resource types', () => {
  const types = new Set(Object.values(byDefault.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
  expect(types.has('AWS::EC2::NatGateway')).toBe(false);
  expect(logicalIds(byDefault.template, 'AWS::AutoScaling::AutoScalingGroup')).toHaveLength(1);
});

describe('Deployment', () => {
  const update = (t: Template) => Object.values(t.findResources('AWS::AutoScaling::AutoScalingGroup'))[0].UpdatePolicy;

  test('allAtOnce() is what the tier does anyway: terminate first, one batch, wait for the boot signal', () => {
    const { template } = synth({ deployment: Deployment.allAtOnce() });
    expect(update(template).AutoScalingRollingUpdate).toMatchObject({ MaxBatchSize: 1, MinInstancesInService: 0, WaitOnResourceSignals: true, PauseTime: 'PT30M' });
    expect(update(template)).toEqual(update(byDefault.template));
  });

  test.each<[string, Deployment, RegExp]>([
    ['rolling', Deployment.rolling(), /Test\/Web: invalid deployment: Deployment\.rolling\(\) is not possible on SingleInstanceTier: it runs one instance.*; accepted on SingleInstanceTier: Deployment\.allAtOnce\(\)/],
    ['rolling in batches', Deployment.rolling({ batchPercent: 50, minHealthyPercent: 50 }), /invalid deployment: Deployment\.rolling\(\) is not possible on SingleInstanceTier/],
    ['canary', Deployment.canary({ percent: 10, bake: Duration.minutes(5) }), /invalid deployment: Deployment\.canary\(\) is not possible on SingleInstanceTier: .*accepted on SingleInstanceTier: Deployment\.allAtOnce\(\)/],
  ])('%s fails at synth, naming deployment and the tier', (_name, deployment, message) => {
    expect(() => synth({ deployment })).toThrow(message);
  });

  test('anything but a Deployment fails at synth', () => {
    expect(() => synth({ deployment: { minHealthyPercent: 50 } as never })).toThrow(/invalid deployment: an object of another shape is not possible on SingleInstanceTier; accepted on SingleInstanceTier: Deployment\.allAtOnce\(\)/);
  });
});
