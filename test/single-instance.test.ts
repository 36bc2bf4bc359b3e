import * as path from 'node:path';
import { Annotations as CoreAnnotations, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as sns from 'aws-cdk-lib/aws-sns';
import { SINGLE_POINT_OF_FAILURE_WARNING, SNAPSHOT_TAG, SingleInstanceTier, WebApp, type SingleInstanceTierProps } from '../constructs';
import { addNagChecks } from '../lib/nag';
import { logicalIds, testApp, testStack, userDataText, webApp, snapshotOf } from './helpers';

function synth(props: Partial<SingleInstanceTierProps> = {}, stack = testStack()) {
  const tier = new SingleInstanceTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
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
    https: { domainName: 'app.example.com', email: 'ops@example.com', hostedZone: zone },
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

describe('instance', () => {
  const { template } = byDefault;

  test('one Graviton instance on the latest Amazon Linux 2023 for arm64', () => {
    template.resourceCountIs('AWS::EC2::Instance', 1);
    template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: 't4g.small', Monitoring: true });
    const params = template.toJSON().Parameters as Record<string, { Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
  });

  test('an x86 type gets the x86_64 image', () => {
    const params = full.template.toJSON().Parameters as Record<string, { Default: string }>;
    expect(Object.values(params).map((p) => p.Default)).toContain('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64');
  });

  test('IMDSv2 required, no key pair', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } },
    });
    template.hasResourceProperties('AWS::EC2::Instance', { KeyName: Match.absent() });
  });

  test('in a public subnet, behind an Elastic IP', () => {
    const subnetRef = template.findResources('AWS::EC2::Instance');
    const props = Object.values(subnetRef)[0].Properties;
    const subnet = template.toJSON().Resources[props.SubnetId.Ref];
    expect(subnet.Properties.MapPublicIpOnLaunch).toBe(true);
    template.hasResourceProperties('AWS::EC2::EIP', { Domain: 'vpc' });
    template.hasResourceProperties('AWS::EC2::EIPAssociation', {
      AllocationId: { 'Fn::GetAtt': [Match.stringLikeRegexp('ElasticIp'), 'AllocationId'] },
      InstanceId: { Ref: Match.stringLikeRegexp('Instance') },
    });
  });

  test('every volume is encrypted', () => {
    template.hasResourceProperties('AWS::EC2::Instance', {
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3' } }],
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
  test('a separate gp3 volume in the instance AZ, tagged for the daily snapshot policy', () => {
    const { template } = byDefault;
    const [volume] = Object.values(template.findResources('AWS::EC2::Volume'));
    expect(volume.Properties).toMatchObject({ Size: 20, VolumeType: 'gp3', Encrypted: true });
    const [instance] = Object.values(template.findResources('AWS::EC2::Instance'));
    const subnet = template.toJSON().Resources[instance.Properties.SubnetId.Ref];
    expect(volume.Properties.AvailabilityZone).toEqual(subnet.Properties.AvailabilityZone);
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

  test('the only "*" resource is PutMetricData, limited to the agent namespace', () => {
    const wildcard = statements().filter((s) => JSON.stringify(s.Resource) === '"*"');
    expect(wildcard).toEqual([expect.objectContaining({
      Action: 'cloudwatch:PutMetricData',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
    })]);
  });

  test('reads exactly the bundle object and attaches exactly its own volume to itself', () => {
    const get = statements().find((s) => s.Action === 's3:GetObject')!;
    expect(JSON.stringify(get.Resource)).toMatch(/[0-9a-f]{64}\.zip/);
    const attach = statements().find((s) => s.Action === 'ec2:AttachVolume')!;
    const text = JSON.stringify(attach.Resource);
    expect(text).toContain(':volume/');
    expect(text).toContain(':instance/');
    expect(text).toMatch(/"Ref":"WebDataVolume[0-9A-F]+"/);
    expect(text).toMatch(/"Ref":"WebInstance[0-9A-F]+"/);
  });
});

describe('user data', () => {
  const text = userDataText(byDefault.template);

  test('runs on every boot so a new bundle is deployed by stop/start', () => {
    expect(text).toContain('[scripts-user, always]');
  });

  test('installs Node.js, PostgreSQL and the CloudWatch agent, and runs the app under systemd', () => {
    expect(text).toMatch(/dnf install -y nodejs24 amazon-cloudwatch-agent rsyslog unzip postgresql16-server/);
    expect(text).toContain('ExecStart=/usr/bin/node-24 --enable-source-maps /opt/webapp/server.js');
    expect(text).toContain('KillSignal=SIGTERM');
    expect(text).toMatch(/PORT="80"\nHOST="0.0.0.0"\nHEALTH_CHECK_PATH="\/health"/);
    expect(text).toContain('DATABASE_URL="postgresql://webapp@localhost/webapp?host=/run/postgresql"');
  });

  test('attaches and mounts the data volume before PostgreSQL, never falling back to the root disk', () => {
    expect(text).toMatch(/VOLUME_ID='\{Ref:WebDataVolume[0-9A-F]+\}'/);
    const attach = text.indexOf('aws ec2 attach-volume');
    const guard = text.indexOf('did not attach"; exit 1');
    const initdb = text.indexOf('postgresql-setup --initdb');
    expect(attach).toBeGreaterThan(0);
    expect(guard).toBeGreaterThan(attach);
    expect(initdb).toBeGreaterThan(guard);
    expect(text).toContain('[ -f /var/lib/pgsql/data/PG_VERSION ] || postgresql-setup --initdb');
  });

  test('ships memory, disk and logs to CloudWatch', () => {
    expect(text).toContain('"mem_used_percent"');
    expect(text).toContain('"/var/lib/pgsql"');
    expect(text).toMatch(/"log_group_name":"\{Ref:WebAppLogs[0-9A-F]+\}"/);
    expect(text).toMatch(/"log_group_name":"\{Ref:WebSystemLogs[0-9A-F]+\}"/);
    expect(text).toContain('amazon-cloudwatch-agent-ctl -a fetch-config');
  });

  test('HTTPS: Caddy with a verified download proxies to the app on loopback', () => {
    const https = userDataText(full.template);
    expect(https).toContain('app.example.com {');
    expect(https).toContain('reverse_proxy 127.0.0.1:8080');
    expect(https).toContain('email ops@example.com');
    expect(https).toContain('sha512sum -c -');
    expect(https).toContain('caddy_2.10.2_linux_amd64.tar.gz');
    expect(https).toMatch(/PORT="8080"\nHOST="127.0.0.1"/);
    expect(text).not.toContain('caddy');
  });

  test('extra environment reaches the env file', () => {
    expect(userDataText(full.template)).toContain('FEATURE_FLAGS="guestbook"');
  });
});

describe('alarms', () => {
  const { template } = byDefault;
  const topicRef = { Ref: Match.stringLikeRegexp('WebAlarmTopic') };

  test('system status check failure recovers the instance and notifies', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'StatusCheckFailed_System',
      AlarmActions: Match.arrayWith([
        { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':automate:', { Ref: 'AWS::Region' }, ':ec2:recover']] },
        topicRef,
      ]),
    });
  });

  test('memory and data-disk alarms from the agent notify the topic', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CWAgent', MetricName: 'mem_used_percent', Threshold: 90, AlarmActions: [topicRef],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'CWAgent', MetricName: 'disk_used_percent', Threshold: 80,
      Dimensions: Match.arrayWith([{ Name: 'path', Value: '/var/lib/pgsql' }]),
    });
    expect(byDefault.tier.alarms).toHaveLength(4);
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
  test('is raised and can be acknowledged by id', () => {
    Annotations.fromStack(byDefault.stack).hasWarning('/Test/Web', Match.stringLikeRegexp('single.*Availability Zone|one instance'));
    const { stack, tier } = synth();
    CoreAnnotations.of(tier).acknowledgeWarning(SINGLE_POINT_OF_FAILURE_WARNING, 'dev only');
    Annotations.fromStack(stack).hasNoWarning('/Test/Web', Match.anyValue());
  });
});

