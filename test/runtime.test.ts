import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as os from 'node:os';
import { Construct } from 'constructs';
import { CONTRACT_CHECK_TIMEOUT_MS, checkAppContract } from '../constructs/shared/app-contract';
import { buildBundle } from '../constructs/shared/web-app';
import { WebTiersValidationError } from '../constructs/shared/validation';
import { WebApp } from '../constructs';
import { startServer } from '../constructs/runtime/server';
import { testStack, webApp } from './helpers';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { albEvent, functionUrlEvent, restV1Event, httpV2Event } from './fixtures/lambda-events';
import { Signer } from '@aws-sdk/rds-signer';
import { TOKEN_REFRESH_MS, _resetDatabaseToken, refreshDatabaseToken, signAuthToken } from '../constructs/runtime/database-auth';
import { LAMBDA_NODE, request, startBundle, startLambdaHost, startProcess, type LambdaHost, type Started, type StartedServer } from './runtime/processes';

const echoApp = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'echo-app.ts'));

/** The embedded PostgreSQL (PGlite) in a process of its own. */
function startDatabase(): Promise<Started> {
  return startProcess(['--import', 'tsx', path.join(__dirname, '..', 'webapp', 'db-server.ts')], {}, /"url":"([^"]+)"/);
}

const json = { 'content-type': 'application/json' };

describe('sample app through the server bundle, on embedded PostgreSQL', () => {
  let db: Started;
  let server: StartedServer;

  beforeAll(async () => {
    db = await startDatabase();
    server = await startBundle(webApp.serverBundle(), { DATABASE_URL: db.match[1] });
  });
  afterAll(async () => {
    server?.child.kill('SIGTERM');
    await server?.exited;
    db?.child.kill('SIGTERM');
    await db?.exited;
  });

  test('the page', async () => {
    const res = await request(server.port, 'GET', '/');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.text).toContain('<h1>Guestbook</h1>');
  });

  test('health proves the database', async () => {
    const res = await request(server.port, 'GET', '/health');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ status: 'ok', store: 'postgres' });
  });

  test('add and list entries, newest first, with the SQL that runs in production', async () => {
    for (const name of ['Ada', 'Grace']) {
      const res = await request(server.port, 'POST', '/api/entries', JSON.stringify({ name, message: `hello from ${name}` }), json);
      expect(res.status).toBe(201);
      expect(JSON.parse(res.text).entry).toMatchObject({ name, message: `hello from ${name}`, id: expect.any(Number) });
    }
    const list = JSON.parse((await request(server.port, 'GET', '/api/entries?limit=2')).text);
    expect(list.entries.map((e: { name: string }) => e.name)).toEqual(['Grace', 'Ada']);
    expect(new Date(list.entries[0].createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
  });

  test.each([
    ['bad JSON', '{"name":', json, /not valid JSON/],
    ['not an object', '["a"]', json, /JSON object/],
    ['missing name', '{"message":"hi"}', json, /'name' is required/],
    ['blank message', '{"name":"a","message":"   "}', json, /'message' is required/],
    ['over-long name', JSON.stringify({ name: 'x'.repeat(81), message: 'hi' }), json, /'name' must be at most 80/],
    ['over-long message', JSON.stringify({ name: 'a', message: 'x'.repeat(501) }), json, /'message' must be at most 500/],
    ['not JSON at all', 'name=a', { 'content-type': 'application/x-www-form-urlencoded' }, /must be JSON/],
  ])('POST with %s → 400 with a JSON error', async (_name, body, headers, message) => {
    const res = await request(server.port, 'POST', '/api/entries', body, headers);
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).error).toMatch(message);
  });

  test('limits: bad list limit → 400, oversized body → 413, unknown route → 404', async () => {
    expect((await request(server.port, 'GET', '/api/entries?limit=0')).status).toBe(400);
    expect((await request(server.port, 'GET', '/api/entries?limit=abc')).status).toBe(400);
    const big = JSON.stringify({ name: 'a', message: 'x'.repeat(20_000) });
    expect((await request(server.port, 'POST', '/api/entries', big, json)).status).toBe(413);
    const missing = await request(server.port, 'GET', '/nope');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).error).toMatch(/no route for GET \/nope/);
  });
});

/**
 * A front for a PostgreSQL server that, as RDS Proxy does, asks every client for a password before
 * anything else (cleartext, as the proxy's TLS would carry it), records it, then hands the
 * connection to the server. It shows what the function logs in with.
 */
