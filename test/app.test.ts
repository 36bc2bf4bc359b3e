import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS, selectEnvironments, type EnvironmentConfig, type TierName } from '../lib/config';
import { addNagChecks } from '../lib/nag';
import { testApp, webApp, snapshotOf } from './helpers';

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
    } finally {
      process.env.CDK_VALIDATION = previous;
    }
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
      'single-instance': (t) => { t.resourceCountIs('AWS::EC2::Instance', 1); t.resourceCountIs('AWS::EC2::Volume', 1); t.resourceCountIs('AWS::RDS::DBInstance', 0); },
      'load-balanced': (t) => { t.resourceCountIs('AWS::EC2::Instance', 2); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0); },
      'auto-scaling': (t) => { t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 1); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::EC2::Instance', 0); },
      'managed-auto-scaling': (t) => { t.resourceCountIs('AWS::ElasticBeanstalk::Environment', 1); t.resourceCountIs('AWS::RDS::DBInstance', 1); t.resourceCountIs('AWS::AutoScaling::AutoScalingGroup', 0); },
      'serverless': (t) => { t.resourceCountIs('AWS::ApiGatewayV2::Api', 1); t.resourceCountIs('AWS::Lambda::Alias', 1); t.resourceCountIs('AWS::DynamoDB::GlobalTable', 1); t.resourceCountIs('AWS::EC2::VPC', 0); },
      'managed-serverless': (t) => { t.resourceCountIs('AWS::CloudFront::Distribution', 1); t.resourceCountIs('AWS::Lambda::Url', 1); t.resourceCountIs('AWS::DynamoDB::GlobalTable', 1); t.resourceCountIs('AWS::EC2::VPC', 0); },
    };
    // With the bundled CloudFormation validator on, so every tier's template is checked by it once.
    const previous = process.env.CDK_VALIDATION;
    delete process.env.CDK_VALIDATION;
    try {
      for (const tier of TIERS) {
        const [stack] = addEnvironmentStacks(testApp(), { prod: { ...ENVIRONMENTS.prod, tier } }, webApp);
        const template = Template.fromStack(stack);
        expected[tier](template);
        expect(template.toJSON().Outputs.Url).toBeDefined();
      }
    } finally {
      process.env.CDK_VALIDATION = previous;
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
