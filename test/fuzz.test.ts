/**
 * Property-based tests: random props for every tier. A sample is random valid props, and half the
 * time one field replaced by an invalid value. Valid samples must synthesize and pass
 * AwsSolutions; a mutated one must throw WebTiersValidationError naming that field; nothing may
 * throw anything else (a TypeError, an error from inside aws-cdk-lib).
 * Then wrong types: every prop of each construct's spec replaced by values of other types (a
 * string, a number, NaN, an object, an array, a token, another construct, …); the only outcomes
 * accepted are WebTiersValidationError naming that prop, or a clean synth of a template with no
 * null, token-encoded number or `[object Object]` in it.
 * FUZZ_RUNS sets the runs per tier (npm run fuzz runs many more).
 */
import * as path from 'node:path';
import { App, CfnParameter, Duration, RemovalPolicy, Size, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as autoscaling from 'aws-cdk-lib/aws-autoscaling';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import fc from 'fast-check';
import ts from 'typescript';
import {
  AutoScalingTier, BatchSize, Deployment, BeanstalkDeployment, LoadBalancedTier, ManagedAutoScalingTier, ManagedServerlessTier, ScaleOn,
  ServerlessApi, ServerlessAuth, ServerlessDeployment, ServerlessTier, SingleInstanceTier, SinglePointOfFailure, UpdateLevel,
} from '../constructs';
import { DATABASE_SPEC, Database } from '../constructs/shared/database';
import { COST_BUDGET_SPEC, CostBudget } from '../lib/cost/budget';
import { NETWORK_SPEC, Network } from '../constructs/shared/network';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { SINGLE_INSTANCE_SPEC } from '../constructs/single-instance/single-instance-tier';
import { LOAD_BALANCED_SPEC } from '../constructs/load-balanced/load-balanced-tier';
import { AUTO_SCALING_SPEC } from '../constructs/auto-scaling/auto-scaling-tier';
import { MANAGED_AUTO_SCALING_SPEC } from '../constructs/managed-auto-scaling/managed-auto-scaling-tier';
import { SERVERLESS_SPEC } from '../constructs/serverless/serverless-tier';
import { MANAGED_SERVERLESS_SPEC } from '../constructs/managed-serverless/managed-serverless-tier';
import { HYBRID_ROUTER_SPEC } from '../constructs/hybrid/hybrid-router';
import { STACK_EXPIRY_SPEC } from '../constructs/shared/stack-expiry';
import { addNagChecks } from '../lib/nag';
import { PROJECT_CONTEXT, templateDefects, webApp } from './helpers';
import { captureSynthWarnings } from './synth-warnings';

// Random props have single points of failure (one instance, a minimum of 1, the default NAT gateway):
// they warn. Any other warning, or anything else on console.error, fails the run.
captureSynthWarnings(...SinglePointOfFailure.ALL);

const RUNS = Number(process.env.FUZZ_RUNS ?? 10);
/** The hosted zone of a domain: its last two labels. */
function zoneFor(stack: Stack, domainName: string): route53.IHostedZone {
  return route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: domainName.split('.').slice(-2).join('.') });
}

const CERT = 'arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';
const GLOBAL_ACL = 'arn:aws:wafv2:us-east-1:123456789012:global/webacl/site/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f';

/** Builds props in a stack (some props need a scope, e.g. a certificate). */
type Build = (stack: Stack) => Record<string, unknown>;
/** One invalid replacement: the prop path the error must name, and how to apply it. */
interface Mutation { readonly prop: string; readonly apply: (props: Record<string, unknown>, stack: Stack) => Record<string, unknown> }

function check(make: (stack: Stack, props: Record<string, unknown>) => void, valid: fc.Arbitrary<Build>, mutations: fc.Arbitrary<Mutation>) {
  fc.assert(fc.property(valid, fc.option(mutations, { freq: 2 }), (build, mutation) => {
    const app = new App({ context: PROJECT_CONTEXT });
    const stack = new Stack(app, 'Fuzz');
    let props = build(stack);
    let error: unknown;
    try {
      // A factory (BatchSize.percent(0), ServerlessDeployment.canary(100)) rejects a bad value itself.
      if (mutation) props = mutation.apply(props, stack);
      make(stack, props);
      if (!mutation) {
        addNagChecks(app);
        const defects = templateDefects(app.synth().getStackByName('Fuzz').template);
        if (defects.length) throw new Error(`the template carries ${defects.slice(0, 3).join(', ')}`);
      }
    } catch (e) {
      error = e;
    }
    if (mutation) {
      if (!(error instanceof WebTiersValidationError)) throw new Error(`mutation of ${mutation.prop} gave ${error ? String(error) : 'no error'}`);
      if (!error.prop.startsWith(mutation.prop)) throw new Error(`mutation of ${mutation.prop} was reported as ${error.prop}: ${error.message}`);
    } else if (error) {
      throw new Error(`valid props failed: ${String(error)}\n${JSON.stringify(props, (_k, v) => (v instanceof Stack ? undefined : v))}`);
    }
  }), { numRuns: RUNS, seed: process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined });
}

