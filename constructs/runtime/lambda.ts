import { assertFetchApp, type FetchApp } from './contract';
import { LIGHT_HEADERS, LIGHT_RESPONSE, LightHeaders, type LightResponse, installLightGlobals, lightRequest, toBytes } from './light-fetch';

/** The parts of API Gateway (REST v1, HTTP API v2), Function URL and ALB events the adapter reads. */
interface LambdaHttpEvent {
  version?: string;
  httpMethod?: string;
  path?: string;
  rawPath?: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined> | null;
  multiValueHeaders?: Record<string, string[] | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  multiValueQueryStringParameters?: Record<string, string[] | undefined> | null;
  cookies?: string[];
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

function joinHeader(name: string, values: string[]): string {
  return values.join(name === 'cookie' ? '; ' : ', ');
}

function requestHeaders(event: LambdaHttpEvent, kind: Kind): LightHeaders {
  const headers = new LightHeaders();
  if (event.multiValueHeaders) {
    for (const [name, values] of Object.entries(event.multiValueHeaders)) {
      if (values?.length) headers.set(name, joinHeader(name.toLowerCase(), values));
    }
  } else {
    for (const [name, value] of Object.entries(event.headers ?? {})) if (value !== undefined) headers.set(name, value);
  }
  if (kind === 'v2' && event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  return headers;
}

function queryString(event: LambdaHttpEvent, kind: Kind): string {
  if (kind === 'v2') return event.rawQueryString ?? '';
  // ALB passes query values as they came on the wire; API Gateway v1 decodes them.
  const encode = kind === 'alb' ? (s: string) => s : encodeURIComponent;
  const parts: string[] = [];
  if (event.multiValueQueryStringParameters) {
    for (const [k, values] of Object.entries(event.multiValueQueryStringParameters)) {
      for (const v of values ?? []) parts.push(`${encode(k)}=${encode(v)}`);
    }
  } else {
    for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) parts.push(`${encode(k)}=${encode(v)}`);
  }
  return parts.join('&');
}

let reasonPhrases: Record<number, string | undefined> | undefined;

/** `200 OK`, as ALB wants it. node:http costs milliseconds to load, so only ALB events load it. */
function statusDescription(status: number): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  reasonPhrases ??= (require('node:http') as typeof import('node:http')).STATUS_CODES;
  return `${status} ${reasonPhrases[status] ?? ''}`.trim();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Whether a body goes out as text: a textual type in UTF-8, or no type at all and bytes that are
 * valid UTF-8. Anything content-encoded, in another charset or binary goes base64.
 */
function isTextual(contentType: string | null, contentEncoding: string | null, body: Uint8Array): boolean {
  if (contentEncoding && contentEncoding !== 'identity') return false;
  const charset = /charset=([^;]+)/i.exec(contentType ?? '')?.[1]?.trim().replace(/"/g, '').toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') return false;
  if (contentType && /^(text\/|application\/(json|javascript|xml|x-www-form-urlencoded|ld\+json|problem\+json)|image\/svg\+xml)|\+(json|xml)\b/i.test(contentType)) return true;
  if (contentType) return false;
  try {
    utf8.decode(body);
    return true;
  } catch {
    return false;
  }
}

const isLight = (response: Response): response is Response & LightResponse => LIGHT_RESPONSE in response;

async function responseBody(response: Response): Promise<Uint8Array> {
  const simple = isLight(response) ? response._simpleBody() : undefined;
  if (simple !== undefined) return toBytes(simple);
  return new Uint8Array(await response.arrayBuffer());
}

function toResult(kind: Kind, multiValue: boolean, status: number, headers: LightHeaders, body: Uint8Array): LambdaHttpResult {
  const textual = isTextual(headers.get('content-type'), headers.get('content-encoding'), body);
  const encoded = textual ? Buffer.from(body).toString('utf8') : Buffer.from(body).toString('base64');
  const cookies = headers.getSetCookie();
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of headers) {
    if (name === 'set-cookie') continue;
    single[name] = value;
    multi[name] = [value];
  }
  const result: LambdaHttpResult = { statusCode: status, body: encoded, isBase64Encoded: !textual };
  if (kind === 'v2') {
    result.headers = single;
    if (cookies.length) result.cookies = cookies;
  } else if (kind === 'alb' && !multiValue) {
    // Without multi-value headers an ALB response carries one Set-Cookie at most.
    result.headers = cookies.length ? { ...single, 'set-cookie': cookies[cookies.length - 1] } : single;
  } else {
    result.headers = single;
    result.multiValueHeaders = cookies.length ? { ...multi, 'set-cookie': cookies } : multi;
  }
  if (kind === 'alb') result.statusDescription = statusDescription(status);
  return result;
}

/**
 * One Lambda handler for API Gateway REST (v1) and HTTP API (v2) events, Function URL events
 * (the v2 shape) and ALB events (single- or multi-value headers): base64 bodies, repeated
 * headers and query parameters, and cookies in both directions.
 *
 * The app gets a light Request, and `Headers`/`Response` are light stand-ins until the app needs
 * the platform's own classes (see light-fetch.ts), which keeps cold starts short.
 */
export function createHandler(app: FetchApp) {
  assertFetchApp(app);
  installLightGlobals();
  return async (event: LambdaHttpEvent, context?: unknown): Promise<LambdaHttpResult> => {
    const kind: Kind = event.requestContext?.elb ? 'alb' : event.version === '2.0' || event.requestContext?.http ? 'v2' : 'v1';
    const method = (kind === 'v2' ? event.requestContext?.http?.method : event.httpMethod) ?? 'GET';
    const headers = requestHeaders(event, kind);
    const host = headers.get('host') ?? event.requestContext?.domainName ?? 'localhost';
    const proto = headers.get('x-forwarded-proto')?.split(',')[0].trim() ?? 'https';
    const path = (kind === 'v2' ? event.rawPath : event.path) ?? '/';
    const query = queryString(event, kind);
    const url = `${proto}://${host}${path}${query ? `?${query}` : ''}`;
    const body = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
    if (body && !headers.has('content-length')) headers.set('content-length', String(body.length));

    const response = await app.fetch(lightRequest(url, method, headers, body), { event, lambdaContext: context });
    const headersOut = response.headers as unknown as LightHeaders | Headers;
    const responseHeaders = LIGHT_HEADERS in headersOut ? (headersOut as LightHeaders) : new LightHeaders(headersOut as Headers);
    // A HEAD response carries the headers of the GET, never its body.
    const bytes = method === 'HEAD' ? new Uint8Array(0) : await responseBody(response);
    return toResult(kind, Boolean(event.multiValueHeaders), response.status, responseHeaders, bytes);
  };
}
