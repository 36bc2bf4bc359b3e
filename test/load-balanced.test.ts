import * as fs from 'node:fs';
import * as path from 'node:path';
import { App, CfnParameter, Duration, Fn, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  Database, Egress, LoadBalancedTier, Network, SINGLE_INSTANCE_FLEET_WARNING, SinglePointOfFailure, type LoadBalancedTierProps,
} from '../constructs';
import { SCRIPTS_DIR, scriptBody, serverBundleDirectory } from '../constructs/shared/server-bootstrap';
import { AURORA_POSTGRES_VERSION, DatabaseEngine, POSTGRES_MAJOR, type DatabaseProps } from '../constructs/shared/database';
import { BeanstalkDeployment } from '../constructs/managed-auto-scaling';
import { Deployment } from '../constructs/shared/deployment';
import { addNagChecks } from '../lib/nag';
import { PROJECT_CONTEXT, testApp, testStack, userDataText, webApp, snapshotOf } from './helpers';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { captureSynthWarnings } from './synth-warnings';

// Most stacks here have the default network, with one NAT gateway, of which it warns.
const warnings = captureSynthWarnings(SinglePointOfFailure.NAT);

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';

function synth(props: Partial<LoadBalancedTierProps> = {}, stack = testStack()) {
  const tier = new LoadBalancedTier(stack, 'Web', { app: webApp, ...props });
  return { stack, tier, template: Template.fromStack(stack) };
}

/** HTTPS on a domain: the certificate, the name it covers and the zone of the record. */
function withDomain(stack: Stack) {
  return {
    certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
    domainName: 'app.example.com',
    domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z123', zoneName: 'example.com' }),
  };
}

const byDefault = synth();
const full = (() => {
  const stack = testStack();
  const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ, maxAzs: 3 });
  const database = new Database(stack, 'Db', { network, multiAz: true, instanceType: new ec2.InstanceType('m7g.large'), rotation: true, backupRetentionDays: 14, allocatedStorage: Size.gibibytes(100) });
  return synth({
    network, database, instanceCount: 3, instanceType: new ec2.InstanceType('c7g.large'),
    domain: withDomain(stack),
    loadBalancer: { deregistrationDelay: Duration.seconds(10), accessLogDays: 30 },
    removalPolicy: RemovalPolicy.RETAIN, alarms: { email: 'ops@example.com' }, environment: { GREETING: 'hi' },
  }, stack);
})();

const resources = (t: Template, type: string) => Object.entries(t.findResources(type));
const ingressRules = (t: Template) => resources(t, 'AWS::EC2::SecurityGroupIngress').map(([, r]) => r.Properties);

describe('snapshots', () => {
  test('default', () => expect(snapshotOf(byDefault.template)).toMatchSnapshot());
  test('fully configured', () => expect(snapshotOf(full.template)).toMatchSnapshot());
});

describe('Network', () => {
  const build = (props: ConstructorParameters<typeof Network>[2]) => {
    const stack = testStack();
    const network = new Network(stack, 'Net', props);
    return { network, template: Template.fromStack(stack) };
  };
  const subnets = (t: Template) => Object.fromEntries(resources(t, 'AWS::EC2::Subnet').map(([id, r]) => [id, r.Properties.CidrBlock]));
  const routeTables = (t: Template) => resources(t, 'AWS::EC2::RouteTable').map(([id]) => id).sort();

  test('default: 2 AZs of public, app and data subnets, one NAT gateway, S3 gateway endpoint, flow logs', () => {
    const { template } = build({});
    template.resourceCountIs('AWS::EC2::Subnet', 6);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', { VpcEndpointType: 'Gateway', ServiceName: Match.objectLike({ 'Fn::Join': Match.anyValue() }) });
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    expect(Object.values(subnets(template))).toEqual(expect.arrayContaining(['10.0.0.0/24', '10.0.1.0/24']));
  });

  test.each([
    [Egress.NONE, 0, 0, 8],
    [Egress.NAT_INSTANCE, 0, 1, 0],
    [Egress.NAT_GATEWAY, 1, 0, 0],
    [Egress.NAT_GATEWAY_PER_AZ, 2, 0, 0],
  ])('%s: %i NAT gateways, %i NAT instances, %i interface endpoints', (egress, gateways, instances, endpoints) => {
    const { template } = build({ egress });
    template.resourceCountIs('AWS::EC2::NatGateway', gateways);
    template.resourceCountIs('AWS::EC2::Instance', instances);
    expect(resources(template, 'AWS::EC2::VPCEndpoint').filter(([, r]) => r.Properties.VpcEndpointType === 'Interface')).toHaveLength(endpoints);
  });

  test('switching presets keeps every subnet and route table (no replacement), changing only routes and NAT', () => {
    const presets = Object.values(Egress).map((egress) => build({ egress }).template);
    const [first, ...rest] = presets;
    for (const other of rest) {
      expect(subnets(other)).toEqual(subnets(first));
      expect(routeTables(other)).toEqual(routeTables(first));
    }
    // The app subnets' default route keeps its logical id between NAT kinds: updated in place.
    const defaultRoute = (t: Template) => resources(t, 'AWS::EC2::Route')
      .filter(([id]) => id.includes('AppSubnet1')).map(([id]) => id);
    expect(defaultRoute(presets[1])).toEqual(defaultRoute(presets[2]));
    expect(defaultRoute(presets[2])).toEqual(defaultRoute(presets[3]));
    expect(defaultRoute(presets[0])).toEqual([]);
  });

  test('the NAT instance root volume is encrypted', () => {
    const { template } = build({ egress: Egress.NAT_INSTANCE });
    template.hasResourceProperties('AWS::EC2::Instance', { BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true }) }] });
  });

  test('the NAT instance requires IMDSv2: its launch template sets HttpTokens required', () => {
    const { template } = build({ egress: Egress.NAT_INSTANCE });
    const [[templateId]] = resources(template, 'AWS::EC2::LaunchTemplate');
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } } });
    template.hasResourceProperties('AWS::EC2::Instance', {
      // Exactly these two: CloudFormation rejects a launch template given by id and by name.
      LaunchTemplate: Match.exact({ LaunchTemplateId: { Ref: templateId }, Version: { 'Fn::GetAtt': [templateId, 'LatestVersionNumber'] } }),
    });
    // Named by CloudFormation, with or without the unique-name feature flag: stacks never collide.
    const withoutFlag = new Stack(new App({ context: { ...PROJECT_CONTEXT, '@aws-cdk/aws-ec2:uniqueImdsv2TemplateName': false } }), 'NoFlag');
    new Network(withoutFlag, 'Net', { egress: Egress.NAT_INSTANCE });
    for (const [, lt] of resources(Template.fromStack(withoutFlag), 'AWS::EC2::LaunchTemplate')) expect(lt.Properties.LaunchTemplateName).toBeUndefined();
  });

  test('the NAT instance admits what it forwards from inside the VPC only', () => {
    const { template } = build({ egress: Egress.NAT_INSTANCE });
    const [[, group]] = resources(template, 'AWS::EC2::SecurityGroup').filter(([id]) => id.includes('NatSecurityGroup'));
    expect(group.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '10.0.0.0/16', IpProtocol: '-1' })]);
  });

  test('without egress, endpoints admit HTTPS from inside the VPC only', () => {
    const { template } = build({ egress: Egress.NONE });
    for (const [, sg] of resources(template, 'AWS::EC2::SecurityGroup')) {
      for (const rule of sg.Properties.SecurityGroupIngress ?? []) expect(rule).toMatchObject({ CidrIp: '10.0.0.0/16', FromPort: 443 });
    }
  });

  test('public subnets do not hand out public addresses (only load balancers and NAT live there)', () => {
    const { template } = build({ egress: Egress.NAT_INSTANCE });
    const publics = resources(template, 'AWS::EC2::Subnet').filter(([id]) => id.includes('PublicSubnet'));
    expect(publics.map(([, r]) => r.Properties.MapPublicIpOnLaunch)).toEqual([false, false]);
    template.hasResourceProperties('AWS::EC2::Instance', { NetworkInterfaces: [Match.objectLike({ AssociatePublicIpAddress: true })] });
  });

  test('an existing VPC is used as it is', () => {
    const stack = testStack();
    const vpc = new ec2.Vpc(stack, 'Mine', { maxAzs: 2 });
    const network = new Network(stack, 'Net', { vpc });
    expect(network.vpc).toBe(vpc);
    expect(network.appSubnets).toEqual({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS });
    expect(() => new Network(stack, 'Bad', { vpc, egress: Egress.NONE })).toThrow(/invalid egress: does not apply to an existing vpc/);
  });

  test.each([1, 4])('maxAzs %i is rejected', (maxAzs) => {
    expect(() => build({ maxAzs })).toThrow(/invalid maxAzs: got \d; accepted: an integer from 2 to 3/);
  });
});

