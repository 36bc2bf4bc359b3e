import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { assertFetchApp, type FetchApp } from './contract';
import { LightHeaders, bodySource, createLightRequest, fillTrusted, flattenHeaders, headerPairs, headersObject, isLightResponse, responseHeadersObject, wellFormed } from './light-fetch';
import { BadRequest, requestUrl } from './request-target';
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

function log(msg: string, fields: Record<string, unknown> = {}, level = 'info') {
  process.stdout.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

/**
 * The request headers the adapter itself reads, from one pass over rawHeaders: node:http builds
 * `req.headers` lazily, and an app that never reads its headers should not pay for it.
 */
interface Wanted { host?: string; proto?: string; length?: string; chunked: boolean }
function wanted(raw: readonly string[]): Wanted {
  const found: Wanted = { chunked: false };
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    switch (name.length) {
      case 4: if (found.host === undefined && name.toLowerCase() === 'host') found.host = raw[i + 1]; break;
      case 14: if (found.length === undefined && name.toLowerCase() === 'content-length') found.length = raw[i + 1]; break;
      case 17:
        if (name.toLowerCase() === 'x-forwarded-proto') found.proto ??= raw[i + 1];
        else if (name.toLowerCase() === 'transfer-encoding') found.chunked = true;
        break;
    }
  }
  return found;
}

/** The request's URL as the app sees it on every target (see request-target.ts). */
function urlOf(req: IncomingMessage, found: Wanted): string {
  const target = req.url ?? '/';
  // Absolute-form targets (proxies send them) carry their own scheme and host.
  if (target.charCodeAt(0) !== 47 && /^https?:\/\//i.test(target)) {
    try {
      return new URL(target).href;
    } catch {
      throw new BadRequest('an absolute request target that is not a URL');
    }
  }
  // Behind the load balancer (or Caddy on tier 1) the client's scheme is X-Forwarded-Proto.
  let scheme = 'http';
  if (found.proto !== undefined) {
    const proto = found.proto.split(',')[0].trim().toLowerCase();
    if (proto === 'https') scheme = proto;
  }
  if (!found.host) throw new BadRequest('no Host header');
  return requestUrl(scheme, found.host, target);
}

/**
 * The Request handed to the app. Without a body it is a light Request (see light-fetch.ts) whose
 * headers are read from node:http only if the app asks; with one it is the platform's, streaming
 * the body as it arrives. Its signal aborts when the client goes away before the response is done.
 */
function requestOf(req: IncomingMessage, res: ServerResponse): Request {
  const found = wanted(req.rawHeaders);
  const url = urlOf(req, found);
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD' && (found.chunked || (found.length !== undefined && found.length !== '0'));
  if (!hasBody) return createLightRequest(url, method, req, null, res) as unknown as Request;
  const headers = new LightHeaders();
  fillTrusted(headers, req.rawHeaders);
  const controller = new AbortController();
  res.once('close', () => { if (!res.writableFinished) controller.abort(); });
  return new globalThis.Request(url, {
    method, headers: headerPairs(headers), body: Readable.toWeb(req) as ReadableStream, duplex: 'half', signal: controller.signal,
  } as RequestInit);
}

const NO_BODY = new Set([204, 205, 304]);

