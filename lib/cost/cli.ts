/**
 * `cdk-web-tiers cost`: the monthly cost of each stack of a synthesized app, line by line, and its
 * ratings; with `--compare`, the stacks' costs across traffic from 100 thousand to 1 billion
 * requests a month, their crossovers, and a chart.
 *
 *   cdk-web-tiers cost [--cdk-out cdk.out] [--stack NAME] [--requests 10M] [--response-bytes 10000]
 *                      [--duration-ms 50] [--write-share 0.1] [--peak 3] [--region us-east-1]
 *                      [--free-tier] [--compare] [--chart cost.svg]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readAssembly, type AssemblyStack } from '../review/assembly';
import { costChartSvg, svgToPng } from './chart';
import { COMPARE_RANGE, costCurves, crossovers } from './compare';
import { estimateCost } from './estimate';
import { amount } from './prices';
import { ASSUMPTION_DEFAULTS, type CostAssumptions, type TrafficProfile } from './profile';
import { budgetOf, rateTemplate, renderRatings, type Ratings } from './ratings';
import { renderComparison, renderEstimate } from './render';
import type { CfnTemplate } from './template';

export const COST_USAGE = `usage: cdk-web-tiers cost [options]
  --cdk-out DIR          the synthesized app to read (default cdk.out)
  --stack NAME           only this stack (repeatable)
  --requests N           requests a month, e.g. 10M, 250k, 1B (default: the stack's budget traffic, else 10M)
  --response-bytes N     average response size in bytes (default 10000)
  --duration-ms N        average time per request in ms (default 50)
  --write-share N        share of requests that write, 0-1 (default 0.1)
  --peak N               busiest hour's rate over the average (default 3)
  --region R             prices of this region: us-east-1 or eu-west-1 (default: the stack's, else us-east-1)
  --free-tier            subtract AWS's free tiers (off by default)
  --assume NAME=N        override an assumption, e.g. requestsPerVcpuSecond=250 (repeatable; README lists them)
  --compare              compare the stacks across 100k-1B requests a month: table and crossovers
  --chart FILE.svg       with --compare, write the chart (and FILE.png when @resvg/resvg-js is installed)`;

interface CostArgs {
  readonly cdkOut: string;
  readonly stacks: string[];
  readonly traffic: Partial<TrafficProfile>;
  readonly region?: string;
  readonly freeTier: boolean;
  readonly compare: boolean;
  readonly chart?: string;
  readonly assumptions: Partial<Record<keyof CostAssumptions, number>>;
}

const NUMBER_OPTIONS: Record<string, keyof TrafficProfile> = {
  'requests': 'requestsPerMonth',
  'response-bytes': 'averageResponseBytes',
  'duration-ms': 'averageDurationMs',
  'write-share': 'writeShare',
  'peak': 'peakToAverage',
};

/** '10M' → 10000000, '250k' → 250000, '1B' → 1e9, '1_000' → 1000. */
export function parseCount(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)([kKmMbB]?)$/.exec(text.replace(/_/g, ''));
  if (!m) throw new Error(`--${option}: got '${text}'; accepted: a number such as 10000000, 10M, 250k or 1B`);
  const scale = { '': 1, k: 1e3, m: 1e6, b: 1e9 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'b'];
  return Number(m[1]) * scale;
}

