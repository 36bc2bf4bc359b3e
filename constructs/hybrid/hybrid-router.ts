import * as path from 'node:path';
import { Annotations, Duration, Fn, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as elbv2Targets from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import * as events from 'aws-cdk-lib/aws-events';
import * as eventsTargets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, type IConstruct } from 'constructs';
import { notify } from '../shared/alarms';
import { handlerBundle } from '../shared/handler-bundle';
import { LAMBDA_RUNTIME } from '../shared/app-function';
import {
  type Check, arrayOf, checkSpec, describe, integer, literal, required, retentionDays, satisfies, string, type Spec, withoutNulls,
} from '../shared/checks';
import { acknowledgeAll, guard, hipaaNist } from '../shared/compliance';
import { checkSameRegion, regionOfDefined, regionOfResource } from '../shared/regions';
import type { ServerFleetTier } from '../shared/server-fleet';
import { WebTiersValidationError } from '../shared/validation';
import { ENV } from './rollback-handler/rollback';

/** Props of {@link HybridRouter}. */
export interface HybridRouterProps {
  /**
   * The server tier whose load balancer stays the one entry point: a `LoadBalancedTier` or an
   * `AutoScalingTier` (tiers 2–3). The router adds its rules to the tier's listener; requests the
   * rules do not send to the function keep going to the tier's instances.
   */
  readonly server: ServerFleetTier;
  /**
   * The Lambda function that takes a share of the matching requests, in the server tier's account
   * and region: best an alias, such as a `ServerlessTier`'s `alias` (its `live` alias), so that
   * the function's own deploys shift versions behind it. It must answer Application Load Balancer
   * events, as the app's lambda bundle does.
   */
  readonly function: lambda.IFunction;
  /**
   * The request paths the router splits between the instances and the function, as ALB path
   * patterns: case-sensitive, starting with '/', up to 128 characters of A–Z a–z 0–9 _ - . $ / ~ " ' @ : + &,
   * with `*` (any characters) and `?` (one character) as wildcards. An ALB rule takes at most 5
   * patterns and 5 wildcards, so longer lists become several rules with consecutive priorities.
   * @default ['/*'] - every request
   */
  readonly paths?: string[];
  /**
   * Percent of the matching requests sent to the function, an integer from 0 to 100 (the rest go
   * to the instances): raise it in steps, e.g. 10, then 50, then 100. 0 keeps the rules and the
   * alarms in place with no traffic on the function.
   */
  readonly weight: number;
  /**
   * More alarms whose ALARM state shifts every matching request back to the instances, besides
   * the router's own (`alarms`).
   * @default - the router's own alarms only
   */
  readonly rollbackAlarms?: cloudwatch.IAlarm[];
  /**
   * The priority of the router's first listener rule, 1–50000; further rules take the next
   * ones. No other rule of the listener may have them.
   * @default 100
   */
  readonly priority?: number;
  /**
   * How long the rollback function's log is kept.
   * @default RetentionDays.THREE_MONTHS
   */
  readonly logRetention?: logs.RetentionDays;
}

/** An ALB rule's limits: condition values, and wildcards across them. */
const RULE_VALUES = 5;
const RULE_WILDCARDS = 5;
/** At most this many paths: up to as many rules, of the load balancer's 100. */
const MAX_PATHS = 25;
const MAX_PRIORITY = 50000;

