import { assertFetchApp, type FetchApp } from './contract';
import { LightHeaders, LightResponse, bodySource, createLightRequest, headerPairs, isLightResponse, isValidHeaderName, isValidHeaderValue, normalizeHeaderValue, sourceBytes } from './light-fetch';
import { BadRequest, requestUrl } from './request-target';
import { refreshDatabaseToken } from './database-auth';

/** The parts of API Gateway (REST v1, HTTP API v2), Function URL and ALB events the adapter reads. */
interface LambdaHttpEvent {
  version?: string;
  httpMethod?: string;
  path?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined | null> | null;
  multiValueHeaders?: Record<string, Array<string | null> | undefined | null> | null;
  queryStringParameters?: Record<string, string | undefined | null> | null;
  multiValueQueryStringParameters?: Record<string, Array<string | null> | undefined | null> | null;
  cookies?: string[] | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: {
    elb?: unknown;
    domainName?: string;
    http?: { method: string };
  };
}

type Kind = 'v1' | 'v2' | 'alb';

export interface LambdaHttpResult {
  statusCode: number;
  statusDescription?: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body: string;
  isBase64Encoded: boolean;
}

function log(level: 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  process.stderr.write(`${JSON.stringify({ level, msg, ...fields })}\n`);
}

const NON_ASCII = /[^\x00-\x7f]/;

/**
 * A header value from an event as node:http presents it: API Gateway and ALB hand over text
 * decoded as UTF-8, node:http hands over the bytes as Latin-1 (a ByteString, which is what the
 * fetch classes accept).
 */
function asByteString(value: string): string {
  return NON_ASCII.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

/**
 * A map of single values and a map of value lists, merged: for each name (case-insensitive) the
 * list when it has one, else the single value. API Gateway REST sends both; neither hides the other.
 */
function merged(single: Record<string, string | undefined | null> | null | undefined,
  multi: Record<string, Array<string | null> | undefined | null> | null | undefined): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const listed = new Set<string>();
  if (multi) {
    for (const [name, values] of Object.entries(multi)) {
      if (!Array.isArray(values) || values.length === 0) continue;
      listed.add(name.toLowerCase());
      for (const value of values) if (value !== null && value !== undefined) out.push([name, String(value)]);
    }
  }
  if (single) {
    for (const [name, value] of Object.entries(single)) {
      if (value !== null && value !== undefined && !listed.has(name.toLowerCase())) out.push([name, String(value)]);
    }
  }
  return out;
}

function requestHeaders(event: LambdaHttpEvent, kind: Kind): LightHeaders {
  const headers = new LightHeaders();
  for (const [name, raw] of merged(event.headers, event.multiValueHeaders)) {
    if (!isValidHeaderName(name)) throw new BadRequest(`invalid header name ${JSON.stringify(name.slice(0, 100))}`);
    const value = normalizeHeaderValue(asByteString(raw));
    if (!isValidHeaderValue(value)) throw new BadRequest(`invalid value for header '${name}'`);
    headers.append(name, value);
  }
  if (kind === 'v2' && event.cookies?.length) headers.set('cookie', asByteString(event.cookies.join('; ')));
  return headers;
}

function queryString(event: LambdaHttpEvent, kind: Kind): string {
  if (kind === 'v2') return event.rawQueryString ?? '';
  // ALB passes query values as they came on the wire; API Gateway REST decodes them.
  const encode = kind === 'alb' ? (s: string) => s : encodeURIComponent;
  try {
    return merged(event.queryStringParameters, event.multiValueQueryStringParameters).map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  } catch {
    throw new BadRequest('a query parameter is not well-formed text');
  }
}

let reasonPhrases: Record<number, string | undefined> | undefined;

