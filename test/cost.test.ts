import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, NestedStack, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AutoScalingTier, Database, DatabaseEngine, Egress, Network, ServerlessTier, SingleInstanceTier } from '../constructs';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { SinglePointOfFailure } from '../constructs/shared/warnings';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, type EnvironmentConfig } from '../lib/config';
import {
  CostBudget, costChartSvg, costCurves, crossovers, defaultPriceTable, estimateCost, rateTemplate, renderEstimate, svgToPng, type CostEstimate, type PriceRow,
} from '../lib/cost';
import { Meter, PRICED_REGIONS } from '../lib/cost/prices';
import { hourlyRates, resolveTraffic } from '../lib/cost/profile';
import { costAndAvailability } from '../lib/cost/ratings';
import type { CfnTemplate } from '../lib/cost/template';
import { parseCostArgs, parseCount, shortNames } from '../lib/cost/cli';
import { PROJECT_CONTEXT, webApp } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

// The fixtures synthesize tier 1, a network with one NAT gateway and a single-AZ database on purpose.
captureSynthWarnings(SinglePointOfFailure.SINGLE_INSTANCE, SinglePointOfFailure.NAT, SinglePointOfFailure.SINGLE_AZ_DATABASE);

/*
 * The sums below are worked out by hand from the template's facts and the price table's us-east-1
 * rows of 2026-12-01 (each price written where it is used). A change of price changes them here,
 * in the same review as the table. GB is 2^30 bytes, as AWS bills; a month is 730 hours; storage of
 * logs kept d days is a month's ingest × d ÷ 30.4.
 */
const month = 730;
const gb = (bytes: number) => bytes / 2 ** 30;
const kept = (gbAMonth: number, days: number) => gbAMonth * days / 30.4;

function synth(make: (stack: Stack) => void): CfnTemplate {
  const app = new App({ context: PROJECT_CONTEXT });
  const stack = new Stack(app, 'Cost');
  make(stack);
  return app.synth().getStackByName('Cost').template;
}

const line = (e: CostEstimate, item: RegExp | string, resource = /./) => {
  const found = e.lines.filter((l) => (typeof item === 'string' ? l.item === item : item.test(l.item)) && resource.test(l.resource));
  if (found.length !== 1) throw new Error(`${found.length} lines match ${item}: ${e.lines.map((l) => l.item).join(', ')}`);
  return found[0];
};

const tier1 = synth((s) => new SingleInstanceTier(s, 'Web', {
  app: webApp, instanceType: new ec2.InstanceType('t4g.small'), dataVolumeSize: Size.gibibytes(20), snapshotRetention: 7, logRetention: RetentionDays.ONE_MONTH,
}));
const tier3 = synth((s) => new AutoScalingTier(s, 'Web', { app: webApp, logRetention: RetentionDays.ONE_MONTH }));
const tier5 = synth((s) => new ServerlessTier(s, 'Web', { app: webApp, function: { memorySize: 128 }, logRetention: RetentionDays.ONE_MONTH }));

describe('hand-computed fixtures', () => {
  test('tier 1: a t4g.small, 20 GiB gp3, 7 daily snapshots and one public IPv4 address, at 1 M requests', () => {
    const e = estimateCost(tier1, { traffic: { requestsPerMonth: 1e6, peakToAverage: 1 } });
    const instance = month * 0.0168; // ec2.instance.t4g.small
    const rootVolume = 16 * 0.08; // the tier's 16 GiB root, ebs.gp3.storage
    const dataVolume = 20 * 0.08;
    const snapshots = 5 * (1 + 0.02 * 6) * 0.05; // the 5 GB in use, and 6 days of 2 % change, ebs.snapshot.standard
    const address = month * 0.005; // the Elastic IP, vpc.public-ipv4
    const detailedMonitoring = 7 * 0.30;
    const agentMetrics = (3 + 4) * 0.30; // memory and two disks per instance; the group's aggregates
    const dataOut = gb(1e6 * 10_000) * 0.09;
    const flowLogs = gb(1e6 * 150) * 0.50 + kept(gb(1e6 * 150), 30) * 0.03;
    const appLogs = gb(1e6 * 300) * 0.50 + kept(gb(1e6 * 300), 30) * 0.03;
    const systemLogs = (month / 24 / 1024) * 0.50 + kept(month / 24 / 1024, 30) * 0.03; // 1 MB a day
    const key = 1.00;
    const alarms = 3 * 0.10;
    expect(line(e, 'instance hours (t4g.small)').monthlyUsd).toBeCloseTo(instance, 9);
    expect(line(e, 'gp3 storage').monthlyUsd).toBeCloseTo(dataVolume, 9);
    expect(line(e, 'snapshots (7 days kept)').monthlyUsd).toBeCloseTo(snapshots, 9);
    expect(line(e, 'public IPv4 address').monthlyUsd).toBeCloseTo(address, 9);
    expect(e.totalUsd).toBeCloseTo(instance + rootVolume + dataVolume + snapshots + address + detailedMonitoring + agentMetrics
      + dataOut + flowLogs + appLogs + systemLogs + key + alarms, 6);
    expect(e.notPriced).toEqual([]);
    // Tier 1's address is the Elastic IP, not a second one the launch template would add.
    expect(e.lines.filter((l) => l.prices.includes('vpc.public-ipv4') && l.monthlyUsd! > 0)).toHaveLength(1);
  });

  test('tier 3 (defaults: 2-4 t4g.small, one NAT gateway, Multi-AZ db.t4g.micro) at 50 M requests', () => {
    const e = estimateCost(tier3, { traffic: { requestsPerMonth: 50e6, peakToAverage: 1 } });
    // 50 M requests over 730 h is 19.03 requests/s; at 60 % CPU a t4g.small takes 100 × 2 × 0.6 = 120: the minimum, 2, serves.
    const instances = 2 * month * 0.0168;
    const rootVolumes = 2 * 16 * 0.08;
    const detailedMonitoring = 2 * 7 * 0.30;
    const agentMetrics = (2 * 2 + 3) * 0.30;
    const nat = month * 0.045 + gb(50e6 * 300) * 0.045 + month * 0.005; // hours, the instances' logs through it, its address
    const flowLogs = gb(50e6 * 150) * 0.50 + kept(gb(50e6 * 150), 30) * 0.03;
    const database = month * 0.032 + 20 * 0.23 + 1.00 + 0.40; // Multi-AZ db.t4g.micro, 20 GB gp3 Multi-AZ, its key, its secret
    const appLogs = gb(50e6 * 300) * 0.50 + kept(gb(50e6 * 300), 30) * 0.03;
    const systemLogs = (2 * month / 24 / 1024) * 0.50 + kept(2 * month / 24 / 1024, 30) * 0.03;
    const alarmKey = 1.00;
    const accessLogs = kept(gb(50e6 * 100), 90) * 0.023; // kept 90 days in S3
    const lcus = (50e6 / 25 / 3600) * 0.008; // new connections (one a request) ÷ 25 a second dominate 0.64 GB an hour
    const loadBalancer = month * 0.0225 + lcus + 2 * month * 0.005 + gb(50e6 * 10_000) * 0.09;
    const alarms = (3 + 1 + 1 + 1) * 0.10;
    expect(line(e, 'instance hours (t4g.small)').monthlyUsd).toBeCloseTo(instances, 9);
    expect(line(e, 'LCUs').monthlyUsd).toBeCloseTo(lcus, 9);
    expect(line(e, 'NAT data processed').monthlyUsd).toBeCloseTo(gb(50e6 * 300) * 0.045, 9);
    expect(e.totalUsd).toBeCloseTo(instances + rootVolumes + detailedMonitoring + agentMetrics + nat + flowLogs + database
      + appLogs + systemLogs + alarmKey + accessLogs + loadBalancer + alarms, 6);
    expect(e.servers).toEqual([expect.objectContaining({ instanceType: 't4g.small', min: 2, max: 4, instanceHours: 2 * month, saturated: false })]);
  });

  test('tier 5 at 10 M requests, 128 MB and 50 ms', () => {
    const e = estimateCost(tier5, { traffic: { requestsPerMonth: 10e6, averageDurationMs: 50 } });
    const requests = 10 * 0.20; // lambda.requests, per million
    const duration = 10e6 * 0.050 * (128 / 1024) * 0.0000133334; // 62,500 GB-seconds, arm64
    const api = 10 * 1.00; // HTTP API, per million
    const dataOut = gb(10e6 * 10_000) * 0.09;
    const table = 1e6 * 0.625 / 1e6 + 9e6 * 0.125 / 1e6 + 5 * 0.25 + 5 * 0.20; // writes, reads, 5 GB stored, its point-in-time recovery
    const logs = 2 * (gb(10e6 * 300) * 0.50 + kept(gb(10e6 * 300), 30) * 0.03); // the function's and the API's access log
    const key = 1.00;
    const alarms = (3 + 2) * 0.10;
    expect(line(e, 'duration (arm64)').monthlyUsd).toBeCloseTo(duration, 9);
    expect(line(e, 'duration (arm64)').formula).toMatch(/10,000,000 × 50 ms × 128 MB ÷ 1024 .*62,500 GB-second × \$0\.0000133334/);
    expect(e.totalUsd).toBeCloseTo(requests + duration + api + dataOut + table + logs + key + alarms, 6);
    expect(e.servers).toEqual([]);
    expect(e.functions).toEqual([{ resource: expect.stringMatching(/^WebAppFunction/), memoryMB: 128, provisioned: 0 }]);
  });
});