describe('Database', () => {
  const { template } = byDefault;

  test('RDS PostgreSQL 18, encrypted gp3, Multi-AZ, in the data subnets, with backups and a final snapshot', () => {
    template.hasResource('AWS::RDS::DBInstance', {
      DeletionPolicy: 'Snapshot',
      Properties: Match.objectLike({
        Engine: 'postgres', EngineVersion: Match.stringLikeRegexp(`^${POSTGRES_MAJOR}`), StorageEncrypted: true, StorageType: 'gp3',
        MultiAZ: true, BackupRetentionPeriod: 7, DeletionProtection: true, DBName: 'webapp', EnableCloudwatchLogsExports: ['postgresql', 'upgrade'],
        EnableIAMDatabaseAuthentication: true, MonitoringInterval: 60,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebDatabaseKey'), 'Arn'] },
        PerformanceInsightsKMSKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebDatabaseKey'), 'Arn'] },
      }),
    });
    const [[, group]] = resources(template, 'AWS::RDS::DBSubnetGroup');
    expect(JSON.stringify(group.Properties.SubnetIds)).toMatch(/DataSubnet1.*DataSubnet2/);
  });

  test('one rotating customer key for storage, Performance Insights and the secret, kept with the data, granting only to AWS services', () => {
    template.hasResource('AWS::KMS::Key', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        EnableKeyRotation: true,
        KeyPolicy: { Statement: Match.arrayWith([Match.objectLike({
          Sid: 'RestrictGrantsToAwsServices', Effect: 'Deny', Action: 'kms:CreateGrant',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        })]) },
      }),
    });
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('WebDatabaseKey'), 'Arn'] } });
  });

  test('SSL is forced by the parameter group', () => {
    template.hasResourceProperties('AWS::RDS::DBParameterGroup', { Family: 'postgres18', Parameters: { 'rds.force_ssl': '1' } });
  });

  test('credentials are generated into Secrets Manager, never in the template', () => {
    template.hasResourceProperties('AWS::SecretsManager::Secret', { GenerateSecretString: Match.objectLike({ SecretStringTemplate: '{"username":"webapp"}' }) });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/MasterUserPassword":"[^{]/);
  });

  test('multi-AZ, size, backups and rotation follow props', () => {
    full.template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DBInstanceClass: 'db.m7g.large', BackupRetentionPeriod: 14, AllocatedStorage: '100', MaxAllocatedStorage: 400 });
    full.template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 0);
  });

  test('DESTROY turns deletion protection off; anything else keeps the data', () => {
    const { template: dev } = synth({ removalPolicy: RemovalPolicy.DESTROY });
    dev.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtection: false }) });
    const { template: kept } = synth({ removalPolicy: RemovalPolicy.RETAIN });
    kept.hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtection: true }) });
    kept.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' });
    dev.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Delete' });
  });

  test.each<[string, () => void, RegExp]>([
    ['backups of 0 days', () => new Database(testStack(), 'Db', { network: new Network(testStack(), 'N'), backupRetentionDays: 0 }), /invalid backupRetentionDays: got 0; accepted: an integer from 1 to 35 days/],
    ['storage below 20 GiB', () => { const s = testStack(); new Database(s, 'Db', { network: new Network(s, 'N'), allocatedStorage: Size.gibibytes(10) }); }, /invalid allocatedStorage: got 10/],
  ])('%s', (_name, build, message) => expect(build).toThrow(message));
});

