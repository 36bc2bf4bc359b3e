/**
 * `npm run bench`: size and cold init of the lambda bundle, next to the same app bundled by
 * aws-cdk-lib's NodejsFunction with default settings. Cold init = a fresh `node` process
 * loading the bundle and answering one event; median of RUNS. Exits 1 when a target is missed.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import * as lambdaNodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import { sampleWebApp } from '../lib/app';

const RUNS = Number(process.env.RUNS ?? 20);
const TARGET = { bytes: 50 * 1024, ms: 25 };
const root = path.join(__dirname, '..');

function peerBundle(): string {
  process.env.CDK_VALIDATION = 'false';
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-peer-'));
  const context = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')).context;
  const app = new App({ outdir, context });
  const fn = new lambdaNodejs.NodejsFunction(new Stack(app, 'Peer'), 'Fn', { entry: path.join(__dirname, 'peer-entry.ts') });
  app.synth();
  const asset = fs.readdirSync(outdir).map((d) => path.join(outdir, d)).find((d) => fs.existsSync(path.join(d, 'index.js')));
  if (!asset) throw new Error('NodejsFunction produced no bundle');
  void fn;
  return path.join(asset, 'index.js');
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function measure(bundle: string, env: NodeJS.ProcessEnv = {}) {
  const runs = Array.from({ length: RUNS }, () => JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'cold-init.js'), bundle], {
    env: { PATH: process.env.PATH, ...env }, encoding: 'utf8',
  })) as { load: number; first: number; total: number });
  return { bytes: fs.statSync(bundle).size, load: median(runs.map((r) => r.load)), first: median(runs.map((r) => r.first)), total: median(runs.map((r) => r.total)) };
}

const ours = path.join(sampleWebApp().lambdaBundle().directory, 'index.js');
const rows: Array<[string, ReturnType<typeof measure>]> = [
  ['cdk-web-tiers lambda bundle', measure(ours)],
  ['  same bundle, native fetch classes', measure(ours, { WEB_TIERS_NATIVE_FETCH: '1' })],
  ['NodejsFunction defaults + hono/aws-lambda', measure(peerBundle())],
];

const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
const ms = (v: number) => `${v.toFixed(1)} ms`;
console.log(`Cold init on Node ${process.versions.node}, median of ${RUNS} fresh processes (GET / as an HTTP API v2 event)\n`);
console.log(['bundle'.padEnd(44), 'size'.padStart(10), 'load'.padStart(9), 'first event'.padStart(12), 'total'.padStart(9)].join(' '));
for (const [name, r] of rows) {
  console.log([name.padEnd(44), kb(r.bytes).padStart(10), ms(r.load).padStart(9), ms(r.first).padStart(12), ms(r.total).padStart(9)].join(' '));
}
const [, ourRow] = rows[0];
const [, peerRow] = rows[2];
const checks: Array<[string, boolean]> = [
  [`bundle ≤ ${kb(TARGET.bytes)} and below the peer`, ourRow.bytes <= TARGET.bytes && ourRow.bytes < peerRow.bytes],
  [`cold init ≤ ${ms(TARGET.ms)} and below the peer`, ourRow.total <= TARGET.ms && ourRow.total < peerRow.total],
];
console.log('');
for (const [name, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'}  ${name}`);
process.exitCode = checks.every(([, ok]) => ok) ? 0 : 1;
