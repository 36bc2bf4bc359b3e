// Bundles run the way AWS runs them: a server bundle as `node server.js` (systemd on the
// instance), a lambda bundle in a host process on the Node major Lambda runs.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import type { WebAppBundle } from '../../constructs';

export interface Started { child: ChildProcess; match: RegExpExecArray; output: () => string; exited: Promise<number | null> }
export interface StartedServer extends Started { port: number }

/** The Node binary of the Lambda runtime's major (installed by test/global-setup.ts). */
export const LAMBDA_NODE = process.env.LAMBDA_NODE ?? process.execPath;

/** Starts a process and waits for a line of its output to match `ready`. */
export function startProcess(args: string[], env: Record<string, string>, ready: RegExp, node = process.execPath): Promise<Started> {
  const child = spawn(node, args, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`process did not get ready: ${out}`)), 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = ready.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => out, exited });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`process exited with ${code}: ${out}`));
    });
  });
}

/** Runs a server bundle with `node`, as systemd does on the instance, on a free loopback port. */
export async function startBundle(bundle: WebAppBundle, env: Record<string, string> = {}, node = process.execPath): Promise<StartedServer> {
  const started = await startProcess(['--enable-source-maps', path.join(bundle.directory, bundle.file)],
    { PORT: '0', HOST: '127.0.0.1', ...env }, /"msg":"listening"[^\n]*"port":(\d+)/, node);
  return { ...started, port: Number(started.match[1]) };
}

/** One HTTP/1.1 request on its own connection. */
export function request(port: number, method: string, pathname: string, body?: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: pathname, headers, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** A lambda bundle in a host process, as the Lambda runtime runs it: real Node globals, one event at a time. */
export interface LambdaHost { invoke: (event: unknown) => Promise<any>; stderr: () => string; close: () => void }
export async function startLambdaHost(bundle: WebAppBundle, env: Record<string, string> = {}): Promise<LambdaHost> {
  const host = spawn(LAMBDA_NODE, [path.join(__dirname, '..', 'fixtures', 'lambda-host.js'), path.join(bundle.directory, bundle.file)], {
    env: { PATH: process.env.PATH, NODE_PATH: path.join(__dirname, '..', '..', 'node_modules'), ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  host.stderr!.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  const waiting: Array<(line: string) => void> = [];
  await new Promise<void>((resolve, reject) => {
    host.once('exit', (code) => reject(new Error(`lambda host exited with ${code}: ${errors}`)));
    host.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      let newline: number;
      while ((newline = output.indexOf('\n')) >= 0) {
        const line = output.slice(0, newline);
        output = output.slice(newline + 1);
        if (line === '{"ready":true}') resolve();
        else waiting.shift()?.(line);
      }
    });
  });
  return {
    invoke: (event) => new Promise<any>((resolve) => {
      waiting.push((line) => resolve(JSON.parse(line)));
      host.stdin!.write(`${JSON.stringify(event)}\n`);
    }),
    stderr: () => errors,
    close: () => host.kill(),
  };
}