async function passwordFront(upstreamPort: number): Promise<{ port: number; passwords: string[]; close: () => Promise<void> }> {
  const passwords: string[] = [];
  const server = net.createServer((client) => {
    let buffered = Buffer.alloc(0);
    let startup: Buffer | undefined;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!startup) {
        if (buffered.length < 4 || buffered.length < buffered.readInt32BE(0)) return;
        startup = buffered.subarray(0, buffered.readInt32BE(0));
        buffered = buffered.subarray(startup.length);
        const ask = Buffer.alloc(9);
        ask.write('R', 0);
        ask.writeInt32BE(8, 1);
        ask.writeInt32BE(3, 5); // AuthenticationCleartextPassword
        client.write(ask);
      }
      if (buffered.length < 5 || buffered.length < 1 + buffered.readInt32BE(1)) return;
      const length = buffered.readInt32BE(1);
      passwords.push(buffered.subarray(5, 1 + length - 1).toString('utf8'));
      const rest = buffered.subarray(1 + length);
      client.off('data', onData);
      const upstream = net.connect(upstreamPort, '127.0.0.1', () => {
        upstream.write(startup!);
        if (rest.length) upstream.write(rest);
        client.pipe(upstream).pipe(client);
      });
      const end = () => { client.destroy(); upstream.destroy(); };
      upstream.on('error', end);
      client.on('error', end);
    };
    client.on('data', onData);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    passwords,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sample app through the lambda bundle on Node 24, on the same PostgreSQL as the server bundle', () => {
  const credentials = { AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret/example+key', AWS_SESSION_TOKEN: 'session/token+=' };
  let db: Started;
  let server: StartedServer;
  let front: Awaited<ReturnType<typeof passwordFront>>;
  let host: LambdaHost;
  let url: string;

  beforeAll(async () => {
    db = await startDatabase();
    const upstream = new URL(db.match[1]);
    front = await passwordFront(Number(upstream.port));
    server = await startBundle(webApp.serverBundle(), { DATABASE_URL: db.match[1] });
    // What the serverless tiers set: the URL without a password, and IAM authentication.
    url = `postgresql://postgres@127.0.0.1:${front.port}/postgres?sslmode=disable`;
    host = await startLambdaHost(webApp.lambdaBundle(), { DATABASE_URL: url, WEB_TIERS_DATABASE_AUTH: 'iam', ...credentials });
  });
  afterAll(async () => {
    host?.close();
    server?.child.kill('SIGTERM');
    await server?.exited;
    await front?.close();
    db?.child.kill('SIGTERM');
    await db?.exited;
  });

  test('one table: entries written by either bundle are read by the other, through the same driver', async () => {
    const health = await host.invoke(httpV2Event({ method: 'GET', path: '/health' }));
    expect([health.statusCode, JSON.parse(health.body)]).toEqual([200, { status: 'ok', store: 'postgres' }]);
    const viaServer = await request(server.port, 'POST', '/api/entries', JSON.stringify({ name: 'Server', message: 'from an instance' }), json);
    expect(viaServer.status).toBe(201);
    const viaLambda = await host.invoke(httpV2Event({ method: 'POST', path: '/api/entries', body: Buffer.from(JSON.stringify({ name: 'Lambda', message: 'from a function' })), headers: json }));
    expect(viaLambda.statusCode).toBe(201);
    const fromLambda = JSON.parse((await host.invoke(httpV2Event({ method: 'GET', path: '/api/entries', query: 'limit=2' }))).body);
    const fromServer = JSON.parse((await request(server.port, 'GET', '/api/entries?limit=2')).text);
    expect(fromLambda.entries.map((e: { name: string }) => e.name)).toEqual(['Lambda', 'Server']);
    expect(fromServer).toEqual(fromLambda);
  });

  test('the function logged in with an IAM token it signed itself, for the URL\'s host, port and user', () => {
    expect(front.passwords.length).toBeGreaterThan(0);
    const token = front.passwords[0];
    expect(token).toMatch(new RegExp(`^127\\.0\\.0\\.1:${front.port}/\\?Action=connect&DBUser=postgres&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAEXAMPLE%2F\\d{8}%2Feu-west-1%2Frds-db%2Faws4_request&`));
    const stamp = /X-Amz-Date=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(token)!;
    const now = new Date(`${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:${stamp[6]}Z`);
    expect(token).toBe(signAuthToken({
      host: '127.0.0.1', port: front.port, user: 'postgres', region: 'eu-west-1', now,
      accessKeyId: credentials.AWS_ACCESS_KEY_ID, secretAccessKey: credentials.AWS_SECRET_ACCESS_KEY, sessionToken: credentials.AWS_SESSION_TOKEN,
    }));
    expect(host.stderr()).not.toMatch(/could not sign/);
  });
});

