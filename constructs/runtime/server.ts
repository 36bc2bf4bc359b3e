import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { assertFetchApp, type FetchApp } from './contract';

/** Settings of the server adapter, read from the environment by default. */
export interface ServerSettings {
  /** `PORT`, default 8080. */
  readonly port: number;
  /** `HOST`, default `0.0.0.0`. */
  readonly host: string;
  /** `HEALTH_CHECK_PATH`, default `/health`: answered 503 while draining. */
  readonly healthCheckPath: string;
  /** `DRAIN_TIMEOUT_MS`, default 25000: in-flight requests get this long after SIGTERM. */
  readonly drainTimeoutMs: number;
  /**
   * `KEEP_ALIVE_TIMEOUT_MS`, default 65000: idle keep-alive connections stay open this long. Behind a
   * load balancer it must exceed the balancer's idle timeout (the tiers set it so).
   */
  readonly keepAliveTimeoutMs: number;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): ServerSettings {
  const int = (name: string, fallback: number) => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new TypeError(`cdk-web-tiers: ${name} must be a whole number, got '${raw}'`);
    return value;
  };
  return {
    port: int('PORT', 8080),
    host: env.HOST || '0.0.0.0',
    healthCheckPath: env.HEALTH_CHECK_PATH || '/health',
    drainTimeoutMs: int('DRAIN_TIMEOUT_MS', 25_000),
    keepAliveTimeoutMs: int('KEEP_ALIVE_TIMEOUT_MS', 65_000),
  };
}

export interface RunningServer {
  readonly server: Server;
  /** Resolves with the bound address once listening. */
  readonly listening: Promise<AddressInfo>;
  /** Stops accepting, lets in-flight requests finish (up to the drain timeout); resolves true if none was cut. */
  drain(): Promise<boolean>;
}

/** How long a keep-alive connection may stay idle after a drain starts before it is closed. */
const IDLE_GRACE_MS = 500;

function log(msg: string, fields: Record<string, unknown> = {}) {
  process.stdout.write(`${JSON.stringify({ level: 'info', msg, ...fields })}\n`);
}

/**
 * Serves the app over HTTP/1.1 on `PORT`. On SIGTERM or SIGINT: refuses new
 * connections, answers the health route 503 on connections still open, closes
 * keep-alive connections after their current response, waits for in-flight
 * requests (bounded by `DRAIN_TIMEOUT_MS`) and exits — so deploys and
 * scale-in drop no request.
 */
export function startServer(app: FetchApp, settings: ServerSettings = settingsFromEnv(), handleSignals = true): RunningServer {
  assertFetchApp(app);
  let draining = false;
  let drained: Promise<boolean> | undefined;

  const server = createAdaptorServer({
    fetch: (request: Request, env: unknown) => {
      if (draining && new URL(request.url).pathname === settings.healthCheckPath) {
        return Response.json({ status: 'draining' }, { status: 503, headers: { connection: 'close' } });
      }
      return app.fetch(request, env);
    },
  }) as Server;
  // Runs before the adapter's listener, so the header is set before any response starts.
  server.prependListener('request', (_req, res) => {
    if (draining) res.setHeader('connection', 'close');
  });
  // Longer than the load balancer's idle timeout, so the balancer closes first and never races us.
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  server.headersTimeout = settings.keepAliveTimeoutMs + 1_000;

  const listening = new Promise<AddressInfo>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      const address = server.address() as AddressInfo;
      log('listening', { host: address.address, port: address.port, healthCheckPath: settings.healthCheckPath });
      resolve(address);
    });
  });

  const drain = (): Promise<boolean> => {
    drained ??= new Promise<boolean>((resolve) => {
      draining = true;
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        log('drain timeout: closing remaining connections', { drainTimeoutMs: settings.drainTimeoutMs });
        server.closeAllConnections();
      }, settings.drainTimeoutMs);
      timer.unref();
      // Stop accepting connections, but leave open ones alone: http.Server#close would also close
      // "idle" keep-alive connections at once, including those whose next request is already
      // waiting unread in the socket buffer — the client would see a reset (a 502 behind a load
      // balancer). Instead, requests already on their way are read and answered (with
      // Connection: close); connections still idle after a grace period are closed.
      net.Server.prototype.close.call(server, () => {
        clearTimeout(timer);
        clearInterval(sweep);
        resolve(!cut);
      });
      const sweep = setInterval(() => server.closeIdleConnections(), IDLE_GRACE_MS);
      sweep.unref();
    });
    return drained;
  };

  if (handleSignals) {
    const onSignal = (signal: NodeJS.Signals) => {
      log('draining', { signal });
      void drain().then((clean) => {
        log(clean ? 'drained' : 'drained with requests cut');
        process.exit(clean ? 0 : 1);
      });
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { server, listening, drain };
}