const set = (prop: string, value: (stack: Stack) => unknown): Mutation => ({
  prop,
  apply: (props, stack) => setPath({ ...props }, prop.split('.'), value(stack)),
});
function setPath(target: Record<string, any>, keys: string[], value: unknown): Record<string, any> {
  const [head, ...rest] = keys;
  target[head] = rest.length ? setPath({ ...(target[head] ?? {}) }, rest, value) : value;
  return target;
}

const instanceTypes = fc.constantFrom('t4g.small', 't4g.medium', 'm7g.large', 't3.small', 'c7i.large').map((t) => new ec2.InstanceType(t));
const badInstanceTypes = fc.constantFrom('t4g', 'large', 'T4G SMALL', 't4g.').map((t) => set('instanceType', () => new ec2.InstanceType(t)));
const removal = fc.constantFrom(RemovalPolicy.RETAIN, RemovalPolicy.SNAPSHOT, RemovalPolicy.DESTROY);
const retention = fc.constantFrom(RetentionDays.ONE_WEEK, RetentionDays.ONE_MONTH, RetentionDays.THREE_MONTHS, RetentionDays.ONE_YEAR);
const envName = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,8}$/).filter((n) => !['PORT', 'HOST', 'NODE_ENV', 'TABLE_NAME', 'NODE_OPTIONS'].includes(n));
const environment = fc.dictionary(envName, fc.stringMatching(/^[a-z0-9 .:/-]{0,20}$/), { maxKeys: 3 });
const badEnvironment = fc.constantFrom<Record<string, string>>({ '1ABC': 'x' }, { 'A-B': 'x' }, { PORT: '80' }, { OK: 'two\nlines' }).map((e) => set('environment', () => e));

describe('SingleInstanceTier', () => {
  test('random props', () => check(
    (stack, props) => new SingleInstanceTier(stack, 'Web', { app: webApp, ...props }),
    fc.record({
      instanceType: instanceTypes,
      dataVolumeSize: fc.integer({ min: 1, max: 16384 }),
      snapshotRetention: fc.integer({ min: 1, max: 1000 }),
      removalPolicy: removal,
      logRetention: retention,
      https: fc.option(fc.constantFrom('app.example.com', 'www.shop.example.org'), { nil: undefined }),
      environment,
      email: fc.option(fc.constant('ops@example.com'), { nil: undefined }),
    }).map((v) => (stack: Stack) => ({
      instanceType: v.instanceType, dataVolumeSize: Size.gibibytes(v.dataVolumeSize), snapshotRetention: v.snapshotRetention,
      removalPolicy: v.removalPolicy, logRetention: v.logRetention,
      domain: v.https ? { domainName: v.https, domainZone: zoneFor(stack, v.https) } : undefined,
      environment: v.environment, alarms: { email: v.email },
    })),
    fc.oneof(
      badInstanceTypes,
      fc.constantFrom(0, 16385, 50000).map((n) => set('dataVolumeSize', () => Size.gibibytes(n))),
      fc.constant(set('dataVolumeSize', () => Size.mebibytes(1536))),
      fc.constantFrom(0, 1001, 2.5, -7).map((n) => set('snapshotRetention', () => n)),
      fc.constantFrom('no_tld', 'UPPER.example.com', '-x.example.com', 'a..b.com').map((d) => set('domain', (s) => ({
        domainName: d, domainZone: route53.HostedZone.fromHostedZoneAttributes(s, 'BadZone', { hostedZoneId: 'Z1', zoneName: 'example.com' }),
      }))).map((m) => ({ ...m, prop: 'domain.domainName' })),
      badEnvironment,
      fc.constantFrom('nope', 'a@b', '@x.com').map((e) => set('alarms', () => ({ email: e }))).map((m) => ({ ...m, prop: 'alarms.email' })),
    ),
  ));
});