describe('IAM database tokens', () => {
  const base = { host: 'prx.proxy-abc.eu-west-1.rds.amazonaws.com', port: 5432, region: 'eu-west-1', accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

  test.each<[string, { user: string; sessionToken?: string }]>([
    ['with a session token (a Lambda role)', { user: 'webapp', sessionToken: 'IQoJb3JpZ2luX2VjE/+=abc' }],
    ['without one, and a user name to encode', { user: 'web app+1' }],
  ])('the same token as @aws-sdk/rds-signer, %s', async (_name, extra) => {
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const theirs = await new Signer({
      hostname: base.host, port: base.port, username: extra.user, region: base.region,
      credentials: { accessKeyId: base.accessKeyId, secretAccessKey: base.secretAccessKey, sessionToken: extra.sessionToken },
    }).getAuthToken();
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const stamp = /X-Amz-Date=(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z/.exec(theirs)!;
    const now = new Date(`${stamp[1]}-${stamp[2]}-${stamp[3]}T${stamp[4]}:${stamp[5]}:${stamp[6]}Z`);
    expect(signAuthToken({ ...base, ...extra, now })).toBe(theirs);
  });

  test('signed into PGPASSWORD when the tier asks for it, again once 10 minutes old, never otherwise', () => {
    const env: NodeJS.ProcessEnv = {
      DATABASE_URL: 'postgresql://webapp@prx.example:5432/webapp?sslmode=verify-full', WEB_TIERS_DATABASE_AUTH: 'iam',
      AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret',
    };
    const t0 = Date.parse('2026-12-01T06:00:00Z');
    _resetDatabaseToken();
    refreshDatabaseToken(env, t0);
    const first = env.PGPASSWORD;
    expect(first).toMatch(/^prx\.example:5432\/\?Action=connect&DBUser=webapp&.*X-Amz-Date=20261201T060000Z&X-Amz-Expires=900&/);
    refreshDatabaseToken(env, t0 + TOKEN_REFRESH_MS - 1);
    expect(env.PGPASSWORD).toBe(first);
    refreshDatabaseToken(env, t0 + TOKEN_REFRESH_MS);
    expect(env.PGPASSWORD).toMatch(/X-Amz-Date=20261201T061000Z/);
    const other: NodeJS.ProcessEnv = { DATABASE_URL: env.DATABASE_URL, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' };
    _resetDatabaseToken();
    refreshDatabaseToken(other, t0);
    expect(other.PGPASSWORD).toBeUndefined();
  });

  test('pg reads the token for every new connection when the URL has no password', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { Client } = require('pg') as typeof import('pg');
    const saved = process.env.PGPASSWORD;
    try {
      process.env.PGPASSWORD = 'token-1';
      const connectionString = 'postgresql://webapp@prx.example:5432/webapp?sslmode=verify-full';
      expect((new Client({ connectionString }) as unknown as { password: string }).password).toBe('token-1');
      process.env.PGPASSWORD = 'token-2';
      expect((new Client({ connectionString }) as unknown as { password: string }).password).toBe('token-2');
    } finally {
      if (saved === undefined) delete process.env.PGPASSWORD; else process.env.PGPASSWORD = saved;
    }
  });

  test('a function that cannot sign says why on stderr and leaves the login to fail', () => {
    const env: NodeJS.ProcessEnv = { DATABASE_URL: 'not a url', WEB_TIERS_DATABASE_AUTH: 'iam' };
    const write = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      _resetDatabaseToken();
      refreshDatabaseToken(env, Date.now());
      expect(env.PGPASSWORD).toBeUndefined();
      expect(String(write.mock.calls[0][0])).toMatch(/"msg":"could not sign a database token","error":"Invalid URL"/);
    } finally {
      write.mockRestore();
    }
  });
});

test('without a database the health route says so with 503', async () => {
  const server = await startBundle(webApp.serverBundle());
  try {
    const res = await request(server.port, 'GET', '/health');
    expect(res.status).toBe(503);
    expect(JSON.parse(res.text).error).toMatch(/DATABASE_URL/);
  } finally {
    server.child.kill('SIGTERM');
    await server.exited;
  }
});

describe('graceful drain on SIGTERM', () => {
  test('an in-flight request completes, new connections are refused, the process exits 0', async () => {
    const server = await startBundle(echoApp.serverBundle());
    const inFlight = request(server.port, 'GET', '/slow?ms=800');
    await new Promise((r) => setTimeout(r, 200));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 100));
    await expect(request(server.port, 'GET', '/health')).rejects.toThrow(/ECONNREFUSED/);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(res.text).toBe('slow done');
    expect(res.headers.connection).toBe('close');
    expect(await server.exited).toBe(0);
    expect(Date.now() - signalledAt).toBeLessThan(5_000);
    expect(server.output()).toMatch(/"msg":"draining","signal":"SIGTERM"[\s\S]*"msg":"drained"/);
  });

  test('keep-alive follows KEEP_ALIVE_TIMEOUT_MS (longer than the load balancer idle timeout)', async () => {
    const server = await startBundle(echoApp.serverBundle(), { KEEP_ALIVE_TIMEOUT_MS: '300' });
    try {
      // A raw HTTP/1.1 client: one request, then measure how long the server keeps the idle connection.
      const idleFor = await new Promise<number>((resolve, reject) => {
        const socket = net.connect(server.port, '127.0.0.1', () => socket.write('GET /health HTTP/1.1\r\nHost: x\r\n\r\n'));
        let answeredAt = 0;
        socket.on('data', (chunk: Buffer) => { if (!answeredAt && chunk.toString().includes('ok')) answeredAt = Date.now(); });
        socket.on('close', () => resolve(Date.now() - answeredAt));
        socket.on('error', reject);
      });
      expect(idleFor).toBeGreaterThanOrEqual(250);
      expect(idleFor).toBeLessThan(3000);
    } finally {
      server.child.kill('SIGTERM');
      await server.exited;
    }
  });

  test('a request already on its way over an idle keep-alive connection when the drain starts is answered, not reset', async () => {
    // The race that becomes a 502 behind a load balancer: the next request is sent (it is in the
    // socket buffer) but not yet read when the drain starts. In-process, drain() runs in the same
    // tick as the client's write, before the server can read it, every time.
    // The server logs to stdout, here this test's own: its 'listening' line is kept and checked, not printed.
    const logged: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array) => logged.push(String(chunk)) > 0) as typeof process.stdout.write);
    const running = startServer({ fetch: () => new Response('ok') }, { port: 0, host: '127.0.0.1', healthCheckPath: '/health', drainTimeoutMs: 5000, keepAliveTimeoutMs: 65000 }, false);
    const { port } = await running.listening.finally(() => stdout.mockRestore());
    expect(logged.map((line) => JSON.parse(line))).toEqual([{ level: 'info', msg: 'listening', host: '127.0.0.1', port, healthCheckPath: '/health' }]);
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    const closed = new Promise<string>((resolve) => {
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
      socket.on('close', () => resolve('closed'));
    });
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    const request = () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    request();
    await new Promise<void>((resolve) => { const t = setInterval(() => { if (received.endsWith('ok')) { clearInterval(t); resolve(); } }, 2); });
    request();
    const drained = running.drain();
    expect(await closed).toBe('closed');
    const responses = received.split('HTTP/1.1 ').slice(1);
    expect(responses.map((r) => r.slice(0, 3))).toEqual(['200', '200']);
    expect(responses[1]).toMatch(/connection: close/i);
    expect(await drained).toBe(true);
  });

  test('exit is bounded by DRAIN_TIMEOUT_MS, with a non-zero code when a request was cut', async () => {
    const server = await startBundle(echoApp.serverBundle(), { DRAIN_TIMEOUT_MS: '300' });
    const inFlight = request(server.port, 'GET', '/slow?ms=10000').catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 200));
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(1);
    expect(Date.now() - signalledAt).toBeLessThan(3_000);
    expect(String(await inFlight)).toMatch(/socket hang up|ECONNRESET/);
  });

  test('an app module without fetch fails at start with the contract in the message', async () => {
    // Built without WebApp's synth-time contract check (tested below), to reach the adapter's own check at start.
    await expect(startBundle(buildBundle(path.join(__dirname, 'fixtures', 'not-an-app.ts'), 'server'))).rejects.toThrow(/default export with fetch\(request\)/);
  });
});

