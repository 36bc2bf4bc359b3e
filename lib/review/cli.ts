/**
 * The review command's arguments and run. The review needs two packages the constructs do not:
 * `@aws-cdk/cloudformation-diff` and `@viz-js/viz`, optional peer dependencies of this package,
 * loaded only here so that an app using the constructs installs only what synthesis needs.
 *
 *   cdk-web-tiers review [--cdk-out cdk.out] [--synth] [--base base/cdk.out] [--out review]
 *                        [--allow Id,Id] [--allow-file .review-allow] [--no-diagrams]
 *
 * REVIEW_ALLOW (e.g. the pull request body) may hold `review-allow: LogicalId` lines too.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The optional peer dependencies the review loads, with the ranges this package is tested with. */
export const REVIEW_DEPENDENCIES = ['@aws-cdk/cloudformation-diff@^2.187.5', '@viz-js/viz@^3.31.0'];

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

/** Loads the review, or explains which optional dependency to install. */
function loadReview(diagrams: boolean): typeof import('./index') {
  const missing = REVIEW_DEPENDENCIES.filter((spec) => {
    const name = spec.slice(0, spec.lastIndexOf('@'));
    if (name === '@viz-js/viz' && !diagrams) return false;
    try {
      require.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) {
    throw new Error(`the review needs ${missing.join(' and ')}, optional dependencies the constructs do not need: npm install --save-dev ${missing.join(' ')}`);
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('./index') as typeof import('./index');
}

/** Runs the review; resolves with the exit code (2 when a dangerous change is not allowed). */
export async function reviewMain(argv: string[]): Promise<number> {
  const args = parse(argv);
  const known = ['cdk-out', 'synth', 'base', 'out', 'allow', 'allow-file', 'no-diagrams'];
  for (const name of Object.keys(args)) if (!known.includes(name)) throw new Error(`unknown option --${name}; known: ${known.map((k) => `--${k}`).join(', ')}`);
  const { parseAllowList, review } = loadReview(!args['no-diagrams']);
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