describe('LoadBalancedTier', () => {
  test('random props', () => check(
    (stack, props) => new LoadBalancedTier(stack, 'Web', { app: webApp, ...props }),
    fc.record({
      instanceCount: fc.integer({ min: 2, max: 6 }),
      instanceType: instanceTypes,
      delay: fc.integer({ min: 0, max: 3600 }),
      days: fc.integer({ min: 1, max: 3650 }),
      https: fc.boolean(),
      removalPolicy: removal,
      environment,
    }).map((v) => (stack: Stack) => ({
      instanceCount: v.instanceCount, instanceType: v.instanceType, removalPolicy: v.removalPolicy, environment: v.environment,
      loadBalancer: { deregistrationDelay: Duration.seconds(v.delay), accessLogDays: v.days },
      domain: v.https ? {
        certificate: acm.Certificate.fromCertificateArn(stack, 'Cert', CERT),
        domainName: 'app.example.com', domainZone: zoneFor(stack, 'app.example.com'),
      } : undefined,
    })),
    fc.oneof(
      fc.constantFrom(0, 21, -3, 1.5).map((n) => set('instanceCount', () => n)),
      badInstanceTypes,
      fc.constantFrom(3601, 100000).map((n) => set('loadBalancer.deregistrationDelay', () => Duration.seconds(n))),
      fc.constantFrom(0, 3651).map((n) => set('loadBalancer.accessLogDays', () => n)),
      fc.constantFrom('arn:aws:iam::123456789012:server-certificate/x', 'not-an-arn').map((a) => ({
        ...set('domain', (s) => ({
          domainName: 'app.example.com',
          domainZone: route53.HostedZone.fromHostedZoneAttributes(s, 'BadZone', { hostedZoneId: 'Z1', zoneName: 'example.com' }),
          certificate: acm.Certificate.fromCertificateArn(s, 'BadCert', a),
        })),
        prop: 'domain.certificate',
      })),
      badEnvironment,
    ),
  ));
});

describe('AutoScalingTier', () => {
  const valid = fc.record({
    pct: fc.integer({ min: 50, max: 100 }),
    min: fc.integer({ min: 1, max: 5 }),
    extra: fc.integer({ min: 1, max: 10 }),
    cpu: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    memory: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    requests: fc.option(fc.integer({ min: 1, max: 1_000_000 }), { nil: undefined }),
    timeout: fc.integer({ min: 1, max: 60 }),
    scheduled: fc.option(fc.integer({ min: 1, max: 10 }), { nil: undefined }),
    instanceType: instanceTypes,
  }).map((v) => () => {
    const inService = Math.ceil(v.min * v.pct / 100);
    const scaleOn = [v.cpu !== undefined && ScaleOn.cpu(v.cpu), v.memory !== undefined && ScaleOn.memory(v.memory), v.requests !== undefined && ScaleOn.requestsPerTarget(v.requests)]
      .filter((x): x is ScaleOn => Boolean(x));
    return {
      capacity: { min: v.min, max: Math.max(v.min, inService + v.extra) },
      deployment: { minHealthyPercent: v.pct, signalTimeout: Duration.minutes(v.timeout) },
      scaleOn: scaleOn.length ? scaleOn : undefined,
      schedules: v.scheduled ? [{ schedule: autoscaling.Schedule.cron({ hour: '7', minute: '0' }), min: v.scheduled }] : undefined,
      instanceType: v.instanceType,
    };
  });
  test('random props', () => check(
    (stack, props) => new AutoScalingTier(stack, 'Web', { app: webApp, ...props }),
    valid,
    fc.oneof(
      fc.constant({ prop: 'capacity', apply: (p: Record<string, unknown>) => ({ ...p, capacity: { min: 5, max: 2 } }) }),
      fc.constantFrom(0, 1001).map((n) => set('capacity', () => ({ min: n }))).map((m) => ({ ...m, prop: 'capacity.min' })),
      fc.constantFrom(0, 101, -5, Number.NaN).map((n) => set('scaleOn', () => [ScaleOn.cpu(n)])).map((m) => ({ ...m, prop: 'scaleOn[0]' })),
      fc.constantFrom(0, 0.5, 2_000_000).map((n) => set('scaleOn', () => [ScaleOn.requestsPerTarget(n)])).map((m) => ({ ...m, prop: 'scaleOn[0]' })),
      fc.constantFrom(49, 101).map((n) => set('deployment', () => ({ minHealthyPercent: n }))).map((m) => ({ ...m, prop: 'deployment.minHealthyPercent' })),
      fc.constantFrom(0, 61, 120).map((n) => set('deployment', () => ({ signalTimeout: Duration.minutes(n) }))).map((m) => ({ ...m, prop: 'deployment.signalTimeout' })),
      fc.constant(set('schedules', () => [{ schedule: autoscaling.Schedule.cron({ hour: '1' }) }])).map((m) => ({ ...m, prop: 'schedules[0]' })),
      badInstanceTypes,
    ),
  ));
});