describe('lambda bundle: one handler for REST v1, HTTP API v2 and ALB events', () => {
  // The real bundle, in a host process on the Node major Lambda runs.
  let host: LambdaHost;
  beforeAll(async () => {
    host = await startLambdaHost(echoApp.lambdaBundle());
  });
  afterAll(() => host?.close());
  const handler = (event: unknown) => host.invoke(event);
  const body = Buffer.from([0, 1, 2, 200, 255]);

  test('HTTP API v2: query, cookies, binary body; cookies come back in `cookies`', async () => {
    const res = await handler(httpV2Event({ method: 'PUT', path: '/items/7', query: 'a=1&a=2&b=x', cookies: ['s=abc', 't=def'], body, headers: { 'x-multi': 'one' } }));
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'PUT', path: '/items/7', cookie: 's=abc; t=def', multi: 'one', bodyBase64: body.toString('base64') });
    expect(seen.query).toEqual([['a', '1'], ['a', '2'], ['b', 'x']]);
    expect(res.cookies).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  test('REST v1: multi-value headers and query, base64 body; set-cookie as multi-value header', async () => {
    const res = await handler(restV1Event({ method: 'POST', path: '/items', query: { a: ['1', '2'] }, headers: { 'x-multi': ['one', 'two'], cookie: ['s=abc'] }, body }));
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'POST', path: '/items', cookie: 's=abc', multi: 'one, two', bodyBase64: body.toString('base64') });
    expect(seen.query).toEqual([['a', '1'], ['a', '2']]);
    expect(res.multiValueHeaders['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  test('ALB with multi-value headers enabled', async () => {
    const res = await handler(albEvent({ method: 'DELETE', path: '/items/9', query: { q: ['x y'] }, headers: { 'x-multi': ['one', 'two'], cookie: ['s=abc'] }, body }));
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'DELETE', path: '/items/9', cookie: 's=abc', multi: 'one, two', bodyBase64: body.toString('base64') });
    expect(seen.query).toEqual([['q', 'x y']]);
    expect(res.multiValueHeaders['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
    // ALB rejects a status description without the reason phrase as a 502.
    expect(res.statusDescription).toBe('200 OK');
  });

  test('Function URL (behind CloudFront): cookies both ways and a binary body', async () => {
    const res = await handler(functionUrlEvent({ method: 'POST', path: '/upload', cookies: ['s=abc'], body }));
    expect(res.statusCode).toBe(200);
    const seen = JSON.parse(res.body);
    expect(seen).toMatchObject({ method: 'POST', path: '/upload', cookie: 's=abc', bodyBase64: body.toString('base64') });
    expect(res.cookies).toEqual(['a=1; Path=/', 'b=2; Path=/; HttpOnly']);
  });

  test('loading the bundle and answering an event leave undici and node:http unloaded (cold start)', () => {
    // The light fetch classes exist to skip this load; a stray read of a lazy global brings it back
    // (on Node 24 even a property-descriptor read does). Runs on the Node major Lambda runs.
    const bundle = path.join(echoApp.lambdaBundle().directory, 'index.js');
    const script = `(async () => {
      await require(${JSON.stringify(bundle)}).handler(${JSON.stringify(httpV2Event({ method: 'GET', path: '/health' }))}, {});
      process.stdout.write(JSON.stringify(process.moduleLoadList.filter((m) => /undici|http/.test(m))));
    })()`;
    expect(JSON.parse(execFileSync(LAMBDA_NODE, ['-e', script], { encoding: 'utf8' }))).toEqual([]);
  });

  test('binary responses are base64-encoded', async () => {
    const res = await handler(httpV2Event({ method: 'GET', path: '/binary' }));
    expect(res.isBase64Encoded).toBe(true);
    expect(Buffer.from(res.body, 'base64')).toEqual(Buffer.from([0, 1, 2, 254, 255]));
  });
});