test('Aurora Serverless v2 at 100 M requests: capacity for the rate, storage, I/O and backups beyond the free allowance', () => {
  const aurora = synth((s) => new Database(s, 'Db', { network: new Network(s, 'Net', { egress: Egress.NAT_GATEWAY_PER_AZ }), engine: DatabaseEngine.auroraServerless({ maxCapacity: 8 }), multiAz: false }));
  const e = estimateCost(aurora, { traffic: { requestsPerMonth: 1e8, peakToAverage: 1 } });
  // 100 M a month is 38.05 requests/s: 0.76 ACU at 50 requests/s an ACU, rounded up to the 0.5 step: 1 ACU all month.
  expect(line(e, 'capacity (Aurora Serverless v2)').monthlyUsd).toBeCloseTo(month * 1 * 0.12, 9);
  expect(line(e, 'storage', /^DbCluster/).monthlyUsd).toBeCloseTo(5 * 0.10, 9);
  expect(line(e, 'I/O requests').monthlyUsd).toBeCloseTo(1e7 * 0.20 / 1e6, 9); // the 10 % that write, one I/O each
  expect(line(e, 'backup storage', /^DbCluster/).monthlyUsd).toBeCloseTo(5 * 0.02 * 6 * 0.021, 9); // 7 days kept, beyond the first (free) copy
  // Idle hours pause it: at peak 3× average a third of the month has no traffic.
  const idle = estimateCost(aurora, { traffic: { requestsPerMonth: 1e6, peakToAverage: 3 } });
  expect(line(idle, 'capacity (Aurora Serverless v2)').monthlyUsd).toBeCloseTo(Math.round(month * 2 / 3) * 0.5 * 0.12, 1);
  expect(rateTemplate(aurora).singlePointsOfFailure).toEqual([expect.stringMatching(/^a single-AZ database \(DbCluster\w+: one member\)$/)]);
});

describe('what the estimator cannot price it says', () => {
  const unknown: CfnTemplate = {
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      Worker: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 256 } },
      Big: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'mysql', DBInstanceClass: 'db.m5.large', AllocatedStorage: '100' } },
      Nlb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Type: 'network', Subnets: ['a', 'b'] } },
      Fleet: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 'x2gd.metal' } },
      Ip: { Type: 'AWS::EC2::EIP', Properties: {} },
    },
  };
  const e = estimateCost(unknown, { traffic: { requestsPerMonth: 1e6 } });

  test('each is a line "not priced", with the reason, and is left out of the sum', () => {
    expect(e.notPriced.map((l) => [l.resource, l.formula])).toEqual([
      ['Queue', 'not priced: no price for AWS::SQS::Queue in the estimator'],
      ['Worker', 'not priced: nothing in the template invokes it per request, so its invocations are unknown'],
      ['Big', "not priced: only PostgreSQL instances of a known class are priced (got engine 'mysql')"],
      ['Nlb', 'not priced: only application load balancers are in the price table'],
      ['Fleet', "not priced: the price table has no 'ec2.instance.x2gd.metal' for us-east-1"],
    ]);
    expect(e.notPriced.every((l) => l.monthlyUsd === undefined)).toBe(true);
    // What it can price of them it does: the instance's root volume (the image's 8 GiB assumed).
    expect(e.totalUsd).toBeCloseTo(month * 0.005 + 8 * 0.08, 9);
  });

  test('the report lists them as "not priced", never as $0.00', () => {
    const text = renderEstimate(e);
    expect(text).toMatch(/^### Monthly cost: \$4\.29 plus 5 lines not priced/);
    expect(text).toContain('| Queue | resource | not priced: no price for AWS::SQS::Queue in the estimator | not priced |');
  });

  test('an unknown region is not priced at all, rather than priced as another', () => {
    const elsewhere = estimateCost({ Resources: { Ip: unknown.Resources!.Ip } }, { traffic: { requestsPerMonth: 1 }, region: 'ap-south-1' });
    expect(elsewhere.notPriced.map((l) => l.formula)).toEqual(["not priced: the price table has no 'vpc.public-ipv4' for ap-south-1"]);
  });
});