describe('ManagedAutoScalingTier', () => {
  const valid = fc.record({
    arm: fc.boolean(),
    min: fc.integer({ min: 1, max: 4 }),
    extra: fc.integer({ min: 0, max: 6 }),
    policy: fc.constantFrom('allAtOnce', 'rollingPercent', 'rollingFixed', 'additional', 'immutable', 'split'),
    percent: fc.integer({ min: 1, max: 100 }),
    minutes: fc.integer({ min: 3, max: 600 }),
    updates: fc.option(fc.record({ day: fc.constantFrom('Mon', 'Sun', 'Wed'), hour: fc.integer({ min: 0, max: 23 }), level: fc.constantFrom(UpdateLevel.PATCH, UpdateLevel.MINOR) }), { nil: undefined }),
    retention: fc.constantFrom(RetentionDays.ONE_DAY, RetentionDays.ONE_WEEK, RetentionDays.THREE_MONTHS, RetentionDays.ONE_YEAR, RetentionDays.TEN_YEARS),
    node: fc.constantFrom(20, 22, 24),
    environment,
  }).map((v) => () => {
    const max = v.min + v.extra;
    const deployment = {
      allAtOnce: BeanstalkDeployment.allAtOnce(),
      rollingPercent: BeanstalkDeployment.rolling(BatchSize.percent(v.percent)),
      rollingFixed: BeanstalkDeployment.rolling(BatchSize.fixed(1 + (v.percent % max))),
      additional: BeanstalkDeployment.rollingWithAdditionalBatch(BatchSize.percent(v.percent)),
      immutable: BeanstalkDeployment.immutable(),
      split: BeanstalkDeployment.trafficSplitting(v.percent, Duration.minutes(v.minutes)),
    }[v.policy];
    return {
      instanceTypes: (v.arm ? ['t4g.small', 'm7g.large'] : ['t3.small', 'c7i.large']).map((t) => new ec2.InstanceType(t)),
      scaling: { min: v.min, max },
      deployment,
      managedUpdates: v.updates ? { window: `${v.updates.day}:${String(v.updates.hour).padStart(2, '0')}:00`, level: v.updates.level } : false,
      monitoring: { logRetention: v.retention },
      solutionStackName: `64bit Amazon Linux 2023 v6.10.0 running Node.js ${v.node}`,
      environment: v.environment,
    };
  });
  test('random props', () => check(
    (stack, props) => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props }),
    valid,
    fc.oneof(
      fc.constant({ prop: 'scaling', apply: (p: Record<string, unknown>) => ({ ...p, scaling: { min: 6, max: 2 } }) }),
      fc.constantFrom(0, 101).map((n) => set('deployment', () => BeanstalkDeployment.rolling(BatchSize.percent(n)))).map((m) => ({ ...m, prop: 'BatchSize.percent(percent)' })),
      fc.constant({ prop: 'deployment.batchSize', apply: (p: Record<string, unknown>) => ({ ...p, scaling: { min: 1, max: 2 }, deployment: BeanstalkDeployment.rolling(BatchSize.fixed(3)) }) }),
      fc.constantFrom(0, 101).map((n) => set('deployment', () => BeanstalkDeployment.trafficSplitting(n))).map((m) => ({ ...m, prop: 'BeanstalkDeployment.trafficSplitting(percent)' })),
      fc.constantFrom('Sunday 3am', 'Sun:24:00', 'sun:03:00').map((w) => set('managedUpdates', () => ({ window: w }))).map((m) => ({ ...m, prop: 'managedUpdates.window' })),
      fc.constantFrom(RetentionDays.THREE_YEARS, RetentionDays.INFINITE, RetentionDays.SIX_YEARS).map((r) => set('monitoring', () => ({ logRetention: r }))).map((m) => ({ ...m, prop: 'monitoring.logRetention' })),
      fc.constantFrom('64bit Amazon Linux 2 v5.8.0 running Node.js 18', 'Node.js 24', '64bit Amazon Linux 2023 v6.1.0 running Node.js 18').map((n) => set('solutionStackName', () => n)),
      fc.constantFrom('autoscaling', 'AWS:asg', 'aws:').map((ns) => set('optionSettings', () => [{ namespace: ns, optionName: 'X', value: '1' }])).map((m) => ({ ...m, prop: 'optionSettings[0].namespace' })),
      fc.constant(set('instanceTypes', () => [new ec2.InstanceType('t4g.small'), new ec2.InstanceType('t3.small')])),
      badEnvironment,
    ),
  ));
});

