// `cdk-web-tiers dev`: a consumer's own app served on localhost from the bundle a tier deploys,
// rebuilt and restarted on change, through the server adapter or the lambda adapter behind a
// stand-in for API Gateway. The apps are real files in a temporary package; the lambda target
// runs on the Node major Lambda runs.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDevArgs, startDev, type DevServer } from '../lib/dev';
import { httpApiEvent, restApiEvent, toHttpResponse } from '../lib/dev/lambda-host';
import { lambdaNode } from './lambda-node';

const ROOT = path.join(__dirname, '..');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

function request(url: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** An app package of its own, as a consumer has: package.json and a TypeScript entry. */
function appPackage(source: string): { dir: string; entry: string; write(next: string): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cdk-web-tiers-dev-app-'));
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "name": "my-app", "private": true }\n');
  fs.mkdirSync(path.join(dir, 'src'));
  const entry = path.join(dir, 'src', 'app.ts');
  fs.writeFileSync(entry, source);
  return { dir, entry, write: (next) => fs.writeFileSync(entry, next) };
}

const app = (version: string) => `
const greeting: string = '${version}';
export default {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === '/slow') await new Promise((r) => setTimeout(r, 1500));
    if (url.pathname === '/throw') throw new Error('boom');
    if (url.pathname === '/big') return new Response('x'.repeat(7 * 1024 * 1024));
    if (url.pathname === '/cookies') {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('set-cookie', 'a=1');
      headers.append('set-cookie', 'b=2');
      return new Response('two cookies', { headers });
    }
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : new Uint8Array();
    return Response.json({
      greeting, path: url.pathname, proto: url.protocol, target: process.env.WEB_TIERS_TARGET,
      node: process.versions.node.split('.')[0], agent: request.headers.get('user-agent'), pid: process.pid,
      bodyBytes: Array.from(body.slice(0, 4)), bodyLength: body.length,
    });
  },
};
`;

function waitForRestart(dev: DevServer): Promise<number> {
  return new Promise((resolve) => dev.onRestart(resolve));
}

describe('arguments', () => {
  test('PORT and HOST are honoured; flags win over them', () => {
    expect(parseDevArgs(['src/app.ts'], { PORT: '4100', HOST: '0.0.0.0' })).toMatchObject({ entry: 'src/app.ts', target: 'server', port: 4100, host: '0.0.0.0' });
    expect(parseDevArgs(['src/app.ts', '--port', '4200', '--host=::1'], { PORT: '4100', HOST: '0.0.0.0' })).toMatchObject({ port: 4200, host: '::1' });
    expect(parseDevArgs(['src/app.ts'], {})).toMatchObject({ port: 3000, host: '127.0.0.1' });
    expect(parseDevArgs(['--target', 'lambda', '--event', 'rest', '--timeout', '3', 'a.ts'], {})).toMatchObject({ entry: 'a.ts', target: 'lambda', event: 'rest', timeoutSeconds: 3 });
    expect(parseDevArgs(['--external', 'pg-native, sharp'], {}, 'webapp/src/app.ts')).toMatchObject({ entry: 'webapp/src/app.ts', externalModules: ['pg-native', 'sharp'] });
    expect(parseDevArgs(['a.ts', '--define', 'GREETING="hi, there"', '--define=DEBUG=false'], {}).define).toEqual({ GREETING: '"hi, there"', DEBUG: 'false' });
  });

  test.each([
    [['a.ts', '--target', 'edge'], /--target must be server \(tiers 1–4\) or lambda \(tiers 5–6\), got 'edge'/],
    [['a.ts', '--port', '70000'], /must be a whole number 1–65535, got '70000'/],
    [['a.ts', '--event', 'rest'], /--event applies to --target lambda only/],
    [['a.ts', '--target', 'lambda', '--timeout', '1.5'], /--timeout must be whole seconds 1–900/],
    [['a.ts', '--watch'], /unknown option --watch; known: --target, --event/],
    [[], /expected one entry module, got none/],
    [['a.ts', 'b.ts'], /expected one entry module, got a.ts b.ts/],
    [['a.ts', '--port'], /--port needs a value/],
    [['a.ts', '--define', 'GREETING'], /--define takes NAME=VALUE/],
    [['a.ts', '--host', ' '], /--host must name an address/],
  ])('%j is refused', (argv, message) => {
    expect(() => parseDevArgs(argv as string[], {})).toThrow(message);
  });
});