/** Writes what the app answered: light bodies in one write, native ones streamed. */
function respond(req: IncomingMessage, res: ServerResponse, response: Response): void | Promise<void> {
  const light = isLightResponse(response);
  const status = response.status || 500;
  const source = light ? bodySource(response as never) : undefined;
  if (source === undefined && response.body && !NO_BODY.has(status)) {
    const headers = light ? (response.headers as unknown as LightHeaders) : new LightHeaders(response.headers);
    const flat: string[] = [];
    flattenHeaders(headers, flat);
    return stream(req, res, response, headers, status, flat);
  }
  // A light body (or none): one write, with its length.
  const { headers: out, wide } = light ? responseHeadersObject(response as never) : headersObject(new LightHeaders(response.headers));
  const body = source === undefined || source === null || NO_BODY.has(status) ? undefined
    : typeof source === 'string' ? wellFormed(source) : source;
  if (status !== 204 && status !== 304 && out['content-length'] === undefined) {
    out['content-length'] = String(body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  }
  res.writeHead(status, response.statusText || undefined, out);
  // node:http sends the header block in the encoding of a string body given with it: header
  // values (ByteStrings, one byte per character) must go out as Latin-1, so the body goes as bytes.
  res.end(wide && typeof body === 'string' ? Buffer.from(body, 'utf8') : body);
}

/**
 * A native body: streamed as it comes. When the whole body is there at once (a native Response
 * built from a string or bytes), it goes out in one write with its length instead.
 */
async function stream(req: IncomingMessage, res: ServerResponse, response: Response, headers: LightHeaders, status: number, flat: string[]): Promise<void> {
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  try {
    const first = await reader.read();
    const second = first.done ? first : await Promise.race([reader.read(), new Promise<undefined>((resolve) => setImmediate(() => resolve(undefined)))]);
    if (second?.done) {
      const body = first.done ? undefined : first.value;
      if (!headers.has('content-length')) flat.push('content-length', String(body?.byteLength ?? 0));
      res.writeHead(status, response.statusText || undefined, flat);
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    res.writeHead(status, response.statusText || undefined, flat);
    if (req.method === 'HEAD') {
      res.end();
      await reader.cancel();
      return;
    }
    res.write(first.value);
    let next = second ?? await reader.read();
    while (!next.done && !res.destroyed) {
      if (!res.write(next.value)) await new Promise((resolve) => res.once('drain', resolve));
      next = await reader.read();
    }
    res.end();
  } catch (err) {
    log('the response body failed while streaming: connection closed', { error: (err as Error).message }, 'error');
    res.destroy();
  }
}

function serve(app: FetchApp, req: IncomingMessage, res: ServerResponse, settings: ServerSettings, draining: boolean): void {
  let request: Request;
  try {
    request = requestOf(req, res);
  } catch (err) {
    if (!(err instanceof BadRequest)) throw err;
    log('bad request: answered 400', { reason: err.message }, 'warn');
    res.writeHead(400, { 'content-length': '0', connection: 'close' }).end();
    return;
  }
  let result: unknown;
  try {
    result = draining && new URL(request.url).pathname === settings.healthCheckPath
      ? Response.json({ status: 'draining' }, { status: 503, headers: { connection: 'close' } })
      : app.fetch(request, { incoming: req, outgoing: res });
  } catch (err) {
    failed(res, err);
    return;
  }
  // Most apps answer synchronously or with a settled promise; the sync path writes in this tick.
  if (result !== null && typeof result === 'object' && typeof (result as Promise<unknown>).then === 'function') {
    (result as Promise<unknown>).then((response) => finish(req, res, response), (err) => failed(res, err));
  } else {
    finish(req, res, result);
  }
}

function failed(res: ServerResponse, err: unknown): void {
  log('the app threw: answered 500', { error: (err as Error)?.stack ?? String(err) }, 'error');
  if (!res.headersSent) res.writeHead(500, { 'content-length': '0' }).end();
}

function finish(req: IncomingMessage, res: ServerResponse, response: unknown): void {
  if (!(response instanceof Response)) {
    log('the app returned something other than a Response: answered 500', { got: response === null ? 'null' : typeof response }, 'error');
    if (!res.headersSent) res.writeHead(500, { 'content-length': '0' }).end();
    return;
  }
  const streaming = respond(req, res, response);
  if (streaming) streaming.catch((err) => failed(res, err));
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

  const server = http.createServer((req, res) => {
    if (draining) res.setHeader('connection', 'close');
    serve(app, req, res, settings, draining);
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
