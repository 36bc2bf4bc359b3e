/**
 * Differential test of the light fetch classes against the platform's own, run in a fresh
 * process on the Node major Lambda runs (bundled by test/parity.test.ts, executed by that Node).
 *
 * The same scenario — a construction, then a sequence of operations — runs once on Node's
 * `Headers`/`Request`/`Response` and once on the light classes; every observable result (values,
 * header lists, body bytes, `bodyUsed`, and the class of any error thrown) is recorded, and the
 * two traces must be identical. Scenarios come from fast-check with a fixed seed, plus
 * hand-written cases. Prints `{ operations, scenarios, differences: [...] }` as JSON;
 * `DUMP=file` also writes every scenario's native trace there, to read what is compared.
 */
import fc from 'fast-check';
import { LightHeaders, LightRequest, LightResponse, createLightRequest, lightFetch } from '../../constructs/runtime/light-fetch';

type Trace = unknown[];
interface Impl {
  name: 'native' | 'light';
  Headers: any;
  Response: any;
  Request: any;
  /** A request as an adapter makes it. */
  request(url: string, method: string, headers: Array<[string, string]>, body: Uint8Array | null): any;
}

const N = globalThis as any;
const native: Impl = {
  name: 'native', Headers: N.Headers, Response: N.Response, Request: N.Request,
  request: (url, method, headers, body) => new N.Request(url, { method, headers, body: method === 'GET' || method === 'HEAD' || !body?.length ? null : body }),
};
const light: Impl = {
  name: 'light', Headers: LightHeaders, Response: LightResponse, Request: LightRequest,
  request: (url, method, headers, body) => createLightRequest(url, method, new LightHeaders(headers), body),
};

let operations = 0;

/** What an operation gave, in comparable form: values as data, errors by class. */
async function observe(run: () => unknown): Promise<unknown> {
  operations++;
  try {
    return await describe(await run());
  } catch (err) {
    return { throws: (err as Error)?.constructor?.name ?? typeof err };
  }
}

async function describe(value: unknown): Promise<unknown> {
  if (value === undefined) return { undefined: true };
  if (value === null || typeof value !== 'object') return typeof value === 'number' && Number.isNaN(value) ? { NaN: true } : value;
  if (value instanceof ArrayBuffer) return { arrayBuffer: [...new Uint8Array(value)] };
  if (value instanceof Uint8Array) return { uint8Array: [...value], tag: Object.prototype.toString.call(value) };
  if (Object.prototype.toString.call(value) === '[object Blob]') {
    const blob = value as Blob;
    return { blob: { type: blob.type, size: blob.size, bytes: [...new Uint8Array(await blob.arrayBuffer())] } };
  }
  if (Object.prototype.toString.call(value) === '[object FormData]') return { formData: [...(value as any).entries()].map(([k, v]: [string, unknown]) => [k, typeof v === 'string' ? v : Object.prototype.toString.call(v)]) };
  if (Array.isArray(value)) return Promise.all(value.map(describe));
  const tag = Object.prototype.toString.call(value);
  if (tag === '[object Headers]') return { headers: [...(value as any)] };
  if (tag === '[object Response]' || tag === '[object Request]') return { object: tag };
  return JSON.parse(JSON.stringify(value));
}

// ---------------------------------------------------------------------------------------------
// Generators.

const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&\'*+-.^_`|~');
const validName = fc.oneof(
  fc.constantFrom('content-type', 'Content-Type', 'set-cookie', 'Set-Cookie', 'cookie', 'x-a', 'X-A', 'accept', 'location'),
  fc.string({ unit: tokenChar, minLength: 1, maxLength: 8 }),
);
const oddChar = fc.constantFrom(' ', '\t', '\n', '\r', '\v', '\f', '\u00a0', '\0', ':', '"', 'é', 'ÿ', '炎', '\ud800', '\u00ff', '\u0100', '(', '@', '\u2028');
const anyName = fc.oneof({ weight: 4, arbitrary: validName }, { weight: 1, arbitrary: fc.string({ unit: fc.oneof(tokenChar, oddChar), maxLength: 6 }) });
const valueChar = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...'abc XYZ=;,/012') }, { weight: 2, arbitrary: oddChar });
const anyValue = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: valueChar, maxLength: 10 }) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(1, true, null, undefined, { toString: () => 'obj' }, ['a', 'b']) },
);