describe('the API Gateway stand-in', () => {
  const req = {
    method: 'POST', url: '/a%20b/c?x=1&x=2&y=%C3%A9', sourceIp: '127.0.0.1', body: Buffer.from([0, 1, 2, 255]),
    headers: { host: ['localhost:3000'], 'x-multi': ['one', 'two'], cookie: ['a=1; b=2'], 'content-type': ['application/octet-stream'] },
  };

  test('an HTTP API (2.0) event: repeated headers joined with a comma, cookies apart, binary bodies base64', () => {
    const event = httpApiEvent(req, new Date(Date.UTC(2026, 11, 1, 8, 30, 0))) as Record<string, any>;
    expect(event).toMatchObject({
      version: '2.0', rawPath: '/a%20b/c', rawQueryString: 'x=1&x=2&y=%C3%A9', cookies: ['a=1', 'b=2'],
      queryStringParameters: { x: '1,2', y: 'é' }, body: 'AAEC/w==', isBase64Encoded: true,
      requestContext: { http: { method: 'POST', path: '/a b/c', sourceIp: '127.0.0.1' }, stage: '$default', time: '01/Dec/2026:08:30:00 +0000' },
    });
    expect(event.headers).toMatchObject({ 'x-multi': 'one,two', 'x-forwarded-proto': 'http', 'x-forwarded-for': '127.0.0.1' });
    expect(event.headers.cookie).toBeUndefined();
    const text = httpApiEvent({ ...req, body: Buffer.from('{"a":1}'), headers: { 'content-type': ['application/json'] } }) as Record<string, unknown>;
    expect(text).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
  });

  test('a REST (v1) event through the live stage: every body base64, multi-value maps, the last value in the single maps', () => {
    expect(restApiEvent({ ...req, rawHeaders: ['Host', 'localhost:3000', 'X-Multi', 'one', 'x-multi', 'two', 'X-Forwarded-For', '203.0.113.7'] })).toMatchObject({
      headers: { Host: 'localhost:3000', 'X-Multi': 'two', 'X-Forwarded-For': '203.0.113.7, 127.0.0.1', 'X-Forwarded-Proto': 'http' },
    });
    expect(restApiEvent({ ...req, url: '/' })).toMatchObject({ resource: '/', pathParameters: null });
    expect(restApiEvent(req)).toMatchObject({
      resource: '/{proxy+}', path: '/a b/c', httpMethod: 'POST', pathParameters: { proxy: 'a b/c' },
      headers: { 'x-multi': 'two' }, multiValueHeaders: { 'x-multi': ['one', 'two'] },
      queryStringParameters: { x: '2', y: 'é' }, multiValueQueryStringParameters: { x: ['1', '2'], y: ['é'] },
      requestContext: { stage: 'live', path: '/live/a b/c' }, body: 'AAEC/w==', isBase64Encoded: true,
    });
  });

  test('results become HTTP: cookies and multi-value headers each a header of their own, base64 bodies decoded', () => {
    expect(toHttpResponse({ statusCode: 201, headers: { 'content-type': 'text/plain', 'x-a': '1' }, multiValueHeaders: { 'x-a': ['1', '2'] }, cookies: ['a=1', 'b=2'], body: 'AAE=', isBase64Encoded: true }))
      .toEqual({ status: 201, headers: [['content-type', 'text/plain'], ['x-a', '1'], ['x-a', '2'], ['set-cookie', 'a=1'], ['set-cookie', 'b=2']], body: Buffer.from([0, 1]) });
  });
});

