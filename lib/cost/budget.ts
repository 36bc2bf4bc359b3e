import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aws, Stack, Stage, Token, Validations, type IPolicyValidationContext, type IPolicyValidationPlugin, type PolicyValidationPluginReport } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { arrayOf, checkSpec, integer, literal, number, required, shape, string, topic, withoutNulls, type Spec } from '../../constructs/shared/checks';
import { WebTiersValidationError } from '../../constructs/shared/validation';
import { estimateCost, type CostEstimate } from './estimate';
import { defaultPriceTable, money, PRICED_REGIONS } from './prices';
import { ASSUMPTIONS_SPEC, TRAFFIC_SPEC, type CostAssumptions, type TrafficProfile } from './profile';
import { describeTraffic, topLines } from './render';
import type { CfnTemplate } from './template';

export interface CostBudgetProps {
  /** The most the stack may cost a month, in USD. */
  readonly monthlyUsd: number;
  /** The traffic the amount is meant for: synth fails when the estimate at this traffic is above it. */
  readonly traffic: TrafficProfile;
  /** Where the budget's alerts go, e.g. the tier's `alarmTopic`. */
  readonly topic: sns.ITopic;
  /**
   * The region whose prices the synth-time estimate uses.
   * @default - the stack's region; 'us-east-1' for an environment-agnostic stack
   */
  readonly pricingRegion?: string;
  /** What the estimate assumes where neither the template nor the traffic says. */
  readonly assumptions?: CostAssumptions;
  /**
   * Percentages of the amount at which actual spend alerts; the forecast alerts at 100 %.
   * @default [80, 100]
   */
  readonly alertAtPercent?: number[];
}

export const COST_BUDGET_SPEC: Spec = {
  monthlyUsd: required(literal(number(0.01, 1e9, 'USD'))),
  traffic: required(shape(TRAFFIC_SPEC, 'a traffic profile such as { requestsPerMonth: 10_000_000 }')),
  topic: required(topic),
  pricingRegion: string(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "a region such as 'eu-west-1'"),
  assumptions: shape(ASSUMPTIONS_SPEC, 'cost assumptions such as { requestsPerVcpuSecond: 200 }'),
  // AWS Budgets takes five notifications a budget: these and the forecast's.
  alertAtPercent: arrayOf(integer(1, 1000, '%'), 1, 4),
};

/**
 * A monthly cost budget on one stack, watched twice: at synth, the estimate of the synthesized
 * template at the budget's traffic must fit the amount, or synth fails with the estimate's top
 * lines; after deploy, an AWS Budgets budget on the stack's spend (by the
 * `aws:cloudformation:stack-name` cost allocation tag) alerts `topic` when actual spend passes
 * each `alertAtPercent` of the amount and when the month's forecast passes it.
 */
export class CostBudget extends Construct {
  public readonly budget: budgets.CfnBudget;
  public readonly monthlyUsd: number;
  public readonly traffic: TrafficProfile;
  public readonly assumptions?: CostAssumptions;
  /** The region whose prices the synth-time estimate uses. */
  public readonly region: string;