describe('templates that are unusual but valid', () => {
  const priced = (e: CostEstimate, row: string) => e.lines.filter((l) => l.prices.includes(row) && (l.monthlyUsd ?? 0) > 0);
  const ifThen = (value: unknown) => ({ 'Fn::If': ['Cond', value, { Ref: 'AWS::NoValue' }] });

  test('a list written as Fn::If or a parameter is read as unknown, never a crash', () => {
    const t: CfnTemplate = {
      Resources: {
        Alarm: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: ifThen([]) } },
        Logs: { Type: 'AWS::S3::Bucket', Properties: { LifecycleConfiguration: { Rules: ifThen([]) } } },
        Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 't4g.small', NetworkInterfaces: ifThen([]), BlockDeviceMappings: ifThen([]) } } },
        Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '1', MaxSize: '1', LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' } }, VPCZoneIdentifier: { Ref: 'Subnets' } } },
        Env: { Type: 'AWS::ElasticBeanstalk::Environment', Properties: { OptionSettings: ifThen([]) } },
        Targets: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { Targets: ifThen([]) } },
        Snapshots: { Type: 'AWS::DLM::LifecyclePolicy', Properties: { PolicyDetails: { TargetTags: [{ Key: 'k', Value: 'v' }], Schedules: ifThen([]) } } },
        Disk: { Type: 'AWS::EC2::Volume', Properties: { Size: 10, VolumeType: 'gp3', Tags: [{ Key: 'k', Value: 'v' }] } },
        Records: { Type: 'AWS::Route53::RecordSetGroup', Properties: { RecordSets: ifThen([]) } },
      },
    };
    const e = estimateCost(t, { traffic: { requestsPerMonth: 1e6 } });
    expect(e.notPriced.map((l) => [l.resource, l.item])).toEqual(expect.arrayContaining([['Alarm', 'alarm'], ['Snapshots', 'snapshots'], ['Records', 'DNS queries']]));
    expect(line(e, 'root volume').formula).toMatch(/the image default of 8 GiB assumed/);
  });

  test('a Beanstalk single instance pays for its one address once; an environment on a shared load balancer pays for none', () => {
    const env = (options: Array<[string, string, string]>): CfnTemplate => ({
      Resources: { Env: { Type: 'AWS::ElasticBeanstalk::Environment', Properties: { OptionSettings: options.map(([Namespace, OptionName, Value]) => ({ Namespace, OptionName, Value })) } } },
    });
    const single = estimateCost(env([['aws:ec2:instances', 'InstanceTypes', 't4g.small'], ['aws:elasticbeanstalk:environment', 'EnvironmentType', 'SingleInstance']]), { traffic: { requestsPerMonth: 1e6 } });
    expect(priced(single, 'vpc.public-ipv4').map((l) => l.monthlyUsd)).toEqual([month * 0.005]);
    const shared = estimateCost(env([
      ['aws:ec2:instances', 'InstanceTypes', 't4g.small'], ['aws:elasticbeanstalk:environment', 'LoadBalancerType', 'application'],
      ['aws:elasticbeanstalk:environment', 'LoadBalancerIsShared', 'true'],
    ]), { traffic: { requestsPerMonth: 1e6 } });
    expect(priced(shared, 'elb.alb.hour')).toEqual([]);
    expect(shared.lines.find((l) => l.item === 'shared load balancer')?.formula).toMatch(/priced on its own line/);
  });

  test('a load balancer whose subnets are a parameter still pays for its addresses and its data out, and says what it assumed', () => {
    const e = estimateCost({ Resources: { Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: { Ref: 'Subnets' } } } } }, { traffic: { requestsPerMonth: 1e6 } });
    expect(line(e, 'public IPv4 addresses').formula).toMatch(/^2 \(one per subnet; the subnets are a deploy-time value, 2 assumed\)/);
    expect(line(e, 'data transfer out').monthlyUsd).toBeCloseTo(gb(1e6 * 10_000) * 0.09, 9);
  });

  test('a group scaling on requests per instance is sized by that target; one scaling on memory as if by CPU, and says so', () => {
    const group = (policy: object): CfnTemplate => ({
      Resources: {
        Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 't4g.small' } } },
        Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '2', MaxSize: '10', LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' } }, TargetGroupARNs: [{ Ref: 'Tg' }] } },
        Policy: { Type: 'AWS::AutoScaling::ScalingPolicy', Properties: { AutoScalingGroupName: { Ref: 'Group' }, PolicyType: 'TargetTrackingScaling', TargetTrackingConfiguration: policy } },
      },
    });
    // 1 B requests a month at a steady 380.5 requests/s; 6,000 a minute (100/s) per instance: 4 instances.
    const byRequests = estimateCost(group({ PredefinedMetricSpecification: { PredefinedMetricType: 'ALBRequestCountPerTarget' }, TargetValue: 6000 }), { traffic: { requestsPerMonth: 1e9, peakToAverage: 1 } });
    expect(byRequests.servers[0]).toEqual(expect.objectContaining({ instanceHours: 4 * month, saturated: false }));
    expect(line(byRequests, 'instance hours (t4g.small)').formula).toMatch(/6,000 requests a minute per instance \(its target\)/);
    // As if by CPU at 60 %: 120 requests/s per t4g.small, 4 instances, the assumption in the formula.
    const byMemory = estimateCost(group({ CustomizedMetricSpecification: { MetricName: 'mem_used_percent', Namespace: 'CWAgent', Statistic: 'Average' }, TargetValue: 85 }), { traffic: { requestsPerMonth: 1e9, peakToAverage: 1 } });
    expect(byMemory.servers[0]).toEqual(expect.objectContaining({ instanceHours: 4 * month, saturated: false }));
    expect(line(byMemory, 'instance hours (t4g.small)').formula).toMatch(/60 % CPU .*assumed: it scales on mem_used_percent, which requests do not drive/);
  });

  test('provisioned concurrency on a version is priced; a deploy-time amount is not priced, and says so', () => {
    const fn = (pc: unknown, on: 'AWS::Lambda::Version' | 'AWS::Lambda::Alias'): CfnTemplate => ({
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Architectures: ['arm64'] } },
        Ver: { Type: on, Properties: { FunctionName: { Ref: 'Fn' }, ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: pc } } },
        Url: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, AuthType: 'NONE' } },
      },
    });
    const version = estimateCost(fn(50, 'AWS::Lambda::Version'), { traffic: { requestsPerMonth: 1e6 } });
    expect(line(version, 'provisioned concurrency').monthlyUsd).toBeCloseTo(50 * 1 * month * 3600 * version.rows.find((r) => r.id === 'lambda.provisioned.arm64')!.usd!, 6);
    const token = estimateCost(fn({ Ref: 'Warm' }, 'AWS::Lambda::Alias'), { traffic: { requestsPerMonth: 1e6 } });
    expect(token.notPriced.map((l) => l.formula)).toContain('not priced: its amount is a deploy-time value');
  });

  test('a function URL answering the internet pays for data out; behind CloudFront, an origin does not pay it twice', () => {
    const url: CfnTemplate = {
      Resources: {
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128, LoggingConfig: { LogGroup: 'shared-logs' } } },
        Url: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['Fn', 'Arn'] }, AuthType: 'NONE' } },
      },
    };
    const direct = estimateCost(url, { traffic: { requestsPerMonth: 1e6 } });
    expect(line(direct, 'data transfer out', /^Url$/).monthlyUsd).toBeCloseTo(gb(1e6 * 10_000) * 0.09, 9);
    expect(direct.notPriced.map((l) => l.formula)).toEqual(["not priced: its log group 'shared-logs' is not in this template"]);
    const cdn = estimateCost({
      Resources: {
        Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: ['a', 'b'] } },
        Cdn: { Type: 'AWS::CloudFront::Distribution', Properties: { DistributionConfig: { Origins: [{ DomainName: { 'Fn::GetAtt': ['Lb', 'DNSName'] } }] } } },
      },
    }, { traffic: { requestsPerMonth: 1e6 } });
    expect(priced(cdn, 'data-transfer.out.internet')).toEqual([]);
    expect(priced(cdn, 'cloudfront.data-out')).toHaveLength(1);
  });

  test('snapshots: kept by count at an hourly interval, or by age', () => {
    const policy = (schedule: object): CfnTemplate => ({
      Resources: {
        Disk: { Type: 'AWS::EC2::Volume', Properties: { Size: 50, VolumeType: 'gp3', Tags: [{ Key: 'k', Value: 'v' }] } },
        Snapshots: { Type: 'AWS::DLM::LifecyclePolicy', Properties: { PolicyDetails: { TargetTags: [{ Key: 'k', Value: 'v' }], Schedules: [schedule] } } },
      },
    });
    // 24 snapshots an hour apart keep one day: the 5 GB in use, no day of change.
    const hourly = estimateCost(policy({ CreateRule: { Interval: 1, IntervalUnit: 'HOURS' }, RetainRule: { Count: 24 } }), { traffic: { requestsPerMonth: 1 } });
    expect(line(hourly, 'snapshots (1 days kept)').monthlyUsd).toBeCloseTo(5 * 0.05, 9);
    const byAge = estimateCost(policy({ CreateRule: { Interval: 24, IntervalUnit: 'HOURS' }, RetainRule: { Interval: 2, IntervalUnit: 'WEEKS' } }), { traffic: { requestsPerMonth: 1 } });
    expect(line(byAge, 'snapshots (14 days kept)').monthlyUsd).toBeCloseTo(5 * (1 + 0.02 * 13) * 0.05, 9);
  });

  test('the free tier of public IPv4 addresses is for instances: a NAT gateway\'s address still pays', () => {
    const t: CfnTemplate = {
      Resources: {
        NatIp: { Type: 'AWS::EC2::EIP', Properties: {} },
        Nat: { Type: 'AWS::EC2::NatGateway', Properties: { AllocationId: { 'Fn::GetAtt': ['NatIp', 'AllocationId'] } } },
        Box: { Type: 'AWS::EC2::Instance', Properties: { InstanceType: 't4g.small', NetworkInterfaces: [{ AssociatePublicIpAddress: true }] } },
        BoxIp: { Type: 'AWS::EC2::EIP', Properties: { InstanceId: { Ref: 'Box' } } },
      },
    };
    const e = estimateCost(t, { traffic: { requestsPerMonth: 1 }, includeFreeTier: true });
    expect(line(e, 'public IPv4 address', /^NatIp$/).monthlyUsd).toBeCloseTo(month * 0.005, 9);
    expect(line(e, 'public IPv4 address', /^BoxIp$/).monthlyUsd).toBe(0);
    // The instance's own address is replaced by its Elastic IP: no second line.
    expect(e.lines.filter((l) => l.resource === 'Box' && l.prices.includes('vpc.public-ipv4'))).toEqual([]);
  });

  test('a value decided at deploy is not priced, or its assumption is said', () => {
    const e = estimateCost({
      Resources: {
        Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: 'db.t4g.micro', MultiAZ: { 'Fn::If': ['Prod', true, false] }, AllocatedStorage: '20' } },
        Logs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: { Ref: 'Days' } } },
        Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: { Ref: 'Memory' }, LoggingConfig: { LogGroup: { Ref: 'Logs' } } } },
        Url: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { Ref: 'Fn' } } },
      },
    }, { traffic: { requestsPerMonth: 1e6 } });
    expect(e.notPriced.map((l) => `${l.resource} ${l.formula}`)).toEqual([
      'Db not priced: MultiAZ is a deploy-time value, and the price depends on it',
      'Fn not priced: its memory size is a deploy-time value',
    ]);
    expect(line(e, 'function logs: storage').formula).toMatch(/the retention is a deploy-time value: a year assumed/);
  });
});