describe('Database on Aurora Serverless v2', () => {
  const aurora = (engine = DatabaseEngine.auroraServerless({ maxCapacity: 8 }), props: Partial<DatabaseProps> = {}) => {
    const stack = testStack();
    const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ });
    const database = new Database(stack, 'Db', { network, engine, rotation: true, ...props });
    return { database, ...synth({ network, database }, stack) };
  };
  const { database, template } = aurora();

  test('a cluster of the same PostgreSQL major as the instance engine, scaling to 0 and pausing after 5 minutes', () => {
    expect(AURORA_POSTGRES_VERSION.auroraPostgresMajorVersion).toBe(String(POSTGRES_MAJOR));
    expect(database.instance).toBeUndefined();
    template.resourceCountIs('AWS::RDS::DBInstance', 2);
    template.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'Snapshot', UpdateReplacePolicy: 'Snapshot',
      Properties: Match.objectLike({
        Engine: 'aurora-postgresql', EngineVersion: Match.stringLikeRegexp(`^${POSTGRES_MAJOR}\\.`), DatabaseName: 'webapp', MasterUsername: 'webapp', Port: 5432,
        ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 8, SecondsUntilAutoPause: 300 },
        StorageEncrypted: true, KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbKey'), 'Arn'] }, DeletionProtection: true,
        EnableIAMDatabaseAuthentication: true, EnableCloudwatchLogsExports: ['postgresql'], BackupRetentionPeriod: 7,
      }),
    });
    template.hasResourceProperties('AWS::RDS::DBClusterParameterGroup', { Family: `aurora-postgresql${POSTGRES_MAJOR}`, Parameters: { 'rds.force_ssl': '1' } });
  });

  test('multiAz: a writer and a reader in another AZ that scales with it and is promoted on failure; TLS and monitoring on both', () => {
    const members = Object.values<any>(template.findResources('AWS::RDS::DBInstance')).map((r) => r.Properties);
    expect(members.map((m) => [m.DBInstanceClass, m.PromotionTier])).toEqual([['db.serverless', 0], ['db.serverless', 1]]);
    for (const m of members) {
      expect(m).toEqual(expect.objectContaining({ CACertificateIdentifier: 'rds-ca-rsa2048-g1', EnablePerformanceInsights: true, MonitoringInterval: 60, PubliclyAccessible: false }));
    }
    warnings.allow(SinglePointOfFailure.SINGLE_AZ_DATABASE);
    const single = aurora(DatabaseEngine.auroraServerless({ minCapacity: 0.5, maxCapacity: 2 }), { multiAz: false });
    single.template.resourceCountIs('AWS::RDS::DBInstance', 1);
    single.template.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 2 } });
    expect(warnings.take()).toEqual([[SinglePointOfFailure.SINGLE_AZ_DATABASE]]);
  });

  test('the tier reads the same secret and reaches the cluster on 5432; rotation runs on the cluster', () => {
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.hasResourceProperties('AWS::SecretsManager::Secret', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('DbKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5432, ToPort: 5432, GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DbSecurityGroup'), 'GroupId'] } });
  });

  test('clean under every rule pack, as the instance is', () => {
    const app = testApp();
    const stack = new Stack(app, 'AuroraNag');
    const network = new Network(stack, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ });
    new LoadBalancedTier(stack, 'Web', { app: webApp, network, database: new Database(stack, 'Db', { network, engine: DatabaseEngine.auroraServerless(), rotation: true }) });
    addNagChecks(app, { all: true });
    expect(() => app.synth()).not.toThrow();
  });

  test('props of the instance engine, and capacities Aurora does not have, are errors naming them', () => {
    const stack = testStack();
    const network = new Network(stack, 'Net');
    const engine = DatabaseEngine.auroraServerless();
    expect(() => new Database(stack, 'A', { network, engine, instanceType: new ec2.InstanceType('t4g.small') }))
      .toThrow(/Test\/A: invalid instanceType: applies to RDS instances, not to Aurora Serverless/);
    expect(() => new Database(stack, 'B', { network, engine, allocatedStorage: Size.gibibytes(50) })).toThrow(/invalid allocatedStorage: applies to RDS instances/);
    expect(() => DatabaseEngine.auroraServerless({ maxCapacity: 0.5 })).toThrow(/invalid DatabaseEngine\.auroraServerless\(options\)\.maxCapacity: got 0\.5; accepted: a number from 1 to 256 ACUs in steps of 0\.5/);
    expect(() => DatabaseEngine.auroraServerless({ minCapacity: 1.25 })).toThrow(/minCapacity: got 1\.25; accepted: a number from 0 to 256 ACUs in steps of 0\.5/);
    expect(() => DatabaseEngine.auroraServerless({ minCapacity: 8, maxCapacity: 4 })).toThrow(/minCapacity: got 8, more than maxCapacity 4/);
    expect(() => DatabaseEngine.auroraServerless({ minCapacity: 1, pauseAfter: Duration.minutes(10) })).toThrow(/pauseAfter: applies only at minCapacity 0/);
    expect(() => new Database(stack, 'C', { network, engine: 'aurora' as never })).toThrow(/invalid engine: got 'aurora'; accepted: DatabaseEngine\.instance\(\) or DatabaseEngine\.auroraServerless/);
  });
});

