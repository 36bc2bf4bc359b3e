import type { CompareOptions } from './compare';
import { estimateCost, type CostEstimate, type EstimateOptions } from './estimate';
import { requestsLabel } from './chart';
import { amount, money } from './prices';
import { arr, num, TemplateIndex, type CfnTemplate } from './template';

/**
 * A tier rated on the ladder's questions, each answer computed from the synthesized template
 * (and, for cost and performance at scale, from the estimator), never written by hand.
 */
export interface Ratings {
  /** Single points of failure, each with the resource it comes from; empty when none. */
  readonly singlePointsOfFailure: string[];
  /** What the team operates: instances and their OS, a runtime on managed instances, or only code. */
  readonly operate: string;
  /** How it scales: fixed, metric-driven with warm-up minutes, or per request. */
  readonly scaling: string;
  /** Monthly cost and cost per million requests at 10 million and 1 billion requests a month. */
  readonly costAt10M: RatedCost;
  readonly costAt1B: RatedCost;
  /** What happens at scale: where capacity runs out, or cold starts. */
  readonly performance: string;
}

export interface RatedCost {
  readonly requestsPerMonth: number;
  readonly monthlyUsd: number;
  readonly usdPerMillion: number;
  /** Lines the estimate could not price: the sum leaves them out. */
  readonly notPriced: number;
  /** True when the tier's configured capacity cannot serve that traffic. */
  readonly overCapacity: boolean;
}

/** The options of `rateTemplate`: an estimate's, without the request count (it prices 10 M and 1 B). */
export type RatingOptions = CompareOptions;

/** Rates a synthesized template. */
export function rateTemplate(template: CfnTemplate, options: RatingOptions = {}): Ratings {
  const t = new TemplateIndex(template);
  const at = (requestsPerMonth: number) => estimateCost(template, { ...options, traffic: { ...options.traffic, requestsPerMonth } });
  const e10m = at(10_000_000);
  const e1b = at(1_000_000_000);
  return {
    singlePointsOfFailure: singlePointsOfFailure(t, e10m),
    operate: operate(t),
    scaling: scaling(t, e10m),
    costAt10M: point(e10m),
    costAt1B: point(e1b),
    performance: performance(e1b),
  };
}

function point(e: CostEstimate): RatedCost {
  const n = e.traffic.requestsPerMonth;
  return {
    requestsPerMonth: n, monthlyUsd: e.totalUsd, usdPerMillion: e.totalUsd / (n / 1e6),
    notPriced: e.notPriced.length, overCapacity: e.servers.some((s) => s.saturated),
  };
}

function singlePointsOfFailure(t: TemplateIndex, e: CostEstimate): string[] {
  const found: string[] = [];
  for (const s of e.servers) if (s.max === 1) found.push(`one instance (${s.resource})`);
  const nats = [...t.ofType('AWS::EC2::NatGateway'), ...t.ofType('AWS::EC2::Instance').filter(([, r]) => String(r.Properties?.SourceDestCheck) === 'false')];
  if (nats.length === 1) found.push(`one NAT for egress (${nats[0][0]})`);
  for (const [id, r] of t.ofType('AWS::RDS::DBInstance')) {
    if (!r.Properties?.DBClusterIdentifier && String(r.Properties?.MultiAZ) !== 'true') found.push(`a single-AZ database (${id})`);
  }
  // An Aurora cluster with one member has nothing to fail over to.
  for (const [id] of t.ofType('AWS::RDS::DBCluster')) {
    if (t.referrersOf(id, 'AWS::RDS::DBInstance').length === 1) found.push(`a single-AZ database (${id}: one member)`);
  }
  // One zone: a group or load balancer in one subnet, or a volume pinned to one zone.
  const oneZone = new Set<string>();
  for (const [id, r] of t.ofType('AWS::AutoScaling::AutoScalingGroup')) if (arr(r.Properties?.VPCZoneIdentifier)?.length === 1) oneZone.add(id);
  for (const [id, r] of t.ofType('AWS::ElasticLoadBalancingV2::LoadBalancer')) if ((arr(r.Properties?.Subnets) ?? arr(r.Properties?.SubnetMappings))?.length === 1) oneZone.add(id);
  for (const [id] of t.ofType('AWS::EC2::Volume')) oneZone.add(id);
  if (oneZone.size) found.push(`one availability zone (${[...oneZone].join(', ')})`);
  return found;
}

