import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import type * as iam from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as route53 from 'aws-cdk-lib/aws-route53';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  AutoScalingTier, BeanstalkLoadBalancer, Deployment, LoadBalancedTier, ManagedAutoScalingTier, ManagedServerlessTier, ServerlessTier, SingleInstanceTier,
  SinglePointOfFailure, type IWebTier, type WebTierDomain, type WebTierProps,
} from '../constructs';
import { addEnvironmentStacks } from '../lib/app';
import { operatorOutputs } from '../lib/ops/outputs';
import { ENVIRONMENTS, PREVIEWS, TIERS, selectEnvironments, type EnvironmentConfig, type TierName } from '../lib/config';
import { StackExpiry } from '../constructs/shared/stack-expiry';
import { addNagChecks } from '../lib/nag';
import type { WebTiersStack } from '../lib/web-tiers-stack';
import { PROJECT_CONTEXT, testApp, webApp, snapshotOf } from './helpers';
import { compileWithJsii } from './jsii';
import { LAMBDA_NODE } from './runtime/processes';
import { captureSynthWarnings } from './synth-warnings';

// Tier 1 always warns of its one instance; tiers 2-4 with a default network of its NAT gateway.
const warnings = captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT);

describe('the repo app', () => {
  test('synthesizes every environment offline, passing the CloudFormation validator and AwsSolutions', () => {
    const previous = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION; // the one synth in the suite with the bundled validator on
    try {
      const app = testApp();
      const stacks = addEnvironmentStacks(app, ENVIRONMENTS, webApp);
      addNagChecks(app);
      const assembly = app.synth();
      expect(stacks.map((s) => s.stackName)).toEqual(['WebTiers-dev', 'WebTiers-staging', 'WebTiers-prod']);
      expect(assembly.stacks).toHaveLength(3);
      // Environment-agnostic: nothing to look up, no account or region baked in.
      expect(assembly.manifest.missing).toBeUndefined();
      for (const stack of assembly.stacks) expect(stack.environment.account).toBe('unknown-account');
      // What `cdk synth` prints: nothing, every environment acknowledges the risks it takes.
      expect(warnings.take()).toEqual([]);
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
  });

  test('run the way the CDK CLI runs it, the app writes exactly its own stacks into the output folder', () => {
    // The CLI runs bin/app.ts with CDK_OUTDIR set, and every App made in that process then
    // synthesizes itself at exit: a throwaway App (as logical-id probes use) must not overwrite a stack.
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-cli-run-'));
    const run = spawnSync(process.execPath, [require.resolve('tsx/cli'), 'bin/app.ts'], {
      cwd: path.join(__dirname, '..'), encoding: 'utf8',
      env: { ...process.env, CDK_OUTDIR: outdir, CDK_CONTEXT_JSON: JSON.stringify({ ...PROJECT_CONTEXT, env: 'dev' }), CDK_VALIDATION: 'false' },
    });
    expect(run.status).toBe(0);
    // dev acknowledges the single points of failure it accepts: its synth prints nothing.
    expect(run.stderr).toBe('');
    const templates = fs.readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
    expect(templates).toEqual(['WebTiers-dev.template.json']);
    const types = Object.values(JSON.parse(fs.readFileSync(path.join(outdir, templates[0]), 'utf8')).Resources as Record<string, { Type: string }>)
      .map((r) => r.Type);
    expect(types).toContain('AWS::AutoScaling::AutoScalingGroup');
    expect(types.filter((t) => !t.startsWith('AWS::') && !t.startsWith('Custom::'))).toEqual([]);
    fs.rmSync(outdir, { recursive: true, force: true });
  });

  test('dev and staging acknowledge the single points of failure they accept; prod has none', () => {
    const warned = (environments: Record<string, EnvironmentConfig>) => {
      const app = testApp();
      const stacks = addEnvironmentStacks(app, environments, webApp);
      const assembly = app.synth();
      return Object.fromEntries(stacks.map((s) => [s.stackName, assembly.getStackArtifact(s.artifactId).messages
        .filter((m) => m.level === 'warning').map((m) => `${m.id} ${/\[ack: ([^\]]+)\]/.exec(String(m.entry.data))?.[1]}`)]));
    };
    expect(warned(ENVIRONMENTS)).toEqual({
      'WebTiers-dev': [],
      'WebTiers-staging': [],
      'WebTiers-prod': [],
    });
    expect(Object.keys(ENVIRONMENTS.dev.acknowledge ?? {}).sort())
      .toEqual([SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT, SinglePointOfFailure.SINGLE_AZ_DATABASE].sort());
    // Without its acknowledgements, dev warns of its one instance.
    expect(warned({ dev: { ...ENVIRONMENTS.dev, acknowledge: undefined } }))
      .toEqual({ 'WebTiers-dev': [`/WebTiers-dev/Web ${SinglePointOfFailure.SINGLE_INSTANCE}`] });
    // Without its acknowledgement, staging warns of its one NAT gateway.
    expect(warned({ staging: { ...ENVIRONMENTS.staging, acknowledge: undefined } }))
      .toEqual({ 'WebTiers-staging': [`/WebTiers-staging/Network ${SinglePointOfFailure.NAT}`] });
    // Acknowledged on the stack, whatever tier it runs: on tier 2, neither its NAT instance nor its single-AZ database warns.
    // (Without its budget, which tier 2's load balancer and database would exceed.)
    expect(warned({ dev: { ...ENVIRONMENTS.dev, tier: 'load-balanced', capacity: { min: 2, max: 2 }, budget: undefined } })).toEqual({ 'WebTiers-dev': [] });
    expect(warnings.take()).toEqual([[SinglePointOfFailure.SINGLE_INSTANCE], [SinglePointOfFailure.NAT]]);
  });

  test('an environment\'s database can be Aurora Serverless v2: one line of its config', () => {
    const [stack] = addEnvironmentStacks(testApp(), {
      // Without its budget, which two always-on readers of 0.5 ACU or more would exceed.
      staging: { ...ENVIRONMENTS.staging, database: { serverless: { minCapacity: 0.5, maxCapacity: 4 } }, budget: undefined },
    }, webApp);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::RDS::DBCluster', { Engine: 'aurora-postgresql', ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 4 } });
    expect(Object.values<any>(template.findResources('AWS::RDS::DBInstance')).map((r) => r.Properties.DBInstanceClass)).toEqual(['db.serverless', 'db.serverless']);
    expect(() => addEnvironmentStacks(testApp(), { staging: { ...ENVIRONMENTS.staging, database: { serverless: {}, instanceType: 't4g.micro' } } }, webApp))
      .toThrow(/WebTiers-staging\/Database: invalid instanceType: applies to RDS instances, not to Aurora Serverless/);
    // The stateful guard of a non-dev stack passes: the cluster keeps its data; its members hold none of their own.
    template.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Snapshot', Properties: Match.objectLike({ DeletionProtection: true }) });
  });

  test('-c env=prod builds only prod', () => {
    const stacks = addEnvironmentStacks(testApp({ env: 'prod' }), ENVIRONMENTS, webApp);
    expect(stacks.map((s) => s.stackName)).toEqual(['WebTiers-prod']);
  });

  test('an unknown environment is an error listing the known ones', () => {
    expect(() => addEnvironmentStacks(testApp({ env: 'qa' }), ENVIRONMENTS, webApp))
      .toThrow(/invalid env: unknown environment 'qa'; known environments: dev, staging, prod/);
    expect(() => selectEnvironments('qa')).toThrow(/dev, staging, prod/);
  });

  describe('previews: -c env=pr-42 or dev-alice, made from dev', () => {
    const [pr] = addEnvironmentStacks(testApp({ env: 'pr-42', previewNow: '2026-12-01T06:00:00Z' }), ENVIRONMENTS, webApp);
    const template = Template.fromStack(pr);

    test('a stack of its own, on the cheapest tier that keeps dev\'s PostgreSQL, its data destroyed with it, tagged', () => {
      expect([pr.stackName, pr.terminationProtection]).toEqual(['WebTiers-pr-42', false]);
      template.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1);
      template.resourceCountIs('AWS::RDS::DBInstance', 0);
      template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 't4g.micro' }) });
      template.hasResource('AWS::EC2::Volume', { DeletionPolicy: 'Delete' });
      template.hasResourceProperties('AWS::EC2::Volume', { Tags: Match.arrayWith([{ Key: 'web-tiers:preview-of', Value: 'dev' }, { Key: 'web-tiers:stage', Value: 'pr-42' }]) });
    });

    test('it deletes itself 3 days after its last deploy: a one-time schedule calling DeleteStack on this stack only', () => {
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'at(2026-12-04T06:00:00)', ScheduleExpressionTimezone: 'UTC', FlexibleTimeWindow: { Mode: 'OFF' },
        Target: Match.objectLike({ Arn: 'arn:aws:scheduler:::aws-sdk:cloudformation:deleteStack', Input: '{"StackName":"WebTiers-pr-42"}' }),
      });
      const [role] = Object.values<any>(template.findResources('AWS::IAM::Role')).filter((r) => /Deletes WebTiers-pr-42/.test(r.Properties.Description));
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([expect.objectContaining({
        Principal: { Service: 'scheduler.amazonaws.com' }, Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      })]);
      expect(role.Properties.Policies).toEqual([{ PolicyName: 'DeleteThisStack', PolicyDocument: expect.objectContaining({ Statement: [{
        Action: 'cloudformation:DeleteStack', Effect: 'Allow',
        Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':stack/WebTiers-pr-42/*']] },
      }] }) }]);
      expect(template.toJSON().Outputs.ExpiresAt.Value).toBe('2026-12-04T06:00:00.000Z');
    });

    test('its cost is capped: an AWS budget of $20, and synth fails when the estimate is above the ceiling', () => {
      template.hasResourceProperties('AWS::Budgets::Budget', { Budget: Match.objectLike({ BudgetLimit: { Amount: 20, Unit: 'USD' } }) });
      const app = testApp({ env: 'pr-7' });
      addEnvironmentStacks(app, ENVIRONMENTS, webApp, { ...PREVIEWS, budget: 2 });
      expect(() => app.synth()).toThrow(/WebTiers-pr-7: the estimate is \$[\d.]+ a month, above the budget of \$2\.00/);
    });

    test('a person\'s copy (dev-alice) is a preview name too; names that match no pattern fail with the patterns', () => {
      expect(selectEnvironments('dev-alice', ENVIRONMENTS, PREVIEWS)).toEqual(['dev-alice']);
      expect(selectEnvironments('pr-123456', ENVIRONMENTS, PREVIEWS)).toEqual(['pr-123456']);
      for (const name of ['qa', 'pr-', 'pr-0', 'dev-Alice', 'prod-x']) {
        expect(() => selectEnvironments(name, ENVIRONMENTS, PREVIEWS))
          .toThrow(`unknown environment '${name}'; known environments: dev, staging, prod; previews: pr-<number> (a pull request) or dev-<name> (lowercase letters and digits, up to 20)`);
      }
    });

    test('StackExpiry refuses an age under an hour and a termination-protected stack', () => {
      expect(() => new StackExpiry(new Stack(testApp(), 'Short'), 'Expiry', { after: Duration.minutes(10) })).toThrow(/invalid after: .*accepted: .*3600/);
      expect(() => new StackExpiry(new Stack(testApp(), 'Kept', { terminationProtection: true }), 'Expiry', { after: Duration.days(1) }))
        .toThrow(/Kept\/Expiry: invalid after: applies to a stack without termination protection/);
    });
  });

  test('per-environment templates (for review in pull requests)', () => {
    const app = testApp();
    for (const stack of addEnvironmentStacks(app, ENVIRONMENTS, webApp)) {
      expect(snapshotOf(Template.fromStack(stack))).toMatchSnapshot(stack.stackName);
    }
  });

  test('data is destroyed only in dev; other stacks are termination-protected and keep it', () => {
    const app = testApp();
    const [dev, staging, prod] = addEnvironmentStacks(app, ENVIRONMENTS, webApp);
    Template.fromStack(dev).hasResource('AWS::EC2::Volume', { DeletionPolicy: 'Delete' });
    Template.fromStack(staging).hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Snapshot', Properties: Match.objectLike({ DeletionProtection: true }) });
    Template.fromStack(prod).hasResource('AWS::RDS::DBInstance', { DeletionPolicy: 'Retain', Properties: Match.objectLike({ DeletionProtection: true }) });
    expect([dev, staging, prod].map((s) => s.terminationProtection)).toEqual([false, true, true]);
  });

  test('config flows into the tier: sizes, capacity, scaling, egress, database, retention, outputs', () => {
    const [prod] = addEnvironmentStacks(testApp({ env: 'prod' }), ENVIRONMENTS, webApp);
    const template = Template.fromStack(prod);
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: Match.objectLike({ InstanceType: 't4g.medium' }) });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '6' });
    template.resourceCountIs('AWS::AutoScaling::ScalingPolicy', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: true, DBInstanceClass: 'db.t4g.medium', BackupRetentionPeriod: 30 });
    template.resourceCountIs('AWS::SecretsManager::RotationSchedule', 1);
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 180 });
    expect(Object.keys(template.toJSON().Outputs)).toEqual(expect.arrayContaining(['Url', 'LoadBalancerDns', 'DatabaseSecretArn']));
    const [staging] = addEnvironmentStacks(testApp({ env: 'staging' }), ENVIRONMENTS, webApp);
    Template.fromStack(staging).resourceCountIs('AWS::EC2::Instance', 2);
  });

  test('moving an environment between any tiers is a change of the tier line only', () => {
    const expected: Record<TierName, (t: Template) => void> = {
      'single-instance': (t) => { t.resourceCountIs('AWS::EC2::Instance', 0); t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1); t.resourceCountIs('AWS::EC2::Volume', 1); t.resourceCountIs('AWS::RDS::DBInstance', 0); },
      'load-balanced': (t) => { t.resourceCountIs('AWS::EC2::Instance', 2); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0); },
      'auto-scaling': (t) => { t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::EC2::Instance', 0); },
      'managed-auto-scaling': (t) => { t.resourceCountIs('AWS::ElasticBeanstalk::Environment', 1); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0); },
      'serverless': (t) => { t.resourceCountIs('AWS::ApiGatewayV2::Api', 1); t.resourceCountIs('AWS::Lambda::Alias', 1); t.resourceCountIs('AWS::RDS::DBProxy', 1); t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0); },
      'managed-serverless': (t) => { t.resourceCountIs('AWS::CloudFront::Distribution', 1); t.resourceCountIs('AWS::Lambda::Url', 1); t.resourceCountIs('AWS::RDS::DBProxy', 1); t.resourceCountIs('AWS::DynamoDB::GlobalTable', 0); },
    };
    // Tiers 2-6 keep the data in one database, at one logical id: a move between them leaves it where it is.
    const databaseIds = new Set<string>();
    // With the bundled CloudFormation validator on, so every tier's template is checked by it once.
    const previous = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    try {
      for (const tier of TIERS) {
        const [stack] = addEnvironmentStacks(testApp(), { prod: { ...ENVIRONMENTS.prod, tier } }, webApp) as WebTiersStack[];
        // Code written against IWebTier works on every tier: a grant reaches what the app runs as.
        const shared = new s3.Bucket(stack, 'Shared', { removalPolicy: RemovalPolicy.RETAIN });
        shared.grantRead(stack.tier);
        const template = Template.fromStack(stack);
        expected[tier](template);
        if (tier !== 'single-instance') Object.keys(template.findResources('AWS::RDS::DBInstance')).forEach((id) => databaseIds.add(id));
        // The outputs come from the tier, written by one loop: the URL and what the tier names.
        expect(Object.keys(template.toJSON().Outputs).sort()).toEqual(['Url', ...Object.keys(stack.tier.outputs), ...Object.keys(operatorOutputs(stack, stack.tier, webApp))].sort());
        expect(stack.tier.alarms.length).toBeGreaterThan(0);
        expect(stack.tier.appLogGroups.length).toBeGreaterThan(0);
        // Tiers in a VPC are IConnectable too.
        expect('connections' in stack.tier).toBe(tier !== 'serverless' && tier !== 'managed-serverless');
        const granted = Object.values(template.findResources('AWS::IAM::Policy'))
          .filter((p) => /"Shared[0-9A-F]{8}"/.test(JSON.stringify(p.Properties.PolicyDocument)));
        expect(granted).toHaveLength(1);
        expect(stack.resolve(granted[0].Properties.Roles)).toEqual([stack.resolve((stack.tier.grantPrincipal as iam.Role).roleName)]);
      }
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
    expect([...databaseIds]).toEqual([expect.stringMatching(/^DatabaseInstance[0-9A-F]{8}$/)]);
  });

  test('hybrid: the lambda bundle on the same database takes its weight of the matching requests at the load balancer', () => {
    const [stack] = addEnvironmentStacks(testApp(), { prod: { ...ENVIRONMENTS.prod, hybrid: { paths: ['/api/*'], weight: 10 } } }, webApp);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } }],
      Actions: [{ Type: 'forward', ForwardConfig: { TargetGroups: [
        { TargetGroupArn: { Ref: Match.stringLikeRegexp('^WebLoadBalancerTargets') }, Weight: 90 },
        { TargetGroupArn: { Ref: Match.stringLikeRegexp('^RouterLambdaTargets') }, Weight: 10 },
      ] } }],
    });
    // The function is the app's, on the tier's database through its proxy, in the app subnets.
    const [, fn] = Object.entries<any>(template.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('HybridFunction'))!;
    expect(fn.Properties.Environment.Variables).toMatchObject({ WEB_TIERS_DATABASE_AUTH: 'iam', DATABASE_URL: { 'Fn::Join': ['', ['postgresql://webapp@', { 'Fn::GetAtt': [expect.stringMatching(/^DatabaseProxy/), 'Endpoint'] }, expect.any(String)]] } });
    template.resourceCountIs('AWS::RDS::DBInstance', 1);
    // The function's own alarms roll the router back as well as the router's.
    const pattern = Object.values<any>(template.findResources('AWS::Events::Rule'))[0].Properties.EventPattern;
    expect(JSON.stringify(pattern.resources)).toMatch(/HybridErrorsAlarm.*HybridLatencyAlarm/);
  });

  test("store 'dynamodb': the serverless tiers' table instead of the database, and no network", () => {
    for (const tier of ['serverless', 'managed-serverless'] as const) {
      const [stack] = addEnvironmentStacks(testApp(), { prod: { ...ENVIRONMENTS.prod, tier, store: 'dynamodb' } }, webApp);
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::DynamoDB::GlobalTable', 1);
      template.resourceCountIs('AWS::RDS::DBInstance', 0);
      template.resourceCountIs('AWS::EC2::VPC', 0);
      expect(Object.keys(template.toJSON().Outputs)).toContain('TableName');
    }
  });

  describe('config validation names the setting', () => {
    const base: EnvironmentConfig = { tier: 'single-instance', retention: { data: 'retain', logs: RetentionDays.ONE_WEEK, backupDays: 7 } };
    test.each<[string, Partial<EnvironmentConfig>, RegExp]>([
      ['account without region and zones', { account: '123456789012' }, /environments\.x\.account: give account, region and availabilityZones together/],
      ['bad account', { account: '12', region: 'eu-west-1', availabilityZones: ['eu-west-1a'] }, /environments\.x\.account: got '12'/],
      ['bad region', { account: '123456789012', region: 'moon-1', availabilityZones: ['moon-1a'] }, /environments\.x\.region: got 'moon-1'/],
      ['zone of another region', { account: '123456789012', region: 'eu-west-1', availabilityZones: ['us-east-1a'] }, /environments\.x\.availabilityZones: got 'us-east-1a'/],
      ['destroy outside dev', { retention: { data: 'destroy', logs: RetentionDays.ONE_WEEK, backupDays: 7 } }, /environments\.x\.retention\.data: 'destroy' loses data/],
      ['unknown tier', { tier: 'mainframe' as never }, /environments\.x\.tier: got 'mainframe'; accepted: single-instance, load-balanced, auto-scaling, managed-auto-scaling, serverless, managed-serverless/],
      ['acknowledge of an unknown id', { acknowledge: { 'cdk-web-tiers:singlePointOfFailure:natGateway': 'one is enough' } },
        /invalid environments\.x\.acknowledge: got 'cdk-web-tiers:singlePointOfFailure:natGateway'; accepted: the ids of SinglePointOfFailure \(cdk-web-tiers:singlePointOfFailure, /],
      ['an unknown store', { tier: 'serverless', store: 'mysql' as never }, /environments\.x\.store: got "mysql"; accepted: 'postgresql' or 'dynamodb'/],
      ['dynamodb on a server tier', { tier: 'auto-scaling', store: 'dynamodb' }, /environments\.x\.store: 'dynamodb' is for the serverless tiers, and auto-scaling keeps its data in PostgreSQL/],
      ['hybrid on a tier without a load balancer of its own', { tier: 'serverless', hybrid: { weight: 10 } }, /environments\.x\.hybrid: applies to the load-balanced and auto-scaling tiers/],
      ['a hybrid weight above 100', { tier: 'auto-scaling', hybrid: { weight: 150 } }, /environments\.x\.hybrid\.weight: got 150; accepted: an integer from 0 to 100/],
      ['acknowledge without a reason', { acknowledge: { [SinglePointOfFailure.NAT]: ' ' } },
        /invalid environments\.x\.acknowledge: 'cdk-web-tiers:singlePointOfFailure:nat' has no reason/],
    ])('%s', (_name, override, message) => {
      expect(() => addEnvironmentStacks(testApp(), { x: { ...base, ...override } }, webApp)).toThrow(message);
    });

    test('explicit account, region and zones make an environment-specific stack without lookups', () => {
      const app = testApp();
      const [stack] = addEnvironmentStacks(app, {
        x: { ...base, account: '123456789012', region: 'eu-west-1', availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
      }, webApp);
      const assembly = app.synth();
      expect(assembly.manifest.missing).toBeUndefined();
      expect(stack.region).toBe('eu-west-1');
      Template.fromStack(stack).hasResourceProperties('AWS::EC2::Volume', { AvailabilityZone: 'eu-west-1a' });
    });
  });
});

