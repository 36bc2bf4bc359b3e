/**
 * The logic of the HybridRouter's rollback function, without AWS: it gets the two ELBv2 calls as
 * functions, so tests can pass fakes or a real client against a local emulator. Types are the parts
 * of the SDK's requests and results it uses (the SDK's own types are assignable to them).
 */

/** One target group of a weighted forward, and its weight. */
export interface WeightedTargetGroup {
  readonly TargetGroupArn?: string;
  readonly Weight?: number;
}

/** The stickiness of a weighted forward, kept as it was when the weights are rewritten. */
export interface Stickiness {
  readonly Enabled?: boolean;
  readonly DurationSeconds?: number;
}

/** A listener rule's action, as DescribeRules returns it. */
export interface DescribedAction {
  readonly Type?: string;
  readonly TargetGroupArn?: string;
  readonly ForwardConfig?: {
    readonly TargetGroups?: readonly WeightedTargetGroup[];
    readonly TargetGroupStickinessConfig?: Stickiness;
  };
}

/** A listener rule, as DescribeRules returns it. */
export interface DescribedRule {
  readonly RuleArn?: string;
  readonly Actions?: readonly DescribedAction[];
}

/** The forward action ModifyRule gets: every matching request to the instances. */
export interface ForwardAction {
  readonly Type: 'forward';
  readonly ForwardConfig: {
    readonly TargetGroups: WeightedTargetGroup[];
    readonly TargetGroupStickinessConfig?: Stickiness;
  };
}

/** The two ELBv2 calls the rollback makes. */
export interface Elbv2Calls {
  describeRules(input: { RuleArns: string[] }): Promise<{ readonly Rules?: readonly DescribedRule[] }>;
  modifyRule(input: { RuleArn: string; Actions: ForwardAction[] }): Promise<unknown>;
}

/** What the function is told in its environment: the router's rules and its two target groups. */
export interface RollbackConfig {
  readonly ruleArns: string[];
  readonly instanceTargetGroupArn: string;
  readonly lambdaTargetGroupArn: string;
}

/** The environment variables the router sets on the function. */
export const ENV = {
  RULE_ARNS: 'RULE_ARNS',
  INSTANCE_TARGET_GROUP_ARN: 'INSTANCE_TARGET_GROUP_ARN',
  LAMBDA_TARGET_GROUP_ARN: 'LAMBDA_TARGET_GROUP_ARN',
} as const;

/** Reads the configuration from the environment (`RULE_ARNS` comma-separated); a missing value is an error naming it. */
export function configFromEnvironment(env: Record<string, string | undefined>): RollbackConfig {
  const get = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new Error(`The environment variable ${name} is missing: the HybridRouter sets it on its rollback function.`);
    return value;
  };
  return {
    ruleArns: get(ENV.RULE_ARNS).split(',').map((arn) => arn.trim()).filter(Boolean),
    instanceTargetGroupArn: get(ENV.INSTANCE_TARGET_GROUP_ARN),
    lambdaTargetGroupArn: get(ENV.LAMBDA_TARGET_GROUP_ARN),
  };
}

/** The parts of an EventBridge "CloudWatch Alarm State Change" event that the log names. */
export interface AlarmStateChange {
  readonly 'source'?: string;
  readonly 'detail-type'?: string;
  readonly 'time'?: string;
  readonly 'resources'?: readonly string[];
  readonly 'detail'?: {
    readonly alarmName?: string;
    readonly state?: { readonly value?: string; readonly reason?: string; readonly timestamp?: string };
    readonly previousState?: { readonly value?: string };
  };
}

/** Percent of a rule's matching requests on each side, as far as DescribeRules told. */
export interface Weights {
  readonly instances?: number;
  readonly lambda?: number;
}

/** What happened to one rule. */
export interface RuleOutcome {
  readonly ruleArn: string;
  /** `shifted`: rewritten to 100/0; `unchanged`: it already sent nothing to the function; `failed`: ModifyRule failed. */
  readonly result: 'shifted' | 'unchanged' | 'failed';
  /** The weights before, when DescribeRules told them. */
  readonly before?: Weights;
  readonly after?: Weights;
  readonly error?: string;
}

/** The JSON line the function logs, and returns. */
export interface RollbackReport {
  readonly level: 'info' | 'warn' | 'error';
  readonly msg: string;
  readonly alarm: { readonly name?: string; readonly arn?: string; readonly state?: string; readonly reason?: string; readonly time?: string };
  readonly rules: RuleOutcome[];
  /** Why the weights before are unknown: DescribeRules failed (the rollback went ahead without it). */
  readonly describeError?: string;
}