type HeaderOp =
  | ['append' | 'set', unknown, unknown]
  | ['delete' | 'get' | 'has', unknown]
  | ['getSetCookie' | 'entries' | 'keys' | 'values' | 'forEach' | 'iterateAndSet']
  | ['arity', 'append' | 'set' | 'get' | 'has' | 'delete'];

const headerOp: fc.Arbitrary<HeaderOp> = fc.oneof(
  fc.tuple(fc.constantFrom('append' as const, 'set' as const), anyName, anyValue),
  fc.tuple(fc.constantFrom('delete' as const, 'get' as const, 'has' as const), anyName),
  fc.tuple(fc.constantFrom('getSetCookie' as const, 'entries' as const, 'keys' as const, 'values' as const, 'forEach' as const, 'iterateAndSet' as const)),
  fc.tuple(fc.constant('arity' as const), fc.constantFrom('append' as const, 'set' as const, 'get' as const, 'has' as const, 'delete' as const)),
) as fc.Arbitrary<HeaderOp>;

const pairs = fc.array(fc.tuple(anyName, anyValue), { maxLength: 5 });
/** Every form a HeadersInit takes, and some it must reject. */
const headersInit = fc.oneof(
  pairs.map((p) => ({ kind: 'record', p })),
  pairs.map((p) => ({ kind: 'pairs', p })),
  pairs.map((p) => ({ kind: 'headers', p })),
  pairs.map((p) => ({ kind: 'map', p })),
  fc.constantFrom<unknown>({ kind: 'literal', v: undefined }, { kind: 'literal', v: null }, { kind: 'literal', v: 'a:b' }, { kind: 'literal', v: 5 },
    { kind: 'literal', v: [['a']] }, { kind: 'literal', v: [['a', 'b', 'c']] }, { kind: 'literal', v: ['ab'] }, { kind: 'literal', v: [[1, 2]] }),
);

function makeInit(impl: Impl, spec: any): unknown {
  const entries = (spec.p ?? []).filter(([n, v]: [unknown, unknown]) => typeof n === 'string' && typeof v !== 'object' || v === null);
  switch (spec.kind) {
    case 'record': return Object.fromEntries(spec.p);
    case 'pairs': return spec.p;
    case 'map': return new Map(spec.p);
    case 'headers': {
      const h = new impl.Headers();
      for (const [n, v] of entries) try { h.append(n, v); } catch { /* the invalid ones are left out */ }
      return h;
    }
    default: return spec.v;
  }
}

async function runHeaderOps(h: any, ops: HeaderOp[], trace: Trace): Promise<void> {
  for (const op of ops) {
    switch (op[0]) {
      case 'append': case 'set': trace.push(await observe(() => h[op[0]](op[1], op[2]))); break;
      case 'delete': case 'get': case 'has': trace.push(await observe(() => h[op[0]](op[1]))); break;
      case 'getSetCookie': trace.push(await observe(() => h.getSetCookie())); break;
      case 'entries': case 'keys': case 'values': trace.push(await observe(() => [...h[op[0]]()])); break;
      case 'forEach': trace.push(await observe(() => { const seen: unknown[] = []; h.forEach((v: string, k: string, o: unknown) => seen.push([k, v, o === h])); return seen; })); break;
      case 'iterateAndSet': trace.push(await observe(() => {
        const seen: string[] = [];
        let i = 0;
        for (const [k] of h) { seen.push(k); if (i++ === 0) { h.set('zz-added', '1'); h.append('aa-added', '1'); } if (i > 20) break; }
        h.delete('zz-added'); h.delete('aa-added');
        return seen;
      })); break;
      case 'arity': trace.push(await observe(() => h[op[1]]())); break;
    }
  }
  trace.push(await observe(() => [...h]));
}

