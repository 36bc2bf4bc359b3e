/**
 * `cdk-web-tiers dev <entry>`: serves an app on localhost from the bundle the tiers deploy, rebuilt
 * and restarted on every change. `--target server` (the default) runs the server bundle of tiers
 * 1–4; `--target lambda` runs the lambda bundle of tiers 5–6 behind a local stand-in for API
 * Gateway, so what differs between the targets shows up before a deploy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { build, context, formatMessagesSync, type BuildResult, type Message } from 'esbuild';
import { bundleFile, bundleOptions } from '../../constructs/shared/web-app';

export type DevTarget = 'server' | 'lambda';
export type DevEvent = 'http' | 'rest';

export interface DevOptions {
  /** The app's entry module. */
  readonly entry: string;
  /** @default 'server' */
  readonly target?: DevTarget;
  /** Lambda target only: the event format API Gateway sends. @default 'http' */
  readonly event?: DevEvent;
  /** @default 3000 (the command line reads `--port`, else PORT) */
  readonly port?: number;
  /** @default 127.0.0.1 (the command line reads `--host`, else HOST) */
  readonly host?: string;
  /** @default '/health' */
  readonly healthCheckPath?: string;
  /** Lambda target only: the function timeout in seconds. @default 10, the serverless tiers' default */
  readonly timeoutSeconds?: number;
  /** Modules left out of the bundle: give the same as `WebApp.fromEntry`'s `externalModules`. */
  readonly externalModules?: string[];
  /** Compile-time constants: give the same as `WebApp.fromEntry`'s `define`. */
  readonly define?: Record<string, string>;
  /** The Node.js binary that runs the app. @default the one running this command */
  readonly node?: string;
  /** Extra environment for the app, on top of this process's. */
  readonly env?: Record<string, string>;
  /** Where this command's messages go. @default stderr */
  readonly log?: (line: string) => void;
  /** Receives the app's stdout and stderr. @default both go to this process's */
  readonly onOutput?: (chunk: string) => void;
}

export interface DevServer {
  /** Where the app answers, e.g. `http://127.0.0.1:3000`. */
  readonly url: string;
  /** Resolves once the app first listens; stays pending while builds fail (the command waits for a fix). */
  readonly ready: Promise<void>;
  /** Called each time a build has started the app and it listens: 0 for the first, then 1, 2, … */
  onRestart(listener: (count: number) => void): void;
  close(): Promise<void>;
}

export const DEV_USAGE = `usage: cdk-web-tiers dev <entry> [--target server|lambda] [--event http|rest] [--port N] [--host H]
                         [--health-check-path /health] [--timeout seconds] [--external m1,m2]
                         [--define NAME=VALUE]... [--node path]`;
const USAGE = DEV_USAGE;

/** Parses the dev command's arguments; throws with the usage on anything it does not know. */
export function parseDevArgs(argv: string[], env: NodeJS.ProcessEnv = process.env, defaultEntry?: string): DevOptions {
  const values: Record<string, string> = {};
  const define: Record<string, string> = {};
  const positional: string[] = [];
  const known = ['target', 'event', 'port', 'host', 'health-check-path', 'timeout', 'external', 'define', 'node'];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    if (!arg.startsWith('--')) {
      positional.push(arg);
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2);
    if (!known.includes(name)) throw new Error(`unknown option --${name}; known: ${known.map((k) => `--${k}`).join(', ')}\n${USAGE}`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
    if (name === 'define') {
      const eq = value.indexOf('=');
      if (eq < 1) throw new Error(`--define takes NAME=VALUE (VALUE a JavaScript expression, as WebApp.fromEntry's define), got '${value}'`);
      define[value.slice(0, eq)] = value.slice(eq + 1);
      continue;
    }
    values[name] = value;
  }
  const entry = positional[0] ?? defaultEntry;
  if (!entry || positional.length > 1) throw new Error(`expected one entry module, got ${positional.length ? positional.join(' ') : 'none'}\n${USAGE}`);
  const target = values.target ?? 'server';
  if (target !== 'server' && target !== 'lambda') throw new Error(`--target must be server (tiers 1–4) or lambda (tiers 5–6), got '${target}'`);
  const event = values.event ?? 'http';
  if (event !== 'http' && event !== 'rest') throw new Error(`--event must be http (HTTP API and function URL, payload 2.0) or rest (REST API), got '${event}'`);
  if (values.event && target !== 'lambda') throw new Error('--event applies to --target lambda only');
  if (values.timeout && target !== 'lambda') throw new Error('--timeout applies to --target lambda only: the server target has no per-request timeout');
  const rawPort = values.port ?? env.PORT ?? '3000';
  const port = Number(rawPort);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`the port (--port or PORT) must be a whole number 1–65535, got '${rawPort}'`);
  const timeoutSeconds = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutSeconds !== undefined && !(Number.isInteger(timeoutSeconds) && timeoutSeconds >= 1 && timeoutSeconds <= 900)) {
    throw new Error(`--timeout must be whole seconds 1–900 (Lambda's range), got '${values.timeout}'`);
  }
  const host = values.host ?? (env.HOST || '127.0.0.1');
  if (!host.trim()) throw new Error('--host must name an address, e.g. 127.0.0.1 or 0.0.0.0');
  return {
    entry,
    target,
    event,
    port,
    host,
    define: Object.keys(define).length ? define : undefined,
    healthCheckPath: values['health-check-path'],
    timeoutSeconds,
    externalModules: values.external?.split(',').map((m) => m.trim()).filter(Boolean),
    node: values.node,
  };
}

