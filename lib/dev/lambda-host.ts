/**
 * The lambda target of `cdk-web-tiers dev`: serves HTTP on PORT/HOST by turning each request into
 * the event API Gateway would send (HTTP API payload 2.0, what tiers 5 and 6 receive, or REST v1
 * with `DEV_EVENT=rest`), invoking the deployed bundle's `handler` and turning its result back
 * into HTTP the way API Gateway does. Like one Lambda execution environment, it runs one
 * invocation at a time, and it applies the limits a deployed function meets: the 6 MB payload
 * quota each way and the function timeout. Started by the dev command with the bundle's path as
 * its argument; bundled by esbuild, so it runs from the TypeScript source and from the package.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';

/** Lambda's quota for a synchronous invocation's request and response payloads (the event and the result, as JSON). */
const PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;
/** API Gateway's own limit on a request body. */
const API_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;
interface LambdaResult {
  statusCode?: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** The request as API Gateway saw it. */
export interface HttpRequest {
  readonly method: string;
  /** The request target as sent: path and query, still percent-encoded. */
  readonly url: string;
  /** Header names in lower case, each with every value it was sent with. */
  readonly headers: Record<string, string[]>;
  /** Header names as the client wrote them, with their values, in order (what REST APIs pass on). */
  readonly rawHeaders?: string[];
  readonly body: Buffer;
  readonly sourceIp: string;
}

/** Content types API Gateway's HTTP API passes as text; every other body arrives base64-encoded. */
function isText(contentType: string | undefined): boolean {
  return !!contentType && /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i.test(contentType);
}

function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  return q < 0 ? { path: url, query: '' } : { path: url.slice(0, q), query: url.slice(q + 1) };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function requestTime(now: Date): string {
  const [, day, month, year, time] = now.toUTCString().split(' ');
  return `${day}/${month}/${year}:${time} +0000`;
}

/** An HTTP API (payload format 2.0) event, as tier 5's HTTP API and tier 6's function URL send it. */
export function httpApiEvent(req: HttpRequest, now = new Date()): object {
  const { path, query } = splitTarget(req.url);
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(req.headers)) {
    if (name !== 'cookie') headers[name] = values.join(',');
  }
  const host = headers.host ?? 'localhost';
  headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${req.sourceIp}` : req.sourceIp;
  headers['x-forwarded-proto'] ??= 'http';
  const cookies = (req.headers.cookie ?? []).flatMap((c) => c.split(/;\s*/)).filter(Boolean);
  const params: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(query)) params[k] = k in params ? `${params[k]},${v}` : v;
  const text = isText(headers['content-type']);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    ...(cookies.length ? { cookies } : {}),
    headers,
    ...(query ? { queryStringParameters: params } : {}),
    requestContext: {
      accountId: 'anonymous', apiId: 'local', domainName: host, domainPrefix: host.split('.')[0],
      http: { method: req.method, path: decode(path), protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(), routeKey: '$default', stage: '$default', time: requestTime(now), timeEpoch: now.getTime(),
    },
    ...(req.body.length ? { body: req.body.toString(text ? 'utf8' : 'base64'), isBase64Encoded: !text } : { isBase64Encoded: false }),
  };
}

/** A REST API (v1) event through tier 5's `live` stage, whose binary media type `*\/*` base64-encodes every body. */
export function restApiEvent(req: HttpRequest): object {
  const { path, query } = splitTarget(req.url);
  // REST APIs pass header names as the client wrote them.
  const multiValueHeaders: Record<string, string[]> = {};
  const raw = req.rawHeaders ?? Object.entries(req.headers).flatMap(([k, vs]) => vs.flatMap((v) => [k, v]));
  const names = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = names.get(raw[i].toLowerCase()) ?? raw[i];
    names.set(name.toLowerCase(), name);
    (multiValueHeaders[name] ??= []).push(raw[i + 1]);
  }
  const forwarded = names.get('x-forwarded-for') ?? 'X-Forwarded-For';
  multiValueHeaders[forwarded] = [[...(multiValueHeaders[forwarded] ?? []), req.sourceIp].join(', ')];
  if (!names.has('x-forwarded-proto')) multiValueHeaders['X-Forwarded-Proto'] = ['http'];
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]]));
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) (multiQuery[k] ??= []).push(v);
  const hasQuery = Object.keys(multiQuery).length > 0;
  const decodedPath = decode(path);
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    resource: decodedPath === '/' ? '/' : '/{proxy+}',
    path: decodedPath,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: decodedPath === '/' ? null : { proxy: decodedPath.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: 'anonymous', apiId: 'local', domainName: lower.host ?? 'localhost', httpMethod: req.method, path: `/live${decodedPath}`,
      protocol: 'HTTP/1.1', requestId: randomUUID(), resourcePath: decodedPath === '/' ? '/' : '/{proxy+}', stage: 'live',
      identity: { sourceIp: req.sourceIp, userAgent: lower['user-agent'] ?? null },
    },
    body: req.body.length ? req.body.toString('base64') : null,
    isBase64Encoded: req.body.length > 0,
  };
}

