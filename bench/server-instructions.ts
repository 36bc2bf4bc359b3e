/**
 * `npm run bench:instructions`: instructions per request of the server adapter next to a bare
 * node:http server answering the same routes — the noise-free form of `npm run bench:server`.
 * Each server runs in bench/server-inproc.js (in-memory sockets) under valgrind; a row is the
 * difference between WARM + COUNT and WARM requests, divided by COUNT. Needs `valgrind`
 * (Debian package). Two rows at a time, one per core.
 */
import { execFile } from 'node:child_process';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { WebApp } from '../constructs/shared/web-app';

const run = promisify(execFile);
const COUNT = Number(process.env.COUNT ?? 10000);
const ROUTES = ['/', '/json'];
const bare = path.join(__dirname, 'bare-server.js');
const bundle = (entry: string) => { const b = WebApp.fromEntry(path.join(__dirname, entry)).serverBundle(); return path.join(b.directory, b.file); };
const servers: Array<[string, string]> = [
  ['bare node:http', bare],
  ['server bundle, plain fetch app', bundle('ok-app.ts')],
  ['server bundle, Hono app', bundle('ok-hono-app.ts')],
];

async function instructions(script: string, route: string, count: number): Promise<number> {
  const { stderr } = await run('valgrind', ['--tool=cachegrind', '--cache-sim=no', '--cachegrind-out-file=/dev/null', '--smc-check=all-non-file',
    process.execPath, '--predictable', path.join(__dirname, 'server-inproc.js'), script, route], { env: { ...process.env, COUNT: String(count) }, maxBuffer: 1 << 24 });
  const match = /I\s+refs:\s+([\d,]+)/.exec(stderr);
  if (!match) throw new Error(`no instruction count from valgrind: ${stderr.slice(-500)}`);
  return Number(match[1].replace(/,/g, ''));
}

async function perRequest(script: string, route: string): Promise<number> {
  const [base, loaded] = await Promise.all([instructions(script, route, 0), instructions(script, route, COUNT)]);
  return (loaded - base) / COUNT;
}

async function main(): Promise<void> {
  console.log(`Instructions per request (valgrind), Node ${process.versions.node}; ${COUNT} requests after 20000 warm-up, in-memory sockets\n`);
  console.log(['row'.padEnd(34), 'route'.padEnd(6), 'instr/req'.padStart(10), 'vs bare'.padStart(8)].join(' '));
  for (const route of ROUTES) {
    let bareCount = 0;
    for (const [name, script] of servers) {
      const count = await perRequest(script, route);
      if (!bareCount) bareCount = count;
      console.log([name.padEnd(34), route.padEnd(6), count.toFixed(0).padStart(10), (bareCount / count).toFixed(2).padStart(8)].join(' '));
    }
  }
}

main().catch((err: Error) => {
  console.error(err.message);
  process.exitCode = 1;
});
