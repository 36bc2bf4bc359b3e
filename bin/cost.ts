#!/usr/bin/env node
/**
 * `npm run cost`: synthesizes this repo's environments (offline, with cdk.json's context) and
 * prints each one's monthly cost, line by line, and its ratings. Options are `cdk-web-tiers cost`'s
 * (`--requests 50M`, `--free-tier`, ...), plus:
 *
 *   --env NAME      only this environment
 *   --climb NAME    the steps from auto-scaling to serverless (README's walkthrough) with NAME's settings
 *   --tiers NAME    all six tiers with environment NAME's settings (and serverless on DynamoDB), compared from 100 thousand to
 *                   1 billion requests a month (`npm run cost -- --tiers prod --chart docs/cost/prod.svg`)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { addEnvironmentStacks } from '../lib/app';
import { ENVIRONMENTS, TIERS, type EnvironmentConfig } from '../lib/config';
import { COST_USAGE, costReport } from '../lib/cost/cli';
import { SinglePointOfFailure } from '../constructs/shared/warnings';

// The estimate reads templates; the rule packs and the CloudFormation validator are synth's job.
process.env.CDK_VALIDATION ??= 'false';

/** Removes `--option value` (or `--option=value`) from `argv` and returns the value. */
function take(argv: string[], option: string): string | undefined {
  const i = argv.findIndex((a) => a === `--${option}` || a.startsWith(`--${option}=`));
  if (i < 0) return undefined;
  if (argv[i].includes('=')) return argv.splice(i, 1)[0].split('=', 2)[1];
  const value = argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`--${option} needs an environment name`);
  argv.splice(i, 2);
  return value;
}

/** Synthesizes `environments` into a fresh folder and returns it. */
function synth(environments: Record<string, EnvironmentConfig>): string {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-tiers-cost-'));
  const context = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context;
  const app = new App({ context, outdir });
  addEnvironmentStacks(app, environments);
  try {
    app.synth();
  } catch (err) {
    // A budget the estimate exceeds fails synth after the templates are written (the report is
    // above): the lines below show where the money goes.
    if (!/Validation failed/.test((err as Error).message)) throw err;
    console.error('cost: synth failed validation (above); the estimate of the synthesized templates follows.\n');
  }
  return outdir;
}

function main(argv: string[]): void {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(`usage: npm run cost -- [--env NAME | --tiers NAME] [options]\n${COST_USAGE.split('\n').slice(1).join('\n')}`);
    return;
  }
  const env = take(argv, 'env');
  const tiers = take(argv, 'tiers');
  for (const name of [env, tiers]) {
    if (name !== undefined && !ENVIRONMENTS[name]) throw new Error(`unknown environment '${name}'; known environments: ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  const climb = take(argv, 'climb');
  for (const name of [climb]) {
    if (name !== undefined && !ENVIRONMENTS[name]) throw new Error(`unknown environment '${name}'; known environments: ${Object.keys(ENVIRONMENTS).join(', ')}`);
  }
  if (tiers || climb) {
    const base = (tiers ?? climb)!;
    // Each variant with the environment's settings (its budget left out: the comparison runs every
    // variant at every traffic, and a budget would fail the synth of the dearer ones).
    // These stacks are compared, never deployed: the warnings of their single points of failure
    // are acknowledged (the ratings list them).
    const acknowledge = Object.fromEntries(SinglePointOfFailure.ALL.map((id) => [id, 'compared by npm run cost, not deployed']));
    const settings: EnvironmentConfig = { ...ENVIRONMENTS[base], budget: undefined, acknowledge };
    const variants: Array<[string, EnvironmentConfig]> = tiers
      // Every tier, and the serverless tier once more on DynamoDB (store 'dynamodb'), the
      // alternative to the database all other tiers but single-instance share.
      ? [
        ...TIERS.map((tier): [string, EnvironmentConfig] => [tier, { ...settings, tier }]),
        ['serverless-dynamodb', { ...settings, tier: 'serverless', store: 'dynamodb' }],
      ]
      // The climb from auto-scaling to serverless, one config change a step (README's walkthrough).
      : [
        ['0 auto-scaling', { ...settings, tier: 'auto-scaling' }],
        ['1 api 10pct on Lambda', { ...settings, tier: 'auto-scaling', hybrid: { paths: ['/api/*'], weight: 10 } }],
        ['2 all on Lambda', { ...settings, tier: 'auto-scaling', hybrid: { weight: 100 } }],
        ['3 serverless', { ...settings, tier: 'serverless' }],
      ];
    const id = (name: string) => `${base}-${name.replace(/[^A-Za-z0-9]+/g, '-')}`;
    // Named <env>-<variant>, so that they keep the environment's rules (dev may destroy its data).
    const outdir = synth(Object.fromEntries(variants.map(([name, config]) => [id(name), config])));
    const stacks = variants.flatMap(([name]) => ['--stack', `WebTiers-${id(name)}`]);
    const title = tiers ? `Monthly cost of each tier with ${base}'s settings` : `Monthly cost of each step from auto-scaling to serverless with ${base}'s settings`;
    console.log(costReport(['--cdk-out', outdir, '--compare', ...stacks, ...argv], { chartTitle: title }));
    fs.rmSync(outdir, { recursive: true, force: true });
    return;
  }
  const outdir = synth(env ? { [env]: ENVIRONMENTS[env] } : { ...ENVIRONMENTS });
  console.log(costReport(['--cdk-out', outdir, ...argv]));
  fs.rmSync(outdir, { recursive: true, force: true });
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`cost: ${(err as Error).message}`);
  process.exitCode = 1;
}