describe('RDS Proxy', () => {
  const proxied = (targets: object, extra: CfnTemplate['Resources'] = {}): CfnTemplate => ({
    Resources: {
      Proxy: { Type: 'AWS::RDS::DBProxy', Properties: { EngineFamily: 'POSTGRESQL', DBProxyName: 'app' } },
      ProxyTargets: { Type: 'AWS::RDS::DBProxyTargetGroup', Properties: { DBProxyName: { Ref: 'Proxy' }, TargetGroupName: 'default', ...targets } },
      ...extra,
    },
  });
  const instance = (cls: unknown) => ({ Db: { Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'postgres', DBInstanceClass: cls, MultiAZ: false, AllocatedStorage: '20' } } });
  const aurora = (members: number): CfnTemplate['Resources'] => ({
    Cluster: { Type: 'AWS::RDS::DBCluster', Properties: { Engine: 'aurora-postgresql', ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } } },
    ...Object.fromEntries(Array.from({ length: members }, (_, i) => [`Member${i}`, {
      Type: 'AWS::RDS::DBInstance', Properties: { Engine: 'aurora-postgresql', DBInstanceClass: 'db.serverless', DBClusterIdentifier: { Ref: 'Cluster' }, PromotionTier: 1 },
    }])),
  });
  const proxyLine = (e: CostEstimate) => line(e, /^proxy/, /^Proxy$/);

  test('on a DB instance: its vCPUs (from the instance specs) × 730 h × $0.015, at least 2 vCPUs', () => {
    // db.t4g.micro has 2 vCPUs: 2 × 730 × $0.015 = $21.90.
    const micro = estimateCost(proxied({ DBInstanceIdentifiers: [{ Ref: 'Db' }] }, instance('db.t4g.micro')), { traffic: { requestsPerMonth: 1e6 } });
    expect(proxyLine(micro).monthlyUsd).toBeCloseTo(2 * month * 0.015, 9);
    expect(proxyLine(micro).formula).toMatch(/^Db \(db\.t4g\.micro: 2 vCPUs\): 2 vCPUs × 730 h \(RDS Proxy bills at least 2 vCPUs an instance\): 1,460 vCPU-hour × \$0\.015\/vCPU-hour$/);
    // The target group is configuration, priced nowhere else; the instance keeps its own lines.
    expect(line(micro, 'configuration', /^ProxyTargets$/).monthlyUsd).toBe(0);
    expect(line(micro, /^instance hours/, /^Db$/).monthlyUsd).toBeCloseTo(month * 0.016, 9);
    expect(micro.notPriced).toEqual([]);
    // db.m7g.medium has 1 vCPU and is billed as 2; db.m7g.xlarge has 4: 4 × 730 × $0.015 = $43.80.
    const medium = estimateCost(proxied({ DBInstanceIdentifiers: [{ Ref: 'Db' }] }, instance('db.m7g.medium')), { traffic: { requestsPerMonth: 1e6 } });
    expect(proxyLine(medium).monthlyUsd).toBeCloseTo(2 * month * 0.015, 9);
    expect(proxyLine(medium).formula).toMatch(/^Db \(db\.m7g\.medium: 1 vCPU, billed as 2\): 2 vCPUs × 730 h/);
    const xlarge = estimateCost(proxied({ DBInstanceIdentifiers: [{ Ref: 'Db' }] }, instance('db.m7g.xlarge')), { traffic: { requestsPerMonth: 1e6 } });
    expect(proxyLine(xlarge).monthlyUsd).toBeCloseTo(4 * month * 0.015, 9);
  });

  test('on Aurora Serverless v2: the cluster members\' ACUs hour by hour, at least 8 ACUs an hour', () => {
    const cluster = (members: number) => proxied({ DBClusterIdentifiers: [{ Ref: 'Cluster' }] }, aurora(members));
    // 100 M a month at a steady 38.05 requests/s: 1 ACU a member (as the capacity lines size it), below the minimum: 8 × 730 × $0.015 = $87.60.
    const low = estimateCost(cluster(2), { traffic: { requestsPerMonth: 1e8, peakToAverage: 1 } });
    expect(proxyLine(low).monthlyUsd).toBeCloseTo(8 * month * 0.015, 9);
    expect(proxyLine(low).item).toBe('proxy (per ACU of Aurora Serverless v2)');
    expect(proxyLine(low).formula).toMatch(/^each hour's ACUs of Member0 \+ Member1 \(1,460 ACU-hours, as their capacity lines\), at least 8 billed an hour \(RDS Proxy's minimum\), summed = 5,840 ACU-hours: 5,840 ACU-hour × \$0\.015\/ACU-hour$/);
    expect(line(low, 'capacity (Aurora Serverless v2)', /^Member0$/).monthlyUsd).toBeCloseTo(month * 1 * 0.12, 9);
    // 2 B a month at a steady 761 requests/s: 15.22 ACUs, 15.5 in steps of 0.5, for each of 2 members: 31 × 730 × $0.015.
    const high = estimateCost(cluster(2), { traffic: { requestsPerMonth: 2e9, peakToAverage: 1 } });
    expect(proxyLine(high).monthlyUsd).toBeCloseTo(31 * month * 0.015, 9);
    // One member at the same rate: 15.5 × 730 × $0.015 = $169.73.
    expect(proxyLine(estimateCost(cluster(1), { traffic: { requestsPerMonth: 2e9, peakToAverage: 1 } })).monthlyUsd).toBeCloseTo(15.5 * month * 0.015, 9);
  });

  test('a target it cannot resolve is a line not priced, with the reason, never a silent zero', () => {
    const reasons = (t: CfnTemplate) => {
      const e = estimateCost(t, { traffic: { requestsPerMonth: 1e6 } });
      expect(e.lines.filter((l) => l.resource === 'Proxy' && l.monthlyUsd !== undefined)).toEqual([]);
      return e.notPriced.filter((l) => l.resource === 'Proxy').map((l) => l.formula);
    };
    const alone: CfnTemplate = { Resources: { Proxy: proxied({}).Resources!.Proxy } };
    expect(reasons(alone)).toEqual(['not priced: no target group in this template names its database, whose vCPUs or ACUs it is billed on']);
    expect(reasons(proxied({ DBInstanceIdentifiers: ['legacy-db'] }))).toEqual(["not priced: its target 'legacy-db' is not a AWS::RDS::DBInstance in this template"]);
    expect(reasons(proxied({ DBInstanceIdentifiers: { Ref: 'Targets' } }))).toEqual(['not priced: its target group ProxyTargets names its DBInstanceIdentifiers with a deploy-time value']);
    expect(reasons(proxied({ DBInstanceIdentifiers: [{ Ref: 'Db' }] }, instance({ Ref: 'Class' })))).toEqual(['not priced: the class of its target Db is not known at synth']);
    // db.m6g.large is priced as an RDS instance, but the instance specs have no m6g.large: its vCPUs are unknown.
    expect(reasons(proxied({ DBInstanceIdentifiers: [{ Ref: 'Db' }] }, instance('db.m6g.large')))).toEqual(["not priced: the price table has no vCPU count for its target Db's class db.m6g.large"]);
    expect(reasons(proxied({}))).toEqual(['not priced: its target group names no database instance or cluster']);
    const noRange = aurora(1)!;
    (noRange.Cluster as any).Properties.ServerlessV2ScalingConfiguration = { MinCapacity: { Ref: 'Min' }, MaxCapacity: 16 };
    expect(reasons(proxied({ DBClusterIdentifiers: [{ Ref: 'Cluster' }] }, noRange))).toEqual(["not priced: the capacity range of its target Member0's cluster is not known at synth"]);
    expect(reasons(proxied({ DBClusterIdentifiers: [{ Ref: 'Cluster' }] }, { Cluster: aurora(0)!.Cluster })))
      .toEqual(['not priced: its cluster Cluster has no instance in this template']);
  });
});