// Bodies, in every form BodyInit takes.
const bodyString = fc.string({ unit: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...'ab {}"1é=&') }, { weight: 1, arbitrary: fc.constantFrom('\ufeff', '\ud800', '\udc00', '炎', '\0') }), maxLength: 12 });
const bodySpec = fc.oneof(
  fc.constantFrom<unknown>({ kind: 'undefined' }, { kind: 'null' }, { kind: 'number' }, { kind: 'stream' }, { kind: 'blob' }, { kind: 'object' }),
  bodyString.map((s) => ({ kind: 'string', s })),
  fc.constantFrom('{"a":1}', '[1,2]', '"x"', 'a=1&b=%20c', '\ufeff{"bom":true}').map((s) => ({ kind: 'string', s })),
  fc.uint8Array({ maxLength: 12 }).map((b) => ({ kind: fc.sample(fc.constantFrom('uint8', 'arraybuffer', 'dataview', 'int16', 'buffer'), 1)[0], b: [...b] })),
  fc.constant({ kind: 'bom-bytes', b: [0xef, 0xbb, 0xbf, 0x68, 0x69] }),
  fc.constant({ kind: 'bad-utf8', b: [0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82] }),
  fc.constant({ kind: 'params', s: 'a=1&b=two words' }),
);

function makeBody(spec: any): { body: unknown; mutate?: () => void } {
  switch (spec.kind) {
    case 'undefined': return { body: undefined };
    case 'null': return { body: null };
    case 'number': return { body: 42 };
    case 'object': return { body: { toString: () => 'from object' } };
    case 'string': return { body: spec.s };
    case 'params': return { body: new URLSearchParams(spec.s) };
    case 'stream': return { body: new N.ReadableStream({ start(c: any) { c.enqueue(new Uint8Array([104, 105])); c.close(); } }) };
    case 'blob': return { body: new N.Blob(['blob body'], { type: 'text/x-blob' }) };
    case 'int16': {
      const buf = new Uint8Array(spec.b.length - (spec.b.length % 2)).map((_, i) => spec.b[i]);
      const view = new Int16Array(buf.buffer);
      return { body: view, mutate: () => view.fill(7) };
    }
    case 'arraybuffer': {
      const buf = new Uint8Array(spec.b);
      return { body: buf.buffer, mutate: () => buf.fill(7) };
    }
    case 'dataview': {
      const buf = new Uint8Array([9, ...spec.b, 9]);
      return { body: new DataView(buf.buffer, 1, spec.b.length), mutate: () => buf.fill(7) };
    }
    default: {
      const buf = spec.kind === 'buffer' ? Buffer.from(spec.b) : new Uint8Array(spec.b);
      return { body: buf, mutate: () => buf.fill(7) };
    }
  }
}

const statusSpec = fc.constantFrom<unknown>(undefined, 200, 201, 204, 299, 304, 404, 599, 600, 199, 0, -1, '201', '2e2', 200.7, 65736, NaN, Infinity, null, 'abc', 101);
const statusTextSpec = fc.constantFrom<unknown>(undefined, '', 'OK', 'Not Found', 'a\nb', 'é', '炎', ' tab\t', 123);
const responseInit = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom<unknown>({ kind: 'undefined' }, { kind: 'null' }, { kind: 'string' }) },
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('init'), status: statusSpec, statusText: statusTextSpec, headers: fc.option(headersInit, { nil: undefined }) }) },
);

function makeResponseInit(impl: Impl, spec: any): unknown {
  if (spec.kind === 'undefined') return undefined;
  if (spec.kind === 'null') return null;
  if (spec.kind === 'string') return 'x';
  const init: Record<string, unknown> = {};
  if (spec.status !== undefined) init.status = spec.status;
  if (spec.statusText !== undefined) init.statusText = spec.statusText;
  if (spec.headers !== undefined) init.headers = makeInit(impl, spec.headers);
  return init;
}