function operate(t: TemplateIndex): string {
  const instances = t.ofType('AWS::AutoScaling::AutoScalingGroup', 'AWS::EC2::Instance');
  const beanstalk = t.ofType('AWS::ElasticBeanstalk::Environment');
  const localDatabase = t.ofType('AWS::EC2::Volume').length > 0 && t.ofType('AWS::RDS::DBInstance', 'AWS::RDS::DBCluster').length === 0;
  if (instances.some(([, r]) => String(r.Properties?.SourceDestCheck) !== 'false')) {
    return `instances and their OS (patches, image updates), the Node.js runtime on them${localDatabase ? ', the database on the instance' : ''}, and scaling`;
  }
  if (beanstalk.length) return 'a runtime on managed instances: the platform patches OS and runtime in its weekly window; the team keeps the scaling settings';
  const nat = instances.length ? ' (and the NAT instance)' : '';
  return `only code and its configuration${nat}`;
}

function scaling(t: TemplateIndex, e: CostEstimate): string {
  const parts: string[] = [];
  for (const s of e.servers) {
    if (s.scaling.kind === 'fixed') {
      parts.push(`fixed: ${s.min === s.max ? s.min : `${s.min}–${s.max}`} × ${s.instanceType}`);
    } else {
      parts.push(`metric-driven (${s.scaling.metrics.map(metricName).join(', ')}), ${s.min}–${s.max} × ${s.instanceType}; ${s.scaling.reaction}`);
    }
  }
  for (const f of e.functions) {
    const reserved = num(t.get(f.resource)?.Properties?.ReservedConcurrentExecutions);
    parts.push(`per request: a new environment per concurrent request, up to ${reserved !== undefined ? `${reserved} (reserved)` : "the account's concurrency"}`);
  }
  return parts.join('; ') || 'nothing serves requests in this template';
}

const METRICS: Record<string, string> = {
  ASGAverageCPUUtilization: 'CPU', CPUUtilization: 'CPU', mem_used_percent: 'memory',
  ALBRequestCountPerTarget: 'requests per instance', ASGAverageNetworkIn: 'network in', ASGAverageNetworkOut: 'network out', NetworkOut: 'network out',
};
function metricName(metric: string): string {
  return METRICS[metric] ?? metric;
}

function performance(e: CostEstimate): string {
  const parts: string[] = [];
  for (const s of e.servers) {
    parts.push(Number.isFinite(s.capacityRequestsPerMonth)
      ? `${s.saturated ? 'over capacity' : 'within capacity'} at 1 B requests/month; ${s.max} × ${s.instanceType} ${s.max === 1 ? 'serves' : 'serve'} up to ${requestsLabel(s.capacityRequestsPerMonth)} requests/month at the assumed peak`
      : `${s.min}–${s.max} × ${s.instanceType} serve no requests (the load balancer sends them all elsewhere)`);
  }
  for (const f of e.functions) {
    parts.push(f.provisioned > 0
      ? `${f.provisioned} environments kept warm (provisioned concurrency); cold starts beyond them`
      : 'cold starts: each new concurrent environment initializes first (no provisioned concurrency)');
  }
  return parts.join('; ') || '—';
}

/** The questions, in order, with how each answer reads in a table cell. */
export const RATING_ROWS: ReadonlyArray<[string, (r: Ratings) => string]> = [
  ['Single points of failure', (r) => r.singlePointsOfFailure.length ? r.singlePointsOfFailure.join('; ') : 'none'],
  ['What the team operates', (r) => r.operate],
  ['How it scales', (r) => r.scaling],
  ['Cost at 10 M requests/month', (r) => cost(r.costAt10M)],
  ['Cost at 1 B requests/month', (r) => cost(r.costAt1B)],
  ['Performance at scale', (r) => r.performance],
];