describe('security groups: ALB → instances → database, nothing else', () => {
  const { template, tier } = byDefault;
  const groupId = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
  const idOf = (t: Template, prefix: string) => resources(t, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith(prefix))![0];

  test('the load balancer admits the world on its listener port only', () => {
    const [, lbSg] = resources(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('WebLoadBalancerLBSecurityGroup'))!;
    expect(lbSg.Properties.SecurityGroupIngress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 80, ToPort: 80 })]);
  });

  test('instances admit the app port from the load balancer only; the database its port from the instances only', () => {
    const instanceSg = idOf(template, 'WebInstanceSecurityGroup');
    const lbSg = idOf(template, 'WebLoadBalancerLBSecurityGroup');
    const dbSg = idOf(template, 'WebDatabaseSecurityGroup');
    expect(ingressRules(template)).toEqual(expect.arrayContaining([
      expect.objectContaining({ GroupId: groupId(instanceSg), SourceSecurityGroupId: groupId(lbSg), FromPort: 8080 }),
      expect.objectContaining({ GroupId: groupId(dbSg), SourceSecurityGroupId: groupId(instanceSg) }),
    ]));
    expect(ingressRules(template)).toHaveLength(2);
    const [, instance] = resources(template, 'AWS::EC2::SecurityGroup').find(([id]) => id === instanceSg)!;
    expect(instance.Properties.SecurityGroupIngress).toBeUndefined();
    expect(tier.connections.securityGroups[0]).toBe(tier.securityGroup);
  });

  test('instances reach out on HTTPS and to the database, nothing else', () => {
    const [, instance] = resources(template, 'AWS::EC2::SecurityGroup').find(([id]) => id.startsWith('WebInstanceSecurityGroup'))!;
    expect(instance.Properties.SecurityGroupEgress).toEqual([expect.objectContaining({ CidrIp: '0.0.0.0/0', FromPort: 443, ToPort: 443 })]);
  });
});

describe('instances', () => {
  const { template } = byDefault;

  test('two instances in different app subnets, IMDSv2, encrypted, no key pair', () => {
    const instances = resources(template, 'AWS::EC2::Instance').map(([, r]) => r.Properties);
    expect(instances).toHaveLength(2);
    expect(new Set(instances.map((p) => p.SubnetId.Ref)).size).toBe(2);
    for (const p of instances) {
      expect(p.SubnetId.Ref).toMatch(/AppSubnet/);
      expect(p.KeyName).toBeUndefined();
      expect(p.BlockDeviceMappings[0].Ebs.Encrypted).toBe(true);
    }
    for (const [, lt] of resources(template, 'AWS::EC2::LaunchTemplate')) {
      expect(lt.Properties.LaunchTemplateData.MetadataOptions.HttpTokens).toBe('required');
    }
  });

  test('each waits for its health signal, and they are created or replaced one after another', () => {
    const instances = resources(template, 'AWS::EC2::Instance');
    for (const [, r] of instances) expect(r.CreationPolicy).toEqual({ ResourceSignal: { Timeout: 'PT15M' } });
    const [[firstId], [, second]] = instances;
    expect(second.DependsOn).toContain(firstId);
  });

  test('a change of user data replaces the instances (their logical id carries its hash)', () => {
    const other = synth({ environment: { CHANGED: '1' } }).template;
    const ids = (t: Template) => resources(t, 'AWS::EC2::Instance').map(([id]) => id);
    expect(ids(other)).not.toEqual(ids(template));
  });

  test('the boot renders DATABASE_URL from the secret and signals the instance named by its logical-id tag', () => {
    const text = userDataText(template);
    expect(text).toMatch(/DATABASE_SECRET_ARN='\{Ref:WebDatabaseInstanceSecretAttachment[0-9A-F]+\}'/);
    expect(text).toMatch(/PORT="8080"\nHOST="0.0.0.0"/);
    expect(text).toContain("SIGNAL_RESOURCE='tag'");
    expect(text).toContain("DATA_VOLUME_ID=''");
    expect(text).not.toMatch(/postgresql\d+-server/);
    expect(text).toContain(scriptBody('boot-loader.sh'));
    // The credential refresh and the RDS CA bundle ship inside the host bundle.
    const bundle = serverBundleDirectory(webApp, true).directory;
    expect(fs.readFileSync(path.join(bundle, 'web-tiers', 'webapp-db-env.sh'), 'utf8')).toBe(fs.readFileSync(path.join(SCRIPTS_DIR, 'webapp-db-env.sh'), 'utf8'));
    expect(fs.readFileSync(path.join(bundle, 'web-tiers', 'rds-ca.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
  });

  test('timeout chain: the app keeps idle connections 5 s longer than the load balancer', () => {
    expect(userDataText(template)).toContain('KEEP_ALIVE_TIMEOUT_MS="65000"');
    const { template: custom } = synth({ loadBalancer: { idleTimeout: Duration.seconds(300) } });
    expect(userDataText(custom)).toContain('KEEP_ALIVE_TIMEOUT_MS="305000"');
    const [[, lb]] = resources(custom, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    expect(lb.Properties.LoadBalancerAttributes).toEqual(expect.arrayContaining([{ Key: 'idle_timeout.timeout_seconds', Value: '300' }]));
  });

  test('the role reads the database secret and signals only its own stack', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([
        Match.objectLike({ Action: 'cloudformation:SignalResource', Resource: { Ref: 'AWS::StackId' } }),
        Match.objectLike({ Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'], Resource: { Ref: Match.stringLikeRegexp('SecretAttachment') } }),
      ]) },
    });
  });
});

describe('load balancer', () => {
  const { template } = byDefault;

  test('deletion protection outside development', () => {
    const attrs = (t: Template) => Object.fromEntries((resources(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0][1].Properties.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));
    expect(attrs(template)['deletion_protection.enabled']).toBe('true');
    expect(attrs(synth({ removalPolicy: RemovalPolicy.DESTROY }).template)['deletion_protection.enabled']).toBe('false');
  });

  test('drops invalid headers and logs access to an encrypted, TLS-only, versioned bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    const [[, lb]] = resources(template, 'AWS::ElasticLoadBalancingV2::LoadBalancer');
    const attrs = Object.fromEntries((lb.Properties.LoadBalancerAttributes as Array<{ Key: string; Value: unknown }>).map((a) => [a.Key, a.Value]));
    expect(attrs).toMatchObject({ 'routing.http.drop_invalid_header_fields.enabled': 'true', 'access_logs.s3.enabled': 'true' });
    expect(JSON.stringify(attrs['access_logs.s3.bucket'])).toMatch(/^\{"Ref":"WebLoadBalancerAccessLogs[0-9A-F]+"\}$/);
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    });
    const policy = JSON.stringify(resources(template, 'AWS::S3::BucketPolicy')[0][1].Properties.PolicyDocument);
    expect(policy).toContain('"aws:SecureTransport":"false"');
    expect(policy).toContain('logdelivery.elasticloadbalancing.amazonaws.com');
    expect(policy).toContain('WebTiersElbLogDelivery');
  });

  test('health check on the app health route; deregistration delay 30 s by default, as given otherwise', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      HealthCheckPath: '/health', Port: 8080, Matcher: { HttpCode: '200' },
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '30' }]),
      Targets: [{ Id: Match.anyValue(), Port: 8080 }, { Id: Match.anyValue(), Port: 8080 }],
    });
    full.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: '10' }]),
    });
  });

  test('HTTP only without a certificate; with one, HTTPS on 443 and HTTP redirects', () => {
    template.resourcePropertiesCountIs('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' }, 1);
    expect(byDefault.tier.url).toMatch(/^http:\/\//);
    full.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS', Certificates: [{ CertificateArn: CERT }], SslPolicy: Match.stringLikeRegexp('TLS13'),
    });
    full.template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) })],
    });
    expect(full.tier.url).toMatch(/^https:\/\//);
  });

  test('alarms on 5xx rate, p99 latency and unhealthy hosts notify the topic', () => {
    expect(byDefault.tier.alarms).toHaveLength(3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Metrics: Match.arrayWith([Match.objectLike({ Expression: Match.stringLikeRegexp('target5xx') })]), Threshold: 5 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2 });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'UnHealthyHostCount', AlarmActions: [{ Ref: Match.stringLikeRegexp('WebAlarmTopic') }] });
    full.template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
  });
});