describe('lambda bundle: a Hono app on real Node globals', () => {
  const honoApp = WebApp.fromEntry(path.join(__dirname, 'fixtures', 'hono-app.ts'));
  let host: LambdaHost;
  beforeAll(async () => {
    host = await startLambdaHost(honoApp.lambdaBundle());
  });
  afterAll(() => host?.close());
  const get = (p: string, method = 'GET') => host.invoke(httpV2Event({ method, path: p }));

  test('light and native responses interleave; middleware edits headers after next()', async () => {
    // Loading the native classes (the stream, the fetched response) must not undo the light globals.
    const seen: Array<[string, number, string, string]> = [];
    for (const p of ['/plain', '/stream', '/plain', '/cached', '/plain', '/cached']) {
      const res = await get(p);
      seen.push([p, res.statusCode, res.body, res.headers['x-after']]);
    }
    expect(seen).toEqual([
      ['/plain', 200, 'plain', 'yes'], ['/stream', 200, 'streamed', 'yes'], ['/plain', 200, 'plain', 'yes'],
      ['/cached', 200, 'cached', 'yes'], ['/plain', 200, 'plain', 'yes'], ['/cached', 200, 'cached', 'yes'],
    ]);
  });

  test('the globals keep the platform contract: instanceof, redirect and status checks', async () => {
    const res = await get('/probe');
    expect(JSON.parse(res.body)).toEqual({
      fetchedIsResponse: true,
      requestIsRequest: true,
      redirectRelative: 'TypeError',
      redirectBadStatus: 'RangeError',
      redirectLocation: 'https://example.com/a%20b',
      status600: 'RangeError',
      bodyOn204: 'TypeError',
      jsonUndefined: 'TypeError',
    });
  });

  test('untyped bytes go base64 unless they are UTF-8; other charsets go base64', async () => {
    const bytes = await get('/bytes');
    expect([bytes.isBase64Encoded, Buffer.from(bytes.body, 'base64')]).toEqual([true, Buffer.from([0xff, 0xfe, 0x00, 0x41])]);
    const utf8 = await get('/utf8-bytes');
    expect([utf8.isBase64Encoded, utf8.body]).toEqual([false, 'héllo']);
    const latin1 = await get('/latin1');
    expect([latin1.isBase64Encoded, Buffer.from(latin1.body, 'base64')]).toEqual([true, Buffer.from('café', 'latin1')]);
  });

  test('HEAD gets the GET headers and no body', async () => {
    const res = await get('/plain', 'HEAD');
    expect([res.statusCode, res.body, res.headers['x-after']]).toEqual([200, '', 'yes']);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
  });
});

describe('sample app through the lambda bundle, on DynamoDB: the same requests through every integration', () => {
  // dynalite speaks DynamoDB's wire protocol; the bundle runs in a host process like the Lambda runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (o: object) => http.Server;
  const server = dynalite({ createTableMs: 0 });
  let host: LambdaHost;
  const invoke = (event: unknown) => host.invoke(event);

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
    // On Node < 22 a new AWS SDK client warns on stderr that later SDK versions will need Node 22:
    // a notice about the Node running jest, not about this test. The SDK's own switch turns off that
    // notice alone, for this one client.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    const client = new DynamoDBClient({ endpoint, region: 'eu-west-1', credentials });
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    await client.send(new CreateTableCommand({
      TableName: 'guestbook', BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
    }));
    client.destroy();
    host = await startLambdaHost(webApp.lambdaBundle(), {
      TABLE_NAME: 'guestbook', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_DYNAMODB: endpoint,
    });
  });
  afterAll(async () => {
    host?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  const integrations = {
    'HTTP API v2': (method: string, path: string, query = '', body?: Buffer) => httpV2Event({ method, path, query, body, headers: body ? { 'content-type': 'application/json' } : {} }),
    'REST v1': (method: string, path: string, query = '', body?: Buffer) => restV1Event({
      method, path, body, headers: body ? { 'Content-Type': ['application/json'] } : {},
      query: query ? Object.fromEntries([...new URLSearchParams(query)].map(([k, v]) => [k, [v]])) : undefined,
    }),
    'Function URL': (method: string, path: string, query = '', body?: Buffer) => functionUrlEvent({ method, path, query, body, headers: body ? { 'content-type': 'application/json' } : {} }),
  };

  test.each(Object.keys(integrations))('%s', async (name) => {
    const event = integrations[name as keyof typeof integrations];
    const health = await invoke(event('GET', '/health'));
    expect([health.statusCode, JSON.parse(health.body)]).toEqual([200, { status: 'ok', store: 'dynamodb' }]);

    const page = await invoke(event('GET', '/'));
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Guestbook</h1>');
    expect(page.isBase64Encoded).toBe(false);

    const added = await invoke(event('POST', '/api/entries', '', Buffer.from(JSON.stringify({ name: name, message: `via ${name}` }))));
    expect(added.statusCode).toBe(201);
    expect(JSON.parse(added.body).entry).toMatchObject({ name, message: `via ${name}` });

    const list = await invoke(event('GET', '/api/entries', 'limit=1'));
    expect(JSON.parse(list.body).entries).toEqual([expect.objectContaining({ name, message: `via ${name}` })]);

    const bad = await invoke(event('POST', '/api/entries', '', Buffer.from('{"name":')));
    expect([bad.statusCode, JSON.parse(bad.body)]).toEqual([400, { error: 'the body is not valid JSON' }]);
    const missing = await invoke(event('GET', '/nope'));
    expect(missing.statusCode).toBe(404);
  });

  test('entries from every integration are in one table, newest first', async () => {
    const list = await invoke(integrations['HTTP API v2']('GET', '/api/entries', 'limit=10'));
    expect(JSON.parse(list.body).entries.map((e: { name: string }) => e.name)).toEqual(['Function URL', 'REST v1', 'HTTP API v2']);
  });
});