describe('a function behind an application load balancer, and the traffic split its weights make', () => {
  const alb = {
    Lb: { Type: 'AWS::ElasticLoadBalancingV2::LoadBalancer', Properties: { Subnets: ['a', 'b'] } },
    Fn: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Architectures: ['arm64'], LoggingConfig: { LogGroup: { Ref: 'FnLogs' } } } },
    FnLogs: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 30 } },
    LambdaTg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { TargetType: 'lambda', Targets: [{ Id: { 'Fn::GetAtt': ['Fn', 'Arn'] } }] } },
    Invoke: { Type: 'AWS::Lambda::Permission', Properties: { Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] }, Principal: 'elasticloadbalancing.amazonaws.com' } },
  };
  const servers = {
    Template: { Type: 'AWS::EC2::LaunchTemplate', Properties: { LaunchTemplateData: { InstanceType: 't4g.small' } } },
    Group: { Type: 'AWS::AutoScaling::AutoScalingGroup', Properties: { MinSize: '2', MaxSize: '2', LaunchTemplate: { LaunchTemplateId: { Ref: 'Template' } }, TargetGroupARNs: [{ Ref: 'InstanceTg' }] } },
    InstanceTg: { Type: 'AWS::ElasticLoadBalancingV2::TargetGroup', Properties: { TargetType: 'instance', Port: 80, Protocol: 'HTTP' } },
  };
  const listener = (defaultTg: string) => ({
    Listener: { Type: 'AWS::ElasticLoadBalancingV2::Listener', Properties: { LoadBalancerArn: { Ref: 'Lb' }, Port: 80, Protocol: 'HTTP', DefaultActions: [{ Type: 'forward', TargetGroupArn: { Ref: defaultTg } }] } },
  });
  const weighted = (weights: Array<[string, number]>) => [{ Type: 'forward', ForwardConfig: { TargetGroups: weights.map(([tg, Weight]) => ({ TargetGroupArn: { Ref: tg }, Weight })) } }];
  const rule = (priority: number, paths: string[] | undefined, actions: object[]) => ({
    Type: 'AWS::ElasticLoadBalancingV2::ListenerRule',
    Properties: { ListenerArn: { Ref: 'Listener' }, Priority: priority, Actions: actions, ...(paths ? { Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: paths } }] } : {}) },
  });
  // 10 M requests at a steady 3.805 a second, 20 kB responses: bytes, not new connections, make the LCUs.
  const traffic = { requestsPerMonth: 1e7, peakToAverage: 1, averageResponseBytes: 20_000 };
  const invocations = (e: CostEstimate) => line(e, 'requests', /^Fn$/);

  test('is priced as Lambda requests × duration × memory plus the load balancer, whose LCU holds 0.4 GB to Lambda; no API Gateway line', () => {
    const e = estimateCost({ Resources: { ...alb, ...listener('LambdaTg') } }, { traffic });
    const requests = 10 * 0.20; // lambda.requests, per million
    const duration = 1e7 * 0.050 * 1 * 0.0000133334; // 500,000 GB-seconds, arm64
    const logs = gb(1e7 * 300) * 0.50 + kept(gb(1e7 * 300), 30) * 0.03;
    const hours = month * 0.0225;
    const lcus = gb(1e7 * 20_000) / 0.4 * 0.008; // 186.3 GB processed, 0.4 GB an LCU to Lambda targets (new connections: 111 LCU-h)
    const addresses = 2 * month * 0.005;
    const dataOut = gb(1e7 * 20_000) * 0.09;
    expect(invocations(e).monthlyUsd).toBeCloseTo(requests, 9);
    expect(invocations(e).formula).toMatch(/^10,000,000 invocations: /);
    expect(line(e, 'duration (arm64)').monthlyUsd).toBeCloseTo(duration, 9);
    expect(line(e, 'LCUs').monthlyUsd).toBeCloseTo(lcus, 9);
    expect(line(e, 'LCUs').formula).toMatch(/GB processed ÷ 0\.4 \(its targets are Lambda functions\)/);
    expect(e.totalUsd).toBeCloseTo(requests + duration + logs + hours + lcus + addresses + dataOut, 6);
    expect(e.lines.filter((l) => l.prices.some((id) => id.startsWith('apigw.')))).toEqual([]);
    expect(e.notPriced).toEqual([]);
    expect(e.functions).toEqual([{ resource: 'Fn', memoryMB: 1024, provisioned: 0 }]);
  });

  test('a weighted rule on /api/* sends weight ÷ sum of weights × the assumed path share to the function; the default action the rest to the instances', () => {
    const t: CfnTemplate = { Resources: { ...alb, ...servers, ...listener('InstanceTg'), ApiRule: rule(1, ['/api/*'], weighted([['InstanceTg', 3], ['LambdaTg', 1]])) } };
    const e = estimateCost(t, { traffic });
    // Half the requests match /api/* (assumptions.routedShare, 0.5); a quarter of those go to the function: 12.5 %.
    expect(invocations(e).monthlyUsd).toBeCloseTo(1.25 * 0.20, 9);
    expect(invocations(e).formula).toMatch(/^1,250,000 invocations \(12\.5 % of requests: rule ApiRule \(path \/api\/\*: assumptions\.routedShare 0\.5\) × weight 1 of 4 to LambdaTg\): /);
    expect(line(e, 'duration (arm64)').monthlyUsd).toBeCloseTo(1.25e6 * 0.050 * 1 * 0.0000133334, 9);
    expect(line(e, 'function logs: ingestion').monthlyUsd).toBeCloseTo(gb(1.25e6 * 300) * 0.50, 9);
    // The instances take the other 87.5 %: 37.5 % by the rule's weight 3 of 4, 50 % by the default action.
    const hours = line(e, 'instance hours (t4g.small)');
    expect(hours.monthlyUsd).toBeCloseTo(2 * month * 0.0168, 9);
    expect(hours.formula).toMatch(/^87\.5 % of requests: rule ApiRule \(path \/api\/\*: assumptions\.routedShare 0\.5\) × weight 3 of 4 to InstanceTg \(37\.5 %\); Listener's default action \(the 50 % no rule took\) to InstanceTg \(50 %\); /);
    // 2 × t4g.small at 100 % CPU serve 400 requests/s; the group takes 87.5 % of the (steady) rate.
    expect(e.servers[0].capacityRequestsPerMonth).toBeCloseTo(400 * 3600 * month / 0.875, 0);
    // The load balancer: 12.5 % of its bytes at 0.4 GB an LCU, 87.5 % at 1 GB.
    expect(line(e, 'LCUs').monthlyUsd).toBeCloseTo(gb(1e7 * 20_000) * (0.875 / 1 + 0.125 / 0.4) * 0.008, 9);
    expect(line(e, 'LCUs').formula).toMatch(/GB processed × \(87\.5 % to instances ÷ 1 \+ 12\.5 % to Lambda functions ÷ 0\.4\)/);

    // The path share is an assumption: assumptions.routedShare (the command's --assume routedShare=N) overrides it.
    const all = estimateCost(t, { traffic, assumptions: { routedShare: 1 } });
    expect(invocations(all).monthlyUsd).toBeCloseTo(2.5 * 0.20, 9);
    expect(invocations(all).formula).toMatch(/\(25 % of requests: rule ApiRule \(path \/api\/\*: assumptions\.routedShare 1\) × weight 1 of 4 to LambdaTg\)/);
    expect(parseCostArgs(['--assume', 'routedShare=0.2']).assumptions).toEqual({ routedShare: 0.2 });
    expect(() => estimateCost(t, { traffic, assumptions: { routedShare: 2 } })).toThrow(/invalid assumptions\.routedShare: got 2; accepted: a number from 0 to 1/);
  });

  test('a rule on /*, or with no conditions, matches every request whatever the path share assumed', () => {
    for (const paths of [['/*'], undefined]) {
      const t: CfnTemplate = { Resources: { ...alb, ...servers, ...listener('InstanceTg'), All: rule(10, paths, weighted([['InstanceTg', 9], ['LambdaTg', 1]])) } };
      const e = estimateCost(t, { traffic, assumptions: { routedShare: 0.2 } });
      expect(invocations(e).monthlyUsd).toBeCloseTo(1 * 0.20, 9); // 10 % of 10 M
      expect(invocations(e).formula).toMatch(paths ? /\(10 % of requests: rule All \(path \/\*: every request\) × weight 1 of 10 to LambdaTg\)/ : /\(10 % of requests: rule All \(no conditions: every request\) × weight 1 of 10 to LambdaTg\)/);
      // Nothing is left for the default action, which forwards to the instances too.
      expect(line(e, 'instance hours (t4g.small)').formula).toMatch(/^90 % of requests: rule All .* × weight 9 of 10 to InstanceTg; /);
    }
  });

  test('several rules are taken in priority order, each matching its share of what the rules before it left', () => {
    const rules = (api: number, assets: number) => ({
      // Written out of order on purpose: priority decides, not the template's order.
      Assets: rule(assets, ['/assets/*'], [{ Type: 'forward', TargetGroupArn: { Ref: 'LambdaTg' } }]),
      Api: rule(api, ['/api/*'], weighted([['InstanceTg', 1], ['LambdaTg', 1]])),
    });
    // /api/* first: 50 % match, half of them to the function (25 %); /assets/* matches 50 % of the 50 % left (25 %), all to the function; the default action: the last 25 %.
    const apiFirst = estimateCost({ Resources: { ...alb, ...servers, ...listener('InstanceTg'), ...rules(1, 2) } }, { traffic });
    expect(invocations(apiFirst).monthlyUsd).toBeCloseTo(5 * 0.20, 9);
    expect(invocations(apiFirst).formula).toMatch(/\(50 % of requests: rule Api \(path \/api\/\*: assumptions\.routedShare 0\.5\) × weight 1 of 2 to LambdaTg \(25 %\); rule Assets \(path \/assets\/\*: assumptions\.routedShare 0\.5\) to LambdaTg \(25 %\)\)/);
    // /assets/* first: 50 % to the function; /api/* matches 25 %, half to the function (12.5 %): 62.5 %.
    const assetsFirst = estimateCost({ Resources: { ...alb, ...servers, ...listener('InstanceTg'), ...rules(2, 1) } }, { traffic });
    expect(invocations(assetsFirst).monthlyUsd).toBeCloseTo(6.25 * 0.20, 9);
    expect(line(assetsFirst, 'instance hours (t4g.small)').formula).toMatch(/^37\.5 % of requests: /);
  });

  test('a backend that no weighted rule reaches takes an even share as before; one behind the router that no request reaches, none', () => {
    const url = {
      Other: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 128, Architectures: ['arm64'], LoggingConfig: { LogGroup: { Ref: 'FnLogs' } } } },
      OtherUrl: { Type: 'AWS::Lambda::Url', Properties: { TargetFunctionArn: { 'Fn::GetAtt': ['Other', 'Arn'] }, AuthType: 'NONE' } },
    };
    // Two ways in, evenly: the listener (of which the function behind /* weight 1 of 2 takes half) and the function URL.
    const e = estimateCost({ Resources: { ...alb, ...servers, ...listener('InstanceTg'), ...url, All: rule(1, ['/*'], weighted([['InstanceTg', 1], ['LambdaTg', 1]])) } }, { traffic });
    expect(invocations(e).monthlyUsd).toBeCloseTo(2.5 * 0.20, 9);
    expect(invocations(e).formula).toMatch(/\(25 % of requests: rule All \(path \/\*: every request\) × weight 1 of 2 to LambdaTg, of the 50 % Listener takes as one of 2 ways in\)/);
    expect(line(e, 'requests', /^Other$/).monthlyUsd).toBeCloseTo(5 * 0.20, 9);
    expect(line(e, 'requests', /^Other$/).formula).toMatch(/\(50 % of requests: an even share of 2 ways in \(no weighted rule reaches it\)\)/);
    // The default action's instances get nothing when a rule on /* forwards everything elsewhere.
    const only = estimateCost({ Resources: { ...alb, ...servers, ...listener('InstanceTg'), All: rule(1, ['/*'], weighted([['LambdaTg', 1]])) } }, { traffic });
    expect(invocations(only).monthlyUsd).toBeCloseTo(10 * 0.20, 9);
    expect(line(only, 'instance hours (t4g.small)').formula).toMatch(/^0 % of requests: none reach it: the rules before its target group take them all/);
    expect(only.servers[0].capacityRequestsPerMonth).toBe(Infinity);
  });

  test('without weighted rules the current even split stands, whatever the rules\' paths', () => {
    const e = estimateCost({ Resources: { ...alb, ...servers, ...listener('InstanceTg'), Api: rule(1, ['/api/*'], [{ Type: 'forward', TargetGroupArn: { Ref: 'LambdaTg' } }]) } }, { traffic });
    expect(invocations(e).monthlyUsd).toBeCloseTo(5 * 0.20, 9);
    expect(invocations(e).formula).toMatch(/^5,000,000 invocations \(50 % of requests\): /);
    expect(line(e, 'instance hours (t4g.small)').formula).toBe('2 instances × 730 h: 1,460 h × $0.0168/h');
  });
});