describe('validation', () => {
  test.each<[string, (s: Stack) => Partial<LoadBalancedTierProps>, RegExp]>([
    ['no instances', () => ({ instanceCount: 0 }), /invalid instanceCount: got 0; accepted: an integer from 1 to 20/],
    ['too many instances', () => ({ instanceCount: 21 }), /invalid instanceCount: got 21/],
    ['bad instance type', () => ({ instanceType: new ec2.InstanceType('large') }), /invalid instanceType: got 'large'/],
    ['bad certificate ARN', (s) => ({ domain: { ...withDomain(s), certificate: acm.Certificate.fromCertificateArn(s, 'C', 'arn:aws:iam::123456789012:server-certificate/x') } }), /invalid domain\.certificate: got 'arn:aws:iam/],
    ['idle timeout over the limit', () => ({ loadBalancer: { idleTimeout: Duration.seconds(5000) } }), /invalid loadBalancer\.idleTimeout: got Duration\.seconds\(5000\); accepted: a Duration of whole seconds from 1 to 4000/],
    ['long deregistration delay', () => ({ loadBalancer: { deregistrationDelay: Duration.hours(2) } }), /invalid loadBalancer\.deregistrationDelay: got Duration\.hours\(2\); accepted: a Duration of whole seconds from 0 to 3600/],
    ['reserved variable', () => ({ environment: { DATABASE_URL: 'x' } }), /invalid environment: variable 'DATABASE_URL' is set by the tier/],
    ['a database in another VPC', (s) => {
      const other = new ec2.Vpc(s, 'Other');
      return { database: Database.fromAttributes(s, 'Db', { vpc: other, securityGroup: new ec2.SecurityGroup(s, 'Sg', { vpc: other }), secret: new secretsmanager.Secret(s, 'S') }) };
    }, /invalid database: got a database in VPC Test\/Other, a different VPC from 'network' \(Test\/Web\/Network\/Vpc\)/],
    ['a network in one zone', (s) => ({ network: new Network(s, 'One', { vpc: new ec2.Vpc(s, 'Small', { maxAzs: 1 }) }) }), /invalid network: spans 1 availability zone; accepted: app subnets in at least 2 zones/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    expect(() => synth(props(stack), stack)).toThrow(message);
  });

  test('an existing database in the same VPC is accepted, and admits the tier', () => {
    const stack = testStack();
    const network = new Network(stack, 'Net');
    const sg = new ec2.SecurityGroup(stack, 'DbSg', { vpc: network.vpc });
    const database = Database.fromAttributes(stack, 'Db', { vpc: network.vpc, securityGroup: sg, secret: new secretsmanager.Secret(stack, 'S'), port: 5433 });
    const { template } = synth({ network, database }, stack);
    template.resourceCountIs('AWS::RDS::DBInstance', 0);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', { FromPort: 5433, GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('DbSg'), 'GroupId'] } });
  });

  test('one instance works but warns of the single point of failure', () => {
    warnings.allow(SINGLE_INSTANCE_FLEET_WARNING);
    const stack = testStack();
    new LoadBalancedTier(stack, 'Web', { app: webApp, instanceCount: 1 });
    // Synthesized once (Template.fromStack reuses this synth): a second synth of the instances adds
    // aws-cdk-lib's RequireImdsv2Aspect warning about the launch template the first one made.
    Annotations.fromStack(stack).hasWarning('/Test/Web', Match.stringLikeRegexp('single point of failure'));
    Template.fromStack(stack).resourceCountIs('AWS::EC2::Instance', 1);
    expect(warnings.take()).toEqual([[SINGLE_INSTANCE_FLEET_WARNING, SinglePointOfFailure.NAT].sort()]);
    expect(SINGLE_INSTANCE_FLEET_WARNING).toMatch(/^cdk-web-tiers:/);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test.each(Object.values(Egress))('no unacknowledged finding with egress %s and HTTPS', (egress) => {
    const app = testApp();
    const stack = new Stack(app, 'Nag');
    new LoadBalancedTier(stack, 'Web', {
      app: webApp, network: new Network(stack, 'Net', { egress }), domain: withDomain(stack), removalPolicy: RemovalPolicy.DESTROY,
    });
    addNagChecks(app);
    expect(() => app.synth()).not.toThrow();
  });
});

describe('Deployment', () => {
  /** Each instance (by its position) and the positions of the instances it waits for. */
  function chain(t: Template): { waitsFor: number[]; timeout: string }[] {
    const instances = resources(t, 'AWS::EC2::Instance');
    const ids = instances.map(([id]) => id);
    return instances.map(([, r]) => ({
      waitsFor: ((r.DependsOn ?? []) as string[]).filter((d) => ids.includes(d)).map((d) => ids.indexOf(d) + 1).sort(),
      timeout: r.CreationPolicy.ResourceSignal.Timeout,
    }));
  }

  test('by default, and with rolling(), one instance at a time: each DependsOn the one before', () => {
    const expected = [{ waitsFor: [], timeout: 'PT15M' }, { waitsFor: [1], timeout: 'PT15M' }];
    expect(chain(byDefault.template)).toEqual(expected);
    expect(chain(synth({ deployment: Deployment.rolling() }).template)).toEqual(expected);
  });

  test('allAtOnce(): no chain, every instance created (or replaced) at once', () => {
    expect(chain(synth({ instanceCount: 3, deployment: Deployment.allAtOnce() }).template))
      .toEqual([1, 2, 3].map(() => ({ waitsFor: [], timeout: 'PT15M' })));
  });

  test('rolling({ batchPercent, timeout }): batches, each waiting for every instance of the one before', () => {
    const { template } = synth({ instanceCount: 5, deployment: Deployment.rolling({ batchPercent: 40, minHealthyPercent: 100, timeout: Duration.minutes(20) }) });
    expect(chain(template)).toEqual([
      { waitsFor: [], timeout: 'PT20M' }, { waitsFor: [], timeout: 'PT20M' },
      { waitsFor: [1, 2], timeout: 'PT20M' }, { waitsFor: [1, 2], timeout: 'PT20M' },
      { waitsFor: [3, 4], timeout: 'PT20M' },
    ]);
    expect(chain(synth({ instanceCount: 3, deployment: Deployment.rolling({ batchPercent: 100 }) }).template).every((i) => i.waitsFor.length === 0)).toBe(true);
  });

  test.each<[string, unknown, RegExp]>([
    ['canary', Deployment.canary({ percent: 10, bake: Duration.minutes(5) }),
      /Test\/Web: invalid deployment: Deployment\.canary\(\) is not possible on LoadBalancedTier: .*; accepted on LoadBalancedTier: Deployment\.allAtOnce\(\), or Deployment\.rolling\(/],
    ['a batch of 0 %', Deployment.rolling({ batchPercent: 0 }), /invalid deployment\.batchPercent: got 0 on LoadBalancedTier; accepted: an integer from 1 to 100 percent/],
    ['a timeout of 90 minutes', Deployment.rolling({ timeout: Duration.minutes(90) }), /invalid deployment\.timeout: got 90 minutes on LoadBalancedTier; accepted: whole minutes from 1 to 60/],
    ["another tier's deployment type", BeanstalkDeployment.immutable(), /invalid deployment: a BeanstalkDeployment is not possible on LoadBalancedTier; accepted on LoadBalancedTier: Deployment\.allAtOnce\(\)/],
  ])('%s fails at synth, naming deployment and the tier', (_name, deployment, message) => {
    expect(() => synth({ deployment: deployment as Deployment })).toThrow(message);
  });
});

describe('runtime checks at the boundary (from JavaScript, config files, other jsii languages)', () => {
  /** A deploy-time number, as a CfnParameter gives it. */
  const numberParam = (s: Stack, id = 'Param') => new CfnParameter(s, id, { type: 'Number' }).valueAsNumber;
  /** A stack in a known region: cross-region checks apply. */
  const inRegion = (region = 'eu-west-1', app = testApp(), id = 'Test') => new Stack(app, id, { env: { region } });
  const vpcIn = (s: Stack, id: string, vpcId: string, region?: string) => ec2.Vpc.fromVpcAttributes(s, id, {
    vpcId, region, availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    publicSubnetIds: ['pub-a', 'pub-b'], publicSubnetRouteTableIds: ['rt-pub-a', 'rt-pub-b'],
    privateSubnetIds: ['priv-a', 'priv-b'], privateSubnetRouteTableIds: ['rt-priv-a', 'rt-priv-b'],
  });
  const databaseIn = (s: Stack, vpc: ec2.IVpc, secretArn?: string) => Database.fromAttributes(s, 'ExistingDb', {
    vpc, securityGroup: ec2.SecurityGroup.fromSecurityGroupId(s, 'DbSg', 'sg-12345'),
    secret: secretArn ? secretsmanager.Secret.fromSecretCompleteArn(s, 'DbSecret', secretArn) : new secretsmanager.Secret(s, 'DbSecret'),
  });

  // Each: what a user might pass, and the message naming the prop, the value and what is accepted.
  test.each<[string, (s: Stack) => Record<string, unknown>, RegExp]>([
    ['instanceCount from a CfnParameter (gave zero instances)', (s) => ({ instanceCount: numberParam(s) }),
      /Test\/Web: invalid instanceCount: got a token \(the construct computes with this value, so it cannot be a deploy-time token\); accepted: an integer from 1 to 20, known at synth/],
    ['instanceCount as a string', () => ({ instanceCount: '2' }), /invalid instanceCount: got '2'; accepted: an integer from 1 to 20/],
    ['instanceCount NaN', () => ({ instanceCount: Number.NaN }), /invalid instanceCount: got NaN; accepted: an integer from 1 to 20/],
    ['a VPC where a Network is expected', (s) => ({ network: new ec2.Vpc(s, 'Vpc') }), /invalid network: got a Vpc\d* \(Test\/Vpc\); accepted: a Network: new Network\(scope, id\), or new Network\(scope, id, \{ vpc \}\)/],
    ['a plain object as network', () => ({ network: { vpc: 'vpc-1' } }), /invalid network: got an object \{vpc\}; accepted: a Network/],
    ['a plain object as database (was: reading \'vpcId\')', () => ({ database: {} }), /invalid database: got an object \{\}; accepted: an IAppDatabase: new Database\(scope, id, \{ network \}\) or Database\.fromAttributes/],
    ['a secret as database', (s) => ({ database: new secretsmanager.Secret(s, 'S') }), /invalid database: got a Secret\d* \(Test\/S\); accepted: an IAppDatabase/],
    ['an instance type EC2 does not have', () => ({ instanceType: 't4g.tiny' }), /invalid instanceType: got 't4g\.tiny'; accepted: an ec2\.InstanceType or its name 'family\.size'/],
    ['an instance type as a number', () => ({ instanceType: 42 }), /invalid instanceType: got 42; accepted: an ec2\.InstanceType/],
    ['an AMI id where an image is expected', () => ({ machineImage: 'ami-0123456789abcdef0' }), /invalid machineImage: got 'ami-0123456789abcdef0'; accepted: an ec2\.IMachineImage/],
    ['an x86_64 image with a Graviton instance type', () => ({ machineImage: ec2.MachineImage.latestAmazonLinux2023() }),
      /invalid machineImage: got an x86_64 image \('\/aws\/service\/ami-amazon-linux-latest\/al2023-ami-kernel-6\.1-x86_64'\), but instanceType 't4g\.small' is arm64; accepted: an arm64 image \(e\.g\. .*ARM_64/],
    ['an arm64 image with an x86 instance type given by name', () => ({ instanceType: 'c7i.large', machineImage: ec2.MachineImage.fromSsmParameter('/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id') }),
      /invalid machineImage: got an arm64 image .*, but instanceType 'c7i\.large' is x86_64; accepted: an x86_64 image/],
    ['loadBalancer as a string', () => ({ loadBalancer: 'fast' }), /invalid loadBalancer: got 'fast'; accepted: an object \{ deregistrationDelay\?, accessLogDays\?, idleTimeout\? \}/],
    ['a number of seconds where a Duration is expected (was: toSeconds is not a function)', () => ({ loadBalancer: { deregistrationDelay: 30 } }),
      /invalid loadBalancer\.deregistrationDelay: got 30; accepted: a Duration of whole seconds from 0 to 3600/],
    ['an idle timeout that is not whole seconds', () => ({ loadBalancer: { idleTimeout: Duration.millis(1500) } }),
      /invalid loadBalancer\.idleTimeout: got Duration\.millis\(1500\); accepted: a Duration of whole seconds from 1 to 4000/],
    ['an idle timeout from a CfnParameter (the app keep-alive is computed from it)', (s) => ({ loadBalancer: { idleTimeout: Duration.seconds(numberParam(s)) } }),
      /invalid loadBalancer\.idleTimeout: got a token Duration \(a deploy-time token: the construct computes with it\); accepted: a Duration of whole seconds from 1 to 4000/],
    ['a deploy-time deregistration delay in minutes (cannot be converted to seconds)', (s) => ({ loadBalancer: { deregistrationDelay: Duration.minutes(numberParam(s)) } }),
      /invalid loadBalancer\.deregistrationDelay: got a token Duration \(a deploy-time token in minutes, .*\); accepted: .*Duration\.seconds\(token\)/],
    ['access-log days as a string', () => ({ loadBalancer: { accessLogDays: '90' } }), /invalid loadBalancer\.accessLogDays: got '90'; accepted: an integer from 1 to 3650 days/],
    ['an empty object as deployment', () => ({ deployment: {} }), /invalid deployment: an object of another shape is not possible on LoadBalancedTier; accepted on LoadBalancedTier: Deployment\.allAtOnce\(\)/],
    ['a string as deployment', () => ({ deployment: 'rolling' }), /invalid deployment: "rolling" \(string\) is not possible on LoadBalancedTier/],
    ['a number as deployment', () => ({ deployment: 1 }), /invalid deployment: 1 \(number\) is not possible on LoadBalancedTier/],
    ['a deploy-time batchPercent (batches are computed from it)', (s) => ({ deployment: Deployment.rolling({ batchPercent: numberParam(s) }) }),
      /invalid deployment\.batchPercent: got a token \(the construct computes with this value, .*\); accepted: an integer from 1 to 100 percent, known at synth/],
    ['a number of minutes as the deploy timeout (was: toMinutes is not a function)', () => ({ deployment: Deployment.rolling({ timeout: 15 as never }) }),
      /invalid deployment\.timeout: got 15; accepted: a Duration of whole minutes from 1 to 60 \(e\.g\. Duration\.minutes\(15\)\), known at synth/],
    ['a deploy-time deploy timeout', (s) => ({ deployment: Deployment.rolling({ timeout: Duration.minutes(numberParam(s)) }) }),
      /invalid deployment\.timeout: got a token Duration; accepted: a Duration of whole minutes/],
    ['a string as app (a prop every tier shares)', () => ({ app: 'index.ts' }), /invalid app: got 'index\.ts'; accepted: a WebApp/],
  ])('%s', (_name, props, message) => {
    const stack = testStack();
    let error: unknown;
    try {
      new LoadBalancedTier(stack, 'Web', { app: webApp, ...props(stack) } as unknown as LoadBalancedTierProps);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebTiersValidationError);
    expect((error as Error).message).toMatch(message);
  });

  // What the ARNs, stacks and ids reveal at synth, checked when both sides are known.
  test.each<[string, (s: Stack) => Record<string, unknown>, RegExp]>([
    ['a certificate from another region', (s) => ({ domain: { ...withDomain(s), certificate: acm.Certificate.fromCertificateArn(s, 'East', CERT.replace('eu-west-1', 'us-east-1')) } }),
      /Test\/Web: invalid domain\.certificate: got the certificate 'arn:aws:acm:us-east-1:[^']+' in us-east-1, but the tier's stack is in eu-west-1; accepted: an ACM certificate of the load balancer's region .* in eu-west-1/],
    ['a certificate made in a stack of another region', (s) => {
      const east = new Stack(s.node.root as App, 'East', { env: { region: 'us-east-1' }, crossRegionReferences: true });
      const certificate = new acm.Certificate(east, 'Cert', { domainName: 'app.example.com' });
      return { domain: { ...withDomain(s), certificate } };
    }, /invalid domain\.certificate: got a certificate in us-east-1, but the tier's stack is in eu-west-1/],
    ['a network of a stack in another region', (s) => ({ network: new Network(new Stack(s.node.root as App, 'East', { env: { region: 'us-east-1' } }), 'Net') }),
      /invalid network: got a Network \(East\/Net\) in us-east-1, but the tier's stack is in eu-west-1; accepted: a Network whose VPC is in eu-west-1/],
    ['a network around a VPC imported from another region', (s) => ({ network: new Network(s, 'Net', { vpc: vpcIn(s, 'Vpc', 'vpc-111', 'us-east-1') }) }),
      /invalid network: got a Network \(Test\/Net\) in us-east-1/],
    ['a database in another VPC, by id', (s) => ({ network: new Network(s, 'Net', { vpc: vpcIn(s, 'Vpc', 'vpc-111') }), database: databaseIn(s, vpcIn(s, 'Other', 'vpc-222')) }),
      /invalid database: got a database in VPC 'vpc-222', a different VPC from 'network' \('vpc-111'\); accepted: a database in the network's VPC/],
    ['a database whose secret is in another region', (s) => {
      const vpc = vpcIn(s, 'Vpc', 'vpc-111');
      return { network: new Network(s, 'Net', { vpc }), database: databaseIn(s, vpc, 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf') };
    }, /invalid database: got a database in us-east-1, but the tier's stack is in eu-west-1; accepted: a database in eu-west-1/],
  ])('%s', (_name, props, message) => {
    const stack = inRegion();
    expect(() => new LoadBalancedTier(stack, 'Web', { app: webApp, ...props(stack) } as unknown as LoadBalancedTierProps)).toThrow(message);
  });

  describe('valid but unusual inputs still synthesize', () => {
    const imageParameter = (t: Template) => Object.values(t.toJSON().Parameters as Record<string, { Default?: string }>)
      .map((p) => p.Default).find((d) => d?.startsWith('/aws/service/ami-amazon-linux-latest/'));

    test.each([
      ['t4g.small', 'arm64'],
      ['c7i.large', 'x86_64'],
    ])('an instance type given by name, %s, gets the %s image', (name, architecture) => {
      const { template } = synth({ instanceType: name as never });
      template.hasResourceProperties('AWS::EC2::Instance', { InstanceType: name });
      expect(imageParameter(template)).toBe(`/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${architecture}`);
    });

    test('an image of the right architecture, or one that does not tell, is taken as given', () => {
      expect(() => synth({ machineImage: ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.ARM_64 }) })).not.toThrow();
      const { template } = synth({ machineImage: ec2.MachineImage.genericLinux({ 'eu-west-1': 'ami-0123456789abcdef0' }) }, inRegion());
      template.hasResourceProperties('AWS::EC2::Instance', { ImageId: 'ami-0123456789abcdef0' });
    });

    test('deploy-time tokens where the value only goes to CloudFormation: access-log days, a deregistration delay in seconds', () => {
      const stack = testStack();
      const days = numberParam(stack, 'Days');
      const delay = numberParam(stack, 'Delay');
      const { template } = synth({ loadBalancer: { accessLogDays: days, deregistrationDelay: Duration.seconds(delay) } }, stack);
      template.hasResourceProperties('AWS::S3::Bucket', {
        LifecycleConfiguration: { Rules: Match.arrayWith([Match.objectLike({ ExpirationInDays: { Ref: 'Days' } })]) },
      });
      template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
        TargetGroupAttributes: Match.arrayWith([{ Key: 'deregistration_delay.timeout_seconds', Value: { Ref: 'Delay' } }]),
      });
    });

    test('a certificate of the stack\'s region, or any region in a stack whose region is known only at deploy', () => {
      expect(() => { const s = inRegion(); synth({ domain: withDomain(s) }, s); }).not.toThrow();
      const s = testStack();
      expect(() => synth({ domain: { ...withDomain(s), certificate: acm.Certificate.fromCertificateArn(s, 'East', CERT.replace('eu-west-1', 'us-east-1')) } }, s)).not.toThrow();
    });

    test('a database in the same VPC imported twice, by the same literal id or the same deploy-time import', () => {
      const stack = inRegion();
      const network = new Network(stack, 'Net', { vpc: vpcIn(stack, 'Vpc', 'vpc-111') });
      expect(() => synth({ network, database: databaseIn(stack, vpcIn(stack, 'Again', 'vpc-111')) }, stack)).not.toThrow();
      // Two imports of one exported VPC id are two different tokens: only a deploy can tell, so it is not rejected.
      const other = testStack();
      const imported = (id: string) => vpcIn(other, id, Fn.importValue('SharedVpcId'));
      const net = new Network(other, 'Net', { vpc: imported('Vpc') });
      expect(() => synth({ network: net, database: databaseIn(other, imported('Again')) }, other)).not.toThrow();
    });

    test('null counts as not given (as jsii languages pass it)', () => {
      const { template } = synth({ instanceCount: null, loadBalancer: { idleTimeout: null }, machineImage: null, deployment: Deployment.rolling({ timeout: null as never }) } as never);
      template.resourceCountIs('AWS::EC2::Instance', 2);
    });
  });
});