const PATH_PATTERN = /^\/[A-Za-z0-9_\-.$/~"'@:+&*?]{0,127}$/;
const PATH_ACCEPTED = "an ALB path pattern: '/' then up to 127 of A–Z a–z 0–9 _ - . $ / ~ \" ' @ : + & and the wildcards * and ?, e.g. '/api/*'";
const wildcards = (pattern: string) => (pattern.match(/[*?]/g) ?? []).length;

/** A path pattern ALB accepts, with at most 5 wildcards (an ALB rule's limit); known at synth, as the rules are made from it. */
const pathPattern: Check = {
  accepted: `${PATH_ACCEPTED}, with at most ${RULE_WILDCARDS} wildcards, known at synth`,
  validate(value, at) {
    literal(string(PATH_PATTERN, PATH_ACCEPTED)).validate(value, at);
    const count = wildcards(value as string);
    if (count > RULE_WILDCARDS) {
      throw new WebTiersValidationError(at.scope, at.prop,
        `got ${describe(value)} (${count} wildcards, and an ALB rule takes at most ${RULE_WILDCARDS}); accepted: ${this.accepted}`);
    }
  },
};

const has = (value: unknown, ...keys: string[]) => typeof value === 'object' && value !== null && keys.every((k) => k in value);

/** A tier 2 or 3, by its shape (a second copy of the library has its own classes): an ALB listener that forwards to the instances' target group. */
const isServerFleet = (v: unknown) => has(v, 'listener', 'targetGroup', 'loadBalancer', 'alarmTopic') &&
  has((v as { listener: unknown }).listener, 'listenerArn', 'addAction') && has((v as { targetGroup: unknown }).targetGroup, 'targetGroupArn');

const serverTier = satisfies(isServerFleet, 'a LoadBalancedTier or an AutoScalingTier (tiers 2–3), whose ALB listener the router adds its rules to; ' +
  "a ManagedAutoScalingTier's load balancer belongs to Elastic Beanstalk, and the serverless tiers have none");
const isFunction = (v: unknown) => has(v, 'functionArn', 'functionName', 'grantInvoke', 'metricErrors');
const isAlarm = (v: unknown) => has(v, 'alarmArn', 'alarmName');

/**
 * The runtime checks of {@link HybridRouterProps}. The weight, the paths and the priority make the
 * rules (the instances' weight is 100 minus the function's; paths are grouped into rules by ALB's
 * limits; priorities count up), so they must be known at synth.
 */
export const HYBRID_ROUTER_SPEC: Spec = {
  server: required(serverTier),
  function: required(satisfies(isFunction, "a lambda.IFunction, best an alias (e.g. a ServerlessTier's alias)")),
  paths: arrayOf(pathPattern, 1, MAX_PATHS),
  weight: required(literal(integer(0, 100, 'percent'))),
  rollbackAlarms: arrayOf(satisfies(isAlarm, 'a cloudwatch.IAlarm (an Alarm, a CompositeAlarm, or Alarm.fromAlarmArn(…))')),
  priority: literal(integer(1, MAX_PRIORITY)),
  logRetention: retentionDays,
};

/**
 * Puts a server tier (2 or 3) and a Lambda function behind one entry point, the tier's ALB
 * listener, and splits requests between them by path and by weight: the strangler pattern, and
 * a gradual move of traffic from instances to Lambda (10 %, 50 %, 100 %).
 *
 * Each listener rule matches `paths` and forwards to two target groups: the tier's instances
 * (weight 100 − `weight`) and a new Lambda target group on `function` (weight `weight`), with
 * multi-value headers on so that repeated headers and cookies reach the app as on the server.
 * Alarms on the Lambda side — its 5xx and failed invocations as a share of its requests, the
 * function's error rate, its p99 response time — notify the tier's alarm topic and, through an
 * EventBridge rule, invoke a small function that rewrites the router's rules to send every
 * matching request to the instances (ELBv2 ModifyRule on those rules only) and logs what it did as
 * JSON. The template keeps the configured weight: see the README for what a later deploy does.
 */
export class HybridRouter extends Construct {
  /** Warning id: `function` is not an alias or a version, so every deploy of it takes this traffic at once. */
  public static readonly UNQUALIFIED_FUNCTION_WARNING = 'cdk-web-tiers:hybridRouter:unqualifiedFunction';

  /** The target group of the function, registered with the tier's load balancer. */
  public readonly lambdaTargetGroup: elbv2.ApplicationTargetGroup;
  /** The listener rules, in priority order: each matches up to 5 of `paths` and forwards by weight. */
  public readonly rules: elbv2.ApplicationListenerRule[];
  /** The Lambda side's alarms, which roll back: 5xx and failed invocations (%), function errors (%), p99 response time. */
  public readonly alarms: cloudwatch.Alarm[];
  /** The function that rewrites the rules to 100 % instances when a rollback alarm goes into ALARM. */
  public readonly rollbackFunction: lambda.Function;
  /** The EventBridge rule that invokes `rollbackFunction` on those alarms' ALARM state. */
  public readonly rollbackRule: events.Rule;
  /** Notifies the tier's alarm topic when the rollback function fails. */
  public readonly rollbackErrorsAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: HybridRouterProps) {
    // null, as jsii languages and JavaScript pass it for an omitted prop, counts as not given.
    props = withoutNulls(props);
    super(scope, id);
    checkSpec(this, props as unknown as Record<string, unknown>, HYBRID_ROUTER_SPEC);
    const { server, weight } = props;
    const fn = props.function;
    const paths = props.paths ?? ['/*'];
    const priority = props.priority ?? 100;
    checkPaths(this, paths);
    const groups = ruleGroups(paths);
    const last = priority + groups.length - 1;
    if (last > MAX_PRIORITY) {
      throw new WebTiersValidationError(this, 'priority',
        `got ${priority}, but the ${groups.length} rules of paths need priorities ${priority} to ${last}; accepted: at most ${MAX_PRIORITY - groups.length + 1} for ${groups.length} rules`);
    }
    checkSameRegion(this, 'server', describe(server), [regionOfResource(server)], 'a tier');
    checkSameRegion(this, 'function', describe(fn), [regionOfDefined(fn.functionArn, fn)],
      'a function (an ALB invokes Lambda functions of its own region only)');
    if (!isQualified(fn)) {
      Annotations.of(this).addWarningV2(HybridRouter.UNQUALIFIED_FUNCTION_WARNING,
        `function ${describe(fn)} is neither an alias nor a version: each deploy of it takes its share of the traffic at once, ` +
        "with no canary. Give an alias (e.g. a ServerlessTier's alias), or acknowledge this warning by id.");
    }

    this.lambdaTargetGroup = new elbv2.ApplicationTargetGroup(this, 'LambdaTargets', {
      targetType: elbv2.TargetType.LAMBDA,
      targets: [new elbv2Targets.LambdaTarget(fn)],
      // Repeated headers and query parameters, and every Set-Cookie, as the server target sees them.
      multiValueHeadersEnabled: true,
    });
    acknowledgeLoadBalancerPermission(fn);

    this.rules = groups.map((values, i) => new elbv2.ApplicationListenerRule(this, `Rule${i + 1}`, {
      listener: server.listener,
      priority: priority + i,
      conditions: [elbv2.ListenerCondition.pathPatterns(values)],
      action: elbv2.ListenerAction.weightedForward([
        { targetGroup: server.targetGroup, weight: 100 - weight },
        { targetGroup: this.lambdaTargetGroup, weight },
      ]),
    }));
    this.node.addValidation({ validate: () => priorityClashes(this, server.listener) });

    this.alarms = this.createAlarms(fn).map((a) => notify(a, server.alarmTopic));
    const rollback = this.createRollback(server, props.logRetention ?? logs.RetentionDays.THREE_MONTHS);
    this.rollbackFunction = rollback.fn;
    this.rollbackErrorsAlarm = notify(rollback.errors, server.alarmTopic);

    const alarmArns = [...this.alarms, ...(props.rollbackAlarms ?? [])].map((a) => a.alarmArn);
    this.rollbackRule = new events.Rule(this, 'RollbackOnAlarm', {
      description: `${this.node.path}: shifts the router's traffic back to the instances when one of its alarms goes into ALARM`,
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        resources: alarmArns,
        detail: { state: { value: ['ALARM'] } },
      },
      targets: [new eventsTargets.LambdaFunction(this.rollbackFunction, { retryAttempts: 4, maxEventAge: Duration.hours(1) })],
    });
  }

  /** Alarms on what the function does behind the load balancer. */
  private createAlarms(fn: lambda.IFunction): cloudwatch.Alarm[] {
    const period = Duration.minutes(1);
    const m = this.lambdaTargetGroup.metrics;
    const sum = { period, statistic: 'Sum' };
    // A function error, a malformed or oversized response, or a missing permission is answered by
    // the load balancer itself (502), counted as LambdaUserError, not as a target's 5xx.
    const failed = new cloudwatch.MathExpression({
      expression: 'IF(requests > 0, 100 * (FILL(target5xx, 0) + FILL(userErrors, 0) + FILL(internalErrors, 0)) / requests, 0)',
      usingMetrics: {
        requests: m.requestCount(sum),
        target5xx: m.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, sum),
        userErrors: m.custom('LambdaUserError', sum),
        internalErrors: m.custom('LambdaInternalError', sum),
      },
      label: 'Lambda side: 5xx and failed invocations (%)',
      period,
    });
    const functionErrors = new cloudwatch.MathExpression({
      expression: 'IF(invocations > 0, 100 * FILL(errors, 0) / invocations, 0)',
      usingMetrics: { invocations: fn.metricInvocations(sum), errors: fn.metricErrors(sum) },
      label: 'Function errors (% of invocations)',
      period,
    });
    const common = { evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING };
    return [
      new cloudwatch.Alarm(this, 'ErrorRateAlarm', {
        alarmDescription: `${this.node.path}: more than 5% of the requests routed to the function failed (5xx, or the invocation failed) in 3 of the last 5 minutes. Rolls back to the instances.`,
        metric: failed, threshold: 5, ...common,
      }),
      new cloudwatch.Alarm(this, 'FunctionErrorsAlarm', {
        alarmDescription: `${this.node.path}: more than 5% of the function's invocations failed in 3 of the last 5 minutes. Rolls back to the instances.`,
        metric: functionErrors, threshold: 5, ...common,
      }),
      new cloudwatch.Alarm(this, 'LatencyAlarm', {
        alarmDescription: `${this.node.path}: p99 response time of the function behind the load balancer above 2 seconds in 3 of the last 5 minutes. Rolls back to the instances.`,
        metric: m.targetResponseTime({ period, statistic: 'p99' }), threshold: 2, ...common,
      }),
    ];
  }

  /** The rollback function: ModifyRule on the router's rules only, its own log group, failures to the alarm topic. */
  private createRollback(server: ServerFleetTier, logRetention: logs.RetentionDays): { fn: lambda.Function; errors: cloudwatch.Alarm } {
    const logGroup = new logs.LogGroup(this, 'RollbackLogs', { retention: logRetention, removalPolicy: RemovalPolicy.RETAIN });
    const role = new iam.Role(this, 'RollbackRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Rollback function of ${this.node.path}: rewrites its listener rules`,
    });
    logGroup.grant(role, 'logs:CreateLogStream', 'logs:PutLogEvents');
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['elasticloadbalancing:ModifyRule'],
      resources: this.rules.map((r) => r.listenerRuleArn),
    }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['elasticloadbalancing:DescribeRules'], resources: ['*'] }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'elasticloadbalancing:DescribeRules has no resource-level permissions; it only reads the weights before a rollback. ModifyRule, the one write, is limited to the router\'s own rules.',
    });

    const topic = server.alarmTopic;
    const fn = new lambda.Function(this, 'Rollback', {
      role,
      runtime: LAMBDA_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      code: lambda.Code.fromAsset(rollbackHandlerDirectory()),
      handler: 'index.handler',
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup,
      description: `Shifts the traffic of ${this.node.path} back to the instances on alarm`,
      environment: {
        [ENV.RULE_ARNS]: Fn.join(',', this.rules.map((r) => r.listenerRuleArn)),
        [ENV.INSTANCE_TARGET_GROUP_ARN]: server.targetGroup.targetGroupArn,
        [ENV.LAMBDA_TARGET_GROUP_ARN]: this.lambdaTargetGroup.targetGroupArn,
      },
      // A rollback that fails after Lambda's retries reaches the operators with its event.
      deadLetterTopic: topic,
    });
    // Publishing to an encrypted topic needs its key too.
    topic.masterKey?.grant(role, 'kms:Decrypt', 'kms:GenerateDataKey');

    acknowledgeAll(fn, [...hipaaNist('LambdaInsideVPC'), guard('lambda_inside_vpc_check')],
      'The function only calls the Elastic Load Balancing API over TLS; a VPC would add NAT cost and protect nothing.');
    acknowledgeAll(fn, hipaaNist('LambdaConcurrency'),
      'Invoked once per alarm state change; reserving concurrency would take it from the account\'s unreserved pool (and fails the deploy in accounts at the minimum of 10).');
    acknowledgeAll(role, hipaaNist('IAMNoInlinePolicy'),
      'The role\'s permissions are a policy resource attached to exactly this role; a customer-managed policy would hold the same statements and could be attached elsewhere.');
    acknowledgeAll(logGroup, [...hipaaNist('CloudWatchLogGroupEncrypted'), guard('cloudwatch_log_group_encrypted_check')],
      'CloudWatch Logs encrypts every log group at rest; this one holds which rules were rewritten and why, no user data.');
    if (logRetention < 365) {
      acknowledgeAll(logGroup, [guard('cloudwatch_log_group_retention_period_check')],
        'Retention is an explicit choice (logRetention); the one-year Control Tower default is not imposed.');
    }

    const errors = new cloudwatch.Alarm(this, 'RollbackErrorsAlarm', {
      alarmDescription: `${this.node.path}: the rollback function failed; the router's rules may still send traffic to the function.`,
      metric: fn.metricErrors({ period: Duration.minutes(1), statistic: 'Sum' }),
      threshold: 1, evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return { fn, errors };
  }
}