describe('ServerlessTier', () => {
  const valid = fc.record({
    rest: fc.boolean(),
    memory: fc.integer({ min: 128, max: 10240 }),
    timeout: fc.integer({ min: 1, max: 29 }),
    reserved: fc.option(fc.integer({ min: 1, max: 100 }), { nil: undefined }),
    provisionedShare: fc.double({ min: 0, max: 1, noNaN: true }),
    routes: fc.uniqueArray(fc.constantFrom('/api', '/api/entries', '/admin', '/v1/items'), { maxLength: 2 }),
    auth: fc.constantFrom('none', 'cognito', 'jwt'),
    rate: fc.integer({ min: 1, max: 10000 }),
    burst: fc.integer({ min: 1, max: 5000 }),
    deployment: fc.constantFrom('all', 'canary', 'linear'),
    percent: fc.integer({ min: 1, max: 99 }),
    minutes: fc.integer({ min: 1, max: 60 }),
    cacheTtl: fc.option(fc.integer({ min: 0, max: 3600 }), { nil: undefined }),
  }).map((v) => () => ({
    api: v.rest ? ServerlessApi.rest({ cacheTtl: v.cacheTtl !== undefined ? Duration.seconds(v.cacheTtl) : undefined }) : ServerlessApi.http(),
    function: {
      memorySize: v.memory, timeout: Duration.seconds(v.timeout), reservedConcurrency: v.reserved,
      provisionedConcurrency: v.reserved !== undefined ? Math.floor(v.reserved * v.provisionedShare) : undefined,
    },
    routes: v.routes.map((p) => ({ path: p })),
    auth: v.auth === 'cognito' || (v.auth === 'jwt' && v.rest) ? { auth: ServerlessAuth.cognito() }
      : v.auth === 'jwt' ? { auth: ServerlessAuth.jwt('https://issuer.example.com/', ['web']) } : undefined,
    throttle: { rateLimit: v.rate, burstLimit: v.burst },
    deployment: v.deployment === 'all' ? ServerlessDeployment.allAtOnce()
      : v.deployment === 'canary' ? ServerlessDeployment.canary(v.percent, v.minutes) : ServerlessDeployment.linear(v.percent, v.minutes),
  }));
  test('random props', () => check(
    (stack, props) => new ServerlessTier(stack, 'Api', { app: webApp, ...props }),
    valid,
    fc.oneof(
      fc.constantFrom(64, 10241, 127).map((n) => set('function', () => ({ memorySize: n }))).map((m) => ({ ...m, prop: 'function.memorySize' })),
      fc.constantFrom(30, 60, 900).map((n) => set('function', () => ({ timeout: Duration.seconds(n) }))).map((m) => ({ ...m, prop: 'function.timeout' })),
      fc.constant(set('function', () => ({ reservedConcurrency: 2, provisionedConcurrency: 3 }))).map((m) => ({ ...m, prop: 'function.provisionedConcurrency' })),
      fc.constantFrom('/', '/items/{id}', 'api', '/api/').map((p) => set('routes', () => [{ path: p }])).map((m) => ({ ...m, prop: 'routes[0].path' })),
      fc.constantFrom(0, 10001).map((n) => set('throttle', () => ({ rateLimit: n, burstLimit: 10 }))).map((m) => ({ ...m, prop: 'throttle.rateLimit' })),
      fc.constantFrom(0, 100).map((n) => set('deployment', () => ServerlessDeployment.canary(n, 5))),
      fc.constant({ prop: 'auth', apply: (p: Record<string, unknown>) => ({ ...p, api: ServerlessApi.rest(), auth: { auth: ServerlessAuth.jwt('https://i.example.com/', ['a']) } }) }),
      // Only REST has a cache; drop auth so that a JWT authorizer (HTTP only) does not make a second error.
      fc.constant({ prop: 'api.cacheSize', apply: (p: Record<string, unknown>) => ({ ...p, auth: undefined, api: ServerlessApi.rest({ cacheSize: '0.5' }) }) }),
    ),
  ));
});

