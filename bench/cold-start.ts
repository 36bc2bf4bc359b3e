/**
 * `npm run bench`: size and cold init of the lambda bundle, next to the same app bundled by
 * aws-cdk-lib's NodejsFunction with default settings, on Node 20 and on the Node major Lambda
 * runs (`LAMBDA_RUNTIME`). Cold init = a fresh `node` process loading the bundle and answering one
 * event; median of RUNS, wall and CPU time. Exits 1 when a target on the Lambda major is missed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { sampleWebApp } from '../lib/app';
import { lambdaNode, lambdaNodeMajor } from '../test/lambda-node';

const RUNS = Number(process.env.RUNS ?? 20);
// The bundle carries the PostgreSQL driver (pg, about 90 KB minified) since the serverless tiers
// share the server tiers' database; it is evaluated on the first request that needs the store.
const TARGET = { bytes: 150 * 1024, ms: 25 };
const root = path.join(__dirname, '..');

function peerBundle(): string {
  process.env.CDK_VALIDATION = 'false';
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peer-'));
  const context = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context;
  const app = new App({ outdir, context });
  new lambdaNodejs.NodejsFunction(new Stack(app, 'Peer'), 'Fn', { entry: path.join(__dirname, 'peer-entry.ts') });
  app.synth();
  const asset = fs.readdirSync(outdir).map((d) => path.join(outdir, d)).find((d) => fs.existsSync(path.join(d, 'index.js')));
  if (!asset) throw new Error('NodejsFunction produced no bundle');
  return path.join(asset, 'index.js');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Row { name: string; node: string; bytes: number; load: number; first: number; total: number; cpu: number }

/** RUNS fresh processes of each bundle, interleaved so a noisy spell hits every row alike. */
function measure(node: string, bundles: Array<{ name: string; file: string; env?: NodeJS.ProcessEnv }>): Row[] {
  const runs = bundles.map(() => [] as Array<{ load: number; first: number; total: number; cpu: number }>);
  for (let i = 0; i < RUNS; i++) {
    bundles.forEach((b, j) => runs[j].push(JSON.parse(execFileSync(node, [path.join(__dirname, 'cold-init.js'), b.file], {
      env: { PATH: process.env.PATH, ...b.env }, encoding: 'utf8',
    }))));
  }
  const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
  return bundles.map((b, j) => ({
    name: b.name, node: version, bytes: fs.statSync(b.file).size,
    load: median(runs[j].map((r) => r.load)), first: median(runs[j].map((r) => r.first)),
    total: median(runs[j].map((r) => r.total)), cpu: median(runs[j].map((r) => r.cpu)),
  }));
}

const ours = path.join(sampleWebApp().lambdaBundle().directory, 'index.js');
const peer = peerBundle();
const bundles = [
  { name: 'cdk-web-tiers lambda bundle', file: ours },
  { name: '  same bundle, native fetch classes', file: ours, env: { WEB_TIERS_NATIVE_FETCH: '1' } },
  { name: 'NodejsFunction defaults + hono/aws-lambda', file: peer },
];
const lambdaMajor = lambdaNodeMajor();
const nodes = [...new Set([process.execPath, lambdaNode()])];
const rows = nodes.flatMap((node) => measure(node, bundles));

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log(`Cold init, median of ${RUNS} fresh processes each (GET / as an HTTP API v2 event); Lambda runs Node ${lambdaMajor}\n`);
console.log(['node'.padEnd(9), 'bundle'.padEnd(44), 'size'.padStart(10), 'load'.padStart(9), 'first event'.padStart(12), 'total'.padStart(9), 'CPU'.padStart(9)].join(' '));
for (const r of rows) {
  console.log([r.node.padEnd(9), r.name.padEnd(44), kb(r.bytes).padStart(10), ms(r.load).padStart(9), ms(r.first).padStart(12), ms(r.total).padStart(9), ms(r.cpu).padStart(9)].join(' '));
}
const onLambda = rows.filter((r) => Number(r.node.split('.')[0]) === lambdaMajor);
const [ourRow, , peerRow] = onLambda;
const checks: Array<[string, boolean]> = [
  [`bundle ≤ ${kb(TARGET.bytes)} and below the peer`, ourRow.bytes <= TARGET.bytes && ourRow.bytes < peerRow.bytes],
  [`cold init on Node ${lambdaMajor} ≤ ${ms(TARGET.ms)} and below the peer`, ourRow.total <= TARGET.ms && ourRow.total < peerRow.total],
];
console.log('');
for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
