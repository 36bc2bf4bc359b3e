import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import {
  CreateListenerCommand, CreateLoadBalancerCommand, CreateRuleCommand, CreateTargetGroupCommand, DescribeListenersCommand, DescribeRulesCommand,
  ElasticLoadBalancingV2Client, ModifyRuleCommand, type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { App, Duration, Lazy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { AutoScalingTier, HybridRouter, ManagedAutoScalingTier, ServerlessTier, SinglePointOfFailure, type HybridRouterProps } from '../constructs';
import { rollbackHandlerDirectory, ruleGroups } from '../constructs/hybrid/hybrid-router';
import { notify } from '../constructs/shared/alarms';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { PACKS, addNagChecks, readValidationReport } from '../lib/nag';
import { PROJECT_CONTEXT, logicalIds, testApp, webApp } from './helpers';
import { LAMBDA_NODE } from './runtime/processes';
import { captureSynthWarnings } from './synth-warnings';

// The tier's default network has one NAT gateway.
captureSynthWarnings(SinglePointOfFailure.NAT);

// ONE stack, synthesized once under the four rule packs: tier 3, tier 5's function, the router.
const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'hybrid-test-'));
const app = new App({ context: PROJECT_CONTEXT, outdir });
const stack = new Stack(app, 'Hybrid');
const web = new AutoScalingTier(stack, 'Web', { app: webApp });
const api = new ServerlessTier(stack, 'Api', { app: webApp });
const extraAlarm = new cloudwatch.Alarm(stack, 'OwnAlarm', {
  metric: new cloudwatch.Metric({ namespace: 'MyApp', metricName: 'CheckoutFailures', period: Duration.minutes(1) }),
  threshold: 1, evaluationPeriods: 1,
});
notify(extraAlarm, web.alarmTopic);
// Six paths: more than an ALB rule takes, so two rules.
const PATHS = ['/api/*', '/v2/*', '/auth/login', '/auth/logout', '/search', '/export/*'];
const router = new HybridRouter(stack, 'Router', { server: web, function: api.alias, paths: PATHS, weight: 10, rollbackAlarms: [extraAlarm] });
addNagChecks(app, { all: true });
let synthError: unknown;
try {
  app.synth();
} catch (error) {
  synthError = error;
}
afterAll(() => fs.rmSync(outdir, { recursive: true, force: true }));
const template = Template.fromJSON(JSON.parse(fs.readFileSync(path.join(outdir, 'Hybrid.template.json'), 'utf8')));
const resources = template.toJSON().Resources as Record<string, { Type: string; Properties: any; DependsOn?: string[] }>;
const only = (type: string, prefix: string) => {
  const ids = logicalIds(template, type).filter((id) => id.startsWith(prefix));
  expect(ids).toHaveLength(1);
  return ids[0];
};
const ruleIds = logicalIds(template, 'AWS::ElasticLoadBalancingV2::ListenerRule').filter((id) => id.startsWith('Router'));
const instanceTargets = only('AWS::ElasticLoadBalancingV2::TargetGroup', 'WebLoadBalancerTargets');
const lambdaTargets = only('AWS::ElasticLoadBalancingV2::TargetGroup', 'RouterLambdaTargets');
const listener = only('AWS::ElasticLoadBalancingV2::Listener', 'WebLoadBalancerLBHttp');
const topic = only('AWS::SNS::Topic', 'WebAlarmTopic');
const alias = only('AWS::Lambda::Alias', 'ApiAppLive');

