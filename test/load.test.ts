/**
 * Drain under load: autocannon on 127.0.0.1 against the real server bundle, SIGTERM in the
 * middle. Connections refused after the signal are expected (the listener is closed); any
 * request the server accepted must complete with a 2xx — no reset, no hang-up, no 5xx.
 * LOAD_SECONDS sets the length (short by default, for npm test); the numbers are printed when it is
 * set, or when the test fails.
 */
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { WebApp } from '../constructs';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: object, cb?: (err: Error | null, result: any) => void) => any;

const SECONDS = Number(process.env.LOAD_SECONDS ?? 3);
const app = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'echo-app.ts'));

test(`a SIGTERM under load drops no accepted request (${SECONDS} s, 50 connections)`, async () => {
  const bundle = app.serverBundle();
  const server = spawn(process.execPath, [path.join(bundle.directory, bundle.file)], {
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', DRAIN_TIMEOUT_MS: '10000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => server.once('exit', resolve));
  const port = await new Promise<number>((resolve) => {
    let out = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"port":(\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
  });

  let ok = 0;
  let accepted = 0;
  const failures: string[] = [];
  let refused = 0;
  let okBeforeSignal = 0;
  let signalledAt = 0;
  const started = Date.now();
  const run = autocannon({ url: `http://127.0.0.1:${port}/slow?ms=2`, connections: 50, duration: SECONDS, pipelining: 1 });
  run.on('response', (_client: unknown, statusCode: number) => {
    accepted += 1;
    if (statusCode >= 200 && statusCode < 300) ok += 1;
    else failures.push(`HTTP ${statusCode}`);
  });
  run.on('reqError', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNREFUSED') refused += 1;
    else failures.push(err.code ?? err.message);
  });
  setTimeout(() => {
    okBeforeSignal = ok;
    signalledAt = Date.now();
    server.kill('SIGTERM');
  }, (SECONDS * 1000) / 2);
  const result = await new Promise<any>((resolve) => run.on('done', resolve));
  const code = await exited;

  const rps = okBeforeSignal / ((signalledAt - started) / 1000);
  let passed = false;
  try {
    expect(failures).toEqual([]);
    expect(ok).toBe(accepted);
    expect(okBeforeSignal).toBeGreaterThan(100);
    expect(ok).toBeGreaterThan(okBeforeSignal); // requests in flight at the signal completed
    expect(code).toBe(0);
    expect(result.non2xx).toBe(0);
    passed = true;
  } finally {
    if (!passed || process.env.LOAD_SECONDS) {
      process.stdout.write(`drain under load: ${rps.toFixed(0)} requests/s before SIGTERM; ${accepted} accepted, ${ok} ok, ` +
        `${failures.length} failed, ${refused} refused after the listener closed; server exit ${code}\n`);
    }
  }
}, 60_000);
