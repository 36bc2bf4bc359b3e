// Parity: the light fetch classes against the platform's, and the same app through the server
// bundle and the lambda bundle. Everything runs in fresh processes on the Node major Lambda runs.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { WebApp } from '../constructs';
import { lambdaNodeMajor } from './lambda-node';
import { LAMBDA_NODE, startBundle, startLambdaHost, type LambdaHost, type StartedServer } from './runtime/processes';

describe('light fetch classes against the platform (differential)', () => {
  let report: { node: string; operations: number; scenarios: number; missingMembers: string[]; differences: Array<{ scenario: string; native: unknown[]; light: unknown[] }> };
  beforeAll(() => {
    const outfile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'differential-')), 'differential.js');
    buildSync({ entryPoints: [path.join(__dirname, 'runtime', 'differential.ts')], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile, logLevel: 'error' });
    report = JSON.parse(execFileSync(LAMBDA_NODE, [outfile], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
  });

  test('runs on the Node major Lambda runs', () => {
    expect(Number(report.node.split('.')[0])).toBe(lambdaNodeMajor());
  });

  test('no observable difference over hundreds of generated and hand-written scenarios', () => {
    expect(report.scenarios).toBeGreaterThanOrEqual(600);
    expect(report.operations).toBeGreaterThanOrEqual(150);
    // The first differences in full, to read in the failure message.
    expect(report.differences.slice(0, 3)).toEqual([]);
    expect(report.differences).toHaveLength(0);
  });

  test('every member of the platform classes exists on the light ones', () => {
    expect(report.missingMembers).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// The same requests through both targets.

/** A request as it is on the wire: header values are the UTF-8 text a client sent. */
interface Wire { method: string; target: string; headers: Array<[string, string]>; body?: Buffer }
/** A response as compared: status, headers by name (transport headers left out), body bytes. */
interface Seen { status: number; headers: Record<string, string[]>; body: string }

const HOST = 'example.test';
/** Transport and hop-by-hop headers, which differ by transport and not by app. */
const TRANSPORT = new Set(['connection', 'keep-alive', 'transfer-encoding', 'date', 'content-length']);

/** Sends the exact bytes of `wire` (non-ASCII header values included) and reads the response. */
function overHttp(port: number, wire: Wire): Promise<Seen> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const head = [`${wire.method} ${wire.target} HTTP/1.1`, `Host: ${HOST}`, ...wire.headers.map(([n, v]) => `${n}: ${v}`),
      ...(wire.body ? [`Content-Length: ${wire.body.length}`] : []), 'Connection: close', '', ''].join('\r\n');
    socket.write(Buffer.concat([Buffer.from(head, 'utf8'), wire.body ?? Buffer.alloc(0)]));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const split = raw.indexOf('\r\n\r\n');
      const lines = raw.subarray(0, split).toString('latin1').split('\r\n');
      let body = raw.subarray(split + 4);
      const headers: Record<string, string[]> = {};
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        (headers[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
      }
      if (headers['transfer-encoding']?.[0] === 'chunked') {
        const parts: Buffer[] = [];
        for (let at = 0; ;) {
          const eol = body.indexOf('\r\n', at);
          const size = parseInt(body.subarray(at, eol).toString(), 16);
          if (!size) break;
          parts.push(body.subarray(eol + 2, eol + 2 + size));
          at = eol + 4 + size;
        }
        body = Buffer.concat(parts);
      }
      for (const name of TRANSPORT) delete headers[name];
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: body.toString('base64') });
    });
  });
}