function cost(p: RatedCost): string {
  const extra = [p.overCapacity ? 'over capacity' : '', p.notPriced ? `${p.notPriced} line${p.notPriced > 1 ? 's' : ''} not priced` : ''].filter(Boolean);
  return `${money(p.monthlyUsd)} (${money(p.usdPerMillion)} per million)${extra.length ? `, ${extra.join(', ')}` : ''}`;
}

/** A markdown table: the questions down the side, one column per template (environment or tier). */
export function renderRatings(columns: ReadonlyArray<[string, Ratings]>): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [`| | ${columns.map(([name]) => cell(name)).join(' | ')} |`, `|---|${columns.map(() => '---').join('|')}|`];
  for (const [question, read] of RATING_ROWS) lines.push(`| ${question} | ${columns.map(([, r]) => cell(read(r))).join(' | ')} |`);
  return lines.join('\n');
}

/**
 * The review's section: the stack's monthly cost at its budget's traffic (else 10 million
 * requests) and its ratings, next to the base's when the review has one, so a pull request that
 * changes a tier shows what it does to cost and availability.
 */
export function costAndAvailability(head: CfnTemplate, base: CfnTemplate | undefined, options: { readonly region?: string } = {}): string {
  const budget = budgetOf(head) ?? (base ? budgetOf(base) : undefined);
  const traffic = budget?.traffic ?? { requestsPerMonth: 10_000_000 };
  const settings = { region: budget?.region ?? options.region, assumptions: budget?.assumptions };
  const at = (t: CfnTemplate) => estimateCost(t, { ...settings, traffic });
  const rate = (t: CfnTemplate) => rateTemplate(t, { ...settings, traffic });
  const now = at(head);
  const columns: Array<[string, Ratings, CostEstimate]> = [];
  if (base) columns.push(['base', rate(base), at(base)]);
  columns.push([base ? 'this change' : 'this stack', rate(head), now]);
  const cellText = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '### Cost and availability',
    '',
    `At ${amount(traffic.requestsPerMonth)} requests a month (${budget ? "the budget's traffic" : 'the default: no budget on the stack'}), ${now.region} prices of ${now.priceTableVersion}; \`cdk-web-tiers cost\` shows every line.`,
    '',
    `| | ${columns.map(([name]) => name).join(' | ')} |`,
    `|---|${columns.map(() => '---').join('|')}|`,
  ];
  const monthly = columns.map(([, , e], i) => {
    const delta = i > 0 ? e.totalUsd - columns[0][2].totalUsd : 0;
    const change = i > 0 && Math.abs(delta) >= 0.005 ? ` (${delta > 0 ? '+' : '−'}${money(Math.abs(delta))})` : '';
    return `${money(e.totalUsd)}${change}${e.notPriced.length ? `, ${e.notPriced.length} not priced` : ''}`;
  });
  lines.push(`| Monthly cost | ${monthly.join(' | ')} |`);
  if (budget) lines.push(`| Budget | ${columns.map(([, , e]) => `${money(budget.monthlyUsd)}: ${e.totalUsd > budget.monthlyUsd ? '**exceeded**' : 'within'}`).join(' | ')} |`);
  for (const [question, read] of RATING_ROWS) lines.push(`| ${question} | ${columns.map(([, r]) => cellText(read(r))).join(' | ')} |`);
  return lines.join('\n') + '\n';
}

/** The budget a template carries (CostBudget writes its amount and traffic into the metadata). */
export function budgetOf(template: CfnTemplate): { monthlyUsd: number; traffic: EstimateOptions['traffic']; assumptions?: EstimateOptions['assumptions']; region?: string } | undefined {
  for (const r of Object.values(template.Resources ?? {})) {
    const budget = r.Metadata?.['cdk-web-tiers:budget'];
    if (r.Type === 'AWS::Budgets::Budget' && budget?.traffic) return budget;
  }
  return undefined;
}