/** True when `port` on `host` can be bound now: nothing else (an old run, another server) holds it. */
function portFree(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** A module of this folder by name: TypeScript in the source tree, JavaScript in the package. */
function ownModule(name: string): string {
  const source = path.join(__dirname, `${name}.ts`);
  return fs.existsSync(source) ? source : path.join(__dirname, `${name}.js`);
}

/**
 * Loaded into the app's process before the bundle: the app ends with this command. The IPC channel
 * closes when this process goes away, however it ends (Ctrl+C, a crash, SIGKILL), and the app then
 * gets the SIGTERM a deploy would give it. The channel does not keep the app alive by itself.
 */
const PRELOAD = `process.channel && process.channel.unref();
process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
`;

/** An app that served for this long before exiting is restarted at once, as systemd and Lambda do; a quicker death waits for a change. */
const SERVED_MS = 1_000;

/** Builds the target's bundle, watches every file it is made of, and (re)starts the app on each good build. */
export async function startDev(options: DevOptions): Promise<DevServer> {
  const target = options.target ?? 'server';
  const port = options.port ?? 3000;
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const entry = path.resolve(options.entry);
  if (!fs.existsSync(entry) || !fs.statSync(entry).isFile()) throw new Error(`no file at '${entry}': the entry must be a module whose default export has fetch(request)`);

  const esbuildOptions = bundleOptions(entry, target, { externalModules: options.externalModules, define: options.define });
  // Under the app's own node_modules, so modules left external (the AWS SDK, which Lambda provides)
  // resolve from the app's dependencies as the runtime would provide them; one folder per run.
  const outdir = path.join(esbuildOptions.absWorkingDir, 'node_modules', '.cache', 'cdk-web-tiers', 'dev', `${target}-${process.pid}`);
  fs.mkdirSync(outdir, { recursive: true });
  const outfile = path.join(outdir, bundleFile(target));
  const preload = path.join(outdir, 'dev-preload.js');
  fs.writeFileSync(preload, PRELOAD);
  let hostFile: string | undefined;
  if (target === 'lambda') {
    hostFile = path.join(outdir, 'dev-host.js');
    await build({ entryPoints: [ownModule('lambda-host')], outfile: hostFile, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent' });
  }

  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    PORT: String(port),
    HOST: host,
    HEALTH_CHECK_PATH: options.healthCheckPath ?? '/health',
    // A restart should not wait out the 25 s a deploy gives in-flight requests.
    DRAIN_TIMEOUT_MS: options.env?.DRAIN_TIMEOUT_MS ?? process.env.DRAIN_TIMEOUT_MS ?? '1000',
    ...(target === 'lambda' ? { DEV_EVENT: options.event ?? 'http', DEV_TIMEOUT_MS: String((options.timeoutSeconds ?? 10) * 1000), AWS_LAMBDA_FUNCTION_NAME: 'dev', TZ: 'UTC' } : {}),
  };
  const output = (chunk: string, stream: NodeJS.WriteStream) => (options.onOutput ? options.onOutput(chunk) : stream.write(chunk));

  let child: ChildProcess | undefined;
  let starts = 0;
  let closed = false;
  const listeners: ((count: number) => void)[] = [];
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => { markReady = resolve; });
  let chain: Promise<void> = Promise.resolve();
  const recentCrashes: number[] = [];

  /** Starts the app; resolves once it listens (true) or has exited or could not start (false). */
  const spawnApp = async (): Promise<boolean> => {
    if (!(await portFree(port, host))) {
      log(`cdk-web-tiers dev: ${url} is in use by another process; stop it or choose another --port (the app starts on the next change)`);
      return false;
    }
    const args = ['--enable-source-maps', '--require', preload, ...(hostFile ? [hostFile, outfile] : [outfile])];
    const started = spawn(options.node ?? process.execPath, args, { env, stdio: ['ignore', 'pipe', options.onOutput ? 'pipe' : 'inherit', 'ipc'] });
    child = started;
    let listeningAt = 0;
    const listening = new Promise<boolean>((resolve) => {
      let pending = '';
      started.stdout!.on('data', (chunk: Buffer) => {
        output(chunk.toString(), process.stdout);
        if (listeningAt) return;
        pending += chunk.toString();
        // The adapters log one JSON line once the socket is bound.
        if (/"msg":"listening"/.test(pending)) {
          clearTimeout(slow);
          listeningAt = Date.now();
          resolve(true);
        }
      });
      started.stderr?.on('data', (chunk: Buffer) => output(chunk.toString(), process.stderr));
      started.once('error', (err) => {
        log(`cdk-web-tiers dev: could not start ${options.node ?? process.execPath}: ${err.message}`);
        resolve(false);
      });
      const slow = setTimeout(() => {
        log('cdk-web-tiers dev: the app has not listened after 30 s; it starts again on the next change');
        resolve(false);
      }, 30_000);
      started.once('exit', (code, signal) => {
        clearTimeout(slow);
        resolve(false);
        if (child !== started || closed) return;
        child = undefined;
        const how = signal ?? `code ${code}`;
        const now = Date.now();
        while (recentCrashes.length && recentCrashes[0] < now - 30_000) recentCrashes.shift();
        recentCrashes.push(now);
        if (listeningAt && now - listeningAt >= SERVED_MS && recentCrashes.length <= 5) {
          log(`cdk-web-tiers dev: the app exited (${how}); starting it again`);
          chain = chain.then(() => spawnApp()).then(() => undefined, (err: Error) => log(`cdk-web-tiers dev: ${err.message}`));
        } else {
          log(`cdk-web-tiers dev: the app exited (${how})${listeningAt ? ' again and again' : ' before it listened'}; it starts on the next change`);
        }
      });
    });
    return listening;
  };

  const restart = async () => {
    const previous = child;
    child = undefined;
    await stop(previous);
    if (closed || !(await spawnApp())) return;
    if (starts === 0) {
      log(`cdk-web-tiers dev: ${target} target${target === 'lambda' ? ` (${env.DEV_EVENT === 'rest' ? 'REST API' : 'HTTP API'} events)` : ''} on ${url} — rebuilds on change, Ctrl+C stops`);
      markReady();
    } else {
      log(`cdk-web-tiers dev: restarted after a change (${starts})`);
    }
    const count = starts++;
    for (const listener of listeners) listener(count);
  };

  const reportErrors = (errors: Message[]) => {
    log(formatMessagesSync(errors, { kind: 'error', color: process.stderr.isTTY }).join(''));
    log(`cdk-web-tiers dev: the build failed${child ? '; the previous build keeps serving' : ''}; waiting for a change`);
  };

  const ctx = await context({
    ...esbuildOptions,
    outfile,
    write: true,
    plugins: [{
      name: 'cdk-web-tiers-dev',
      setup(b) {
        // esbuild waits for the promise: the next build does not overwrite the bundle while the app starts.
        b.onEnd((result: BuildResult) => {
          if (result.errors.length) {
            reportErrors(result.errors);
            return undefined;
          }
          chain = chain.then(restart).catch((err: Error) => log(`cdk-web-tiers dev: ${err.message}`));
          return chain;
        });
      },
    }],
  });
  await ctx.watch();

  return {
    url,
    ready,
    onRestart: (listener) => { listeners.push(listener); },
    close: async () => {
      closed = true;
      await ctx.dispose();
      await chain;
      const last = child;
      child = undefined;
      await stop(last);
      fs.rmSync(outdir, { recursive: true, force: true });
    },
  };
}

/** The command line: runs until SIGINT or SIGTERM. */
export async function devMain(argv: string[], defaults: { entry?: string; env?: Record<string, string> } = {}): Promise<DevServer> {
  const options = parseDevArgs(argv, process.env, defaults.entry);
  const server = await startDev({ ...options, env: { ...defaults.env, ...options.env } });
  const shutdown = () => void server.close().then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  return server;
}