type BodyOp = 'text' | 'json' | 'arrayBuffer' | 'bytes' | 'blob' | 'formData' | 'clone-text' | 'bodyUsed' | 'body' | 'body-read' | 'headers-set';
const bodyOps = fc.array(fc.constantFrom<BodyOp>('text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData', 'clone-text', 'bodyUsed', 'body', 'body-read', 'headers-set'), { minLength: 1, maxLength: 4 });

async function runBodyOps(target: any, ops: BodyOp[], trace: Trace): Promise<void> {
  for (const op of ops) {
    switch (op) {
      case 'clone-text': trace.push(await observe(async () => { const c = target.clone(); return [Object.prototype.toString.call(c), await c.text(), c.bodyUsed, [...c.headers]]; })); break;
      case 'bodyUsed': trace.push(await observe(() => target.bodyUsed)); break;
      case 'body': trace.push(await observe(() => [target.body === null, target.body === target.body])); break;
      case 'body-read': trace.push(await observe(async () => {
        const body = target.body;
        if (!body) return null;
        const chunks: number[] = [];
        for await (const chunk of body) chunks.push(...chunk);
        return chunks;
      })); break;
      case 'headers-set': trace.push(await observe(() => target.headers.set('x-late', 'late'))); break;
      default: trace.push(await observe(() => target[op]()));
    }
    trace.push(await observe(() => target.bodyUsed));
  }
}

const responseShape = (r: any) => [r.status, r.statusText, r.ok, r.type, r.url, r.redirected, [...r.headers], r.bodyUsed, r.body === null, Object.prototype.toString.call(r)];

// ---------------------------------------------------------------------------------------------
// Scenarios.

interface Scenario { name: string; run(impl: Impl): Promise<Trace> }
const scenarios: Scenario[] = [];

for (const [i, spec] of fc.sample(fc.tuple(headersInit, fc.array(headerOp, { maxLength: 10 })), { numRuns: 150, seed: 1001 }).entries()) {
  scenarios.push({
    name: `headers #${i}: ${JSON.stringify(spec)}`,
    async run(impl) {
      const trace: Trace = [];
      let h: any;
      trace.push(await observe(() => { h = new impl.Headers(makeInit(impl, spec[0])); return [...h]; }));
      if (h) await runHeaderOps(h, spec[1], trace);
      return trace;
    },
  });
}

for (const [i, spec] of fc.sample(fc.tuple(bodySpec, responseInit, bodyOps, fc.boolean()), { numRuns: 200, seed: 2002 }).entries()) {
  scenarios.push({
    name: `response #${i}: ${JSON.stringify(spec)}`,
    async run(impl) {
      const trace: Trace = [];
      const { body, mutate } = makeBody(spec[0]);
      const init = makeResponseInit(impl, spec[1]);
      let r: any;
      trace.push(await observe(() => { r = new impl.Response(body, init); return responseShape(r); }));
      if (!r) return trace;
      // Bodies and init headers are copied at construction.
      if (spec[3]) {
        mutate?.();
        if (init && typeof init === 'object' && (init as any).headers && typeof (init as any).headers.set === 'function') (init as any).headers.set('x-after', '1');
      }
      await runBodyOps(r, spec[2], trace);
      return trace;
    },
  });
}

const jsonData = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom<unknown>(undefined, () => 1, Symbol.iterator, { toJSON: () => 'custom' }, new Date(0), 'a\ud800b'));
for (const [i, spec] of fc.sample(fc.tuple(jsonData, responseInit, bodyOps), { numRuns: 80, seed: 3003 }).entries()) {
  scenarios.push({
    name: `Response.json #${i}: ${String(JSON.stringify(spec))}`,
    async run(impl) {
      const trace: Trace = [];
      let r: any;
      trace.push(await observe(() => { r = impl.Response.json(spec[0], makeResponseInit(impl, spec[1])); return responseShape(r); }));
      if (r) await runBodyOps(r, spec[2], trace);
      return trace;
    },
  });
}