/** No path twice: a repeated pattern is a mistake, and a rule would hold it twice. */
function checkPaths(scope: IConstruct, paths: string[]): void {
  const seen = new Map<string, number>();
  paths.forEach((p, i) => {
    const first = seen.get(p);
    if (first !== undefined) {
      throw new WebTiersValidationError(scope, `paths[${i}]`, `got '${p}', which is paths[${first}] already; accepted: each path pattern once`);
    }
    seen.set(p, i);
  });
}

/** Paths in rules of at most 5 patterns and 5 wildcards each, in the order given. */
export function ruleGroups(paths: string[]): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let stars = 0;
  for (const p of paths) {
    const w = wildcards(p);
    if (current.length === RULE_VALUES || stars + w > RULE_WILDCARDS) {
      groups.push(current);
      current = [];
      stars = 0;
    }
    current.push(p);
    stars += w;
  }
  if (current.length) groups.push(current);
  return groups;
}

/** An alias or a version: by class, by shape (imported ones), or by a qualified literal ARN. */
function isQualified(fn: lambda.IFunction): boolean {
  if (fn instanceof lambda.Alias || fn instanceof lambda.Version || has(fn, 'aliasName') || has(fn, 'version', 'lambda')) return true;
  const arn = fn.functionArn;
  return !Token.isUnresolved(arn) && /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+:[^:]+$/.test(arn);
}

