/**
 * `npx tsx bench/server-cpu.ts`: CPU cost per request of the server adapter, next to a bare
 * node:http server answering the same routes (GET / → "ok", GET /json → {"ok":true}).
 *
 * Every server is a child process of its own on 127.0.0.1 (port 0); the load comes from autocannon
 * in this process (50 connections, no pipelining). A server reports its own process.cpuUsage() over
 * the IPC channel (from a `-r` preload, so the measured routes run no extra code). A window's cost
 * is the server's user+sys CPU time over the window divided by the responses autocannon received
 * in it, leaving out the first RAMP_MS of each run.
 *
 * The machine is shared and noisy (back-to-back windows of the same server differ by ±15%), so
 * compare CPU µs/request, not req/s (the load generator shares the CPUs), and trust medians: the
 * rows take turns in short windows over ROUNDS rounds (order reversed every other round), and
 * "vs bare" is the median over rounds of bare µs ÷ row µs measured in the same round.
 *
 * Env: ROUNDS (6), SECONDS per window (1.5), WARMUP seconds per server (2), CONNECTIONS (50),
 * RATE (req/s over all connections; default: as fast as the server answers), ROUTES ('/,/json'),
 * EXTRA='name=/path/server.js;…' to add rows: any script that listens on PORT/HOST and prints the
 * adapter's JSON line {"msg":"listening","port":N}.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { WebApp } from '../constructs/shared/web-app';
import { LightHeaders, LightResponse, createLightRequest } from '../constructs/runtime/light-fetch';
import { requestUrl } from '../constructs/runtime/request-target';

interface AutocannonResult { errors: number; timeouts: number; non2xx: number }
type Autocannon = (opts: {
  url: string; connections: number; duration: number; timeout: number;
  requests?: Array<{ path: string }>; overallRate?: number;
}) => PromiseLike<AutocannonResult> & { on(event: 'response', listener: () => void): unknown };
// autocannon ships no types; only the promise form and the per-response event are used.
const autocannon: Autocannon = require('autocannon');

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const SECONDS = Number(process.env.SECONDS ?? 1.5);
const WARMUP = Number(process.env.WARMUP ?? 2);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 50);
const RATE = process.env.RATE ? Number(process.env.RATE) : undefined;
const RAMP_MS = 250;
const ROUTES = [
  { path: '/', body: 'ok', type: /^text\/plain; ?charset=utf-8$/i },
  { path: '/json', body: '{"ok":true}', type: /^application\/json(; ?charset=utf-8)?$/i },
].filter((r) => (process.env.ROUTES ?? '/,/json').split(',').includes(r.path));

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-server-cpu-'));

// Preloaded into every server: answers 'cpu' on the IPC channel with the process's own CPU time (µs).
const probe = path.join(scratch, 'cpu-probe.js');
fs.writeFileSync(probe, `process.on('message', (m) => {
  if (m === 'cpu') { const { user, system } = process.cpuUsage(); process.send({ user, system }); }
});
`);

// The baseline: a hand-written node:http server, same routes, same headers and keep-alive settings.
const bare = path.join(__dirname, 'bare-server.js');

function serverBundle(entry: string): string {
  const bundle = WebApp.fromEntry(path.join(__dirname, entry)).serverBundle();
  return path.join(bundle.directory, bundle.file);
}

const rowSpecs: Array<[string, string]> = [
  ['bare node:http', bare],
  ['server bundle, plain fetch app', serverBundle('ok-app.ts')],
  ['server bundle, Hono app', serverBundle('ok-hono-app.ts')],
  ...(process.env.EXTRA ?? '').split(';').filter(Boolean).map((spec): [string, string] => {
    const at = spec.indexOf('=');
    if (at < 1) throw new Error(`EXTRA: expected name=/path/to/server.js, got '${spec}'`);
    return [spec.slice(0, at), path.resolve(spec.slice(at + 1))];
  }),
];

interface Server { name: string; child: ChildProcess; port: number }
interface Cpu { user: number; system: number }
interface Sample { rps: number; us: number; userUs: number; cpuShare: number }

const children: ChildProcess[] = [];
const killAll = () => { for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL'); };
process.on('exit', killAll);

// Bounded: twice the planned time, then give up.
const plannedS = rowSpecs.length * (WARMUP + ROUNDS * ROUTES.length * (RAMP_MS / 1000 + SECONDS));
const budgetS = 30 + 2 * plannedS;
setTimeout(() => {
  console.error(`bench: still running after ${budgetS} s; giving up`);
  killAll();
  process.exit(2);
}, budgetS * 1000).unref();

function start(name: string, script: string): Promise<Server> {
  const child = spawn(process.execPath, ['-r', probe, script], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${name}: not listening after 10 s`)), 10_000);
    child.once('exit', (code) => reject(new Error(`${name}: exited with ${code} before listening`)));
    const onData = (chunk: Buffer) => {
      out += chunk;
      const lines = out.split('\n');
      out = lines.pop()!;
      for (const line of lines) {
        let msg: { msg?: string; port?: number } = {};
        try { msg = JSON.parse(line); } catch { /* not a JSON line */ }
        if (msg.msg === 'listening' && msg.port) {
          clearTimeout(timer);
          child.stdout!.off('data', onData).resume();
          resolve({ name, child, port: msg.port });
          return;
        }
      }
    };
    child.stdout!.on('data', onData);
  });
}