const redirectUrl = fc.constantFrom<unknown>('https://example.com/a b', 'https://EXAMPLE.com:443/x/../y?q=é', '/relative', 'not a url', 'http://[::1]:8080/', new URL('https://u.example/p'), 42);
const redirectStatus = fc.constantFrom<unknown>(undefined, 301, 302, 303, 307, 308, 200, 300, '301', 301.9, 65837);
for (const [i, spec] of fc.sample(fc.tuple(redirectUrl, redirectStatus), { numRuns: 40, seed: 4004 }).entries()) {
  scenarios.push({
    name: `Response.redirect #${i}: ${String(spec[0])} ${String(spec[1])}`,
    async run(impl) {
      const trace: Trace = [];
      let r: any;
      trace.push(await observe(() => { r = spec[1] === undefined ? impl.Response.redirect(spec[0]) : impl.Response.redirect(spec[0], spec[1]); return responseShape(r); }));
      if (r) {
        trace.push(await observe(() => r.headers.set('x', 'y')));
        trace.push(await observe(() => r.headers.append('x', 'y')));
        trace.push(await observe(() => r.headers.delete('location')));
        trace.push(await observe(async () => [await r.text(), r.bodyUsed]));
        trace.push(await observe(() => [...r.clone().headers]));
      }
      return trace;
    },
  });
}