describe('ManagedServerlessTier', () => {
  test('random props', () => check(
    (stack, props) => new ManagedServerlessTier(stack, 'Site', { app: webApp, ...props }),
    fc.record({
      memory: fc.integer({ min: 128, max: 10240 }),
      timeout: fc.integer({ min: 1, max: 30 }),
      assets: fc.boolean(),
      waf: fc.boolean(),
      removalPolicy: removal,
      canary: fc.integer({ min: 1, max: 99 }),
    }).map((v) => () => ({
      function: { memorySize: v.memory, timeout: Duration.seconds(v.timeout) },
      assets: v.assets ? path.join(__dirname, '..', 'webapp', 'assets') : undefined,
      webAclArn: v.waf ? GLOBAL_ACL : undefined,
      removalPolicy: v.removalPolicy,
      deployment: ServerlessDeployment.canary(v.canary, 5),
    })),
    fc.oneof(
      fc.constantFrom(31, 120).map((n) => set('function', () => ({ timeout: Duration.seconds(n) }))).map((m) => ({ ...m, prop: 'function.timeout' })),
      fc.constantFrom(64, 20000).map((n) => set('function', () => ({ memorySize: n }))).map((m) => ({ ...m, prop: 'function.memorySize' })),
      fc.constantFrom('no/such/folder', '/nope').map((a) => set('assets', () => a)),
      fc.constantFrom('arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/w/0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f', 'waf').map((a) => set('webAclArn', () => a)),
    ),
  ));
});

/** Values of every kind a caller from JavaScript, another language or a config file might pass. */
const wrongValues = (stack: Stack): [string, unknown][] => [
  ['a string', 'x'],
  ['an empty string', ''],
  ['a number', 42],
  ['a negative number', -1],
  ['NaN', Number.NaN],
  ['true', true],
  ['an empty object', {}],
  ['an object', { a: 1 }],
  ['an empty array', []],
  ['an array with a hole', [undefined]],
  ['a number token', new CfnParameter(stack, 'NumberParam', { type: 'Number', default: 2 }).valueAsNumber],
  ['a string token', new CfnParameter(stack, 'StringParam', { default: 'x' }).valueAsString],
  ['another construct', new s3.Bucket(stack, 'Other')],
  ['a Duration', Duration.minutes(3)],
  ['a Size', Size.gibibytes(30)],
  ['a function', () => 1],
  ['null (not given)', null],
];

/**
 * Each prop of `spec` replaced by each wrong value, in a fresh stack: WebTiersValidationError
 * naming the prop, or a clean synth. Returns the outcomes, `prop <- value: outcome`, for the report.
 */
function wrongTypes(spec: Record<string, unknown>, make: (stack: Stack, props: Record<string, unknown>) => void, base: (stack: Stack) => Record<string, unknown> = () => ({})): string[] {
  const problems: string[] = [];
  for (const prop of Object.keys(spec)) {
    for (let i = 0; ; i++) {
      const app = new App({ context: PROJECT_CONTEXT });
      const stack = new Stack(app, 'Wrong');
      const values = wrongValues(stack);
      if (i >= values.length) break;
      const [kind, value] = values[i];
      try {
        make(stack, { ...base(stack), [prop]: value });
        const defects = templateDefects(app.synth().getStackByName('Wrong').template);
        if (defects.length) problems.push(`${prop} <- ${kind}: synthesized a template with ${defects.slice(0, 3).join(', ')}`);
      } catch (e) {
        if (!(e instanceof WebTiersValidationError)) problems.push(`${prop} <- ${kind}: threw ${String(e).split('\n')[0]}`);
        else if (!e.prop.startsWith(prop)) problems.push(`${prop} <- ${kind}: reported as ${e.prop}: ${e.message}`);
      }
    }
  }
  return problems;
}