/** Writes a report as one JSON line: errors and warnings to stderr, the rest to stdout (CloudWatch Logs keeps both). */
export function writeLog(report: RollbackReport): void {
  const line = `${JSON.stringify(report)}\n`;
  if (report.level === 'info') process.stdout.write(line);
  else process.stderr.write(line);
}

const message = (error: unknown) => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

/** The weights of the two target groups in a rule's forward action. */
function weightsOf(rule: DescribedRule | undefined, config: RollbackConfig): { weights: Weights; stickiness?: Stickiness } | undefined {
  const forward = rule?.Actions?.find((a) => a.Type === 'forward');
  if (!forward) return undefined;
  const groups = forward.ForwardConfig?.TargetGroups
    ?? (forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []);
  const total = groups.reduce((sum, g) => sum + (g.Weight ?? 1), 0);
  const percent = (arn: string) => {
    const weight = groups.filter((g) => g.TargetGroupArn === arn).reduce((sum, g) => sum + (g.Weight ?? 1), 0);
    return total > 0 ? Math.round((100 * weight) / total) : 0;
  };
  return {
    weights: { instances: percent(config.instanceTargetGroupArn), lambda: percent(config.lambdaTargetGroupArn) },
    stickiness: forward.ForwardConfig?.TargetGroupStickinessConfig,
  };
}

/**
 * On an ALARM state change, rewrites each of the router's rules to forward every matching request
 * to the instances (weight 100) and none to the function (weight 0), keeping the rule's conditions
 * and stickiness. DescribeRules only reads the weights before, for the log and to leave a rule that
 * already sends nothing to the function alone; when it fails the rules are rewritten all the same.
 * A rule that cannot be rewritten does not stop the others; the call then fails (Lambda retries
 * it, then hands the event to the dead-letter topic) after logging what it did.
 */
export async function rollBack(event: AlarmStateChange, config: RollbackConfig, elb: Elbv2Calls, log: (report: RollbackReport) => void = writeLog): Promise<RollbackReport> {
  const alarm = {
    name: event.detail?.alarmName,
    arn: event.resources?.[0],
    state: event.detail?.state?.value,
    reason: event.detail?.state?.reason,
    time: event.detail?.state?.timestamp ?? event.time,
  };
  if (alarm.state !== 'ALARM') {
    const report: RollbackReport = { level: 'info', msg: 'ignored: the alarm did not go into ALARM', alarm, rules: [] };
    log(report);
    return report;
  }

  let described: readonly DescribedRule[] | undefined;
  let describeError: string | undefined;
  try {
    described = (await elb.describeRules({ RuleArns: config.ruleArns })).Rules ?? [];
  } catch (error) {
    describeError = message(error);
  }

  const rules: RuleOutcome[] = [];
  for (const ruleArn of config.ruleArns) {
    const before = described && weightsOf(described.find((r) => r.RuleArn === ruleArn), config);
    if (before && before.weights.lambda === 0 && before.weights.instances === 100) {
      rules.push({ ruleArn, result: 'unchanged', before: before.weights, after: before.weights });
      continue;
    }
    const stickiness = before?.stickiness;
    try {
      await elb.modifyRule({
        RuleArn: ruleArn,
        Actions: [{
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: config.instanceTargetGroupArn, Weight: 100 },
              { TargetGroupArn: config.lambdaTargetGroupArn, Weight: 0 },
            ],
            ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
          },
        }],
      });
      rules.push({ ruleArn, result: 'shifted', before: before?.weights, after: { instances: 100, lambda: 0 } });
    } catch (error) {
      rules.push({ ruleArn, result: 'failed', before: before?.weights, error: message(error) });
    }
  }

  const failed = rules.filter((r) => r.result === 'failed');
  const report: RollbackReport = {
    level: failed.length ? 'error' : describeError ? 'warn' : 'info',
    msg: failed.length
      ? `rollback incomplete: ${failed.length} of ${rules.length} rules could not be rewritten`
      : 'rolled back: every matching request goes to the instances, none to the function',
    alarm,
    rules,
    ...(describeError ? { describeError } : {}),
  };
  log(report);
  if (failed.length) {
    throw new Error(`${report.msg}: ${failed.map((r) => `${r.ruleArn} (${r.error})`).join('; ')}`);
  }
  return report;
}