describe.each([
  ['server', process.execPath],
  ['lambda', lambdaNode()],
] as const)('a consumer app on the %s target', (target, node) => {
  const pkg = appPackage(app('v1'));
  let dev: DevServer;
  let output = '';
  const messages: string[] = [];

  beforeAll(async () => {
    dev = await startDev({
      entry: pkg.entry, target, port: await freePort(), node, timeoutSeconds: target === 'lambda' ? 1 : undefined,
      log: (line) => messages.push(line), onOutput: (chunk) => { output += chunk; },
    });
    await dev.ready;
  });
  afterAll(async () => {
    await dev?.close();
    fs.rmSync(pkg.dir, { recursive: true, force: true });
  });

  test('serves the app from the bundle the tiers deploy, and says where', async () => {
    const res = await request(`${dev.url}/hello`, { headers: { 'user-agent': 'curl/8' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toMatchObject({ greeting: 'v1', path: '/hello', proto: 'http:', target, agent: 'curl/8', node: node === process.execPath ? process.versions.node.split('.')[0] : '24' });
    expect(messages[0]).toContain(`${target} target`);
    expect(messages[0]).toContain(dev.url);
    // The bundle sits under the app's own node_modules, where external modules resolve as on AWS.
    const runs = path.join(pkg.dir, 'node_modules', '.cache', 'cdk-web-tiers', 'dev');
    expect(fs.readdirSync(runs).filter((d) => fs.existsSync(path.join(runs, d, target === 'server' ? 'server.js' : 'index.js')))).toEqual([`${target}-${process.pid}`]);
  });

  test('binary request bodies and two cookies arrive as they would on AWS', async () => {
    const res = await request(`${dev.url}/upload`, { method: 'POST', body: Buffer.from([0, 1, 2, 255]), headers: { 'content-type': 'application/octet-stream' } });
    expect(JSON.parse(res.body.toString())).toMatchObject({ bodyBytes: [0, 1, 2, 255], bodyLength: 4 });
    const cookies = await request(`${dev.url}/cookies`);
    expect(cookies.headers['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  test('a change rebuilds and restarts; a broken change keeps the last good build serving', async () => {
    const restarted = waitForRestart(dev);
    pkg.write(app('v2'));
    await restarted;
    expect(JSON.parse((await request(`${dev.url}/`)).body.toString()).greeting).toBe('v2');

    const before = messages.length;
    pkg.write('export default { fetch( };');
    const deadline = Date.now() + 10_000;
    while (!messages.slice(before).some((m) => m.includes('the build failed')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(messages.slice(before).join('\n')).toMatch(/src\/app\.ts:1:.*\n[\s\S]*the build failed; the previous build keeps serving/);
    expect(JSON.parse((await request(`${dev.url}/`)).body.toString()).greeting).toBe('v2');

    const fixed = waitForRestart(dev);
    pkg.write(app('v3'));
    await fixed;
    expect(JSON.parse((await request(`${dev.url}/`)).body.toString()).greeting).toBe('v3');
  });

  if (target === 'lambda') {
    test('a timed-out invocation gets API Gateway\'s 500, and the next request a new execution environment', async () => {
      const res = await request(`${dev.url}/slow`);
      expect([res.status, res.body.toString()]).toEqual([500, '{"message":"Internal Server Error"}']);
      expect(output).toContain('the function timed out after 1000 ms: API Gateway answers 500, and Lambda starts a new execution environment');
      const deadline = Date.now() + 10_000;
      while (!messages.some((m) => m.includes('starting it again')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      let next: Reply | undefined;
      while (!next && Date.now() < deadline) next = await request(`${dev.url}/`).catch(() => undefined);
      expect(next?.status).toBe(200);
    });

    test('an app that throws gets the adapter\'s 500 (the invocation succeeds); a result over the 6 MB quota fails it: API Gateway\'s 500', async () => {
      expect((await request(`${dev.url}/throw`)).status).toBe(500);
      expect(output).toMatch(/"the app threw: answered 500","error":"Error: boom/);
      expect((await request(`${dev.url}/big`)).status).toBe(500);
      expect(output).toContain('response over Lambda\'s 6 MB invocation payload quota');
    });

    test('an event over Lambda\'s 6 MB quota is refused, counted after base64 (a 5 MB binary body is 6.7 MB of event)', async () => {
      const res = await request(`${dev.url}/upload`, { method: 'POST', body: Buffer.alloc(5 * 1024 * 1024), headers: { 'content-type': 'application/octet-stream' } });
      expect(res.status).toBe(413);
      const text = await request(`${dev.url}/upload`, { method: 'POST', body: Buffer.alloc(4 * 1024 * 1024, 'a'), headers: { 'content-type': 'text/plain' } });
      expect(text.status).toBe(200);
    });
  } else {
    test('the server target has no function timeout', async () => {
      expect((await request(`${dev.url}/slow`)).status).toBe(200);
    });

    test('an app that served and then died is started again, as systemd does on the instance', async () => {
      const before = messages.length;
      // The app's own process: the one answering on the port.
      const res = await request(`${dev.url}/`);
      expect(res.status).toBe(200);
      process.kill(Number(JSON.parse(res.body.toString()).pid), 'SIGKILL');
      const deadline = Date.now() + 10_000;
      while (!messages.slice(before).some((m) => m.includes('starting it again')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      let next: Reply | undefined;
      while (!next && Date.now() < deadline) next = await request(`${dev.url}/`).catch(() => undefined);
      expect(next?.status).toBe(200);
    });
  }
});

test('a port another process holds is reported, not taken for the app', async () => {
  const pkg = appPackage(app('busy'));
  const squatter = net.createServer((socket) => socket.end('HTTP/1.1 418 I am a teapot\r\n\r\n'));
  const port = await new Promise<number>((resolve) => squatter.listen(0, '127.0.0.1', () => resolve((squatter.address() as net.AddressInfo).port)));
  const messages: string[] = [];
  const dev = await startDev({ entry: pkg.entry, port, log: (line) => messages.push(line), onOutput: () => undefined });
  try {
    const deadline = Date.now() + 10_000;
    while (!messages.some((m) => m.includes('is in use')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(messages).toEqual([`cdk-web-tiers dev: http://127.0.0.1:${port} is in use by another process; stop it or choose another --port (the app starts on the next change)`]);
  } finally {
    await dev.close();
    await new Promise((resolve) => squatter.close(resolve));
    fs.rmSync(pkg.dir, { recursive: true, force: true });
  }
});

/** True once nothing listens on the port any more. */
async function portFreed(port: number, host = '127.0.0.1', ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = net.createServer().once('error', () => resolve(false)).listen(port, host, () => probe.close(() => resolve(true)));
    });
    if (free) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('the command line', () => {
  const start = async (signalTest: (child: ReturnType<typeof spawn>, port: number) => Promise<void>) => {
    const pkg = appPackage(app('cli'));
    const port = await freePort();
    // Its own process group, so a failing test can end everything it started.
    // tsx as a loader, in the command's own process (its CLI would put a process in between).
    const tsx = pathToFileURL(path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
    const child = spawn(process.execPath, ['--import', tsx, path.join(ROOT, 'bin', 'cli.ts'), 'dev', 'src/app.ts'], {
      cwd: pkg.dir, env: { ...process.env, PORT: String(port), HOST: '0.0.0.0' }, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => { out += c; });
    child.stderr!.on('data', (c: Buffer) => { out += c; });
    try {
      const deadline = Date.now() + 30_000;
      while (!out.includes('rebuilds on change') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(out).toContain(`server target on http://0.0.0.0:${port}`);
      expect(JSON.parse((await request(`http://127.0.0.1:${port}/x`)).body.toString())).toMatchObject({ greeting: 'cli', path: '/x' });
      await signalTest(child, port);
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch { /* already gone */ }
      fs.rmSync(pkg.dir, { recursive: true, force: true });
    }
  };

  test('`cdk-web-tiers dev <entry>` honours PORT and HOST; Ctrl+C stops it and its app', () => start(async (child, port) => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await portFreed(port)).toBe(true);
  }));

  test('killed outright, it leaves no app behind: the app ends with it', () => start(async (child, port) => {
    // SIGKILL to the command alone (not its group): nothing of it runs to stop the app.
    child.kill('SIGKILL');
    expect(await portFreed(port)).toBe(true);
  }));
});