const splitTarget = (target: string) => {
  const q = target.indexOf('?');
  return q === -1 ? { path: target, query: '' } : { path: target.slice(0, q), query: target.slice(q + 1) };
};
const wireHeaders = (wire: Wire): Array<[string, string]> => [['Host', HOST], ...wire.headers, ...(wire.body ? [['Content-Length', String(wire.body.length)] as [string, string]] : [])];
const decodeQuery = (query: string) => {
  const out: Record<string, string[]> = {};
  for (const part of query ? query.split('&') : []) {
    const [k, v = ''] = part.split('=');
    const dec = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
    (out[dec(k)] ??= []).push(dec(v));
  }
  return out;
};
const rawQuery = (query: string) => {
  const out: Record<string, string[]> = {};
  for (const part of query ? query.split('&') : []) {
    const [k, v = ''] = part.split('=');
    (out[k] ??= []).push(v);
  }
  return out;
};
const last = (multi: Record<string, string[]>) => Object.fromEntries(Object.entries(multi).map(([k, v]) => [k, v[v.length - 1]]));
const body64 = (wire: Wire) => (wire.body ? { body: wire.body.toString('base64'), isBase64Encoded: true } : { body: null, isBase64Encoded: false });

/** HTTP API v2 (and Function URL): lower-case names, repeats joined with commas, cookies apart. */
function v2Event(wire: Wire, functionUrl: boolean) {
  const { path: rawPath, query } = splitTarget(wire.target);
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [n, v] of wireHeaders(wire)) {
    const name = n.toLowerCase();
    if (name === 'cookie') cookies = [...(cookies ?? []), ...v.split('; ')];
    else headers[name] = headers[name] ? `${headers[name]},${v}` : v;
  }
  const domain = functionUrl ? 'abcdefghij.lambda-url.eu-west-1.on.aws' : 'abc123.execute-api.eu-west-1.amazonaws.com';
  return {
    version: '2.0', routeKey: '$default', rawPath, rawQueryString: query, headers, ...(cookies ? { cookies } : {}),
    ...(query ? { queryStringParameters: last(decodeQuery(query)) } : {}),
    requestContext: { domainName: domain, http: { method: wire.method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7' }, requestId: 'r', stage: '$default' },
    ...body64(wire),
  };
}

/** REST v1: names as sent, both header maps, query decoded. ALB (multi-value): query as on the wire. */
function v1Event(wire: Wire, alb: boolean) {
  const { path, query } = splitTarget(wire.target);
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [n, v] of wireHeaders(wire)) (multiValueHeaders[alb ? n.toLowerCase() : n] ??= []).push(v);
  const q = alb ? rawQuery(query) : decodeQuery(query);
  return {
    httpMethod: wire.method, path, multiValueHeaders, headers: last(multiValueHeaders),
    multiValueQueryStringParameters: query ? q : null, queryStringParameters: query ? last(q) : null,
    requestContext: alb ? { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/1' } } : { domainName: 'abc123.execute-api.eu-west-1.amazonaws.com', stage: 'prod' },
    ...body64(wire),
  };
}

/** A Lambda result as the client would see it: header text as the UTF-8 bytes API Gateway and ALB send. */
function fromResult(result: any): Seen {
  const headers: Record<string, string[]> = {};
  const add = (n: string, v: string) => (headers[n.toLowerCase()] ??= []).push(Buffer.from(v, 'utf8').toString('latin1'));
  if (result.multiValueHeaders) for (const [n, vs] of Object.entries(result.multiValueHeaders as Record<string, string[]>)) for (const v of vs) add(n, v);
  else for (const [n, v] of Object.entries(result.headers ?? {})) add(n, v as string);
  for (const cookie of result.cookies ?? []) add('set-cookie', cookie);
  for (const name of TRANSPORT) delete headers[name];
  return { status: result.statusCode, headers, body: Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8').toString('base64') };
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const FORWARDED = [['X-Forwarded-Proto', 'https']] as Array<[string, string]>;
const cases: Array<[string, Wire]> = [
  ['echo with a query and repeated headers', { method: 'GET', target: '/echo/a?x=1&x=2&y=a%20b', headers: [...FORWARDED, ['Accept', 'text/html'], ['X-Multi', 'one'], ['X-Multi', 'two']] }],
  ['echo with a binary body', { method: 'PUT', target: '/echo/bin', headers: [...FORWARDED, ['Content-Type', 'application/octet-stream']], body: Buffer.from([0, 1, 2, 200, 255]) }],
  ['echo: a percent-encoded path with spaces and non-ASCII', { method: 'GET', target: '/echo/a%20b/%C3%A9?q=%E7%82%8E', headers: FORWARDED }],
  ['echo: upper-case Host and HTTP whitespace in values', { method: 'DELETE', target: '/echo/x', headers: [...FORWARDED, ['X-Pad', 'value\t ']] }],
  ['dot segments resolve to the route', { method: 'GET', target: '/x/../my/path', headers: FORWARDED }],
  ['encoded dot segments', { method: 'GET', target: '/x/%2e%2e/my/path', headers: FORWARDED }],
  ['JSON body', { method: 'POST', target: '/json', headers: [...FORWARDED, ['Content-Type', 'application/json']], body: json({ a: [1, 'é'] }) }],
  ['urlencoded form', { method: 'POST', target: '/form', headers: [...FORWARDED, ['Content-Type', 'application/x-www-form-urlencoded']], body: Buffer.from('a=1&a=2&b=two+words') }],
  ['multipart form', { method: 'POST', target: '/form', headers: [...FORWARDED, ['Content-Type', 'multipart/form-data; boundary=XyZ']], body: Buffer.from('--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\nvalue é\r\n--XyZ--\r\n') }],
  ['clone of the request', { method: 'POST', target: '/clone', headers: [...FORWARDED, ['Content-Type', 'text/plain']], body: Buffer.from('cloned body') }],
  ['cookies both ways', { method: 'GET', target: '/cookies', headers: [...FORWARDED, ['Cookie', 's=abc; t=def']] }],
  ['redirect relative', { method: 'GET', target: '/redirect', headers: FORWARDED }],
  ['redirect absolute', { method: 'GET', target: '/redirect-absolute', headers: FORWARDED }],
  ['binary response', { method: 'GET', target: '/binary', headers: FORWARDED }],
  ['streamed response', { method: 'GET', target: '/stream', headers: FORWARDED }],
  ['a UTF-8 User-Agent through clone, signal and new Request', { method: 'GET', target: '/agent', headers: [...FORWARDED, ['User-Agent', '炎 agent/1.0 é']] }],
  ['header edits after the request became native', { method: 'POST', target: '/edit', headers: [...FORWARDED, ['Content-Type', 'text/plain']], body: Buffer.from('x') }],
  ['204 without a body', { method: 'GET', target: '/status/204', headers: FORWARDED }],
  ['HEAD', { method: 'HEAD', target: '/my/path', headers: FORWARDED }],
  ['repeated response headers', { method: 'GET', target: '/headers-out', headers: FORWARDED }],
  ['no route', { method: 'GET', target: '/nowhere', headers: FORWARDED }],
];

describe('the same Hono app through the server bundle and the lambda bundle', () => {
  const app = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'parity-app.ts'));
  let serverBundle: StartedServer;
  let host: LambdaHost;
  beforeAll(async () => {
    [serverBundle, host] = await Promise.all([startBundle(app.serverBundle(), {}, LAMBDA_NODE), startLambdaHost(app.lambdaBundle())]);
  });
  afterAll(async () => {
    host?.close();
    serverBundle?.child.kill('SIGTERM');
    await serverBundle?.exited;
  });

  const integrations: Record<string, (wire: Wire) => unknown> = {
    'HTTP API v2': (w) => v2Event(w, false),
    'Function URL': (w) => v2Event(w, true),
    'REST v1': (w) => v1Event(w, false),
    'ALB (multi-value headers)': (w) => v1Event(w, true),
  };

  /**
   * The echo routes' JSON as compared: without `connection` (hop-by-hop, which API Gateway and ALB
   * strip). HTTP API v2 and Function URL events join repeated request headers with ',' where a
   * server joins them with ', ': the adapter cannot tell that apart from one value with a comma.
   */
  const comparable = (seen: Seen, integration: string, wire: Wire): unknown => {
    if (!wire.target.startsWith('/echo/')) return seen;
    const echo = JSON.parse(Buffer.from(seen.body, 'base64').toString());
    echo.headers = echo.headers.filter(([name]: [string]) => name !== 'connection');
    if (integration === 'server' && wire.headers.some(([n], i) => wire.headers.findIndex(([m]) => m.toLowerCase() === n.toLowerCase()) !== i)) {
      echo.headers = echo.headers.map(([n, v]: [string, string]) => [n, v.replace(/, /g, ',')]);
    }
    return { ...seen, body: echo };
  };

  test.each(cases)('%s', async (_name, wire) => {
    const server = await overHttp(serverBundle.port, wire);
    for (const [integration, toEvent] of Object.entries(integrations)) {
      const seen = fromResult(await host.invoke(toEvent(wire)));
      const expected = comparable(server, integration.includes('v2') || integration.includes('Function URL') ? 'server' : 'server-exact', wire);
      expect({ integration, ...(comparable(seen, integration, wire) as object) }).toEqual({ integration, ...(expected as object) });
    }
  });
});

describe('lambda adapter: event shapes a client can produce', () => {
  const app = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'parity-app.ts'));
  let host: LambdaHost;
  beforeAll(async () => {
    host = await startLambdaHost(app.lambdaBundle());
  });
  afterAll(() => host?.close());
  const echo = async (event: unknown) => {
    const result = await host.invoke(event);
    return { status: result.statusCode, seen: result.statusCode === 200 ? JSON.parse(result.body) : result.body };
  };
  const wire = (over: Partial<Wire>): Wire => ({ method: 'GET', target: '/echo/x', headers: FORWARDED, ...over });

  test('an unparseable Host is a 400, not a 500', async () => {
    for (const host of ['a b', 'user@example.test', 'example.test/x', '']) {
      const event = v2Event(wire({}), false);
      expect(await echo({ ...event, headers: { ...event.headers, host } })).toEqual({ status: 400, seen: '' });
    }
  });

  test('an invalid header name is a 400', async () => {
    const event = v1Event(wire({}), false);
    expect((await echo({ ...event, multiValueHeaders: { ...event.multiValueHeaders, 'bad name': ['x'] } })).status).toBe(400);
  });

  test('Content-Length is the decoded body length, never the event claim', async () => {
    const event = v1Event(wire({ method: 'POST', body: Buffer.from('12345') }), false);
    const claimed = { ...event, multiValueHeaders: { ...event.multiValueHeaders, 'Content-Length': ['999'], 'Transfer-Encoding': ['chunked'] } };
    const { seen } = await echo(claimed);
    expect(seen.headers).toContainEqual(['content-length', '5']);
    expect(seen.headers.map(([n]: [string]) => n)).not.toContain('transfer-encoding');
  });

  test('an empty multiValueHeaders (or query map) does not hide the single-value one', async () => {
    const event = v1Event(wire({ target: '/echo/x?a=1' }), false);
    const { seen } = await echo({ ...event, multiValueHeaders: {}, multiValueQueryStringParameters: {} });
    expect(seen.url).toBe('https://example.test/echo/x?a=1');
    expect(seen.headers).toContainEqual(['x-forwarded-proto', 'https']);
  });

  test('ALB without multi-value headers: the first Set-Cookie goes out, the dropped ones are logged', async () => {
    const event = v1Event(wire({ target: '/cookies' }), true);
    const single = { ...event, multiValueHeaders: undefined, multiValueQueryStringParameters: undefined, headers: { host: HOST, 'x-forwarded-proto': 'https' }, queryStringParameters: {} };
    const result = await host.invoke(single);
    expect(result.headers['set-cookie']).toBe('a=1; Path=/');
    expect(result.multiValueHeaders).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(host.stderr()).toMatch(/"msg":"ALB without multi-value headers: only the first Set-Cookie was sent[^"]*","dropped":1/);
  });

  test('a UTF-8 User-Agent reaches the app as the ByteString a server gives it', async () => {
    const event = v2Event(wire({ target: '/agent', headers: [...FORWARDED, ['User-Agent', '炎']] }), false);
    const result = await host.invoke(event);
    expect(result.statusCode).toBe(200);
    const bytes = Buffer.from('炎').toString('latin1');
    expect(JSON.parse(result.body)).toEqual({ header: bytes, cloned: bytes, rebuilt: bytes, aborted: false });
    expect(result.headers['x-agent-back']).toBe('炎');
  });
});