  constructor(scope: Construct, id: string, props: CostBudgetProps) {
    super(scope, id);
    props = withoutNulls(props);
    checkSpec(this, props as unknown as Record<string, unknown>, COST_BUDGET_SPEC);
    const stack = Stack.of(this);
    const alerts = props.alertAtPercent ?? [80, 100];
    if (new Set(alerts).size !== alerts.length) {
      throw new WebTiersValidationError(this, 'alertAtPercent', `got ${alerts.join(', ')}; accepted: distinct percentages (each is one notification)`);
    }
    if (stack.nested) {
      throw new WebTiersValidationError(this, 'scope', `is in the nested stack ${stack.node.path}, whose template synth does not hand to the check; accepted: a construct in a top-level stack`);
    }
    const covered = new Set(defaultPriceTable().prices.map((r) => r.region));
    const regions = PRICED_REGIONS.filter((r) => covered.has(r));
    const region = props.pricingRegion ?? (Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region);
    if (!(regions as readonly string[]).includes(region)) {
      throw new WebTiersValidationError(this, 'pricingRegion', `the price table has no prices for ${region}, so the budget could not be checked at synth; accepted: ${regions.join(', ')} (the nearest one's prices are an approximation)`);
    }
    this.monthlyUsd = props.monthlyUsd;
    this.traffic = props.traffic;
    this.assumptions = props.assumptions;
    this.region = region;
    const subscribers = [{ subscriptionType: 'SNS', address: props.topic.topicArn }];

    this.budget = new budgets.CfnBudget(this, 'Resource', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyUsd, unit: 'USD' },
        filterExpression: { tags: { key: 'aws:cloudformation:stack-name', values: [stack.stackName], matchOptions: ['EQUALS'] } },
      },
      notificationsWithSubscribers: [
        ...alerts.map((threshold) => ({
          notification: { notificationType: 'ACTUAL', comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
          subscribers,
        })),
        {
          notification: { notificationType: 'FORECASTED', comparisonOperator: 'GREATER_THAN', threshold: 100, thresholdType: 'PERCENTAGE' },
          subscribers,
        },
      ],
    });
    // The review and `cost` read the traffic the budget assumes from the template.
    this.budget.addMetadata('cdk-web-tiers:budget', { monthlyUsd: props.monthlyUsd, traffic: props.traffic, assumptions: props.assumptions, region });

    // AWS Budgets publishes to the topic, and to an encrypted topic only with the key's grant.
    const budgetsPrincipal = new iam.ServicePrincipal('budgets.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    });
    props.topic.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AwsBudgetsPublish',
      principals: [budgetsPrincipal],
      actions: ['sns:Publish'],
      resources: [props.topic.topicArn],
    }));
    const key = (props.topic as { masterKey?: kms.IKey }).masterKey;
    key?.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'AwsBudgetsUseKey',
      principals: [budgetsPrincipal],
      actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
      resources: ['*'],
    }));

    BudgetCheck.of(this).add(this);
  }

  /** The estimate of a synthesized template (its JSON) of this budget's stack, at the budget's traffic. */
  public estimate(template: { [key: string]: any }): CostEstimate {
    return estimateCost(template as CfnTemplate, { traffic: this.traffic, region: this.region, assumptions: this.assumptions });
  }
}

/**
 * The synth-time half of every budget in a stage: a validation plugin, so it runs on the
 * synthesized templates themselves, and a budget above its amount fails synth as a rule pack's
 * finding does.
 */
class BudgetCheck implements IPolicyValidationPlugin {
  public static of(scope: Construct): BudgetCheck {
    const stage = Stage.of(scope) ?? (scope.node.root as Stage);
    let check = BudgetCheck.byStage.get(stage);
    if (!check) {
      check = new BudgetCheck();
      BudgetCheck.byStage.set(stage, check);
      Validations.of(stage).addPlugins(check);
    }
    return check;
  }

  private static readonly byStage = new WeakMap<object, BudgetCheck>();
  public readonly name = 'cdk-web-tiers-budget';
  public readonly ruleIds = ['CostBudget'];
  private readonly budgets: CostBudget[] = [];

  public add(budget: CostBudget): void {
    this.budgets.push(budget);
  }

  public validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyValidationPluginReport['violations'] = [];
    for (const budget of this.budgets) {
      const stack = Stack.of(budget);
      const templatePath = context.templatePaths.find((p) => path.basename(p) === stack.templateFile);
      if (!templatePath) continue;
      const e = budget.estimate(JSON.parse(fs.readFileSync(templatePath, 'utf8')));
      if (e.totalUsd <= budget.monthlyUsd) continue;
      const top = topLines(e, 5).map((l) => `  ${money(l.monthlyUsd!).padStart(10)}  ${l.resource}: ${l.item} (${l.formula})`);
      violations.push({
        ruleName: 'CostBudget',
        description: [
          `${stack.stackName}: the estimate is ${money(e.totalUsd)} a month, above the budget of ${money(budget.monthlyUsd)} (${describeTraffic(e)}).`,
          'Top lines:',
          ...top,
          ...(e.notPriced.length ? [`  and ${e.notPriced.length} line(s) not priced, left out of the sum`] : []),
        ].join('\n'),
        fix: 'Lower the cost (a smaller instance type, fewer instances, one NAT), or raise the budget; `npm run cost` shows every line.',
        violatingResources: [{ resourceLogicalId: stack.resolve(budget.budget.logicalId), templatePath, locations: [budget.node.path] }],
      });
    }
    return { success: violations.length === 0, violations };
  }
}