describe('the price table', () => {
  const table = defaultPriceTable();

  test('every row names its source and the date it was read; an unconfirmed one says why', () => {
    for (const row of table.prices) {
      expect({ id: row.id, ok: /^(https?:\/\/[\w.-]+\/|github\.com\/[\w.-]+\/[\w.-]+ |[\w.-]+\/[\w.-]+ [\w./-]+)/.test(row.source) }).toEqual({ id: row.id, ok: true });
      expect({ id: row.id, read: /^20\d\d-\d\d-\d\d$/.test(row.read) }).toEqual({ id: row.id, read: true });
      if (!row.confirmed) expect({ id: row.id, note: (row.note ?? '').length > 10 }).toEqual({ id: row.id, note: true });
      expect({ id: row.id, price: (row.usd !== undefined) !== (row.tiers !== undefined) }).toEqual({ id: row.id, price: true });
    }
  });

  test('both regions price the same items, once each', () => {
    const ids = (region: string) => table.prices.filter((r) => r.region === region).map((r) => r.id);
    for (const region of PRICED_REGIONS) expect(new Set(ids(region)).size).toBe(ids(region).length);
    expect(ids('eu-west-1').sort()).toEqual(ids('us-east-1').sort());
  });

  test('every instance type priced has the vCPUs sizing needs', () => {
    const types = table.prices.filter((r) => r.id.startsWith('ec2.instance.')).map((r) => r.id.slice('ec2.instance.'.length));
    for (const type of new Set(types)) expect({ type, vcpus: table.instances.find((i) => i.type === type)?.vcpus }).toEqual({ type, vcpus: expect.any(Number) });
  });

  test('every priced line traces to a row of its region', () => {
    for (const e of [estimateCost(tier3, { traffic: { requestsPerMonth: 1e7 }, region: 'eu-west-1' })]) {
      for (const l of e.lines.filter((x) => x.monthlyUsd !== undefined)) {
        expect({ line: `${l.resource} ${l.item}`, rows: l.prices.length }).toEqual({ line: `${l.resource} ${l.item}`, rows: 1 });
        expect(e.rows.find((r) => r.id === l.prices[0])?.region).toBe('eu-west-1');
      }
    }
  });
});

describe('arithmetic', () => {
  const row = (over: Partial<PriceRow>): PriceRow => ({ id: 'x', region: 'us-east-1', description: 'x', unit: 'GB', source: 's', read: '2026-12-01', confirmed: true, ...over });

  test('volume tiers apply to the month across resources, as AWS bills data transfer', () => {
    const meter = new Meter(false);
    const tiered = row({ tiers: [{ upTo: 10_240, usd: 0.09 }, { upTo: 51_200, usd: 0.085 }, { usd: 0.07 }] });
    expect(meter.charge(tiered, 8_000).usd).toBeCloseTo(8_000 * 0.09, 9);
    // The second resource's 4,000 GB straddle the 10 TB line: 2,240 at the first price, 1,760 at the next.
    const second = meter.charge(tiered, 4_000);
    expect(second.usd).toBeCloseTo(2_240 * 0.09 + 1_760 * 0.085, 9);
    expect(second.formula).toBe('2,240 GB × $0.09/GB + 1,760 GB × $0.085/GB');
  });

  test('free tiers only when asked, once for the month', () => {
    const requests = row({ unit: 'request', per: 1e6, usd: 0.20, freeTier: { quantity: 1e6, note: 'always free' } });
    expect(new Meter(false).charge(requests, 3e6).usd).toBeCloseTo(0.60, 9);
    const meter = new Meter(true);
    expect(meter.charge(requests, 600_000).usd).toBe(0);
    expect(meter.charge(requests, 600_000).usd).toBeCloseTo(0.2 * 0.2, 9);
  });

  test('the free tier flag reaches the estimate: tier 5 at 1 M requests loses its Lambda charges', () => {
    const paid = estimateCost(tier5, { traffic: { requestsPerMonth: 1e6 } });
    const free = estimateCost(tier5, { traffic: { requestsPerMonth: 1e6 }, includeFreeTier: true });
    const fn = /^WebAppFunction/;
    expect(line(paid, 'requests', fn).monthlyUsd).toBeCloseTo(0.20, 9);
    expect(line(free, 'requests', fn).monthlyUsd).toBe(0);
    expect(line(free, 'requests', fn).formula).toMatch(/within the free tier/);
    expect(line(free, 'duration (arm64)').monthlyUsd).toBe(0);
  });

  test.each([1, 1.5, 3, 10])('hourly rates average the month and peak at %p× the average', (p) => {
    const rates = hourlyRates(resolveTraffic({ requestsPerMonth: 730 * 3600 * 10, peakToAverage: p }));
    expect(rates).toHaveLength(730);
    expect(rates.reduce((a, b) => a + b, 0) / 730).toBeCloseTo(10, 9);
    expect(rates[729]).toBeGreaterThan(10 * p * 0.98);
    expect(rates[729]).toBeLessThanOrEqual(10 * p * 1.005);
    expect([...rates].sort((a, b) => a - b)).toEqual(rates);
  });

  test('a server tier scales up with the peak, and says when its maximum is not enough', () => {
    const at = (requestsPerMonth: number) => estimateCost(tier3, { traffic: { requestsPerMonth, peakToAverage: 1 } }).servers[0];
    // 4 × t4g.small at 100 % CPU serve 4 × 200 requests/s: 800 × 3600 × 730 = 2.1 B a month.
    expect(at(1e9).capacityRequestsPerMonth).toBeCloseTo(800 * 3600 * 730, 0);
    expect(at(2e9).saturated).toBe(false);
    expect(at(3e9)).toEqual(expect.objectContaining({ saturated: true, instanceHours: 4 * month }));
    // 1 B a month is 380.5 requests/s: ceil(380.5 / 120) = 4 instances at 60 % CPU.
    expect(at(1e9)).toEqual(expect.objectContaining({ saturated: false, instanceHours: 4 * month, peakInstancesNeeded: 4 }));
  });

  test('an instance over capacity is at most fully busy: its credits stop at 100 % CPU', () => {
    // 1 × t4g.small (2 vCPU) at 20 requests/s per vCPU serves 40/s; 100 M a month is 38/s, 1 B is 380/s.
    const e = estimateCost(tier1, { traffic: { requestsPerMonth: 1e9, peakToAverage: 1 }, assumptions: { requestsPerVcpuSecond: 20 } });
    expect(e.servers[0].saturated).toBe(true);
    expect(line(e, 'CPU credits above the burst baseline').monthlyUsd).toBeCloseTo((2 - 0.2 * 2) * month * 0.04, 6);
  });

  test('a burstable instance busy above its baseline pays for surplus CPU credits', () => {
    // 1 B requests at 100/s per vCPU keep 3.805 vCPUs busy; 4 × t4g.small have 4 × 2 × 20 % = 1.6 of baseline.
    const e = estimateCost(tier3, { traffic: { requestsPerMonth: 1e9, peakToAverage: 1 } });
    const busy = 1e9 / 100 / 3600;
    expect(line(e, 'CPU credits above the burst baseline').monthlyUsd).toBeCloseTo((busy - 0.2 * 2 * 4 * month) * 0.04, 6);
  });

  test('traffic and assumptions are checked like props, naming the field', () => {
    const bad = (traffic: object, assumptions?: object) => () => estimateCost(tier5, { traffic: traffic as never, assumptions: assumptions as never });
    expect(bad({})).toThrow(/invalid traffic\.requestsPerMonth: is required; accepted: a number from 0 to/);
    expect(bad({ requestsPerMonth: 1e6, writeShare: 2 })).toThrow(/invalid traffic\.writeShare: got 2; accepted: a number from 0 to 1/);
    expect(bad({ requestsPerMonth: '10M' })).toThrow(/invalid traffic\.requestsPerMonth: got '10M'/);
    expect(bad({ requestsPerMonth: 1 }, { requestsPerVcpuSecond: 0 })).toThrow(/invalid assumptions\.requestsPerVcpuSecond: got 0/);
  });
});