export function parseCostArgs(argv: readonly string[]): CostArgs {
  const traffic: Partial<Record<keyof TrafficProfile, number>> = {};
  const stacks: string[] = [];
  let cdkOut = 'cdk.out';
  let region: string | undefined;
  let freeTier = false;
  let compare = false;
  let chart: string | undefined;
  const assumptions: Partial<Record<keyof CostAssumptions, number>> = {};
  for (let i = 0; i < argv.length; i++) {
    const eq = argv[i].indexOf('=');
    const [name, inline] = !argv[i].startsWith('--') ? [argv[i], undefined] : eq < 0 ? [argv[i].slice(2), undefined] : [argv[i].slice(2, eq), argv[i].slice(eq + 1)];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value\n${COST_USAGE}`);
      return v;
    };
    if (!argv[i].startsWith('--')) throw new Error(`unexpected argument '${argv[i]}'\n${COST_USAGE}`);
    if (name in NUMBER_OPTIONS) traffic[NUMBER_OPTIONS[name]] = parseCount(value(), name);
    else if (name === 'cdk-out') cdkOut = value();
    else if (name === 'stack') stacks.push(value());
    else if (name === 'region') region = value();
    else if (name === 'chart') chart = value();
    else if (name === 'assume') {
      const pair = value();
      const key = pair.split('=')[0];
      const amount = pair.includes('=') ? pair.slice(pair.indexOf('=') + 1) : undefined;
      if (!(key in ASSUMPTION_DEFAULTS) || amount === undefined) {
        throw new Error(`--assume: got '${key}${amount === undefined ? '' : `=${amount}`}'; accepted: NAME=NUMBER with NAME one of ${Object.keys(ASSUMPTION_DEFAULTS).join(', ')}`);
      }
      assumptions[key as keyof CostAssumptions] = parseCount(amount, `assume ${key}`);
    }
    else if (name === 'free-tier') freeTier = true;
    else if (name === 'compare') compare = true;
    else throw new Error(`unknown option --${name}\n${COST_USAGE}`);
  }
  if (chart && !compare) throw new Error('--chart draws the comparison: add --compare');
  return { cdkOut, stacks, traffic, region, freeTier, compare, chart, assumptions };
}

/** The default traffic when neither the command nor a budget says. */
export const DEFAULT_REQUESTS = 10_000_000;

/** A stack's region when its template is for a fixed one (the assembly names it), else undefined. */
function stackRegion(cdkOut: string, name: string): string | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(cdkOut, 'manifest.json'), 'utf8'));
  const env = String(manifest.artifacts?.[name]?.environment ?? '');
  const region = env.split('/')[3];
  return region && region !== 'unknown-region' ? region : undefined;
}

/** The report of every stack (or the comparison); returns the markdown printed. */
export function costReport(argv: readonly string[], titles: { chartTitle?: string } = {}): string {
  const args = parseCostArgs(argv);
  let stacks: AssemblyStack[] = readAssembly(args.cdkOut);
  if (stacks.length === 0) throw new Error(`no stack in ${args.cdkOut}: synthesize the app first (npx cdk synth)`);
  if (args.stacks.length) {
    const unknown = args.stacks.filter((s) => !stacks.some((x) => x.name === s));
    if (unknown.length) throw new Error(`no stack ${unknown.join(', ')} in ${args.cdkOut}; stacks: ${stacks.map((s) => s.name).join(', ')}`);
    // In the order given: a comparison lists them so.
    stacks = args.stacks.map((name) => stacks.find((s) => s.name === name)!);
  }
  const options = (s: AssemblyStack) => ({
    region: args.region ?? stackRegion(args.cdkOut, s.name),
    assumptions: args.assumptions,
    includeFreeTier: args.freeTier,
  });
  const out: string[] = [];
  if (args.compare) {
    const names = shortNames(stacks.map((s) => s.name));
    const templates = stacks.map((s, i) => [names[i], s.template as CfnTemplate] as const);
    const shared = { ...options(stacks[0]), traffic: args.traffic };
    const curves = costCurves(templates, shared);
    const crossings = crossovers(templates, curves, shared);
    const decades = COMPARE_RANGE.filter((n) => Number.isInteger(Math.log10(n)));
    const sample = estimateCost(templates[0][1], { ...shared, traffic: { ...args.traffic, requestsPerMonth: DEFAULT_REQUESTS } });
    const profile = `${amount(sample.traffic.averageResponseBytes)} B responses, ${amount(sample.traffic.averageDurationMs)} ms each, peak ${amount(sample.traffic.peakToAverage)}× average; ${sample.region} prices of ${sample.priceTableVersion}`;
    out.push(`## Monthly cost by traffic`, '', profile, '', renderComparison(curves, crossings, decades));
    out.push('## Ratings', '', renderRatings(templates.map(([name, t]) => [name, rateTemplate(t, shared)] as [string, Ratings])), '');
    if (args.chart) {
      const svg = costChartSvg(curves, crossings, { title: titles.chartTitle ?? 'Monthly cost by traffic', subtitle: profile });
      fs.mkdirSync(path.dirname(path.resolve(args.chart)), { recursive: true });
      fs.writeFileSync(args.chart, svg);
      let png = '';
      try {
        fs.writeFileSync(args.chart.replace(/\.svg$/, '') + '.png', svgToPng(svg));
        png = ` and ${args.chart.replace(/\.svg$/, '')}.png`;
      } catch (err) {
        png = ` (no PNG: ${(err as Error).message})`;
      }
      out.push(`Chart written to ${args.chart}${png}.`, '');
    }
    return out.join('\n');
  }
  for (const s of stacks) {
    const budget = budgetOf(s.template as CfnTemplate);
    const fromBudget = budget?.traffic;
    const traffic = { ...(fromBudget ?? {}), ...args.traffic, requestsPerMonth: args.traffic.requestsPerMonth ?? fromBudget?.requestsPerMonth ?? DEFAULT_REQUESTS };
    const settings = { ...options(s), region: args.region ?? budget?.region ?? options(s).region, assumptions: { ...budget?.assumptions, ...args.assumptions } };
    const e = estimateCost(s.template as CfnTemplate, { ...settings, traffic });
    const source = args.traffic.requestsPerMonth !== undefined ? '--requests' : fromBudget ? "the stack's budget" : `the default; --requests sets it`;
    out.push(`## ${s.name}`, '', `Traffic from ${source}.`, '', renderEstimate(e, '###'));
    out.push('### Ratings', '', renderRatings([[s.name, rateTemplate(s.template as CfnTemplate, { ...settings, traffic })]]), '');
  }
  return out.join('\n');
}

/** Names without the prefix they all share up to a '-' ('WebTiers-prod', 'WebTiers-dev' → 'prod', 'dev'). */
export function shortNames(names: readonly string[]): string[] {
  if (names.length < 2) return [...names];
  let prefix = names[0].slice(0, names[0].lastIndexOf('-') + 1);
  while (prefix && !names.every((n) => n.startsWith(prefix) && n.length > prefix.length)) prefix = prefix.slice(0, prefix.slice(0, -1).lastIndexOf('-') + 1);
  return names.map((n) => n.slice(prefix.length));
}

/** Runs the command; resolves with the exit code. */
export function costMain(argv: readonly string[]): number {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(COST_USAGE);
    return 0;
  }
  console.log(costReport(argv));
  return 0;
}