// ---- WebApp.fromEntry: arguments, bundling errors and the app contract at synth (issue 14) ----

describe('WebApp.fromEntry: arguments, bundling errors and the app contract at synth', () => {
  const echo = path.join(__dirname, 'fixtures', 'echo-app.ts');
  const ACCEPTED = /accepted: a module whose default export has fetch\(request\)/;
  let dir: string;
  /** An entry of its own in a temp folder (a fresh path, so neither bundle nor verdict is cached). */
  const app = (name: string, source: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, source);
    return file;
  };
  const thrown = (f: () => unknown): WebTiersValidationError => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(WebTiersValidationError);
      return e as WebTiersValidationError;
    }
    throw new Error('did not throw');
  };
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'web-app-contract-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  describe('arguments checked at the call, each naming the argument', () => {
    test.each<[string, () => unknown, string, RegExp]>([
      ['entry a number', () => WebApp.fromEntry(42 as any), 'entry', /^invalid entry: got 42; accepted: the path of a module whose default export has fetch\(request\)/],
      ['entry missing', () => WebApp.fromEntry(undefined as any), 'entry', /^invalid entry: is required; accepted: the path of a module/],
      ['options a string', () => WebApp.fromEntry(echo, 'pg-native' as any), 'options', /^invalid options: got 'pg-native'; accepted: an object of WebAppOptions/],
      ['options an array', () => WebApp.fromEntry(echo, ['pg-native'] as any), 'options', /^invalid options: got an array of 1; accepted: an object/],
      ['healthCheckPath a number', () => WebApp.fromEntry(echo, { healthCheckPath: 42 as any }), 'healthCheckPath', /^invalid healthCheckPath: got 42; accepted: an absolute URL path/],
      ['externalModules a string (not ten one-letter externals)', () => WebApp.fromEntry(echo, { externalModules: 'pg-native' as any }), 'externalModules',
        /^invalid externalModules: got 'pg-native'; accepted: an array of module names \(one module is an array of one: \['pg-native'\]\)/],
      ['externalModules with a hole', () => WebApp.fromEntry(echo, { externalModules: ['pg-native', , 'sqlite3'] as any }), 'externalModules[1]',
        /^invalid externalModules\[1\]: got undefined \(an empty place in the array\); accepted: a module name/],
      ['externalModules with null', () => WebApp.fromEntry(echo, { externalModules: [null] as any }), 'externalModules[0]', /^invalid externalModules\[0\]: got null/],
      ['externalModules with a number', () => WebApp.fromEntry(echo, { externalModules: [7] as any }), 'externalModules[0]', /^invalid externalModules\[0\]: got 7; accepted: a module name/],
      ['externalModules with two wildcards', () => WebApp.fromEntry(echo, { externalModules: ['@a/*/b/*'] }), 'externalModules[0]',
        /^invalid externalModules\[0\]: got '@a\/\*\/b\/\*'; accepted: a module name or a pattern with at most one '\*'/],
      ['define an array', () => WebApp.fromEntry(echo, { define: ['X'] as any }), 'define', /^invalid define: got an array of 1; accepted: an object of strings/],
      ['define value a number', () => WebApp.fromEntry(echo, { define: { X: 1 as any } }), 'define.X', /^invalid define\.X: got 1; accepted: a string holding a JavaScript expression/],
      ['define value a boolean', () => WebApp.fromEntry(echo, { define: { 'process.env.DEBUG': true as any } }), 'define.process.env.DEBUG', /^invalid define\.process\.env\.DEBUG: got true/],
    ])('%s', (_name, call, prop, message) => {
      const error = thrown(call);
      expect(error.prop).toBe(prop);
      expect(error.message).toMatch(message);
    });

    test('null options are left-out options (as jsii languages pass them)', () => {
      expect(WebApp.fromEntry(echo, null as any).healthCheckPath).toBe('/health');
    });

    test('the options are copied: changing the caller\'s array later changes nothing', () => {
      const externalModules = ['pg-native'];
      const a = WebApp.fromEntry(webApp.entry, { externalModules });
      externalModules.push('left-pad');
      expect(a.serverBundle()).toBe(webApp.serverBundle());
    });
  });

  describe('bundling errors name the option that caused them', () => {
    test('an invalid define value is reported against define.<key>, not entry', () => {
      const error = thrown(() => WebApp.fromEntry(echo, { define: { X: 'not valid js(' } }).lambdaBundle());
      expect(error.prop).toBe('define.X');
      expect(error.message).toMatch(/^invalid define\.X: got 'not valid js\(': esbuild rejects it \(Invalid define value .*\); accepted: keys an identifier or dotted name .* values a JavaScript expression/);
    });

    test('an invalid define key is reported against define.<key>', () => {
      const error = thrown(() => WebApp.fromEntry(echo, { define: { 'API-URL': '"x"' } }).serverBundle());
      expect(error.prop).toBe('define.API-URL');
      expect(error.message).toMatch(/^invalid define\.API-URL: got '"x"': esbuild rejects it/);
    });

    test('an external esbuild rejects is reported against externalModules', () => {
      // fromEntry turns this away first; the bundler itself still blames the right option.
      const error = thrown(() => buildBundle(echo, 'lambda', { externalModules: ['a*b*'] }));
      expect(error.prop).toBe('externalModules');
      expect(error.message).toMatch(/^invalid externalModules: esbuild rejects it \(External path "a\*b\*" cannot have more than one "\*" wildcard\)/);
    });

    test('an error in the app\'s source stays on entry, at file:line', () => {
      const entry = app('unresolved.ts', "import { missing } from './nowhere';\nexport default { fetch: missing };\n");
      const error = thrown(() => WebApp.fromEntry(entry, { define: { 'process.env.API_URL': '"https://api.example.com"' }, externalModules: ['pg-native'] }).serverBundle());
      expect(error.prop).toBe('entry');
      expect(error.message).toMatch(/^invalid entry: esbuild could not bundle '.*unresolved\.ts' for the server target: Could not resolve "\.\/nowhere" \(.*unresolved\.ts:1\)$/);
    });

    test('errors carry the path of the construct that asked for the bundle', () => {
      const stack = testStack();
      const bad = WebApp.fromEntry(echo, { define: { X: '{' } });
      expect(() => bad.lambdaBundle(new Construct(stack, 'Api'))).toThrow(/^Test\/Api: invalid define\.X: /);
      expect(() => bad.serverBundle(new Construct(stack, 'Web'))).toThrow(/^Test\/Web: invalid define\.X: /);
      expect(() => bad.serverBundle()).toThrow(/^invalid define\.X: /);
    });
  });

  describe('the app contract, checked when the first bundle is built', () => {
    test.each<[string, string, string, RegExp]>([
      ['a default export of 42', 'n42.ts', 'export default 42;\n', /has no fetch function \(got number\)/],
      ['a JSON module', 'data.json', '{ "fetch": "not a function" }\n', /has no fetch function \(got object: a JSON module's default export is its data\)/],
      ['an object without fetch', 'handle.ts', "export default { handle: () => 'hello' };\n", /has no fetch function \(got object\)/],
      ['a fetch that is not a function', 'fetch-string.ts', "export default { fetch: 'https://example.com' };\n", /has no fetch function \(got object\)/],
      ['no default export', 'named.ts', 'export function fetch() { return new Response(); }\n', /^invalid entry: '.*named\.ts' has no default export; /],
    ])('%s fails at synth naming entry and what is accepted', (_name, file, source, message) => {
      const entry = app(file, source);
      for (const bundle of [() => WebApp.fromEntry(entry).serverBundle(), () => WebApp.fromEntry(entry).lambdaBundle()]) {
        const error = thrown(bundle);
        expect(error.prop).toBe('entry');
        expect(error.message).toMatch(message);
        expect(error.message).toMatch(ACCEPTED);
      }
    });

    test('the contract error carries the construct path, for every construct that asks', () => {
      const stack = testStack();
      const bad = WebApp.fromEntry(app('scoped.ts', 'export default null;\n'));
      expect(() => bad.serverBundle(new Construct(stack, 'Web'))).toThrow(/^Test\/Web: invalid entry: the default export of '.*scoped\.ts' has no fetch function \(got null\)/);
      expect(() => bad.lambdaBundle(new Construct(stack, 'Api'))).toThrow(/^Test\/Api: invalid entry: /);
    });

    test('checked once per app: one child process for both targets and every WebApp of the same entry and options', () => {
      const entry = app('once.ts', 'export default { fetch: () => new Response("ok") };\n');
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const spawn = jest.spyOn(require('node:child_process') as typeof import('node:child_process'), 'spawnSync');
      try {
        WebApp.fromEntry(entry).serverBundle();
        WebApp.fromEntry(entry).lambdaBundle();
        WebApp.fromEntry(entry).serverBundle();
        const checks = spawn.mock.calls.filter(([, args]) => (args as string[] | undefined)?.[0] === '-e');
        expect(checks).toHaveLength(1);
      } finally {
        spawn.mockRestore();
      }
    });

    test('an app with side effects at import passes, and the check is conclusive', () => {
      // An SDK client and an optional native module (both stubs in the check), a socket being
      // opened, a timer, a SIGTERM handler, output: none of it holds the synth.
      const entry = app('side-effects.ts', [
        "import * as net from 'node:net';",
        "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';",
        "import native from 'pg-native';",
        "const client = new DynamoDBClient({ region: 'eu-west-1' });",
        'client.middlewareStack.add(() => () => undefined);',
        'native.connect(`postgres://${native.host}/db`);',
        "const socket = net.connect(5432, '10.255.255.1');",
        "socket.on('error', () => undefined);",
        'setInterval(() => undefined, 1000);',
        "process.on('SIGTERM', () => undefined);",
        "console.log('connecting at import');",

        "const ready = new Promise((resolve) => socket.once('connect', resolve));",
        'export default { async fetch() { await ready; return new Response(client ? "ok" : "no"); } };',
        '',
      ].join('\n'));
      const bundle = WebApp.fromEntry(entry, { externalModules: ['pg-native'] }).lambdaBundle();
      // Conclusive, so not cut by the timeout (which would be 'inconclusive').
      expect(checkAppContract(path.join(bundle.directory, bundle.file), ['pg-native', '@aws-sdk/*'], bundle.directory)).toEqual({ ok: true });
    });

    test('a process the app starts at import with its stdio does not keep the check waiting', () => {
      // The process writes a file when it ends, 1.5 s later; the verdict, on a pipe of its own, is
      // back before that: the check has not waited for the app's process to let go of stdout.
      const done = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-grandchild-')), 'done');
      const entry = app('starts-a-process.ts', [
        "import { spawn } from 'node:child_process';",
        `spawn(process.execPath, ['-e', 'setTimeout(() => require("fs").writeFileSync(${JSON.stringify(done)}, "x"), 1500)'], { stdio: 'inherit' });`,
        'export default { fetch: () => new Response("ok") };',
        '',
      ].join('\n'));
      const bundle = WebApp.fromEntry(entry).lambdaBundle();
      expect(checkAppContract(path.join(bundle.directory, bundle.file), ['@aws-sdk/*'], bundle.directory)).toEqual({ ok: true });
      expect(fs.existsSync(done)).toBe(false);
    });

    test('external modules do not hide a broken contract: they are stubs in the check', () => {
      const entry = app('sdk-42.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nexport const client = new DynamoDBClient({});\nexport default 42;\n");
      expect(thrown(() => WebApp.fromEntry(entry).lambdaBundle()).message).toMatch(/has no fetch function \(got number\)/);
    });

    test('an app that throws at import (no DATABASE_URL at synth) is not failed: inconclusive', () => {
      const entry = app('needs-env.ts', "if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is required');\nexport default 42;\n");
      const bundle = WebApp.fromEntry(entry).lambdaBundle();
      expect(checkAppContract(path.join(bundle.directory, bundle.file), ['@aws-sdk/*'], bundle.directory))
        .toEqual({ ok: 'inconclusive', reason: 'the app threw at load: DATABASE_URL is required' });
    });

    test('the check sees none of the deployer\'s environment', () => {
      process.env.WEB_TIERS_CONTRACT_PROBE = 'set';
      try {
        const entry = app('env.ts', 'export default process.env.WEB_TIERS_CONTRACT_PROBE ? 42 : { fetch: () => new Response() };\n');
        expect(() => WebApp.fromEntry(entry).lambdaBundle()).not.toThrow();
      } finally {
        delete process.env.WEB_TIERS_CONTRACT_PROBE;
      }
    });

    test('an app that blocks at import does not hang the synth: cut at the timeout, no error', () => {
      const entry = app('blocks.ts', 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 60_000);\nexport default 42;\n');
      const started = Date.now();
      expect(() => WebApp.fromEntry(entry).serverBundle()).not.toThrow();
      expect(Date.now() - started).toBeLessThan(CONTRACT_CHECK_TIMEOUT_MS + 5_000);
    });

    test('an app that ends the process at import is not failed', () => {
      const entry = app('exits.ts', 'process.exit(3);\nexport default 42;\n');
      expect(() => WebApp.fromEntry(entry).lambdaBundle()).not.toThrow();
    });

    test('code only the lambda target has does not fail the server tiers\' synth', () => {
      const entry = app('lambda-only.ts', [
        "if (process.env.WEB_TIERS_TARGET === 'lambda') require('./lambda-only-helper');",
        'export default { fetch: () => new Response("ok") };',
        '',
      ].join('\n'));
      expect(() => WebApp.fromEntry(entry).serverBundle()).not.toThrow();
      expect(thrown(() => WebApp.fromEntry(entry).lambdaBundle()).message).toMatch(/^invalid entry: esbuild could not bundle .* for the lambda target: Could not resolve "\.\/lambda-only-helper"/);
    });
  });
});