/** The server's own CPU time so far, in µs. */
function cpu(server: Server): Promise<Cpu> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${server.name}: no cpu reply`)), 5_000);
    server.child.once('message', (m: Cpu) => {
      clearTimeout(timer);
      resolve(m);
    });
    server.child.send('cpu');
  });
}

function get(port: number, route: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: route, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => { body += c; }).on('end', () =>
        resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    }).on('error', reject);
  });
}

/** Every row must answer the same thing, or the comparison means nothing. */
async function check(server: Server): Promise<void> {
  for (const route of ROUTES) {
    const r = await get(server.port, route.path);
    if (r.status !== 200 || r.body !== route.body || !route.type.test(r.type)) {
      throw new Error(`${server.name}: GET ${route.path} answered ${r.status} '${r.type}' ${JSON.stringify(r.body)}`);
    }
  }
}

/** One window of load on one route, from a CPU reading RAMP_MS in to one taken when the load stops. */
async function measure(server: Server, route: string): Promise<Sample> {
  let responses = 0;
  const run = autocannon({
    url: `http://127.0.0.1:${server.port}${route}`, connections: CONNECTIONS, duration: RAMP_MS / 1000 + SECONDS, timeout: 5, overallRate: RATE,
  });
  run.on('response', () => { responses++; });
  const first = new Promise<{ at: number; cpu: Cpu; responses: number }>((resolve, reject) => setTimeout(() =>
    cpu(server).then((c) => resolve({ at: performance.now(), cpu: c, responses }), reject), RAMP_MS));
  const result = await run;
  const start = await first;
  const end = { cpu: await cpu(server), at: performance.now(), responses };
  if (result.errors || result.timeouts || result.non2xx) {
    throw new Error(`${server.name} ${route}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`);
  }
  const requests = end.responses - start.responses;
  const user = end.cpu.user - start.cpu.user;
  const total = user + end.cpu.system - start.cpu.system;
  const seconds = (end.at - start.at) / 1000;
  return { rps: requests / seconds, us: total / requests, userUs: user / requests, cpuShare: total / 1e6 / seconds };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function main(): Promise<void> {
  const servers = await Promise.all(rowSpecs.map(([name, script]) => start(name, script)));
  for (const s of servers) await check(s);
  for (const s of servers) {
    await autocannon({ url: `http://127.0.0.1:${s.port}`, connections: CONNECTIONS, duration: WARMUP, timeout: 5, requests: ROUTES.map((r) => ({ path: r.path })) });
  }
  const samples = new Map<string, Sample[]>();
  const key = (s: Server, route: string) => `${s.name}\0${route}`;
  for (let round = 0; round < ROUNDS; round++) {
    // Reverse the order every other round so a drift of the machine favours no row.
    const order = round % 2 ? [...servers].reverse() : servers;
    for (const route of ROUTES) {
      for (const s of order) samples.set(key(s, route.path), [...(samples.get(key(s, route.path)) ?? []), await measure(s, route.path)]);
    }
  }
  killAll();

  const load = RATE ? `${RATE} req/s` : 'as fast as it answers';
  console.log(`Server CPU per request, Node ${process.versions.node}, ${os.cpus().length} CPUs; autocannon, ${CONNECTIONS} connections on 127.0.0.1, ${load};`
    + ` median of ${ROUNDS} rounds × ${SECONDS} s after ${WARMUP} s warm-up.`);
  console.log('CPU µs/req = server process user+sys CPU ÷ responses; vs bare = median over rounds of bare µs/req ÷ row µs/req.\n');
  console.log(['row'.padEnd(34), 'route'.padEnd(6), 'req/s'.padStart(7), 'CPU µs/req'.padStart(11), 'user µs'.padStart(8),
    'vs bare'.padStart(8), 'srv CPU'.padStart(8), '  µs/req by round'].join(' '));
  for (const route of ROUTES) {
    const bareXs = samples.get(key(servers[0], route.path))!;
    for (const s of servers) {
      const xs = samples.get(key(s, route.path))!;
      console.log([
        s.name.padEnd(34), route.path.padEnd(6),
        median(xs.map((x) => x.rps)).toFixed(0).padStart(7),
        median(xs.map((x) => x.us)).toFixed(1).padStart(11),
        median(xs.map((x) => x.userUs)).toFixed(1).padStart(8),
        median(xs.map((x, i) => bareXs[i].us / x.us)).toFixed(2).padStart(8),
        `${(median(xs.map((x) => x.cpuShare)) * 100).toFixed(0)}%`.padStart(8),
        `  ${xs.map((x) => x.us.toFixed(1)).join(' ')}`,
      ].join(' '));
    }
  }
}