// Requests as the adapters make them, read every way an app reads them.
const requestSpec = fc.record({
  method: fc.constantFrom('GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'),
  url: fc.constantFrom('https://example.com/', 'https://example.com/a%20b?x=1&y=%C3%A9', 'http://localhost:8080/p'),
  headers: fc.array(fc.tuple(validName, fc.string({ unit: fc.constantFrom(...'abc =;/1é\u00ff'), maxLength: 8 })), { maxLength: 4 }),
  contentType: fc.constantFrom(undefined, 'application/json', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=B'),
  body: fc.oneof(fc.constant(null), fc.constantFrom('{"a":[1,2]}', 'a=1&b=%20two', '--B\r\nContent-Disposition: form-data; name="f"\r\n\r\nv\r\n--B--\r\n', '\ufeffbom', 'x').map((s) => [...Buffer.from(s)]), fc.uint8Array({ maxLength: 8 }).map((b) => [...b])),
  ops: fc.array(fc.constantFrom<BodyOp | 'props' | 'new-request' | 'new-request-init' | 'signal' | 'instanceof'>('text', 'json', 'arrayBuffer', 'bytes', 'blob', 'formData', 'clone-text', 'bodyUsed', 'body', 'body-read', 'headers-set', 'props', 'new-request', 'new-request-init', 'signal', 'instanceof'), { minLength: 1, maxLength: 5 }),
});
const requestProps = (r: any) => ['method', 'url', 'destination', 'referrer', 'referrerPolicy', 'mode', 'credentials', 'cache', 'redirect', 'integrity', 'keepalive', 'isReloadNavigation', 'isHistoryNavigation', 'duplex'].map((k) => r[k]);
for (const [i, spec] of fc.sample(requestSpec, { numRuns: 150, seed: 5005 }).entries()) {
  scenarios.push({
    name: `request #${i}: ${JSON.stringify(spec)}`,
    async run(impl) {
      const trace: Trace = [];
      const headers: Array<[string, string]> = spec.contentType ? [...spec.headers, ['content-type', spec.contentType]] : spec.headers;
      let r: any;
      trace.push(await observe(() => { r = impl.request(spec.url, spec.method, headers, spec.body && new Uint8Array(spec.body)); return [...requestProps(r), [...r.headers], r.body === null, r.bodyUsed]; }));
      if (!r) return trace;
      for (const op of spec.ops) {
        switch (op) {
          case 'props': trace.push(await observe(() => [...requestProps(r), Object.prototype.toString.call(r)])); break;
          case 'signal': trace.push(await observe(() => [r.signal.aborted, Object.prototype.toString.call(r.signal), r.signal === r.signal])); break;
          case 'instanceof': trace.push(await observe(() => [r instanceof impl.Request, r.headers instanceof impl.Headers, r.constructor.name])); break;
          // The app's Request constructor given the request, as apps forward or rewrite one.
          case 'new-request': trace.push(await observe(async () => { const n = new impl.Request(r); return [...requestProps(n), [...n.headers], await n.text(), r.bodyUsed]; })); break;
          case 'new-request-init': trace.push(await observe(async () => {
            r.headers.set('x-edited', 'after');
            const n = new impl.Request(r, { headers: r.headers, method: r.method });
            return [[...n.headers], await n.text(), r.bodyUsed];
          })); break;
          default: await runBodyOps(r, [op], trace);
        }
      }
      return trace;
    },
  });
}

// Hand-written cases: the classes themselves.
const handWritten: Array<[string, (impl: Impl) => unknown]> = [
  ['class names', (i) => [i.Headers.name, i.Response.name, i.Request.name]],
  ['toStringTag', (i) => [Object.prototype.toString.call(new i.Headers()), Object.prototype.toString.call(new i.Response())]],
  ['instanceof', (i) => [new i.Headers() instanceof i.Headers, new i.Response() instanceof i.Response, i.Response.json(1) instanceof i.Response, {} instanceof i.Response]],
  ['instanceof across', (i) => [new N.Headers() instanceof i.Headers, new N.Response() instanceof i.Response, new N.Request('http://a/') instanceof i.Request]],
  ['subclass', (i) => { const Mine = class extends (i.Response as any) {}; const m = new (Mine as any)('x'); return [m instanceof Mine, m instanceof i.Response, new i.Response('y') instanceof Mine]; }],
  ['headers identity', (i) => { const r = new i.Response('x'); return r.headers === r.headers; }],
  ['Response.error', (i) => { const r = i.Response.error(); return [r.status, r.type, r.ok, [...r.headers]]; }],
  ['error headers immutable', (i) => i.Response.error().headers.set('a', 'b')],
  ['null body read twice', async (i) => { const r = new i.Response(null); return [await r.text(), await r.text(), r.bodyUsed, r.body]; }],
  ['read twice', async (i) => { const r = new i.Response('x'); await r.text(); return r.text(); }],
  ['clone after read', async (i) => { const r = new i.Response('x'); await r.text(); return r.clone(); }],
  ['clone then read both', async (i) => { const r = new i.Response('x'); const c = r.clone(); return [await r.text(), await c.text()]; }],
  ['body stream then text', async (i) => { const r = new i.Response('xy'); void r.body; return [await r.text(), r.bodyUsed]; }],
  ['text then body', async (i) => { const r = new i.Response('xy'); await r.text(); return [r.body === null, r.body?.locked]; }],
  ['blob type from headers', async (i) => { const r = new i.Response('x', { headers: { 'content-type': 'Text/HTML; Charset=UTF-8' } }); return r.blob(); }],
  ['formData urlencoded', async (i) => new i.Response(new URLSearchParams('a=1&a=2&b=%20')).formData()],
  ['formData wrong type', async (i) => new i.Response('a=1').formData()],
  ['json syntax error', async (i) => new i.Response('{').json()],
  ['json BOM', async (i) => new i.Response('\ufeff{"a":1}').json()],
  ['lone surrogate bytes', async (i) => new Uint8Array(await new i.Response('a\ud800').arrayBuffer())],
  ['204 with empty string', (i) => new i.Response('', { status: 204 })],
  ['204 with null', (i) => new i.Response(null, { status: 204 }).status],
  ['content-type kept', (i) => [...new i.Response('x', { headers: { 'Content-Type': 'application/x' } }).headers]],
  ['URLSearchParams content-type', (i) => [...new i.Response(new URLSearchParams('a=b')).headers]],
  ['json content-type kept', (i) => [...i.Response.json({}, { headers: { 'content-type': 'application/vnd.x+json' } }).headers]],
  ['json status 204', (i) => i.Response.json({}, { status: 204 })],
  ['json null init', (i) => i.Response.json({}, null)],
  ['json no args', (i) => (i.Response.json as any)()],
  ['redirect no args', (i) => (i.Response.redirect as any)()],
  ['headers forEach non-function', (i) => new i.Headers().forEach(5)],
  ['headers symbol value', (i) => new i.Headers({ a: Symbol('x') })],
  ['headers symbol key', (i) => new i.Headers({ [Symbol('x')]: 'a' })],
  ['headers non-enumerable', (i) => [...new i.Headers(Object.defineProperty({ b: '2' }, 'a', { value: '1', enumerable: false }))]],
  ['cookie join', (i) => { const h = new i.Headers(); h.append('Cookie', 'a=1'); h.append('cookie', 'b=2'); return [h.get('cookie'), [...h]]; }],
  ['set-cookie get', (i) => { const h = new i.Headers(); h.append('Set-Cookie', 'a=1'); h.append('set-cookie', 'b=2, c'); return [h.get('set-cookie'), h.getSetCookie(), [...h]]; }],
  ['set-cookie from headers', (i) => { const h = new i.Headers([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]); return [...new i.Headers(h)]; }],
  ['status and statusText types', (i) => { const r = new i.Response(null, { status: '201', statusText: 5 }); return [r.status, r.statusText]; }],
  ['status BigInt', (i) => new i.Response(null, { status: 1n })],
  ['init with headers getter order', (i) => { const seen: string[] = []; new i.Response(null, { get status() { seen.push('status'); return 200; }, get statusText() { seen.push('statusText'); return ''; }, get headers() { seen.push('headers'); return {}; } }); return seen; }],
  ['prototype members', (i) => [Object.getOwnPropertyNames(i.Headers.prototype).sort(), Object.getOwnPropertyNames(i.Response).sort()]],
  ['fetch a data URL', async (i) => { const f = i.name === 'native' ? N.fetch : lightFetch; const r = await f('data:text/plain,hi'); return [r instanceof i.Response, await r.text()]; }],
  ['fetch with light headers', async (i) => { const f = i.name === 'native' ? N.fetch : lightFetch; const r = await f('data:,x', { headers: new i.Headers({ a: 'b' }) }); return r.status; }],
];
for (const [name, run] of handWritten) scenarios.push({ name, run: async (impl) => [await observe(() => run(impl))] });

// Names of the platform's members that a light class lacks (extras of the light classes are fine).
function missingMembers(): string[] {
  const missing: string[] = [];
  const members = (proto: object) => { const out = new Set<string>(); for (let p = proto; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) for (const k of Object.getOwnPropertyNames(p)) out.add(k); return out; };
  for (const [name, L] of [['Headers', LightHeaders], ['Response', LightResponse], ['Request', LightRequest]] as const) {
    const have = members(L.prototype);
    for (const k of Object.getOwnPropertyNames(N[name].prototype)) if (!have.has(k) && k !== 'attribute') missing.push(`${name}.prototype.${k}`);
    for (const k of Object.getOwnPropertyNames(N[name])) if (!(k in L)) missing.push(`${name}.${k}`);
  }
  return missing;
}

async function main(): Promise<void> {
  const differences: Array<{ scenario: string; native: Trace; light: Trace }> = [];
  const dump: unknown[] = [];
  for (const scenario of scenarios) {
    const a = await scenario.run(native);
    const b = await scenario.run(light);
    dump.push([scenario.name, a]);
    if (JSON.stringify(a) !== JSON.stringify(b)) differences.push({ scenario: scenario.name, native: a, light: b });
  }
  if (process.env.DUMP) require("fs").writeFileSync(process.env.DUMP, JSON.stringify(dump));
  process.stdout.write(JSON.stringify({ node: process.versions.node, operations, scenarios: scenarios.length, missingMembers: missingMembers(), differences }));
}

void main();
