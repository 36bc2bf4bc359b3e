/**
 * `npm run bench:database-auth`: the cold-start cost of the serverless tiers' database password,
 * on the Node major Lambda runs (`LAMBDA_RUNTIME`) and on Node 20, next to its two peers:
 *
 *   ours         constructs/runtime/database-auth bundled by esbuild as the lambda bundle has it,
 *                loaded with WEB_TIERS_DATABASE_AUTH=iam: signs an IAM token into PGPASSWORD at load
 *   rds-signer   `new Signer({...}).getAuthToken()` of @aws-sdk/rds-signer, same inputs
 *   secret read  GetSecretValue of @aws-sdk/client-secrets-manager + JSON.parse, at init, against a
 *                local `moto_server` (the SDK loaded from node_modules, as Lambda loads its own)
 *
 * Every run is a fresh `node` process (probe.cjs, below) that reports, in ms since the process
 * started (performance.timeOrigin), when it began and ended loading its module and when the
 * password was ready, and its CPU time (user + system, process.cpuUsage()) at each point. A
 * baseline process loads a tiny module and does nothing else. The table shows medians of RUNS runs
 * (env, default 20); the rows take turns, run by run, so a noisy spell hits every row alike.
 * The processes are identical up to the require() of the module (node start-up, the probe), so the
 * cost of a row is its span from that require() to the password, above the baseline's span: the
 * same quantity as the difference of the times since process start, without the start-up jitter
 * (shown too, raw). ours signs during its load, so its load part comes from the same bundle loaded
 * without WEB_TIERS_DATABASE_AUTH (it signs nothing then), and its sign part is the rest.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { buildSync } from 'esbuild';
import { lambdaNode, lambdaNodeMajor } from '../test/lambda-node';

const RUNS = Number(process.env.RUNS ?? 20);
const root = path.join(__dirname, '..');
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-database-auth-'));
const HOST = 'prx.proxy-abc.eu-west-1.rds.amazonaws.com';
const SECRET = { username: 'webapp', password: randomBytes(18).toString('base64url'), host: HOST, port: 5432, dbname: 'webapp' };

// One cold start. argv: kind, module. Prints, in ms since the process started, when it began and
// ended loading the module and when the value was ready, its CPU time at each point, and the value.
const probe = path.join(scratch, 'probe.cjs');
fs.writeFileSync(probe, `const [kind, file] = process.argv.slice(2);
const env = process.env;
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const start = performance.now(), cpuStart = cpu();
const mod = require(file);
const loaded = performance.now(), cpuLoaded = cpu();
let value;
if (kind === 'ours') value = env.PGPASSWORD;
else if (kind === 'signer') {
  const url = new URL(env.DATABASE_URL);
  value = new mod.Signer({ hostname: url.hostname, port: Number(url.port), username: url.username, region: env.AWS_REGION }).getAuthToken();
} else if (kind === 'secret') {
  value = new mod.SecretsManagerClient({ endpoint: env.SECRET_ENDPOINT })
    .send(new mod.GetSecretValueCommand({ SecretId: env.SECRET_ID }))
    .then((r) => JSON.parse(r.SecretString));
}
Promise.resolve(value).then((value) => {
  const ready = performance.now(), cpuReady = cpu();
  process.stdout.write(JSON.stringify({ start, loaded, ready, cpuStart, cpuLoaded, cpuReady, value }));
});
`);
const tiny = path.join(scratch, 'tiny.cjs');
fs.writeFileSync(tiny, 'module.exports = 1;\n');

// Ours as the lambda bundle contains it (web-app.ts bundleOptions: cjs, node20, minified).
const ours = path.join(scratch, 'database-auth.js');
buildSync({
  entryPoints: [path.join(root, 'constructs/runtime/database-auth.ts')], outfile: ours,
  bundle: true, platform: 'node', format: 'cjs', target: 'node20', minify: true, logLevel: 'error',
});
const sdk = (name: string) => require.resolve(name, { paths: [root] });
const versionOf = (name: string) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'), 'utf8')).version;

const freePort = () => new Promise<number>((resolve, reject) => {
  const server = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    server.close(() => resolve(port));
  }).on('error', reject);
});

/** Creates the secret once moto_server answers (it takes a few seconds to start). */
async function createSecret(endpoint: string, name: string): Promise<void> {
  const client = new SecretsManagerClient({
    endpoint, region: 'eu-west-1', maxAttempts: 1, credentials: { accessKeyId: 'AKIDBENCH', secretAccessKey: 'bench' },
  });
  for (const deadline = Date.now() + 30_000; ;) {
    try {
      await client.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(SECRET) }));
      return;
    } catch (err) {
      if (Date.now() > deadline || !/ECONNREFUSED|ECONNRESET|socket hang up/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

interface Run { start: number; loaded: number; ready: number; cpuStart: number; cpuLoaded: number; cpuReady: number; value: unknown }
interface Case { name: string; kind: string; file: string; env?: NodeJS.ProcessEnv; valid(value: unknown): boolean }

async function main(): Promise<void> {
  // This process's own client on Node 20 (the probes keep the SDK's warning: it is part of their cost there).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  moto.on('error', (err) => { console.error(`moto_server: ${err.message}`); process.exit(1); });
  try {
    await createSecret(endpoint, 'webapp/database');

    // Lambda's environment, with fake credentials; HOME without ~/.aws, as in Lambda.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH, HOME: scratch,
      AWS_CONFIG_FILE: path.join(scratch, 'none'), AWS_SHARED_CREDENTIALS_FILE: path.join(scratch, 'none'),
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIABENCHBENCHBENCH1', AWS_SECRET_ACCESS_KEY: randomBytes(30).toString('base64'),
      AWS_SESSION_TOKEN: randomBytes(200).toString('base64'),
      DATABASE_URL: `postgresql://webapp@${HOST}:5432/webapp?sslmode=verify-full`,
      SECRET_ENDPOINT: endpoint, SECRET_ID: 'webapp/database',
    };
    const token = (v: unknown) => typeof v === 'string' && /^prx\.[^/]+:5432\/\?Action=connect&DBUser=webapp&.*X-Amz-Signature=[0-9a-f]{64}&/.test(v);
    const cases: Case[] = [
      { name: 'baseline', kind: 'baseline', file: tiny, valid: (v) => v === undefined },
      { name: 'ours', kind: 'ours', file: ours, env: { WEB_TIERS_DATABASE_AUTH: 'iam' }, valid: token },
      { name: 'ours, load only', kind: 'baseline', file: ours, valid: (v) => v === undefined },
      { name: 'rds-signer', kind: 'signer', file: sdk('@aws-sdk/rds-signer'), valid: token },
      { name: 'secret read', kind: 'secret', file: sdk('@aws-sdk/client-secrets-manager'), valid: (v) => JSON.stringify(v) === JSON.stringify(SECRET) },
    ];
    const nodes = [...new Set([process.execPath, lambdaNode()])];
    const runs = nodes.map(() => cases.map(() => [] as Run[]));
    for (let i = 0; i < RUNS; i++) {
      nodes.forEach((node, n) => cases.forEach((c, j) => {
        const run: Run = JSON.parse(execFileSync(node, [probe, c.kind, c.file], {
          env: { ...env, ...c.env }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
        }));
        if (!c.valid(run.value)) throw new Error(`${c.name} on ${node}: unexpected result ${JSON.stringify(run.value)}`);
        runs[n][j].push(run);
      }));
    }

    const ms = (v: number) => `${v.toFixed(2)} ms`.padStart(10);
    const col = (s: string) => s.padStart(10);
    console.log(`Database password at a cold start: median of ${RUNS} fresh processes each; Lambda runs Node ${lambdaNodeMajor()}.`);
    console.log(`@aws-sdk/rds-signer ${versionOf('@aws-sdk/rds-signer')}, @aws-sdk/client-secrets-manager ${versionOf('@aws-sdk/client-secrets-manager')}.\n`);
    console.log([''.padEnd(23), 'ms above the baseline'.padStart(43).padEnd(65), 'since start, raw'.padStart(19)].join(' '));
    console.log(['node'.padEnd(9), 'password from', ...['wall', 'CPU', 'load', 'load CPU', 'sign/call', 'call CPU', 'ready at', 'CPU at'].map(col)].join(' '));
    nodes.forEach((node, n) => {
      const version = execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).trim();
      const raw = (j: number, f: (r: Run) => number) => median(runs[n][j].map(f));
      // The median of f over case j's runs, less the baseline's.
      const m = (j: number, f: (r: Run) => number) => raw(j, f) - raw(0, f);
      const span = (r: Run) => r.ready - r.start, cpuSpan = (r: Run) => r.cpuReady - r.cpuStart;
      const load = (r: Run) => r.loaded - r.start, cpuLoad = (r: Run) => r.cpuLoaded - r.cpuStart;
      const call = (r: Run) => r.ready - r.loaded, cpuCall = (r: Run) => r.cpuReady - r.cpuLoaded;
      const row = (j: number, parts: string[]) => console.log([version.padEnd(9), cases[j].name.padEnd(13),
        ...parts, ms(raw(j, (r) => r.ready)), ms(raw(j, (r) => r.cpuReady))].join(' '));
      row(0, Array(6).fill(col('-')));
      // ours signs inside its load (see the header): its sign part is its span less the load-only case's load.
      row(1, [m(1, span), m(1, cpuSpan), m(2, load), m(2, cpuLoad), m(1, span) - m(2, load), m(1, cpuSpan) - m(2, cpuLoad)].map(ms));
      for (const j of [3, 4]) row(j, [m(j, span), m(j, cpuSpan), m(j, load), m(j, cpuLoad), m(j, call), m(j, cpuCall)].map(ms));
    });
    console.log(`
wall: from the require() of the module to the password in hand; CPU: user + system time of the process over that span.
The processes are alike before it (node start-up, the probe script), so this is the cost above the baseline without
the start-up jitter of "ready at" (ms from process start, performance.timeOrigin, to the password; CPU at: process.cpuUsage()).
load: the require() (ours: its bundle, ${fs.statSync(ours).size} bytes, loaded without WEB_TIERS_DATABASE_AUTH).
sign/call: the rest (ours: the signing at load, loading node:crypto included; rds-signer: getAuthToken();
secret read: client, GetSecretValue, JSON.parse). Medians each, so load + sign/call need not equal wall exactly.
The secret read goes to moto_server on loopback: its wall time includes moto's own handling of the request, and in AWS
the call adds a real network round trip to the Secrets Manager endpoint plus a TLS handshake (and needs that endpoint
reachable: a VPC endpoint or NAT), which loopback HTTP does not have. Its CPU column is the function's own work only.`);
  } finally {
    moto.kill();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