/**
 * Where the adapter's own JavaScript time goes: each step of a light request/response, in this
 * process, in ns per call (a million calls after a warm-up). The rest of the gap to bare node:http
 * is what the rows above show beyond the sum of these: the app's promise, the extra objects' GC.
 */
function steps(): void {
  const calls = 1_000_000;
  const time = (run: () => unknown) => {
    for (let i = 0; i < 100_000; i++) run();
    const start = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    for (let i = 0; i < calls; i++) run();
    const used = process.cpuUsage(cpu);
    return { wall: Number(process.hrtime.bigint() - start) / calls, cpu: ((used.user + used.system) * 1000) / calls };
  };
  const rows: Array<[string, () => unknown]> = [
    ['request URL (requestUrl, host with port)', () => requestUrl('http', '127.0.0.1:3000', '/')],
    ['light Request (headers left unread)', () => createLightRequest('http://127.0.0.1:3000/', 'GET', RAW_REQUEST, null)],
    ["new Response('ok')", () => new LightResponse('ok')],
    ['Response.json({ ok: true })', () => LightResponse.json({ ok: true })],
    ['request headers from 4 raw pairs', () => { const h = new LightHeaders(); for (const [n, v] of RAW) h.append(n, v); return h; }],
  ];
  console.log('\nAdapter steps in this process (Node ' + process.versions.node + '), per call:');
  for (const [name, run] of rows) {
    const { wall, cpu } = time(run);
    console.log(`  ${name.padEnd(44)} ${wall.toFixed(0).padStart(6)} ns wall ${cpu.toFixed(0).padStart(6)} ns CPU`);
  }
}
const RAW: Array<[string, string]> = [['Host', '127.0.0.1:3000'], ['User-Agent', 'autocannon'], ['Accept', '*/*'], ['Connection', 'keep-alive']];
const RAW_REQUEST = { rawHeaders: RAW.flat() };

main().then(() => steps()).then(() => fs.rmSync(scratch, { recursive: true, force: true }), (err: Error) => {
  console.error(err.message);
  killAll();
  process.exitCode = 1;
});