describe('ratings, from the template', () => {
  test('tier 1: one instance in one zone; the team runs the OS, the runtime and the database', () => {
    const r = rateTemplate(tier1);
    expect(r.singlePointsOfFailure).toEqual([
      expect.stringMatching(/^one instance \(WebGroupASG/),
      expect.stringMatching(/^one availability zone \(WebGroupASG\w+, WebDataVolume\w+\)$/),
    ]);
    expect(r.operate).toMatch(/instances and their OS .* the database on the instance/);
    expect(r.scaling).toBe('fixed: 1 × t4g.small');
    expect(r.performance).toMatch(/^over capacity at 1 B requests\/month; 1 × t4g.small serves up to/);
  });

  test('tier 3 with one NAT gateway: egress is the single point of failure; scaling is metric-driven with its warm-up', () => {
    const r = rateTemplate(tier3);
    expect(r.singlePointsOfFailure).toEqual([expect.stringMatching(/^one NAT for egress \(WebNetworkVpcPublicSubnet1NATGateway/)]);
    expect(r.scaling).toMatch(/^metric-driven \(CPU\), 2–4 × t4g\.small; /);
    expect(r.scaling).toMatch(/; a new instance counts after 3 min warm-up$/);
  });

  test('tier 5: no single point of failure, only code, per request, cold starts', () => {
    const r = rateTemplate(tier5);
    expect(r.singlePointsOfFailure).toEqual([]);
    expect(r.operate).toBe('only code and its configuration');
    expect(r.scaling).toMatch(/^per request/);
    expect(r.performance).toMatch(/^cold starts/);
    expect(r.costAt1B.usdPerMillion).toBeLessThan(r.costAt10M.usdPerMillion);
  });

  test('a single-AZ database is named', () => {
    const single = JSON.parse(JSON.stringify(tier3));
    for (const r of Object.values<any>(single.Resources)) if (r.Type === 'AWS::RDS::DBInstance') r.Properties.MultiAZ = false;
    expect(rateTemplate(single).singlePointsOfFailure).toContainEqual(expect.stringMatching(/^a single-AZ database \(WebDatabaseInstance/));
  });

  test('the review section compares the base with the change', () => {
    const text = costAndAvailability(tier5, tier3);
    expect(text).toMatch(/^### Cost and availability\n/);
    expect(text).toContain('| | base | this change |');
    // Tier 3's database exports its logs and has enhanced monitoring: two lines not priced, and said so.
    expect(text).toMatch(/\| Monthly cost \| \$[\d,.]+, 2 not priced \| \$[\d,.]+ \(−\$[\d,.]+\) \|/);
    expect(text).toMatch(/\| Single points of failure \| one NAT for egress .* \| none \|/);
  });
});

describe('comparison and chart', () => {
  // A flat cost ($3.65 of one address) and a linear one ($1 a million API requests): they cross at 3.65 M.
  const flat: CfnTemplate = { Resources: { Ip: { Type: 'AWS::EC2::EIP' } } };
  const linear: CfnTemplate = { Resources: { Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: { ProtocolType: 'HTTP' } } } };
  const templates = [['flat', flat], ['linear', linear]] as const;
  const options = { traffic: { averageResponseBytes: 0 } };
  const curves = costCurves(templates, options);
  const crossings = crossovers(templates, curves, options);

  test('curves run from 100 thousand to 1 billion requests a month', () => {
    expect(curves.map((c) => c.points.length)).toEqual([33, 33]);
    expect(curves[1].points[0]).toEqual({ requestsPerMonth: 1e5, monthlyUsd: expect.closeTo(0.1, 9), overCapacity: false, notPriced: 0 });
    expect(curves[1].points[32].requestsPerMonth).toBe(1e9);
  });

  test('the crossover is found where the sums are equal', () => {
    expect(crossings).toEqual([{ requestsPerMonth: expect.closeTo(3.65e6, -4), monthlyUsd: expect.closeTo(3.65, 9), cheaper: 'flat', dearer: 'linear' }]);
  });

  test('the chart is an SVG that depends only on its input', () => {
    const svg = costChartSvg(curves, crossings, { title: 'Flat & linear', subtitle: 'test' });
    expect(svg).toBe(costChartSvg(curves, crossings, { title: 'Flat & linear', subtitle: 'test' }));
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1000" height="560"/);
    expect(svg).toContain('Flat &amp; linear');
    expect(svg.match(/<circle /g)).toHaveLength(1);
    expect(svg).toContain('1: flat &lt; linear above 3.65M');
    for (const label of ['100k', '1M', '10M', '100M', '1B']) expect(svg).toContain(`>${label}</text>`);
    const png = svgToPng(svg);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.readUInt32BE(16)).toBe(2000); // drawn at twice the SVG's width
  });

  test('stack names lose the prefix they share', () => {
    expect(shortNames(['WebTiers-single-instance', 'WebTiers-serverless'])).toEqual(['single-instance', 'serverless']);
    expect(shortNames(['WebTiers-prod'])).toEqual(['WebTiers-prod']);
    expect(['10M', '250k', '1B', '1_500', '2.5M'].map((t) => parseCount(t, 'requests'))).toEqual([1e7, 2.5e5, 1e9, 1500, 2.5e6]);
    expect(() => parseCount('ten', 'requests')).toThrow("--requests: got 'ten'; accepted: a number such as 10000000, 10M, 250k or 1B");
    expect(parseCostArgs(['--requests', '50M', '--assume', 'requestsPerVcpuSecond=250', '--assume=dataGB=40']))
      .toEqual(expect.objectContaining({ traffic: { requestsPerMonth: 5e7 }, assumptions: { requestsPerVcpuSecond: 250, dataGB: 40 } }));
    expect(() => parseCostArgs(['--assume', 'cpu=2'])).toThrow(/--assume: got 'cpu=2'; accepted: NAME=NUMBER with NAME one of requestsPerVcpuSecond, /);
  });
});

describe('budgets', () => {
  const withBudget = (monthlyUsd: number) => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'budget-'));
    const app = new App({ context: PROJECT_CONTEXT, outdir });
    const config: EnvironmentConfig = { ...ENVIRONMENTS.staging, budget: { monthlyUsd, traffic: { requestsPerMonth: 5e6 } } };
    const [stack] = addEnvironmentStacks(app, { staging: config }, webApp);
    return { app, stack, outdir };
  };

  test('a budget below the estimate fails synth with the estimate and its top lines', () => {
    const { app, outdir } = withBudget(50);
    // The failed validation prints its report (the assertions read the copy it writes).
    const print = console.error;
    console.error = () => {};
    try {
      expect(() => app.synth()).toThrow(/WebTiers-staging: the estimate is \$[\d,.]+ a month, above the budget of \$50\.00/);
      const report = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
      const budget = report.pluginReports.find((p: any) => p.pluginName === 'cdk-web-tiers-budget');
      expect(budget.violations).toEqual([expect.objectContaining({
        ruleName: 'CostBudget',
        description: expect.stringMatching(/^WebTiers-staging: the estimate is \$[\d,.]+ a month, above the budget of \$50\.00 \(5,000,000 requests\/month.*\)\.\nTop lines:\n +\$[\d,.]+ +\w+: /),
      })]);
      expect(budget.violations[0].description.split('\n').filter((l: string) => /^ +\$/.test(l))).toHaveLength(5);
    } finally {
      console.error = print;
      fs.rmSync(outdir, { recursive: true, force: true });
    }
  });

  test('a budget above it synthesizes an AWS Budgets budget on the stack, alerting the alarm topic', () => {
    const { app, stack, outdir } = withBudget(1000);
    const t = Template.fromJSON(app.synth().getStackByName(stack.stackName).template);
    fs.rmSync(outdir, { recursive: true, force: true });
    const topic = Object.keys(t.findResources('AWS::SNS::Topic'))[0];
    const alert = (type: string, threshold: number) => ({
      Notification: { NotificationType: type, ComparisonOperator: 'GREATER_THAN', Threshold: threshold, ThresholdType: 'PERCENTAGE' },
      Subscribers: [{ SubscriptionType: 'SNS', Address: { Ref: topic } }],
    });
    t.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: {
        BudgetType: 'COST', TimeUnit: 'MONTHLY', BudgetLimit: { Amount: 1000, Unit: 'USD' },
        FilterExpression: { Tags: { Key: 'aws:cloudformation:stack-name', Values: ['WebTiers-staging'], MatchOptions: ['EQUALS'] } },
      },
      NotificationsWithSubscribers: [alert('ACTUAL', 80), alert('ACTUAL', 100), alert('FORECASTED', 100)],
    });
    const topicPolicies = Object.values<any>(t.findResources('AWS::SNS::TopicPolicy')).flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(topicPolicies).toContainEqual(expect.objectContaining({
      Sid: 'AwsBudgetsPublish', Effect: 'Allow', Principal: { Service: 'budgets.amazonaws.com' }, Action: 'sns:Publish',
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    }));
    const keyPolicies = Object.values<any>(t.findResources('AWS::KMS::Key')).flatMap((k) => k.Properties.KeyPolicy.Statement);
    expect(keyPolicies).toContainEqual(expect.objectContaining({ Sid: 'AwsBudgetsUseKey', Principal: { Service: 'budgets.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey*'] }));
  });

  test('a budget that could not be checked is an error, not a silent pass', () => {
    const app = new App();
    const topic = (stack: Stack) => new sns.Topic(stack, 'Alarms');
    const mumbai = new Stack(app, 'Mumbai', { env: { account: '123456789012', region: 'ap-south-1' } });
    expect(() => new CostBudget(mumbai, 'Budget', { monthlyUsd: 5, traffic: { requestsPerMonth: 1 }, topic: topic(mumbai) }))
      .toThrow(/Mumbai\/Budget: invalid pricingRegion: the price table has no prices for ap-south-1, so the budget could not be checked at synth; accepted: us-east-1, eu-west-1/);
    new CostBudget(mumbai, 'Approximate', { monthlyUsd: 5, traffic: { requestsPerMonth: 1 }, topic: topic(new Stack(app, 'T')), pricingRegion: 'eu-west-1' });
    const parent = new Stack(app, 'Parent');
    const nested = new NestedStack(parent, 'Nested');
    expect(() => new CostBudget(nested, 'Budget', { monthlyUsd: 5, traffic: { requestsPerMonth: 1 }, topic: topic(parent) }))
      .toThrow(/invalid scope: is in the nested stack Parent\/Nested/);
    const stack = new Stack(app, 'Alerts');
    expect(() => new CostBudget(stack, 'Five', { monthlyUsd: 5, traffic: { requestsPerMonth: 1 }, topic: topic(stack), alertAtPercent: [50, 80, 90, 100, 120] }))
      .toThrow(/invalid alertAtPercent: got an array of 5; accepted: an array \(1 to 4\)/);
    expect(() => new CostBudget(stack, 'Twice', { monthlyUsd: 5, traffic: { requestsPerMonth: 1 }, topic: new sns.Topic(stack, 'T2'), alertAtPercent: [80, 80] }))
      .toThrow(/invalid alertAtPercent: got 80, 80; accepted: distinct percentages/);
  });

  test('README shows the message dev gets on tier 2, as synth prints it today', () => {
    const app = new App({ context: PROJECT_CONTEXT, outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'budget-readme-')) });
    addEnvironmentStacks(app, { dev: { ...ENVIRONMENTS.dev, tier: 'load-balanced' } }, webApp);
    const print = console.error;
    console.error = () => {};
    let message = '';
    try {
      app.synth();
    } catch (err) {
      message = (err as Error).message;
    } finally {
      console.error = print;
      fs.rmSync(app.outdir, { recursive: true, force: true });
    }
    const first = /ERROR (WebTiers-dev: the estimate is \$[\d,.]+ a month, above the budget of \$40\.00) \(/.exec(message)?.[1];
    expect(first).toBeDefined();
    expect(fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')).toContain(`ERROR ${first} (1,000,000 requests/month`);
  });

  test('bad budget props are errors naming the prop', () => {
    const stack = new Stack(new App(), 'B');
    const topic = new sns.Topic(stack, 'T');
    expect(() => new CostBudget(stack, 'X', { monthlyUsd: -5, traffic: { requestsPerMonth: 1 }, topic })).toThrow(/B\/X: invalid monthlyUsd: got -5; accepted: a number from 0\.01/);
    expect(() => new CostBudget(stack, 'Y', { monthlyUsd: 5, traffic: { requestsPerMonth: 1, peakToAverage: 0.5 }, topic }))
      .toThrow(WebTiersValidationError);
    expect(() => addEnvironmentStacks(new App({ context: PROJECT_CONTEXT }), { dev: { ...ENVIRONMENTS.dev, budget: { monthlyUsd: 10 } as never } }, webApp))
      .toThrow(/invalid environments\.dev\.budget\.traffic: is required/);
  });
});