describe('validation', () => {
  test.each<[string, Partial<SingleInstanceTierProps>, RegExp]>([
    ['instance type without size', { instanceType: new ec2.InstanceType('t4g') }, /invalid instanceType: got 't4g'; accepted: .*family\.size/],
    ['instance type with spaces', { instanceType: new ec2.InstanceType('t4g small') }, /invalid instanceType/],
    ['data volume of 0 GiB', { dataVolumeSize: Size.gibibytes(0) }, /invalid dataVolumeSize: got 0; accepted: an integer from 1 to 16384 GiB/],
    ['data volume over 16 TiB', { dataVolumeSize: Size.tebibytes(17) }, /invalid dataVolumeSize: got 17408/],
    ['data volume in fractional GiB', { dataVolumeSize: Size.mebibytes(1500) }, /invalid dataVolumeSize/],
    ['no snapshots', { snapshotRetention: 0 }, /invalid snapshotRetention: got 0; accepted: an integer from 1 to 1000/],
    ['bad domain', { https: { domainName: 'Not A Domain' } }, /invalid https\.domainName: got 'Not A Domain'/],
    ['reserved variable', { environment: { PORT: '8080' } }, /invalid environment: variable 'PORT' is set by the tier/],
    ['bad variable name', { environment: { 'bad-name': 'x' } }, /invalid environment: variable name 'bad-name'/],
    ['multi-line value', { environment: { NOTE: 'a\nb' } }, /invalid environment: variable 'NOTE'.*single-line/],
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
      app: webApp, https: { domainName: 'app.example.com' }, alarms: { email: 'ops@example.com' }, removalPolicy: RemovalPolicy.SNAPSHOT,
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
      expect(id).toMatch(/^AwsSolutions::AwsSolutions-(EC23|EC29|IAM4|IAM5)/);
      expect(String(reason).length).toBeGreaterThan(40);
    }
  });
});

test('only the expected resource types', () => {
  const types = new Set(Object.values(byDefault.template.toJSON().Resources as Record<string, { Type: string }>).map((r) => r.Type));
  expect(types.has('AWS::EC2::NatGateway')).toBe(false);
  expect(logicalIds(byDefault.template, 'AWS::EC2::Instance')).toHaveLength(1);
});