describe('domain: every tier creates the record and answers on https://<domain>, or synth names the missing piece', () => {
  const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
  const EDGE_CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
  type Domain = NonNullable<EnvironmentConfig['domain']>;
  const ZONE = { hostedZoneId: 'Z0123456789ABCDEFGHIJ', hostedZoneName: 'example.com' };
  const domainFor: Record<TierName, Domain> = {
    'single-instance': { name: 'app.example.com', ...ZONE },
    'load-balanced': { name: 'app.example.com', certificateArn: CERT, ...ZONE },
    'auto-scaling': { name: 'app.example.com', certificateArn: CERT, ...ZONE },
    'managed-auto-scaling': { name: 'app.example.com', certificateArn: CERT, ...ZONE },
    'serverless': { name: 'app.example.com', certificateArn: CERT, ...ZONE },
    'managed-serverless': { name: 'app.example.com', certificateArn: EDGE_CERT, ...ZONE },
  };
  const stackWith = (tier: TierName, domain: Domain) =>
    addEnvironmentStacks(testApp(), { x: { ...ENVIRONMENTS.prod, tier, domain } }, webApp)[0];
  const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^${id}`), attribute] });
  const record = (type: string, props: Record<string, unknown>) =>
    ({ Name: 'app.example.com.', Type: type, HostedZoneId: ZONE.hostedZoneId, ...props });

  /** What each tier's record looks like, and the logical id prefixes of the records (the tier's own). */
  const expected: Record<TierName, { url: string; records: Array<[string, string, Record<string, unknown>]> }> = {
    'single-instance': { url: 'https://app.example.com', records: [['WebDnsRecord', 'A', { ResourceRecords: [{ Ref: Match.stringLikeRegexp('ElasticIp') }] }]] },
    // The load-balanced tiers' record keeps the logical id it had when the stack created it.
    'load-balanced': { url: 'https://app.example.com', records: [['DnsRecord68F7FB14', 'A', { AliasTarget: Match.objectLike({ HostedZoneId: getAtt('WebLoadBalancerLB', 'CanonicalHostedZoneID') }) }]] },
    'auto-scaling': { url: 'https://app.example.com', records: [['DnsRecord68F7FB14', 'A', { AliasTarget: Match.objectLike({ HostedZoneId: getAtt('WebLoadBalancerLB', 'CanonicalHostedZoneID') }) }]] },
    'managed-auto-scaling': { url: 'https://app.example.com', records: [['WebDnsRecord', 'CNAME', { ResourceRecords: [getAtt('WebEnvironment', 'EndpointURL')], TTL: '300' }]] },
    'serverless': { url: 'https://app.example.com/', records: [['WebDnsRecord', 'A', { AliasTarget: { DNSName: getAtt('WebDomain', 'RegionalDomainName'), HostedZoneId: getAtt('WebDomain', 'RegionalHostedZoneId') } }]] },
    'managed-serverless': {
      url: 'https://app.example.com/',
      records: [
        ['WebDnsRecord', 'A', { AliasTarget: Match.objectLike({ DNSName: getAtt('WebCdn', 'DomainName') }) }],
        ['WebDnsRecordIpv6', 'AAAA', { AliasTarget: Match.objectLike({ DNSName: getAtt('WebCdn', 'DomainName') }) }],
      ],
    },
  };

  test.each(TIERS)('%s: its record in the zone, and Url https://<domain>', (tier) => {
    const template = Template.fromStack(stackWith(tier, domainFor[tier]));
    const { url, records } = expected[tier];
    const found = template.findResources('AWS::Route53::RecordSet');
    expect(Object.keys(found)).toHaveLength(records.length);
    for (const [id, type, props] of records) {
      const matching = template.findResources('AWS::Route53::RecordSet', { Properties: record(type, props) });
      expect(Object.keys(matching)).toEqual([expect.stringMatching(new RegExp(`^${id}(?:[0-9A-F]{8})?$`))]);
    }
    expect(template.toJSON().Outputs.Url.Value).toBe(url);
  });

  test.each<[string, TierName, Partial<Domain>, RegExp]>([
    ['no hosted zone', 'auto-scaling', { hostedZoneId: undefined }, /invalid environments\.x\.domain\.hostedZoneId: is required: the auto-scaling tier creates the record of 'app\.example\.com' in it/],
    ['no hosted zone on single-instance', 'single-instance', { hostedZoneId: undefined }, /invalid environments\.x\.domain\.hostedZoneId: is required/],
    ['no hosted zone on managed-serverless', 'managed-serverless', { hostedZoneId: undefined }, /invalid environments\.x\.domain\.hostedZoneId: is required/],
    ['no certificate on managed-serverless outside us-east-1', 'managed-serverless', { certificateArn: undefined }, /invalid environments\.x\.domain\.certificateArn: is required on managed-serverless outside us-east-1/],
    ['a certificate on single-instance', 'single-instance', { certificateArn: CERT }, /invalid environments\.x\.domain\.certificateArn: is not used by single-instance, which gets its certificate from Let's Encrypt/],
    ['no zone name on managed-auto-scaling', 'managed-auto-scaling', { hostedZoneName: undefined }, /invalid environments\.x\.domain\.hostedZoneName: is required on managed-auto-scaling: its record is a CNAME/],
    ['the zone apex on managed-auto-scaling', 'managed-auto-scaling', { name: 'example.com' }, /invalid environments\.x\.domain\.name: 'example\.com' is the apex of its hosted zone/],
    ['a name outside the zone', 'serverless', { name: 'app.example.org' }, /invalid environments\.x\.domain\.name: 'app\.example\.org' is not in hosted zone 'example\.com'/],
  ])('config: %s', (_name, tier, override, message) => {
    expect(() => stackWith(tier, { ...domainFor[tier], ...override })).toThrow(message);
  });

  test.each(['load-balanced', 'auto-scaling', 'managed-auto-scaling', 'serverless'] as TierName[])(
    '%s without a certificate: the tier creates one, validated in the zone', (tier) => {
      const template = Template.fromStack(stackWith(tier, { ...domainFor[tier], certificateArn: undefined }));
      template.hasResourceProperties('AWS::CertificateManager::Certificate', {
        DomainName: 'app.example.com', ValidationMethod: 'DNS',
        DomainValidationOptions: [{ DomainName: 'app.example.com', HostedZoneId: ZONE.hostedZoneId }],
      });
    });

  const zone = (s: Stack) => route53.HostedZone.fromHostedZoneAttributes(s, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
  const cert = (s: Stack, arn = CERT) => acm.Certificate.fromCertificateArn(s, 'Cert', arn);
  const noZone = undefined as never;
  test.each<[string, (s: Stack) => void, RegExp]>([
    ...([
      ['single-instance', (s: Stack, domain: WebTierDomain) => new SingleInstanceTier(s, 'Web', { app: webApp, domain })],
      ['load-balanced', (s: Stack, domain: WebTierDomain) => new LoadBalancedTier(s, 'Web', { app: webApp, domain })],
      ['auto-scaling', (s: Stack, domain: WebTierDomain) => new AutoScalingTier(s, 'Web', { app: webApp, domain })],
      ['managed-auto-scaling', (s: Stack, domain: WebTierDomain) => new ManagedAutoScalingTier(s, 'Web', { app: webApp, domain })],
      ['serverless', (s: Stack, domain: WebTierDomain) => new ServerlessTier(s, 'Web', { app: webApp, domain })],
      ['managed-serverless', (s: Stack, domain: WebTierDomain) => new ManagedServerlessTier(s, 'Web', { app: webApp, domain })],
    ] as const).flatMap(([tier, build]): Array<[string, (s: Stack) => void, RegExp]> => [
      [`${tier}: a domain without its zone`, (s) => build(s, { domainName: 'app.example.com', domainZone: noZone }),
        /Test\/Web: invalid domain\.domainZone: is required; accepted: the Route 53 hosted zone the record is created in/],
      [`${tier}: a domain outside its zone`, (s) => build(s, { domainName: 'app.example.org', domainZone: zone(s) }),
        /invalid domain\.domainName: 'app\.example\.org' is not in hosted zone 'example\.com'; accepted: 'example\.com' or a name ending in '\.example\.com'/],
      [`${tier}: a malformed domain`, (s) => build(s, { domainName: 'App.Example.com', domainZone: zone(s) }),
        /invalid domain\.domainName: got 'App\.Example\.com'/],
    ]),
    ['single-instance: a certificate', (s) => new SingleInstanceTier(s, 'Web', { app: webApp, domain: { domainName: 'app.example.com', domainZone: zone(s), certificate: cert(s) } }),
      /invalid domain\.certificate: is not accepted: SingleInstanceTier gets its certificate from Let's Encrypt/],
    ['load-balanced: a certificate ARN that is not ACM\'s', (s) => new LoadBalancedTier(s, 'Web', { app: webApp, domain: { domainName: 'app.example.com', domainZone: zone(s), certificate: cert(s, 'arn:aws:iam::123456789012:server-certificate/x') } }),
      /invalid domain\.certificate: got 'arn:aws:iam::123456789012:server-certificate\/x'; accepted: an ACM certificate ARN/],
    ['managed-auto-scaling: the zone apex', (s) => new ManagedAutoScalingTier(s, 'Web', { app: webApp, domain: { domainName: 'example.com', domainZone: zone(s) } }),
      /invalid domain\.domainName: 'example\.com' is the apex of its hosted zone, where a CNAME record cannot be; accepted: a subdomain such as 'app\.example\.com'/],
    ['managed-auto-scaling: a domain without a load balancer of its own', (s) => new ManagedAutoScalingTier(s, 'Web', {
      app: webApp, domain: { domainName: 'app.example.com', domainZone: zone(s) }, loadBalancer: BeanstalkLoadBalancer.none(), scaling: { max: 1 },
    }), /invalid domain: needs the environment's own load balancer for HTTPS; got loadBalancer BeanstalkLoadBalancer\.none\(\)/],
    // Props that moved in this release, given the old way (as JavaScript can): an error, not a dropped setting.
    ['load-balanced: the old loadBalancer.certificate', (s) => new LoadBalancedTier(s, 'Web', { app: webApp, loadBalancer: { certificate: cert(s) } as never }),
      /invalid loadBalancer\.certificate: is no longer accepted; accepted instead: domain\.certificate/],
    ['single-instance: the old https', (s) => new SingleInstanceTier(s, 'Web', { app: webApp, https: { domainName: 'app.example.com' } } as never),
      /invalid https: is no longer accepted; accepted instead: domain: \{ domainName, domainZone \} and certificateEmail/],
    ['serverless: the old domain.hostedZone', (s) => new ServerlessTier(s, 'Web', { app: webApp, domain: { domainName: 'app.example.com', hostedZone: zone(s) } as never }),
      /invalid domain\.hostedZone: is no longer accepted; accepted instead: domain\.domainZone/],
    ['managed-auto-scaling: the old dedicated({ certificate })', (s) => new ManagedAutoScalingTier(s, 'Web', {
      app: webApp, loadBalancer: (BeanstalkLoadBalancer.dedicated as (o: unknown) => BeanstalkLoadBalancer)({ certificate: cert(s) }),
    }), /invalid loadBalancer: BeanstalkLoadBalancer\.dedicated\(\) takes no options/],
    ['managed-serverless: no certificate outside us-east-1', (s) => new ManagedServerlessTier(s, 'Web', { app: webApp, domain: { domainName: 'app.example.com', domainZone: zone(s) } }),
      /invalid domain\.certificate/],
  ])('construct: %s', (_name, build, message) => {
    expect(() => build(new Stack(testApp(), 'Test'))).toThrow(message);
  });
});

describe('one tier surface', () => {
  test('the construct library compiles with jsii: 0 errors, 0 warnings', () => {
    const result = compileWithJsii(LAMBDA_NODE);
    const diagnostics = result.output.split('\n').filter((l) => / - (error|warning) |^(error|warning) /.test(l)).join('\n');
    expect({ errors: result.errors, warnings: result.warnings, diagnostics }).toEqual({ errors: 0, warnings: 0, diagnostics: '' });
  });

  test('the package entry exports the public API, not internal helpers or this repo\'s environments', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const entry = Object.keys(require('../lib') as object).sort();
    expect(entry).toEqual([
      'APP_PORT', 'AURORA_POSTGRES_VERSION', 'AutoScalingTier', 'BatchSize', 'BeanstalkDeployment', 'BeanstalkLoadBalancer', 'CostBudget', 'Database', 'DatabaseEngine', 'Deployment',
      'DeploymentStrategy', 'Egress', 'HybridRouter', 'LAMBDA_RUNTIME', 'LoadBalancedTier', 'ManagedAutoScalingTier', 'ManagedServerlessTier',
      'Network', 'NodePlatform', 'POSTGRES_MAJOR', 'POSTGRES_VERSION', 'SINGLE_INSTANCE_FLEET_WARNING', 'SINGLE_POINT_OF_FAILURE_WARNING',
      'SNAPSHOT_TAG', 'SOLUTION_STACK', 'STATEFUL_RESOURCES', 'ScaleOn', 'ServerFleetTier', 'ServerlessApi', 'ServerlessAuth',
      'ServerlessDeployment', 'ServerlessTier', 'SingleInstanceTier', 'SinglePointOfFailure', 'StackExpiry', 'StatefulDataGuard', 'TIERS',
      'UpdateLevel', 'VPC_CIDR', 'WebApp', 'WebTiersErrors', 'WebTiersStack', 'checkEnvironmentConfig', 'costChartSvg', 'costCurves', 'crossovers',
      'defaultPriceTable', 'estimateCost', 'previewConfig', 'rateTemplate', 'renderComparison', 'renderEstimate', 'renderRatings', 'selectEnvironments', 'svgToPng',
    ]);
  });

  const TIER_CLASSES = { SingleInstanceTier, LoadBalancedTier, AutoScalingTier, ManagedAutoScalingTier, ServerlessTier, ManagedServerlessTier };

  /** A consumer's stack: only the common props, the class chosen by name. */
  function consumer(name: keyof typeof TIER_CLASSES, deployment?: Deployment) {
    const stack = new Stack(testApp(), 'Consumer', { env: { account: '123456789012', region: 'us-east-1' } });
    const topic = new sns.Topic(stack, 'Alarms');
    const common: WebTierProps = {
      app: webApp,
      domain: { domainName: 'app.example.com', domainZone: route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' }) },
      alarms: { topic },
      logRetention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.RETAIN,
      environment: { GREETING: 'hello' },
      deployment,
    };
    const tier: IWebTier = new TIER_CLASSES[name](stack, 'Web', common);
    return { stack, tier, topic, template: Template.fromStack(stack) };
  }

  test.each(Object.keys(TIER_CLASSES) as Array<keyof typeof TIER_CLASSES>)('%s takes the common props and keeps their meaning', (name) => {
    const { stack, tier, topic, template } = consumer(name);
    // Domain: the record in the zone, and the https URL.
    expect(tier.url).toMatch(/^https:\/\/app\.example\.com\/?$/);
    expect(Object.values(template.findResources('AWS::Route53::RecordSet')).map((r) => r.Properties.Name)).toContain('app.example.com.');
    // Alarms: the given topic, which every alarm notifies.
    expect(tier.alarmTopic).toBe(topic);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(JSON.stringify(alarm.Properties.AlarmActions ?? [])).toContain(JSON.stringify(stack.resolve(topic.topicArn)));
    // Log retention: every log group the tier made keeps one month (Beanstalk's are its option).
    for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.RetentionInDays).toBe(30);
    if (name === 'ManagedAutoScalingTier') {
      template.hasResourceProperties('AWS::ElasticBeanstalk::Environment', {
        OptionSettings: Match.arrayWith([{ Namespace: 'aws:elasticbeanstalk:cloudwatch:logs', OptionName: 'RetentionInDays', Value: '30' }]),
      });
    }
    // Environment: the variable reaches the app (user data, option settings or the function).
    expect(JSON.stringify(template.toJSON().Resources)).toContain('GREETING');
  });

  test.each(Object.keys(TIER_CLASSES) as Array<keyof typeof TIER_CLASSES>)('%s: Deployment.allAtOnce() means the same everywhere', (name) => {
    const { template } = consumer(name, Deployment.allAtOnce());
    const json = JSON.stringify(template.toJSON());
    const expected: Record<keyof typeof TIER_CLASSES, RegExp> = {
      SingleInstanceTier: /"MinInstancesInService":0/,
      LoadBalancedTier: /"AWS::EC2::Instance"/,
      AutoScalingTier: /"MinInstancesInService":0/,
      ManagedAutoScalingTier: /"OptionName":"DeploymentPolicy","Value":"AllAtOnce"/,
      ServerlessTier: /LambdaAllAtOnce/,
      ManagedServerlessTier: /LambdaAllAtOnce/,
    };
    expect(json).toMatch(expected[name]);
    if (name === 'LoadBalancedTier') {
      // All at once: no instance waits for another.
      for (const instance of Object.values(template.findResources('AWS::EC2::Instance'))) {
        expect((instance.DependsOn ?? []).filter((d: string) => /^WebInstance\d/.test(d))).toEqual([]);
      }
    }
  });
});
