#!/usr/bin/env node
/**
 * Reviews a synthesized CDK app for a pull request: a markdown report per stack (resources,
 * public endpoints, ingress, IAM, stateful resources, rule-pack findings), a diagram per stack,
 * and with --base the diff against the base branch, dangerous changes first. Exits 2 when a
 * stateful resource would be replaced or deleted, or a wildcard permission or internet ingress
 * appears, and no allow-list entry names it.
 *
 *   cdk-web-tiers-review [--cdk-out cdk.out] [--synth] [--base base/cdk.out] [--out review]
 *                        [--allow Id,Id] [--allow-file .review-allow] [--no-diagrams]
 *
 * REVIEW_ALLOW (e.g. the pull request body) may hold `review-allow: LogicalId` lines too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllowList, review } from '../lib/review';

function parse(argv: string[]): Record<string, string | boolean> {
  const args: Record<string, string | boolean> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument '${a}'`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (['synth', 'no-diagrams'].includes(name)) args[name] = true;
    else args[name] = inline ?? argv[++i] ?? '';
  }
  return args;
}

async function main(): Promise<number> {
  const args = parse(process.argv.slice(2));
  const known = ['cdk-out', 'synth', 'base', 'out', 'allow', 'allow-file', 'no-diagrams'];
  for (const name of Object.keys(args)) if (!known.includes(name)) throw new Error(`unknown option --${name}; known: ${known.map((k) => `--${k}`).join(', ')}`);
  const cdkOut = String(args['cdk-out'] ?? 'cdk.out');
  if (args.synth || !fs.existsSync(path.join(cdkOut, 'manifest.json'))) {
    execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut], { stdio: 'inherit' });
  }
  const allowFile = String(args['allow-file'] ?? '.review-allow');
  const allow = parseAllowList(
    typeof args.allow === 'string' ? args.allow : undefined,
    fs.existsSync(allowFile) ? fs.readFileSync(allowFile, 'utf8') : undefined,
    process.env.REVIEW_ALLOW,
  );
  const result = await review({
    cdkOut, out: String(args.out ?? 'review'), base: typeof args.base === 'string' ? args.base : undefined, allow, diagrams: !args['no-diagrams'],
  });
  console.log(`review written to ${result.summaryFile}`);
  for (const c of result.allowed) console.log(`allowed: ${c.stack} ${c.logicalId}: ${c.kind} — ${c.detail}`);
  for (const c of result.blocked) console.error(`DANGEROUS: ${c.stack} ${c.logicalId}: ${c.kind} — ${c.detail}`);
  return result.blocked.length ? 2 : 0;
}

main().then((code) => { process.exitCode = code; }, (err: Error) => {
  console.error(`cdk-web-tiers-review: ${err.message}`);
  process.exitCode = 1;
});
