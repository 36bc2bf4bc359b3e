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

/** Lambda's quota for a synchronous invocation's request and response payloads. */
const PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

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
  headers['x-forwarded-for'] = req.sourceIp;
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
  const multiValueHeaders: Record<string, string[]> = { ...req.headers, 'x-forwarded-for': [req.sourceIp] };
  multiValueHeaders['x-forwarded-proto'] ??= ['http'];
  const headers = Object.fromEntries(Object.entries(multiValueHeaders).map(([k, v]) => [k, v[v.length - 1]]));
  const multiQuery: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(query)) (multiQuery[k] ??= []).push(v);
  const hasQuery = Object.keys(multiQuery).length > 0;
  const decodedPath = decode(path);
  return {
    resource: '/{proxy+}',
    path: decodedPath,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters: hasQuery ? Object.fromEntries(Object.entries(multiQuery).map(([k, v]) => [k, v[v.length - 1]])) : null,
    multiValueQueryStringParameters: hasQuery ? multiQuery : null,
    pathParameters: decodedPath === '/' ? null : { proxy: decodedPath.slice(1) },
    stageVariables: null,
    requestContext: {
      accountId: 'anonymous', apiId: 'local', domainName: headers.host ?? 'localhost', httpMethod: req.method, path: `/live${decodedPath}`,
      protocol: 'HTTP/1.1', requestId: randomUUID(), resourcePath: '/{proxy+}', stage: 'live',
      identity: { sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? null },
    },
    body: req.body.length ? req.body.toString('base64') : null,
    isBase64Encoded: req.body.length > 0,
  };
}

/** The HTTP response API Gateway makes of a function's result. */
export function toHttpResponse(result: LambdaResult): { status: number; headers: [string, string][]; body: Buffer } {
  const headers: [string, string][] = [];
  for (const [name, value] of Object.entries(result.headers ?? {})) {
    if (!result.multiValueHeaders?.[name]) headers.push([name, String(value)]);
  }
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) for (const v of values) headers.push([name, String(v)]);
  for (const cookie of result.cookies ?? []) headers.push(['set-cookie', cookie]);
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode ?? 200, headers, body };
}

function log(msg: string, fields: Record<string, unknown> = {}) {
  process.stderr.write(`${JSON.stringify({ level: 'error', msg, ...fields })}\n`);
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= PAYLOAD_LIMIT_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > PAYLOAD_LIMIT_BYTES ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function main() {
  const bundle = process.argv[2];
  const format = process.env.DEV_EVENT === 'rest' ? 'rest' : 'http';
  const timeoutMs = Number(process.env.DEV_TIMEOUT_MS ?? 10_000);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { handler } = require(bundle) as { handler: Handler };
  let queue: Promise<unknown> = Promise.resolve();

  const send = (res: http.ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ message }));
  };

  const server = http.createServer(async (req, res) => {
    const body = await readBody(req);
    if (!body) {
      log('request payload over Lambda\'s 6 MB quota: API Gateway answers 413', { method: req.method, url: req.url });
      send(res, 413, 'Request Entity Too Large');
      return;
    }
    const request: HttpRequest = {
      method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headersDistinct as Record<string, string[]>, body, sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    };
    const event = format === 'rest' ? restApiEvent(request) : httpApiEvent(request);
    const invocation = queue.then(async () => {
      const deadline = Date.now() + timeoutMs;
      const context = {
        awsRequestId: randomUUID(), functionName: 'dev', functionVersion: '$LATEST', memoryLimitInMB: '512',
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
      log('the function failed: API Gateway answers 500', { error: String((err as Error)?.stack ?? err) });
      send(res, 500, 'Internal Server Error');
      return;
    }
    if (result === 'timeout') {
      log(`the function timed out after ${timeoutMs} ms: API Gateway answers 503`, { method: req.method, url: req.url });
      send(res, 503, 'Service Unavailable');
      return;
    }
    if (Buffer.byteLength(JSON.stringify(result)) > PAYLOAD_LIMIT_BYTES) {
      log('response payload over Lambda\'s 6 MB quota: the invocation fails and API Gateway answers 500', { method: req.method, url: req.url });
      send(res, 500, 'Internal Server Error');
      return;
    }
    const response = toHttpResponse(result);
    res.writeHead(response.status, response.headers.flat());
    res.end(req.method === 'HEAD' ? undefined : response.body);
  });
  server.listen(Number(process.env.PORT ?? 3000), process.env.HOST || '127.0.0.1', () => {
    const address = server.address() as { address: string; port: number };
    process.stdout.write(`${JSON.stringify({ level: 'info', msg: 'listening', host: address.address, port: address.port, target: 'lambda', event: format })}\n`);
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
  });
}

if (require.main === module) main();