describe('wrong types: every prop, every kind of value', () => {
  test('SingleInstanceTier', () => {
    expect(wrongTypes(SINGLE_INSTANCE_SPEC, (stack, props) => new SingleInstanceTier(stack, 'Web', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('Network', () => {
    expect(wrongTypes(NETWORK_SPEC, (stack, props) => new Network(stack, 'Net', props as never))).toEqual([]);
  });
  test('Database', () => {
    expect(wrongTypes(DATABASE_SPEC, (stack, props) => new Database(stack, 'Db', props as never), (stack) => ({ network: new Network(stack, 'Net') }))).toEqual([]);
  });
  test('LoadBalancedTier', () => {
    expect(wrongTypes(LOAD_BALANCED_SPEC, (stack, props) => new LoadBalancedTier(stack, 'Web', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('AutoScalingTier', () => {
    expect(wrongTypes(AUTO_SCALING_SPEC, (stack, props) => new AutoScalingTier(stack, 'Web', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('ManagedAutoScalingTier', () => {
    expect(wrongTypes(MANAGED_AUTO_SCALING_SPEC, (stack, props) => new ManagedAutoScalingTier(stack, 'Web', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('ServerlessTier', () => {
    expect(wrongTypes(SERVERLESS_SPEC, (stack, props) => new ServerlessTier(stack, 'Api', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('ManagedServerlessTier', () => {
    expect(wrongTypes(MANAGED_SERVERLESS_SPEC, (stack, props) => new ManagedServerlessTier(stack, 'Site', { app: webApp, ...props } as never))).toEqual([]);
  });
  test('CostBudget', () => {
    expect(wrongTypes(COST_BUDGET_SPEC, (stack, props) => new CostBudget(stack, 'Budget', props as never),
      (stack) => ({ monthlyUsd: 100, traffic: { requestsPerMonth: 1e6 }, topic: new sns.Topic(stack, 'Alarms') }))).toEqual([]);
  });
});

describe('valid but unusual: the checks do not over-reach', () => {
  test('an internationalized top-level domain (app.xn--p1ai) is a domain', () => {
    const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Idn');
    const domainZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'xn--p1ai' });
    const tier = new SingleInstanceTier(stack, 'Web', { app: webApp, domain: { domainName: 'app.xn--p1ai', domainZone } });
    expect(tier.url).toBe('https://app.xn--p1ai');
  });
  test('an instance type given by name gets the image of its architecture', () => {
    const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'ByName');
    const tier = new SingleInstanceTier(stack, 'Web', { app: webApp, instanceType: 't4g.small' as never });
    const data = (tier.launchTemplate.node.defaultChild as ec2.CfnLaunchTemplate).launchTemplateData as ec2.CfnLaunchTemplate.LaunchTemplateDataProperty;
    expect(data.instanceType).toBe('t4g.small');
    expect(JSON.stringify(stack.resolve(data.imageId))).toMatch(/arm64/);
  });
});

/**
 * The props each interface declares (own and inherited), read with the TypeScript compiler from
 * the package entry: a spec must check every one of them, or a prop added later would reach
 * aws-cdk-lib unchecked and the wrong-type runs above would never try it.
 */
function declaredProps(names: string[]): Record<string, string[]> {
  const root = path.join(__dirname, '..');
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const entry = path.join(root, 'lib', 'index.ts');
  const program = ts.createProgram([entry], { ...config.options, noEmit: true });
  const checker = program.getTypeChecker();
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(entry)!)!);
  return Object.fromEntries(names.map((name) => {
    const symbol = exported.find((e) => e.name === name);
    if (!symbol) throw new Error(`${name} is not exported from lib/index.ts`);
    const type = checker.getDeclaredTypeOfSymbol(symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol);
    return [name, checker.getPropertiesOfType(type).map((p) => p.name).sort()];
  }));
}

test('every declared prop has a runtime check', () => {
  const specs: Record<string, Record<string, unknown>> = {
    SingleInstanceTierProps: SINGLE_INSTANCE_SPEC,
    LoadBalancedTierProps: LOAD_BALANCED_SPEC,
    AutoScalingTierProps: AUTO_SCALING_SPEC,
    ManagedAutoScalingTierProps: MANAGED_AUTO_SCALING_SPEC,
    ServerlessTierProps: SERVERLESS_SPEC,
    ManagedServerlessTierProps: MANAGED_SERVERLESS_SPEC,
    NetworkProps: NETWORK_SPEC,
    DatabaseProps: DATABASE_SPEC,
    CostBudgetProps: COST_BUDGET_SPEC,
    HybridRouterProps: HYBRID_ROUTER_SPEC,
    StackExpiryProps: STACK_EXPIRY_SPEC,
  };
  const declared = declaredProps(Object.keys(specs));
  for (const [name, spec] of Object.entries(specs)) expect({ name, checked: Object.keys(spec).sort() }).toEqual({ name, checked: declared[name] });
}, 60_000);

test('tier 1 refuses an image of the other architecture, as tiers 2-3 do', () => {
  const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Arch');
  const x86 = ec2.MachineImage.latestAmazonLinux2023({ cpuType: ec2.AmazonLinuxCpuType.X86_64 });
  expect(() => new SingleInstanceTier(stack, 'Web', { app: webApp, instanceType: new ec2.InstanceType('t4g.small'), machineImage: x86 }))
    .toThrow(/Arch\/Web: invalid machineImage: got an x86_64 image .* but instanceType 't4g\.small' is arm64/);
  new SingleInstanceTier(stack, 'Intel', { app: webApp, instanceType: new ec2.InstanceType('t3.small'), machineImage: x86 });
});

test('a certificate made in the app must cover the domain; an imported one is for a deploy to tell', () => {
  const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Cover');
  const domainZone = route53.HostedZone.fromHostedZoneAttributes(stack, 'Zone', { hostedZoneId: 'Z1', zoneName: 'example.com' });
  const other = new acm.Certificate(stack, 'Other', { domainName: 'www.example.com', subjectAlternativeNames: ['shop.example.com'] });
  expect(() => new LoadBalancedTier(stack, 'Web', { app: webApp, domain: { domainName: 'app.example.com', domainZone, certificate: other } }))
    .toThrow(/Cover\/Web: invalid domain\.certificate: covers 'www\.example\.com', 'shop\.example\.com', not 'app\.example\.com'/);
  const wildcard = new acm.Certificate(stack, 'Wildcard', { domainName: '*.example.com' });
  new LoadBalancedTier(stack, 'Ok', { app: webApp, domain: { domainName: 'app.example.com', domainZone, certificate: wildcard } });
  expect(() => new LoadBalancedTier(stack, 'Deep', { app: webApp, domain: { domainName: 'a.b.example.com', domainZone, certificate: wildcard } }))
    .toThrow(/invalid domain\.certificate: covers '\*\.example\.com', not 'a\.b\.example\.com'/);
  new LoadBalancedTier(stack, 'Imported', { app: webApp, domain: { domainName: 'app.example.com', domainZone, certificate: acm.Certificate.fromCertificateArn(stack, 'Arn', CERT) } });
});

describe('factories and edge cases from a review', () => {
  test('factories refuse what they cannot use, naming the argument; null options are the defaults', () => {
    expect(() => Deployment.canary(undefined as never)).toThrow(/invalid Deployment\.canary\(options\)\.percent: is required/);
    expect(() => Deployment.canary({ percent: 10 } as never)).toThrow(/invalid Deployment\.canary\(options\)\.bake: is required; accepted: a Duration of whole minutes/);
    expect(Deployment.rolling(null as never)).toBeInstanceOf(Deployment);
    const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Attrs');
    expect(() => Database.fromAttributes(stack, 'Db', null as never)).toThrow(/invalid Database\.fromAttributes\(attrs\): got null; accepted: an object of props/);
    expect(() => Database.fromAttributes(stack, 'Db2', {} as never)).toThrow(/invalid Database\.fromAttributes\(attrs\)\.vpc: is required/);
  });

  test('an instance type aws-cdk-lib cannot place is a clear error, not one from inside aws-cdk-lib', () => {
    const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Odd');
    expect(() => new AutoScalingTier(stack, 'Web', { app: webApp, instanceType: 'u-6tb1.112xlarge' as never }))
      .toThrow(/Odd\/Web: invalid instanceType: got 'u-6tb1\.112xlarge' \(aws-cdk-lib cannot tell its architecture/);
    for (const name of ['t4g.nano', 'm7g.metal-48xl', 'x2iedn.32xlarge', 'c7i.metal-24xl']) new SingleInstanceTier(stack, name.replace(/\W/g, ''), { app: webApp, instanceType: name as never });
  });

  test('null counts as not given on every tier: alarms, deployment, nested fields', () => {
    const stack = new Stack(new App({ context: PROJECT_CONTEXT }), 'Nulls');
    const nulls = { alarms: null, deployment: null, domain: null, environment: null, logRetention: null, removalPolicy: null } as never;
    new SingleInstanceTier(stack, 'One', { app: webApp, ...(nulls as object), certificateEmail: null } as never);
    new LoadBalancedTier(stack, 'Two', { app: webApp, ...(nulls as object), alarms: { email: null } } as never);
    new AutoScalingTier(stack, 'Three', { app: webApp, ...(nulls as object) } as never);
    new ServerlessTier(stack, 'Five', { app: webApp, ...(nulls as object) } as never);
    expect(templateDefects(Template.fromStack(stack).toJSON())).toEqual([]);
  });
});