/** `200 OK`, as ALB wants it. Loaded on the first ALB event only, to keep other cold starts short. */
function statusDescription(status: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  reasonPhrases ??= (require('node:http') as typeof import('node:http')).STATUS_CODES;
  return `${status} ${reasonPhrases[status] ?? ''}`.trim();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isUtf8(bytes: Uint8Array): boolean {
  try {
    utf8.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether a body goes out as text: a textual type in UTF-8, or no type at all and bytes that are
 * valid UTF-8. Anything content-encoded, in another charset or binary goes base64.
 */
function isTextual(contentType: string | null, contentEncoding: string | null, body: string | Uint8Array): boolean {
  if (contentEncoding && contentEncoding !== 'identity') return false;
  const charset = /charset=([^;]+)/i.exec(contentType ?? '')?.[1]?.trim().replace(/"/g, '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return false;
  if (contentType && /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|ld\+json|problem\+json)|image\/svg\+xml)|\+(json|xml)\b/i.test(contentType)) return true;
  if (contentType) return false;
  return typeof body === 'string' || isUtf8(body);
}

/**
 * A response header value for API Gateway and ALB, which encode the string they get as UTF-8:
 * a ByteString whose bytes are UTF-8 goes back as that text, so the bytes on the wire are those
 * a server would have sent.
 */
function headerOut(value: string): string {
  if (!NON_ASCII.test(value)) return value;
  const bytes = Buffer.from(value, 'latin1');
  return isUtf8(bytes) ? bytes.toString('utf8') : value;
}

interface Outgoing { status: number; headers: LightHeaders; body: string | Uint8Array }

function toResult(kind: Kind, multiValue: boolean, out: Outgoing): LambdaHttpResult {
  const { status, headers, body } = out;
  const textual = isTextual(headers.get('content-type'), headers.get('content-encoding'), body);
  const encoded = typeof body === 'string'
    ? (textual ? body : Buffer.from(sourceBytes(body)).toString('base64'))
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString(textual ? 'utf8' : 'base64');
  const cookies = headers.getSetCookie().map(headerOut);
  const single: Record<string, string> = {};
  for (const [name, value] of headers) if (name !== 'set-cookie') single[name] = headerOut(value);
  const result: LambdaHttpResult = { statusCode: status, body: encoded, isBase64Encoded: !textual };
  if (kind === 'v2') {
    result.headers = single;
    if (cookies.length) result.cookies = cookies;
  } else if (kind === 'alb' && !multiValue) {
    // Without multi-value headers an ALB response carries one Set-Cookie at most: the first one.
    result.headers = cookies.length ? { ...single, 'set-cookie': cookies[0] } : single;
    if (cookies.length > 1) {
      log('warn', 'ALB without multi-value headers: only the first Set-Cookie was sent; enable multi-value headers on the target group', { dropped: cookies.length - 1 });
    }
  } else {
    result.headers = single;
    const multi: Record<string, string[]> = {};
    for (const [name, value] of Object.entries(single)) multi[name] = [value];
    result.multiValueHeaders = cookies.length ? { ...multi, 'set-cookie': cookies } : multi;
  }
  if (kind === 'alb') result.statusDescription = statusDescription(status);
  return result;
}

const EMPTY = new Uint8Array(0);

/** Status, headers and body bytes of whatever the app returned: a light or a native Response. */
async function outgoing(response: Response, method: string): Promise<Outgoing> {
  const light = isLightResponse(response);
  const headers = light ? (response as unknown as LightResponse).headers : new LightHeaders(response.headers);
  let body: string | Uint8Array = EMPTY;
  if (method !== 'HEAD') {
    // A HEAD response carries the headers of the GET, never its body.
    const source = light ? bodySource(response as unknown as LightResponse) : undefined;
    body = source === undefined ? new Uint8Array(await response.arrayBuffer()) : (source ?? EMPTY);
  }
  // Response.error() has status 0; a server answers it 500 as well.
  return { status: response.status || 500, headers, body };
}

const BAD_REQUEST: Outgoing = { status: 400, headers: new LightHeaders(), body: EMPTY };
const SERVER_ERROR: Outgoing = { status: 500, headers: new LightHeaders(), body: EMPTY };

/**
 * One Lambda handler for API Gateway REST (v1) and HTTP API (v2) events, Function URL events
 * (the v2 shape) and ALB events (single- or multi-value headers): base64 bodies, repeated
 * headers and query parameters, and cookies in both directions.
 *
 * The app gets the Request a server would give it (see request-target.ts) as a light Request,
 * and its `Headers`/`Response` are the light classes the bundle injects (see light-fetch.ts).
 */
export function createHandler(app: FetchApp) {
  assertFetchApp(app);
  const native = process.env.WEB_TIERS_NATIVE_FETCH === '1';
  return async (event: LambdaHttpEvent, context?: unknown): Promise<LambdaHttpResult> => {
    // A fresh database token before it is 10 minutes old (a no-op without IAM database auth).
    refreshDatabaseToken();
    const kind: Kind = event.requestContext?.elb ? 'alb' : event.version === '2.0' || event.requestContext?.http ? 'v2' : 'v1';
    const multiValue = Boolean(event.multiValueHeaders);
    const method = ((kind === 'v2' ? event.requestContext?.http?.method : event.httpMethod) ?? 'GET').toUpperCase();
    let request: Request;
    try {
      const headers = requestHeaders(event, kind);
      const host = headers.get('host') ?? event.requestContext?.domainName ?? 'localhost';
      const scheme = headers.get('x-forwarded-proto')?.split(',')[0].trim().toLowerCase() === 'http' ? 'http' : 'https';
      const query = queryString(event, kind);
      const url = requestUrl(scheme, host, `${(kind === 'v2' ? event.rawPath : event.path) || '/'}${query ? `?${query}` : ''}`);
      const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : null;
      // The length of what arrived, never the event's claim.
      if (body || headers.has('content-length')) {
        headers.set('content-length', String(body?.length ?? 0));
        headers.delete('transfer-encoding');
      }
      request = native
        ? new globalThis.Request(url, { method, headers: headerPairs(headers), body: method === 'GET' || method === 'HEAD' ? null : body })
        : createLightRequest(url, method, headers, body);
    } catch (err) {
      if (!(err instanceof BadRequest)) throw err;
      log('warn', 'bad request: answered 400', { reason: err.message });
      return toResult(kind, multiValue, BAD_REQUEST);
    }
    let response: Response;
    try {
      response = await app.fetch(request, { event, lambdaContext: context });
    } catch (err) {
      // As a server does: 500, and the error in the log (not a failed invocation, which clients see as 502).
      log('error', 'the app threw: answered 500', { error: (err as Error)?.stack ?? String(err) });
      return toResult(kind, multiValue, SERVER_ERROR);
    }
    if (!(response instanceof LightResponse)) {
      log('error', 'the app returned something other than a Response: answered 500', { got: response === null ? 'null' : typeof response });
      return toResult(kind, multiValue, SERVER_ERROR);
    }
    return toResult(kind, multiValue, await outgoing(response, method));
  };
}