describe('routing: listener rules on the tier\'s own listener', () => {
  test('paths in rules of at most 5 patterns, consecutive priorities from 100, each a weighted forward 90 instances / 10 function', () => {
    expect(ruleIds).toHaveLength(2);
    const rules = ruleIds.map((id) => resources[id].Properties).sort((a, b) => a.Priority - b.Priority);
    expect(rules.map((r) => [r.Priority, r.Conditions])).toEqual([
      [100, [{ Field: 'path-pattern', PathPatternConfig: { Values: PATHS.slice(0, 5) } }]],
      [101, [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/export/*'] } }]],
    ]);
    for (const rule of rules) {
      expect(rule.ListenerArn).toEqual({ Ref: listener });
      expect(rule.Actions).toEqual([{
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: { Ref: instanceTargets }, Weight: 90 }, { TargetGroupArn: { Ref: lambdaTargets }, Weight: 10 }] },
      }]);
    }
    expect(router.rules).toHaveLength(2);
  });

  test('the listener is the tier\'s one entry point, its default action unchanged: everything else goes to the instances', () => {
    expect(web.listener).toBe(web.node.findChild('LoadBalancer').node.findChild('LB').node.findChild('Http'));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::LoadBalancer', 1);
    expect(resources[listener].Properties.DefaultActions).toEqual([{ Type: 'forward', TargetGroupArn: { Ref: instanceTargets } }]);
  });

  test('a Lambda target group on the alias, with multi-value headers, created after the ELB invoke permission', () => {
    const group = resources[lambdaTargets];
    expect(group.Properties).toEqual({
      TargetType: 'lambda',
      Targets: [{ Id: { Ref: alias } }],
      TargetGroupAttributes: [{ Key: 'lambda.multi_value_headers.enabled', Value: 'true' }],
    });
    const [permission] = group.DependsOn!;
    expect(resources[permission]).toEqual({
      Type: 'AWS::Lambda::Permission',
      Properties: { Action: 'lambda:InvokeFunction', FunctionName: { Ref: alias }, Principal: 'elasticloadbalancing.amazonaws.com' },
    });
    expect(router.lambdaTargetGroup.node.defaultChild).toBeDefined();
  });

  test('no new opening: the load balancer reaches the instances by the one ingress rule it had', () => {
    const ingress = Object.values(resources).filter((r) => r.Type === 'AWS::EC2::SecurityGroupIngress' &&
      JSON.stringify(r.Properties.GroupId).includes('WebInstanceSecurityGroup'));
    expect(ingress).toHaveLength(1);
    expect(ingress[0].Properties).toEqual(expect.objectContaining({ FromPort: 8080, ToPort: 8080 }));
  });
});

describe('alarms on the Lambda side', () => {
  const alarm = (prefix: string) => resources[only('AWS::CloudWatch::Alarm', prefix)].Properties;
  const metricsOf = (a: any) => Object.fromEntries((a.Metrics as any[]).filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat]));

  test('5xx and failed invocations of the Lambda target group as a share of its requests', () => {
    const a = alarm('RouterErrorRateAlarm');
    expect(a).toEqual(expect.objectContaining({ Threshold: 5, EvaluationPeriods: 5, DatapointsToAlarm: 3, TreatMissingData: 'notBreaching' }));
    expect(a.Metrics[0].Expression).toBe('IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(userErrors, 0) + FILL(internalErrors, 0)) / requests, 0)');
    const metrics = metricsOf(a);
    expect(Object.fromEntries(Object.entries(metrics).map(([id, m]: [string, any]) => [id, [m.Metric.MetricName, m.Stat]]))).toEqual({
      requests: ['RequestCount', 'Sum'], target5xx: ['HTTPCode_Target_5XX_Count', 'Sum'], userErrors: ['LambdaUserError', 'Sum'], internalErrors: ['LambdaInternalError', 'Sum'],
    });
    for (const m of Object.values<any>(metrics)) {
      expect(m.Metric.Dimensions).toContainEqual({ Name: 'TargetGroup', Value: { 'Fn::GetAtt': [lambdaTargets, 'TargetGroupFullName'] } });
    }
  });

  test('the function\'s errors as a share of its invocations, on the alias', () => {
    const a = alarm('RouterFunctionErrorsAlarm');
    expect(a.Metrics[0].Expression).toBe('IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)');
    const errors = metricsOf(a).errors.Metric;
    expect(errors.MetricName).toBe('Errors');
    expect(errors.Dimensions).toContainEqual({ Name: 'Resource', Value: { 'Fn::Join': ['', [{ Ref: only('AWS::Lambda::Function', 'ApiAppFunction') }, ':live']] } });
  });

  test('p99 TargetResponseTime of the Lambda target group above 2 s', () => {
    const a = alarm('RouterLatencyAlarm');
    expect(a).toEqual(expect.objectContaining({ MetricName: 'TargetResponseTime', ExtendedStatistic: 'p99', Threshold: 2, DatapointsToAlarm: 3 }));
    expect(a.Dimensions).toContainEqual({ Name: 'TargetGroup', Value: { 'Fn::GetAtt': [lambdaTargets, 'TargetGroupFullName'] } });
  });

  test('every one notifies the tier\'s alarm topic, on ALARM and on OK; the rollback function\'s failures too', () => {
    expect(router.alarms).toHaveLength(3);
    for (const prefix of ['RouterErrorRateAlarm', 'RouterFunctionErrorsAlarm', 'RouterLatencyAlarm', 'RouterRollbackErrorsAlarm']) {
      expect(alarm(prefix)).toEqual(expect.objectContaining({ AlarmActions: [{ Ref: topic }], OKActions: [{ Ref: topic }] }));
    }
    expect(alarm('RouterRollbackErrorsAlarm')).toEqual(expect.objectContaining({
      MetricName: 'Errors', Dimensions: [{ Name: 'FunctionName', Value: { Ref: only('AWS::Lambda::Function', 'RouterRollback') } }],
    }));
  });
});

describe('rollback', () => {
  const fnId = only('AWS::Lambda::Function', 'RouterRollback');
  const alarmArn = (prefix: string) => ({ 'Fn::GetAtt': [only('AWS::CloudWatch::Alarm', prefix), 'Arn'] });

  test('an EventBridge rule on the ALARM state of exactly the router\'s alarms and the ones given invokes the rollback function', () => {
    const [rule] = Object.values(template.findResources('AWS::Events::Rule'));
    expect(rule.Properties.EventPattern).toEqual({
      'source': ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      'resources': [alarmArn('RouterErrorRateAlarm'), alarmArn('RouterFunctionErrorsAlarm'), alarmArn('RouterLatencyAlarm'), alarmArn('OwnAlarm')],
      'detail': { state: { value: ['ALARM'] } },
    });
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::GetAtt': [fnId, 'Arn'] }, RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
    })]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'events.amazonaws.com', FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] }, SourceArn: { 'Fn::GetAtt': [Object.keys(template.findResources('AWS::Events::Rule'))[0], 'Arn'] },
    });
  });

  test('the function: Node.js 24 on arm64, told the rule ARNs and both target groups, failures to the alarm topic', () => {
    expect(resources[fnId].Properties).toEqual(expect.objectContaining({
      Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', Timeout: 30,
      DeadLetterConfig: { TargetArn: { Ref: topic } },
      Environment: { Variables: {
        RULE_ARNS: { 'Fn::Join': [',', ruleIds.map((id) => ({ Ref: id }))] },
        INSTANCE_TARGET_GROUP_ARN: { Ref: instanceTargets },
        LAMBDA_TARGET_GROUP_ARN: { Ref: lambdaTargets },
      } },
    }));
    expect(router.rollbackFunction.node.defaultChild).toBe(stack.node.findChild('Router').node.findChild('Rollback').node.defaultChild);
  });

  test('its role may ModifyRule on the router\'s own rules only; DescribeRules (no resource-level permissions) on *', () => {
    const role = only('AWS::IAM::Role', 'RouterRollbackRole');
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]));
    expect(policies).toHaveLength(1);
    expect(resources[role].Properties.ManagedPolicyArns).toBeUndefined();
    const statements = policies[0].Properties.PolicyDocument.Statement as Array<{ Action: string | string[]; Resource: unknown }>;
    const elb = statements.filter((s) => [s.Action].flat().some((a) => a.startsWith('elasticloadbalancing:')));
    expect(elb).toEqual([
      { Effect: 'Allow', Action: 'elasticloadbalancing:ModifyRule', Resource: ruleIds.map((id) => ({ Ref: id })) },
      { Effect: 'Allow', Action: 'elasticloadbalancing:DescribeRules', Resource: '*' },
    ]);
    // The rest: its log group, and the dead-letter topic with its key.
    expect(statements.filter((s) => !elb.includes(s)).map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:PutLogEvents'], 'sns:Publish', ['kms:Decrypt', 'kms:GenerateDataKey'],
    ]);
  });
});

describe('compliance', () => {
  const report = readValidationReport(outdir);

  test('the stack synthesizes clean under AwsSolutions, HIPAA Security, NIST 800-53 r5 and the Control Tower Guard rules', () => {
    expect(Object.fromEntries(PACKS.map((p) => [p, report[p].unacknowledged]))).toEqual(Object.fromEntries(PACKS.map((p) => [p, []])));
    expect(synthError).toBeUndefined();
  });

  test('what is acknowledged on the router is inherent, each with its reason, and nothing else', () => {
    const file = JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'));
    const onRouter = (file.pluginReports as any[]).flatMap((p) => (p.suppressedViolations ?? []).flatMap((v: any) =>
      (v.violatingConstructs ?? []).filter((c: any) => /^Hybrid\/(Router\/|Api\/App\/Live\/Invoke)/.test(c.constructPath ?? ''))
        .map((c: any) => `${v.ruleName} on ${c.constructPath.replace(/^Hybrid\/Api\/App\/Live\/Invoke.*/, 'the ELB invoke permission')}`)));
    expect(onRouter.sort()).toEqual([
      'AwsSolutions-IAM5[Resource::*] on Hybrid/Router/RollbackRole/DefaultPolicy/Resource',
      ...['HIPAA.Security', 'NIST.800.53.R5'].flatMap((pack) => [
        `${pack}-CloudWatchLogGroupEncrypted on Hybrid/Router/RollbackLogs/Resource`,
        `${pack}-IAMNoInlinePolicy on Hybrid/Router/RollbackRole/DefaultPolicy/Resource`,
        `${pack}-LambdaConcurrency on Hybrid/Router/Rollback/Resource`,
        `${pack}-LambdaInsideVPC on Hybrid/Router/Rollback/Resource`,
      ]),
      'cloudwatch_log_group_encrypted_check on Hybrid/Router/RollbackLogs/Resource',
      'cloudwatch_log_group_retention_period_check on Hybrid/Router/RollbackLogs/Resource',
      'lambda_function_public_access_prohibited_check on the ELB invoke permission',
      'lambda_inside_vpc_check on Hybrid/Router/Rollback/Resource',
    ].sort());
    // The rollback function has a dead-letter topic: no LambdaDLQ finding to acknowledge.
    expect(JSON.stringify(file)).not.toMatch(/LambdaDLQ[^"]*"[^}]*Hybrid\/Router/);
  });
});

describe('rule grouping', () => {
  test('at most 5 patterns and 5 wildcards per rule, in the order given', () => {
    expect(ruleGroups(['/*'])).toEqual([['/*']]);
    expect(ruleGroups(['/a', '/b', '/c', '/d', '/e', '/f'])).toEqual([['/a', '/b', '/c', '/d', '/e'], ['/f']]);
    expect(ruleGroups(['/a/*/b/*', '/c/*/d/*', '/e/*'])).toEqual([['/a/*/b/*', '/c/*/d/*', '/e/*']]);
    expect(ruleGroups(['/a/*/b/*/c/*', '/d/*/e/*/f/*', '/g'])).toEqual([['/a/*/b/*/c/*'], ['/d/*/e/*/f/*', '/g']]);
    expect(ruleGroups(['/a/*/*/*/*/*', '/b'])).toEqual([['/a/*/*/*/*/*', '/b']]);
    expect(ruleGroups(['/a/*/*/*/*/*', '/b/*'])).toEqual([['/a/*/*/*/*/*'], ['/b/*']]);
  });
});

describe('props', () => {
  // A second app, never synthesized: routers that fail, or that only need construction.
  const other = new Stack(testApp(), 'Other');
  const tier = new AutoScalingTier(other, 'Web', { app: webApp });
  const fn = new ServerlessTier(other, 'Api', { app: webApp });
  let n = 0;
  const make = (props: Partial<Record<keyof HybridRouterProps, unknown>>) =>
    new HybridRouter(other, `R${++n}`, { server: tier, function: fn.alias, weight: 10, ...props } as HybridRouterProps);
  const fails = (props: Partial<Record<keyof HybridRouterProps, unknown>>, message: RegExp) => {
    let error: unknown;
    try {
      make(props);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WebTiersValidationError);
    expect((error as Error).message).toMatch(message);
  };

  test.each<[string, unknown, RegExp]>([
    ['101', 101, /Other\/R\d+: invalid weight: got 101; accepted: an integer from 0 to 100 percent$/],
    ['1.5', 1.5, /invalid weight: got 1\.5; accepted: an integer from 0 to 100 percent/],
    ["'10'", '10', /invalid weight: got '10'; accepted: an integer from 0 to 100 percent/],
    ['-1', -1, /invalid weight: got -1;/],
    ['a deploy-time token', Lazy.number({ produce: () => 10 }), /invalid weight: got a token \(the construct computes with this value, so it cannot be a deploy-time token\)/],
  ])('weight %s is refused, naming the prop and what is accepted', (_name, weight, message) => {
    fails({ weight }, message);
  });

  test('weight is required', () => {
    fails({ weight: undefined }, /invalid weight: is required; accepted: an integer from 0 to 100 percent/);
  });

  test.each<[string, unknown, RegExp]>([
    ['not starting with /', ['api/*'], /invalid paths\[0\]: got 'api\/\*'; accepted: an ALB path pattern: '\/' then up to 127/],
    ['a character ALB does not take', ['/a b'], /invalid paths\[0\]: got '\/a b'/],
    ['over 128 characters', [`/${'a'.repeat(128)}`], /invalid paths\[0\]: got '\/a+\.\.\.'/],
    ['more wildcards than a rule takes', ['/*/*/*/*/*/*'], /invalid paths\[0\]: got '\/\*\/\*\/\*\/\*\/\*\/\*' \(6 wildcards, and an ALB rule takes at most 5\)/],
    ['the same pattern twice', ['/api/*', '/x', '/api/*'], /invalid paths\[2\]: got '\/api\/\*', which is paths\[0\] already/],
    ['none', [], /invalid paths: got an array of 0; accepted: an array \(1 to 25\) of an ALB path pattern/],
    ['too many', Array.from({ length: 26 }, (_, i) => `/p${i}`), /invalid paths: got an array of 26; accepted: an array \(1 to 25\)/],
    ['a string, not a list', '/api/*', /invalid paths: got '\/api\/\*'; accepted: an array/],
  ])('paths: %s is refused', (_name, paths, message) => {
    fails({ paths }, message);
  });

  test('server: tiers 2–3 only; a Beanstalk tier or a serverless tier is refused, saying which are accepted', () => {
    const beanstalk = new ManagedAutoScalingTier(other, 'Beanstalk', { app: webApp });
    fails({ server: beanstalk }, /invalid server: got a ManagedAutoScalingTier \(Other\/Beanstalk\); accepted: a LoadBalancedTier or an AutoScalingTier \(tiers 2–3\)/);
    fails({ server: fn }, /invalid server: got a ServerlessTier \(Other\/Api\); accepted: a LoadBalancedTier or an AutoScalingTier \(tiers 2–3\)/);
    fails({ server: undefined }, /invalid server: is required/);
  });

  test('function, priority, rollbackAlarms and logRetention of the wrong kind or range are refused', () => {
    fails({ function: 'arn:aws:lambda:eu-west-1:123456789012:function:app:live' }, /invalid function: got 'arn:aws:lambda:.*'; accepted: a lambda\.IFunction/);
    fails({ priority: 0 }, /invalid priority: got 0; accepted: an integer from 1 to 50000$/);
    fails({ priority: 50000, paths: ['/a', '/b', '/c', '/d', '/e', '/f'] }, /invalid priority: got 50000, but the 2 rules of paths need priorities 50000 to 50001; accepted: at most 49999 for 2 rules/);
    fails({ rollbackAlarms: ['my-alarm'] }, /invalid rollbackAlarms\[0\]: got 'my-alarm'; accepted: a cloudwatch\.IAlarm/);
    fails({ logRetention: 42 }, /invalid logRetention: got 42; accepted: a RetentionDays member/);
  });

  test('a function in another region than the tier is refused', () => {
    const elsewhere = lambda.Function.fromFunctionArn(other, 'Elsewhere', 'arn:aws:lambda:us-west-2:123456789012:function:app:live');
    const regional = new Stack(testApp(), 'Regional', { env: { region: 'eu-west-1', account: '123456789012' } });
    const t = new AutoScalingTier(regional, 'Web', { app: webApp });
    expect(() => new HybridRouter(regional, 'R', { server: t, function: elsewhere, weight: 10 }))
      .toThrow(/invalid function: got .* in us-west-2, but the tier's stack is in eu-west-1/);
  });

  test('null counts as not given: every path, priority 100, no extra alarms', () => {
    const r = make({ paths: null, priority: null, rollbackAlarms: null, logRetention: null });
    const rule = r.rules[0].node.defaultChild as elbv2.CfnListenerRule;
    expect(r.rules).toHaveLength(1);
    expect(rule.priority).toBe(100);
    expect(Stack.of(r).resolve(rule.conditions)).toEqual([{ field: 'path-pattern', pathPatternConfig: { values: ['/*'] } }]);
  });

  test('a priority another rule of the listener has fails synth, naming both', () => {
    const first = make({ priority: 300 });
    const second = make({ priority: 300, paths: ['/other/*'] });
    const clash = (a: HybridRouter, b: HybridRouter) => expect.stringMatching(
      new RegExp(`^invalid priority: 300, the priority of Other/${a.node.id}/Rule1, is also that of Other/${b.node.id}/Rule1/Resource on the same listener; accepted: priorities no other rule of the listener has`));
    expect(second.node.validate()).toEqual([clash(second, first)]);
    expect(first.node.validate()).toEqual([clash(first, second)]);
    expect(make({ priority: 301 }).node.validate()).toEqual([]);
  });

  test('a function that is no alias or version gets an acknowledgeable warning', () => {
    const plain = make({ function: fn.function });
    const warningsOf = (r: HybridRouter) => r.node.metadata.filter((m) => m.type === 'aws:cdk:warning').map((m) => String(m.data));
    expect(warningsOf(plain)).toEqual([expect.stringMatching(/function a Function \(Other\/Api\/App\/Function\) is neither an alias nor a version.*\[ack: cdk-web-tiers:hybridRouter:unqualifiedFunction\]/)]);
    expect(warningsOf(make({}))).toEqual([]);
    expect(warningsOf(make({ function: lambda.Function.fromFunctionAttributes(other, 'Qualified', { functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:app:live', sameEnvironment: true }) }))).toEqual([]);
  });
});

// The rollback handler, bundled as deployed, run on Lambda's Node.js major with the SDK against a
// local ELBv2 emulator (moto_server): real requests, real ModifyRule, real weights read back.
describe('rollback handler against moto_server', () => {
  const exec = promisify(execFile);
  let moto: ChildProcess;
  let endpoint: string;
  let elb: ElasticLoadBalancingV2Client;
  let setup: { instances: string; fn: string; listener: string; rules: string[]; other: string };

  const freePort = () => new Promise<number>((resolve, reject) => {
    const server = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });

  /** An EC2 query API call (no EC2 client in the project): moto routes by the credential scope. */
  const ec2 = async (action: string) => {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'authorization': 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: `Action=${action}&Version=2016-11-15`,
    });
    return response.text();
  };

  const weighted = (instances: number, fn: number) => [{
    Type: 'forward' as const,
    ForwardConfig: { TargetGroups: [{ TargetGroupArn: setup.instances, Weight: instances }, { TargetGroupArn: setup.fn, Weight: fn }] },
  }];

  beforeAll(async () => {
    const port = await freePort();
    endpoint = `http://127.0.0.1:${port}`;
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const spawnError = new Promise<Error>((resolve) => moto.once('error', resolve));
    const up = async () => {
      for (let i = 0; i < 300; i++) {
        try {
          if ((await fetch(`${endpoint}/moto-api/`)).ok) return undefined;
        } catch {
          // not listening yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return new Error(`moto_server did not answer on ${endpoint} within 30 s`);
    };
    const failure = await Promise.race([up(), spawnError.then((e) =>
      new Error(`moto_server could not be started (${e.message}): install it with \`pip install 'moto[server]'\` (the rollback handler is run against it)`))]);
    if (failure) throw failure;
    // The SDK warns in-process that its 2027 releases need Node 22; the handler itself runs on Lambda's Node 24 below.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    elb = new ElasticLoadBalancingV2Client({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    const subnets = [...(await ec2('DescribeSubnets')).matchAll(/<subnetId>([^<]+)<\/subnetId>/g)].map((m) => m[1]);
    const vpc = /<vpcId>([^<]+)<\/vpcId>/.exec(await ec2('DescribeVpcs'))![1];
    const lb = (await elb.send(new CreateLoadBalancerCommand({ Name: 'web', Subnets: subnets.slice(0, 2), Type: 'application' }))).LoadBalancers![0];
    const instances = (await elb.send(new CreateTargetGroupCommand({ Name: 'instances', Protocol: 'HTTP', Port: 8080, VpcId: vpc, TargetType: 'instance' }))).TargetGroups![0].TargetGroupArn!;
    const fn = (await elb.send(new CreateTargetGroupCommand({ Name: 'function', TargetType: 'lambda' }))).TargetGroups![0].TargetGroupArn!;
    const listenerArn = (await elb.send(new CreateListenerCommand({
      LoadBalancerArn: lb.LoadBalancerArn, Protocol: 'HTTP', Port: 80, DefaultActions: [{ Type: 'forward', TargetGroupArn: instances }],
    }))).Listeners![0].ListenerArn!;
    setup = { instances, fn, listener: listenerArn, rules: [], other: '' };
    const rule = async (priority: number, values: string[], actions: ReturnType<typeof weighted>) => (await elb.send(new CreateRuleCommand({
      ListenerArn: listenerArn, Priority: priority, Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: values } }], Actions: actions,
    }))).Rules![0].RuleArn!;
    // As the router makes them: 90 / 10 on its paths; and a rule of someone else's that it must not touch.
    setup.rules = [await rule(100, PATHS.slice(0, 5), weighted(90, 10)), await rule(101, ['/export/*'], weighted(90, 10))];
    setup.other = await rule(200, ['/beta/*'], weighted(50, 50));
  }, 60_000);

  afterAll(async () => {
    elb?.destroy();
    if (moto && moto.exitCode === null) {
      const exited = new Promise((resolve) => moto.once('exit', resolve));
      moto.kill();
      await exited;
    }
  });

  /** A real "CloudWatch Alarm State Change" event, as EventBridge delivers it. */
  const alarmEvent = (state: string) => ({
    'version': '0',
    'id': 'c4c1c1c9-6542-e61b-6ef0-8c4d36933a92',
    'detail-type': 'CloudWatch Alarm State Change',
    'source': 'aws.cloudwatch',
    'account': '123456789012',
    'time': '2025-06-02T10:17:05Z',
    'region': 'us-east-1',
    'resources': ['arn:aws:cloudwatch:us-east-1:123456789012:alarm:Hybrid-RouterErrorRateAlarm6C6B300E-1B2C3D4E5F6G'],
    'detail': {
      alarmName: 'Hybrid-RouterErrorRateAlarm6C6B300E-1B2C3D4E5F6G',
      state: {
        value: state,
        reason: 'Threshold Crossed: 3 out of the last 5 datapoints [12.5 (02/06/25 10:16:00), 9.1 (02/06/25 10:15:00), 7.4 (02/06/25 10:14:00)] were greater than or equal to the threshold (5.0) (minimum 3 datapoints for OK -> ALARM transition).',
        reasonData: '{"version":"1.0","queryDate":"2025-06-02T10:17:05.123+0000","evaluatedDatapoints":[{"timestamp":"2025-06-02T10:16:00.000+0000","value":12.5}]}',
        timestamp: '2025-06-02T10:17:05.127+0000',
      },
      previousState: { value: 'OK', reason: 'Threshold Crossed: no datapoints were received for 5 periods.', timestamp: '2025-06-02T09:02:11.450+0000' },
      configuration: {
        description: 'Hybrid/Router: more than 5% of the requests routed to the function failed (5xx, or the invocation failed) in 3 of the last 5 minutes. Rolls back to the instances.',
        metrics: [{ id: 'expr_1', expression: 'IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(userErrors, 0) + FILL(internalErrors, 0)) / requests, 0)', label: 'Lambda side: 5xx and failed invocations (%)', returnData: true }],
      },
    },
  });

  /** Runs the bundled handler in a process of Lambda's Node.js major, the SDK on NODE_PATH as the runtime provides it. */
  const invoke = async (event: unknown, ruleArns = setup.rules) => {
    const file = path.join(rollbackHandlerDirectory(), 'index.js');
    const script = `require(${JSON.stringify(file)}).handler(${JSON.stringify(event)}).then(
      (r) => process.stdout.write('RESULT ' + JSON.stringify(r) + '\\n'),
      (e) => { process.stdout.write('FAILED ' + JSON.stringify(e.message) + '\\n'); });`;
    const { stdout, stderr } = await exec(LAMBDA_NODE, ['-e', script], {
      env: {
        PATH: process.env.PATH ?? '', NODE_PATH: path.join(__dirname, '..', 'node_modules'),
        AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_ENDPOINT_URL: endpoint, AWS_EC2_METADATA_DISABLED: 'true',
        RULE_ARNS: ruleArns.join(','), INSTANCE_TARGET_GROUP_ARN: setup.instances, LAMBDA_TARGET_GROUP_ARN: setup.fn,
      },
    });
    const lines = `${stdout}${stderr}`.split('\n').filter(Boolean);
    const outcome = (prefix: string) => lines.filter((l) => l.startsWith(prefix)).map((l) => JSON.parse(l.slice(prefix.length)))[0];
    return { logs: lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)), result: outcome('RESULT '), failed: outcome('FAILED ') };
  };

  const weightsOf = async (arn: string) => {
    const [rule] = (await elb.send(new DescribeRulesCommand({ RuleArns: [arn] }))).Rules as Rule[];
    return {
      weights: rule.Actions![0].ForwardConfig!.TargetGroups!.map((g) => [g.TargetGroupArn === setup.instances ? 'instances' : 'function', g.Weight]),
      paths: rule.Conditions![0].PathPatternConfig?.Values ?? (rule.Conditions![0] as { Values?: string[] }).Values,
    };
  };

  test('an OK state change is ignored: nothing is rewritten', async () => {
    const { result, logs } = await invoke(alarmEvent('OK'));
    expect(result).toEqual(expect.objectContaining({ level: 'info', msg: 'ignored: the alarm did not go into ALARM', rules: [] }));
    expect(logs).toEqual([result]);
    expect((await weightsOf(setup.rules[0])).weights).toEqual([['instances', 90], ['function', 10]]);
  });

  test('ALARM rewrites the router\'s rules to 100 instances / 0 function, keeps their paths, leaves other rules alone, and logs it as JSON', async () => {
    const { result, logs, failed } = await invoke(alarmEvent('ALARM'));
    expect(failed).toBeUndefined();
    for (const [i, arn] of setup.rules.entries()) {
      expect(await weightsOf(arn)).toEqual({ weights: [['instances', 100], ['function', 0]], paths: i === 0 ? PATHS.slice(0, 5) : ['/export/*'] });
    }
    expect((await weightsOf(setup.other)).weights).toEqual([['instances', 50], ['function', 50]]);
    const listener = (await elb.send(new DescribeListenersCommand({ ListenerArns: [setup.listener] }))).Listeners![0];
    expect(listener.DefaultActions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: setup.instances })]);
    expect(result).toEqual({
      level: 'info',
      msg: 'rolled back: every matching request goes to the instances, none to the function',
      alarm: {
        name: 'Hybrid-RouterErrorRateAlarm6C6B300E-1B2C3D4E5F6G',
        arn: 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:Hybrid-RouterErrorRateAlarm6C6B300E-1B2C3D4E5F6G',
        state: 'ALARM',
        reason: expect.stringMatching(/^Threshold Crossed: 3 out of the last 5 datapoints/),
        time: '2025-06-02T10:17:05.127+0000',
      },
      rules: setup.rules.map((ruleArn) => ({ ruleArn, result: 'shifted', before: { instances: 90, lambda: 10 }, after: { instances: 100, lambda: 0 } })),
    });
    expect(logs).toEqual([result]);
  });

  test('a second ALARM finds nothing to do', async () => {
    const { result } = await invoke(alarmEvent('ALARM'));
    expect(result.rules.map((r: { result: string }) => r.result)).toEqual(['unchanged', 'unchanged']);
  });

  test('a rule that cannot be rewritten fails the invocation (so Lambda retries, then the dead-letter topic) after rewriting the others', async () => {
    await elb.send(new ModifyRuleCommand({ RuleArn: setup.rules[0], Actions: weighted(50, 50) }));
    const missing = `${setup.listener.replace(':listener/', ':listener-rule/')}/0000000000000000`;
    const { failed, logs } = await invoke(alarmEvent('ALARM'), [missing, setup.rules[0]]);
    expect(failed).toMatch(/^rollback incomplete: 1 of 2 rules could not be rewritten: .*listener-rule.*0000000000000000/);
    expect((await weightsOf(setup.rules[0])).weights).toEqual([['instances', 100], ['function', 0]]);
    // DescribeRules fails on the unknown ARN: the weights before are unknown, the rollback goes on.
    expect(logs).toEqual([expect.objectContaining({
      level: 'error', describeError: expect.stringMatching(/RuleNotFound/),
      rules: [expect.objectContaining({ ruleArn: missing, result: 'failed' }), { ruleArn: setup.rules[0], result: 'shifted', after: { instances: 100, lambda: 0 } }],
    })]);
  });
});