test('npm run cost prices every environment, and with --tiers every tier, offline; README and docs/cost show the current comparison', () => {
  const root = path.join(__dirname, '..');
  const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
  const env = { ...process.env, CDK_VALIDATION: 'false' };
  const all = execFileSync(tsx, ['bin/cost.ts', '--requests', '2M'], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (const name of Object.keys(ENVIRONMENTS)) expect(all).toMatch(new RegExp(`## WebTiers-${name}\\n\\nTraffic from --requests\\.\\n\\n### Monthly cost: \\$[\\d,.]+( plus \\d lines not priced)?\\n`));
  // The only lines not priced are the databases' exported logs and enhanced monitoring.
  const notPriced = [...all.matchAll(/^\| \w+ \| ([^|]+) \| not priced: [^|]+ \| not priced \|$/gm)].map((m) => m[1].trim());
  expect(new Set(notPriced)).toEqual(new Set(['exported logs (postgresql, upgrade)', 'enhanced monitoring']));
  expect(all.match(/\| Single points of failure \|/g)).toHaveLength(Object.keys(ENVIRONMENTS).length);

  const chart = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cost-chart-')), 'prod.svg');
  const tiers = execFileSync(tsx, ['bin/cost.ts', '--tiers', 'prod', '--chart', chart], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(tiers).toMatch(/\| requests\/month \| single-instance \| load-balanced \| auto-scaling \| managed-auto-scaling \| serverless \| managed-serverless \| serverless-dynamodb \|\n/);
  expect(tiers).toMatch(/\| 1B \|( \$[\d,.]+( \(over capacity\))? \|){7}\n/);
  // What README shows is what the command prints today, and the committed chart is what it draws.
  const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8');
  const table = tiers.slice(tiers.indexOf('| requests/month'), tiers.indexOf('## Ratings')).trim();
  const ratings = tiers.slice(tiers.indexOf('| | single-instance'), tiers.indexOf('Chart written')).trim();
  expect(readme).toContain(table);
  expect(readme).toContain(ratings);
  expect(fs.readFileSync(chart, 'utf8')).toBe(fs.readFileSync(path.join(root, 'docs', 'cost', 'prod.svg'), 'utf8'));
  expect(fs.existsSync(chart.replace(/svg$/, 'png'))).toBe(true);
  // The climb README walks through: each step's cost, as the command prints it today.
  const climb = execFileSync(tsx, ['bin/cost.ts', '--climb', 'prod'], { cwd: root, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  expect(climb).toMatch(/\| requests\/month \| 0-auto-scaling \| 1-api-10pct-on-Lambda \| 2-all-on-Lambda \| 3-serverless \|\n/);
  expect(readme).toContain(climb.slice(climb.indexOf('| requests/month'), climb.indexOf('Crossovers')).trim());
  fs.rmSync(path.dirname(chart), { recursive: true, force: true });
}, 120_000);