/**
 * aws-cdk-lib's LambdaTarget lets the ELB service invoke the function without naming the target
 * group: CloudFormation registers a Lambda target in the target group's own definition, which
 * needs the permission first, so the permission cannot name the group (a dependency cycle).
 */
function acknowledgeLoadBalancerPermission(fn: lambda.IFunction): void {
  if (!Construct.isConstruct(fn)) return;
  for (const node of fn.node.findAll()) {
    if (!(node instanceof lambda.CfnPermission)) continue;
    if (Stack.of(node).resolve(node.principal) !== 'elasticloadbalancing.amazonaws.com' || node.sourceArn || node.sourceAccount) continue;
    Validations.of(node).acknowledge({
      id: guard('lambda_function_public_access_prohibited_check'),
      reason: 'The ELB service may invoke the function for a target group of its own account and region only; the permission cannot name the target group, ' +
        "which registers the function in its own definition and so is created after it (CloudFormation's only way to register a Lambda target).",
    });
  }
}

/**
 * Rules of the same listener, anywhere in the app, with one of the router's priorities: CloudFormation
 * would fail on the second. A rule names its listener by the listener's ARN token, the same string
 * in every rule of it (`listener.addAction`, `ApplicationListenerRule`).
 */
function priorityClashes(router: HybridRouter, listener: elbv2.IApplicationListener): string[] {
  const ours = new Map(router.rules.map((r) => [(r.node.defaultChild as elbv2.CfnListenerRule).priority, r]));
  const clashes: string[] = [];
  for (const node of router.node.root.node.findAll()) {
    if (!(node instanceof elbv2.CfnListenerRule) || node.listenerArn !== listener.listenerArn) continue;
    if (router.rules.some((r) => r.node.defaultChild === node)) continue;
    const mine = ours.get(node.priority);
    if (mine && !Token.isUnresolved(node.priority)) {
      clashes.push(`invalid priority: ${node.priority}, the priority of ${mine.node.path}, is also that of ${node.node.path} on the same listener; ` +
        "accepted: priorities no other rule of the listener has (the router's rules take priority, priority + 1, …)");
    }
  }
  return clashes;
}

const HANDLER_DIR = path.join(__dirname, 'rollback-handler');
/** The rollback function's code: the handler bundled (see handlerBundle). */
export function rollbackHandlerDirectory(): string {
  return handlerBundle(HANDLER_DIR, 'hybrid-rollback');
}