/** The HTTP response API Gateway makes of a function's result. */
export function toHttpResponse(result: LambdaResult): { status: number; headers: [string, string][]; body: Buffer } {
  const headers: [string, string][] = [];
  const multi = new Set(Object.keys(result.multiValueHeaders ?? {}).map((n) => n.toLowerCase()));
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!multi.has(name.toLowerCase())) headers.push([name, String(value)]);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) for (const v of values) headers.push([name, String(v)]);
  for (const cookie of result.cookies ?? []) headers.push(['set-cookie', cookie]);
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode ?? 200, headers, body };
}

function log(msg: string, fields: Record<string, unknown> = {}) {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...fields })}\n`);
}

/** The body, or undefined when it is over API Gateway's limit; rejects when the client goes away. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= API_BODY_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > API_BODY_LIMIT_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function main() {
  const bundle = process.argv[2];
  const format = process.env.DEV_EVENT === 'rest' ? 'rest' : 'http';
  const timeoutMs = Number(process.env.DEV_TIMEOUT_MS ?? 10_000);
  // What API Gateway answers when the invocation fails (an error, a timeout, a result over the quota).
  const failed = format === 'rest' ? { status: 502, message: 'Internal server error' } : { status: 500, message: 'Internal Server Error' };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: Handler };
  let queue: Promise<unknown> = Promise.resolve();

  const send = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
  };

  const serve = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const body = await readBody(req);
    if (!body) {
      log('request body over API Gateway\'s 10 MB limit: answered 413', { method: req.method, url: req.url });
      send(res, 413, 'Request Entity Too Large');
      return;
    }
    const request: HttpRequest = {
      method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct as Record<string, string[]>, rawHeaders: req.rawHeaders,
      body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const event = format === 'rest' ? restApiEvent(request) : httpApiEvent(request);
    if (Buffer.byteLength(JSON.stringify(event)) > PAYLOAD_LIMIT_BYTES) {
      log('event over Lambda\'s 6 MB invocation payload quota (a body grows by a third in base64): answered 413', { method: req.method, url: req.url });
      send(res, 413, 'Request Entity Too Large');
      return;
    }
    const invocation = queue.then(async () => {
      const deadline = Date.now() + timeoutMs;
      const context = {
        awsRequestId: randomUUID(), functionName: 'dev', functionVersion: '$LATEST', memoryLimitInMB: '512',
        invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:dev',
        getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      };
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), timeoutMs); });
      try {
        return await Promise.race([handler(event, context), timeout]);
      } finally {
        clearTimeout(timer);
      }
    });
    queue = invocation.catch(() => undefined);
    let result: LambdaResult | 'timeout';
    try {
      result = await invocation;
    } catch (err) {
      log(`the function failed: API Gateway answers ${failed.status}`, { error: String((err as Error)?.stack ?? err) });
      send(res, failed.status, failed.message);
      return;
    }
    if (result === 'timeout') {
      // Lambda ends the execution environment of a timed-out invocation; the dev command starts a new one.
      log(`the function timed out after ${timeoutMs} ms: API Gateway answers ${failed.status}, and Lambda starts a new execution environment`, { method: req.method, url: req.url });
      res.once('finish', () => process.exit(1));
      send(res, failed.status, failed.message);
      return;
    }
    if (Buffer.byteLength(JSON.stringify(result)) > PAYLOAD_LIMIT_BYTES) {
      log(`response over Lambda's 6 MB invocation payload quota: the invocation fails and API Gateway answers ${failed.status}`, { method: req.method, url: req.url });
      send(res, failed.status, failed.message);
      return;
    }
    const response = toHttpResponse(result);
    res.writeHead(response.status, response.headers.flat());
    res.end(req.method === 'HEAD' ? undefined : response.body);
  };

  const server = http.createServer((req, res) => {
    serve(req, res).catch((err: Error) => {
      // The client went away, or the result could not be written as HTTP (an invalid status or header).
      log(`could not answer: ${err.message}`, { method: req.method, url: req.url });
      if (!res.headersSent && !res.destroyed) send(res, failed.status, failed.message);
      else res.destroy();
    });
  });
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1', () => {
    const address = server.address() as { address: string; port: number };
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'listening', host: address.address, port: address.port, target: 'lambda', event: format })}\n`);
  });
  const shutdown = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}

if (require.main === module) main();
