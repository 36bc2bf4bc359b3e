/**
 * Light stand-ins for the WHATWG `Headers`, `Request` and `Response` classes and `fetch`.
 *
 * Node loads its fetch implementation (undici: 100+ internal modules) the first time anything
 * touches the `Headers`, `Request`, `Response`, `FormData` or `fetch` globals. On Node 24 even
 * reading a property descriptor of those globals triggers the load. That costs 35–80 ms, most
 * of a small app's cold start on Lambda.
 *
 * These classes never touch the globals. The lambda bundle makes them the app's `Headers`,
 * `Request`, `Response` and `fetch` with esbuild's `inject` (see fetch-globals.ts): free references
 * to those names in the bundled code resolve here, while `globalThis.Response` stays the
 * platform's own, untouched and unloaded until something needs it.
 *
 * They behave as the platform's classes do — the same validation, normalization, iteration,
 * errors and body semantics — which a differential test checks against Node's own classes on the
 * Node major Lambda runs. String, byte and empty bodies stay light; anything else (a stream, a
 * Blob, FormData, `formData()`, `blob()`, the `body` stream) is served by a native object made
 * on first need. `instanceof` holds for light and native objects alike.
 */

type AnyRecord = Record<PropertyKey, unknown>;
const g = globalThis as unknown as AnyRecord;

// The platform's classes, read from the globals only when needed. Member expressions on purpose:
// esbuild's inject replaces free identifiers (`Response`), never `globalThis.Response`.
const NativeResponse = (): typeof globalThis.Response => g.Response as typeof globalThis.Response;
const NativeRequest = (): typeof globalThis.Request => g.Request as typeof globalThis.Request;
const nativeFetch = (): typeof globalThis.fetch => g.fetch as typeof globalThis.fetch;

const toStringTag = (value: unknown): string => Object.prototype.toString.call(value);

/**
 * Whether `value` is a native object of the named class. A native object can only exist once
 * the fetch implementation is loaded, so the cheap tag check comes first and the global is read
 * only when it can be free.
 */
function isNative(value: unknown, name: 'Headers' | 'Request' | 'Response'): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  if (toStringTag(value) !== `[object ${name}]`) return false;
  return value instanceof (g[name] as new () => unknown);
}

/** A class's `name` as the platform's (minifiers rename classes). */
function nameAs(ctor: Function, name: string): void {
  Object.defineProperty(ctor, 'name', { value: name, configurable: true });
}

function arity(count: number, needed: number, where: string): void {
  if (count < needed) {
    throw new TypeError(`${where}: ${needed} argument${needed > 1 ? 's' : ''} required, but only ${count} present.`);
  }
}

// ---------------------------------------------------------------------------------------------
// Header names and values, as WebIDL ByteString and the Fetch standard define them.

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const NON_BYTE = /[^\x00-\xff]/;
const NON_ASCII = /[^\x00-\x7f]/;
/** Tab and printable ASCII: a value that is a ByteString, has no forbidden byte and is ASCII. */
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

/** Valid names already seen → their lower-case form (apps use a handful of names). */
const NAMES = new Map<string, string>();

/** The lower-case form of a valid header name; a TypeError names an invalid one. */
function lowerName(name: string, where: string): string {
  let key = NAMES.get(name);
  if (key === undefined) {
    if (!TOKEN.test(name)) throw new TypeError(`${where}: "${name}" is an invalid header name.`);
    key = name.toLowerCase();
    if (NAMES.size < 1024) NAMES.set(name, key);
  }
  return key;
}
const FORBIDDEN_VALUE = /[\0\r\n]/;
const isHttpWhitespace = (code: number) => code === 9 || code === 10 || code === 13 || code === 32;

/** WebIDL ByteString: `${value}` (a Symbol throws), and no code unit above 0xFF. */
function byteString(value: unknown): string {
  if (typeof value === 'string' && SAFE_VALUE.test(value)) return value;
  const s = `${value as string}`;
  const bad = NON_BYTE.exec(s);
  if (bad) {
    throw new TypeError(`Cannot convert argument to a ByteString because the character at index ${bad.index} has a value of ${s.charCodeAt(bad.index)} which is greater than 255.`);
  }
  return s;
}

/** Strips leading and trailing HTTP whitespace (tab, LF, CR, space) and nothing else. */
export function normalizeHeaderValue(value: string): string {
  if (!value || (!isHttpWhitespace(value.charCodeAt(0)) && !isHttpWhitespace(value.charCodeAt(value.length - 1)))) return value;
  let start = 0;
  let end = value.length;
  while (start < end && isHttpWhitespace(value.charCodeAt(start))) start++;
  while (end > start && isHttpWhitespace(value.charCodeAt(end - 1))) end--;
  return value.slice(start, end);
}

export const isValidHeaderName = (name: string): boolean => TOKEN.test(name);
export const isValidHeaderValue = (value: string): boolean => !FORBIDDEN_VALUE.test(value);

type Pairs = Array<[string, string]>;

const notHeadersInit = (where: string) =>
  new TypeError(`${where}: Argument 1 could not be converted to one of: sequence<sequence<ByteString>>, record<ByteString, ByteString>.`);

/**
 * WebIDL conversion of a HeadersInit — `sequence<sequence<ByteString>>` or
 * `record<ByteString, ByteString>` — as the platform does it: every own key of a record, pairs of
 * any length (the length is checked when the headers are filled).
 */
function convertHeadersInit(init: unknown, where: string): string[][] {
  if (init === null || (typeof init !== 'object' && typeof init !== 'function')) throw notHeadersInit(where);
  if (init instanceof LightHeaders && !isNative(init, 'Headers')) return headerPairs(init as LightHeaders);
  const entries: string[][] = [];
  if (typeof (init as AnyRecord)[Symbol.iterator] === 'function') {
    for (const pair of init as Iterable<unknown>) {
      if (pair === null || (typeof pair !== 'object' && typeof pair !== 'function') || typeof (pair as AnyRecord)[Symbol.iterator] !== 'function') {
        throw notHeadersInit(where);
      }
      entries.push([...(pair as Iterable<unknown>)].map(byteString));
    }
    return entries;
  }
  const record = init as AnyRecord;
  for (const key of [...Object.getOwnPropertyNames(record), ...Object.getOwnPropertySymbols(record)]) {
    entries.push([byteString(key), byteString(record[key])]);
  }
  return entries;
}

const Guard = { NONE: 0, IMMUTABLE: 1 } as const;

/** The headers as [name, value] pairs, Set-Cookie values apart (a copy). */
export let headerPairs: (headers: LightHeaders) => Pairs;
/** Whether a value is a light Headers (not a native one). */
let isLightHeaders: (value: unknown) => boolean;
/** Pushes name, value, name, value… for node:http's writeHead, in insertion order, Set-Cookie values apart. */
export let flattenHeaders: (headers: LightHeaders, flat: string[]) => void;
/**
 * Appends node:http's rawHeaders (name, value, name, value…) without checking them again: its
 * parser has already rejected invalid names and values and trimmed the whitespace.
 */
export let fillTrusted: (headers: LightHeaders, raw: readonly string[]) => void;
/**
 * The headers as node:http's writeHead takes them (Set-Cookie as a list), and whether a value has
 * a byte above 0x7F.
 */
export let headersObject: (headers: LightHeaders) => { headers: Record<string, string | string[]>; wide: boolean };
/** Appends a value known valid under a lower-case name (a default Content-Type). */
let setTrusted: (headers: LightHeaders, key: string, value: string) => void;
/** Appends validated pairs, as the standard's "fill". */
let fillHeaders: (headers: LightHeaders, entries: string[][]) => void;
/** Makes headers immutable, as those of `Response.redirect()`. */
let freezeHeaders: (headers: LightHeaders) => void;

/**
 * `Headers`: case-insensitive names, values joined with `, ` (`; ` for Cookie), Set-Cookie kept
 * apart, iteration sorted by name and live (an entry added during iteration is visited).
 */
export class LightHeaders {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LightHeaders) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (value !== null && typeof value === 'object' && #map in value) || isNative(value, 'Headers');
  }

  /** Lower-case name → combined value. */
  #map = new Map<string, string>();
  #cookies: string[] | null = null;
  #sorted: Pairs | null = null;
  #guard: number = Guard.NONE;
  /** Whether a value has a byte above 0x7F (node:http then needs the body as bytes, see server.ts). */
  #wide = false;

  constructor(init?: unknown) {
    if (init === undefined) return;
    if (init instanceof LightHeaders && #map in init) {
      this.#map = new Map(init.#map);
      this.#cookies = init.#cookies && [...init.#cookies];
      this.#wide = init.#wide;
      return;
    }
    fillHeaders(this, convertHeadersInit(init, 'Headers constructor'));
  }

  static {
    headerPairs = (headers) => headers.#list().map(([n, v]) => [n, v]);
    isLightHeaders = (value) => value !== null && typeof value === 'object' && #map in value;
    flattenHeaders = (headers, flat) => {
      for (const [name, value] of headers.#map) {
        if (name === 'set-cookie' && headers.#cookies) for (const cookie of headers.#cookies) flat.push(name, cookie);
        else flat.push(name, value);
      }
    };
    fillTrusted = (headers, raw) => {
      for (let i = 0; i < raw.length; i += 2) headers.#add(raw[i].toLowerCase(), raw[i + 1]);
    };
    setTrusted = (headers, key, value) => headers.#add(key, value);
    headersObject = (headers) => {
      const out: Record<string, string | string[]> = {};
      for (const [name, value] of headers.#map) out[name] = name === 'set-cookie' && headers.#cookies ? headers.#cookies : value;
      return { headers: out, wide: headers.#wide };
    };
    fillHeaders = (headers, entries) => {
      for (const entry of entries) {
        if (entry.length !== 2) throw new TypeError(`Headers constructor: expected name/value pair to be length 2, found ${entry.length}.`);
        headers.#append(entry[0], entry[1], 'Headers.append');
      }
    };
    freezeHeaders = (headers) => {
      headers.#guard = Guard.IMMUTABLE;
    };
  }

  #check(name: string, value: string | undefined, where: string): string {
    const key = lowerName(name, where);
    if (value !== undefined && !SAFE_VALUE.test(value) && !isValidHeaderValue(value)) throw new TypeError(`${where}: "${value}" is an invalid header value.`);
    if (this.#guard === Guard.IMMUTABLE) throw new TypeError('immutable');
    this.#sorted = null;
    return key;
  }

  #append(name: string, value: string, where: string): void {
    const v = normalizeHeaderValue(value);
    this.#add(this.#check(name, v, where), v);
  }

  /** Adds a checked, normalized value under a lower-case name. */
  #add(key: string, v: string): void {
    this.#sorted = null;
    if (!this.#wide && !SAFE_VALUE.test(v) && NON_ASCII.test(v)) this.#wide = true;
    const existing = this.#map.get(key);
    this.#map.set(key, existing === undefined ? v : `${existing}${key === 'cookie' ? '; ' : ', '}${v}`);
    if (key === 'set-cookie') (this.#cookies ??= []).push(v);
  }

  append(name: string, value: string): void {
    arity(arguments.length, 2, 'Headers.append');
    this.#append(byteString(name), byteString(value), 'Headers.append');
  }

  set(name: string, value: string): void {
    arity(arguments.length, 2, 'Headers.set');
    const v = normalizeHeaderValue(byteString(value));
    const key = this.#check(byteString(name), v, 'Headers.set');
    this.#map.set(key, v);
    if (!this.#wide && NON_ASCII.test(v)) this.#wide = true;
    if (key === 'set-cookie') this.#cookies = [v];
  }

  delete(name: string): void {
    arity(arguments.length, 1, 'Headers.delete');
    const key = this.#check(byteString(name), undefined, 'Headers.delete');
    this.#map.delete(key);
    if (key === 'set-cookie') this.#cookies = null;
  }

  get(name: string): string | null {
    arity(arguments.length, 1, 'Headers.get');
    return this.#map.get(lowerName(byteString(name), 'Headers.get')) ?? null;
  }

  has(name: string): boolean {
    arity(arguments.length, 1, 'Headers.has');
    return this.#map.has(lowerName(byteString(name), 'Headers.has'));
  }

  getSetCookie(): string[] {
    return this.#cookies ? [...this.#cookies] : [];
  }

  /** Sorted by name, Set-Cookie values one by one; recomputed after a change. */
  #list(): Pairs {
    if (!this.#sorted) {
      const names = this.#map.size > 1 ? [...this.#map.keys()].sort() : [...this.#map.keys()];
      const list: Pairs = [];
      for (const name of names) {
        if (name === 'set-cookie' && this.#cookies) for (const cookie of this.#cookies) list.push([name, cookie]);
        else list.push([name, this.#map.get(name)!]);
      }
      this.#sorted = list;
    }
    return this.#sorted;
  }

  forEach(callback: (value: string, name: string, headers: this) => void, thisArg?: unknown): void {
    arity(arguments.length, 1, 'Headers.forEach');
    if (typeof callback !== 'function') throw new TypeError("Headers.forEach: Argument 1 could not be converted to: Function.");
    for (let i = 0; i < this.#list().length; i++) {
      const [name, value] = this.#list()[i];
      callback.call(thisArg, value, name, this);
    }
  }

  *entries(): IterableIterator<[string, string]> {
    // Index-based over the current list, as the platform's iterator: changes made during
    // iteration are seen.
    for (let i = 0; i < this.#list().length; i++) {
      const [name, value] = this.#list()[i];
      yield [name, value];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
Object.defineProperty(LightHeaders.prototype, Symbol.toStringTag, { value: 'Headers', configurable: true });
nameAs(LightHeaders, 'Headers');

// ---------------------------------------------------------------------------------------------
// Bodies.

/** A body the light classes keep: a string (USVString) or bytes of their own. */
type Source = string | Uint8Array;

interface Extracted { source: Source | null; contentType: string | null }

const isPlainArrayBuffer = (value: unknown): value is ArrayBuffer =>
  toStringTag(value) === '[object ArrayBuffer]' && !(value as { resizable?: boolean }).resizable;

/**
 * The body as the light classes keep it, or undefined when only the platform can take it
 * (streams, Blob, FormData, async iterables, shared or resizable buffers, other objects).
 */
function extractLight(body: unknown): Extracted | undefined {
  if (body === null || body === undefined) return { source: null, contentType: null };
  switch (typeof body) {
    case 'string': return { source: body, contentType: 'text/plain;charset=UTF-8' };
    case 'number': case 'boolean': case 'bigint': return { source: String(body), contentType: 'text/plain;charset=UTF-8' };
    case 'object':
      if (ArrayBuffer.isView(body)) {
        if (!isPlainArrayBuffer(body.buffer)) return undefined;
        return { source: new Uint8Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength)), contentType: null };
      }
      if (isPlainArrayBuffer(body)) return { source: new Uint8Array(body.slice(0)), contentType: null };
      if (body instanceof URLSearchParams) return { source: body.toString(), contentType: 'application/x-www-form-urlencoded;charset=UTF-8' };
      return undefined;
    default: return undefined;
  }
}

/** ES2024 string methods (Node 20+). */
interface WellFormed { isWellFormed(): boolean; toWellFormed(): string }

let decoder: InstanceType<typeof TextDecoder> | undefined;
let encoder: InstanceType<typeof TextEncoder> | undefined;

/** A USVString: lone surrogates replaced by U+FFFD, as text is before it is encoded. */
export function wellFormed(s: string): string {
  return (s as unknown as WellFormed).isWellFormed() ? s : (s as unknown as WellFormed).toWellFormed();
}

/** UTF-8 decode as the platform's body readers do: BOM stripped, bad sequences replaced. */
function decodeUtf8(source: Source | null): string {
  if (source === null) return '';
  if (typeof source === 'string') {
    const s = wellFormed(source);
    return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
  }
  return (decoder ??= new TextDecoder()).decode(source);
}

/** The body's bytes (strings as UTF-8, lone surrogates replaced). */
export function sourceBytes(source: Source | null): Uint8Array {
  if (source === null) return new Uint8Array(0);
  if (typeof source === 'string') return (encoder ??= new TextEncoder()).encode(source);
  return source;
}

const bodyUnusable = (where: string) => new TypeError(`${where}: Body has already been consumed.`);

/** Marks a native body used, as a light read already did. */
function disturb<T extends { arrayBuffer(): Promise<ArrayBuffer> }>(native: T): T {
  native.arrayBuffer().catch(() => undefined);
  return native;
}

interface Taken { source: Source | null; native?: Response | Request }
/** The body as given, or undefined once a native object owns it (set by LightBody). */
export let bodySource: (body: LightBody) => Source | null | undefined;
/** Takes the body for a clone, or for a native Request made from a light one (set by LightBody). */
let takeBody: (body: LightBody, where: string, clone: boolean) => Taken;

/**
 * What Request and Response share: the body readers. A body is read once; a null body reads as
 * empty any number of times. `#native` is set once the body stream is handed out: from then on
 * the native object owns the body.
 */
abstract class LightBody {
  #source: Source | null;
  #used = false;
  #native: Response | Request | undefined;
  /** Makes a native object with the given body and the current headers (for blob(), formData()). */
  readonly #make: (self: LightBody, source: Source | null) => Response | Request;

  protected constructor(source: Source | null, native: Response | Request | undefined, make: (self: LightBody, source: Source | null) => Response | Request) {
    this.#source = source;
    this.#native = native;
    this.#make = make;
  }

  static {
    bodySource = (body) => (body.#native ? undefined : body.#source);
    takeBody = (body, where, clone) => {
      if (body.bodyUsed) throw bodyUnusable(where);
      if (body.#native) return clone ? { source: null, native: body.#native.clone() } : { source: null, native: body.#native };
      if (!clone && body.#source !== null) body.#used = true;
      return { source: body.#source };
    };
  }

  /** A native object owning the body, made on first need (a used body stays used). */
  #owner(): Response | Request {
    if (!this.#native) {
      const native = this.#make(this, this.#source);
      this.#native = this.#used ? disturb(native) : native;
    }
    return this.#native;
  }

  get body(): ReadableStream<Uint8Array> | null {
    if (this.#source === null && !this.#native) return null;
    return this.#owner().body;
  }

  get bodyUsed(): boolean {
    return this.#native ? this.#native.bodyUsed : this.#used;
  }

  #consume(): Source | null {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    if (this.#source !== null) this.#used = true;
    return this.#source;
  }

  async text(): Promise<string> {
    if (this.#native) return this.#native.text();
    return decodeUtf8(this.#consume());
  }

  async json(): Promise<any> {
    if (this.#native) return this.#native.json();
    return JSON.parse(decodeUtf8(this.#consume()));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#native) return this.#native.arrayBuffer();
    const bytes = sourceBytes(this.#consume());
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#native) return (this.#native as unknown as { bytes(): Promise<Uint8Array<ArrayBuffer>> }).bytes();
    return new Uint8Array(sourceBytes(this.#consume())) as Uint8Array<ArrayBuffer>;
  }

  async blob(): Promise<Blob> {
    if (this.#native) return this.#native.blob();
    return this.#make(this, this.#consume()).blob();
  }

  async formData(): Promise<FormData> {
    if (this.#native) return this.#native.formData();
    return this.#make(this, this.#consume()).formData();
  }
}

// ---------------------------------------------------------------------------------------------
// Response.

const NULL_BODY_STATUS = new Set([101, 103, 204, 205, 304]);
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);
/** Reason-phrase: HTAB, SP, visible ASCII and obs-text. */
const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

/** WebIDL `unsigned short` without [EnforceRange]: truncated, modulo 2^16. */
function unsignedShort(value: unknown): number {
  const n = Number(value);
  if (!Number.isFinite(n)) return 0;
  const int = Math.trunc(n) % 65536;
  return int < 0 ? int + 65536 : int + 0;
}

interface ResponseInitLike { status?: unknown; statusText?: unknown; headers?: unknown }
/** A converted ResponseInit; light headers (already valid) are kept as they are, to be copied whole. */
interface Init { status: number; statusText: string; headers?: string[][] | LightHeaders }

/** WebIDL conversion of a ResponseInit. */
function convertResponseInit(init: unknown): Init {
  if (init === undefined || init === null) return { status: 200, statusText: '' };
  if (typeof init !== 'object' && typeof init !== 'function') {
    throw new TypeError('Response constructor: Expected init to be one of: Null, Undefined, Object.');
  }
  // Each member read once, in the platform's (lexicographic) order.
  const i = init as ResponseInitLike;
  const headersInit = i.headers;
  const headers = headersInit === undefined ? undefined
    : isLightHeaders(headersInit) ? headersInit as LightHeaders : convertHeadersInit(headersInit, 'Response constructor');
  const statusInit = i.status;
  const status = statusInit === undefined ? 200 : unsignedShort(statusInit);
  const statusTextInit = i.statusText;
  const statusText = statusTextInit === undefined ? '' : byteString(statusTextInit);
  return { status, statusText, headers };
}

const INTERNAL = Symbol('cdk-web-tiers.internal');

/** Whether a value is a light Response (not a native one). */
export let isLightResponse: (value: unknown) => boolean;
/**
 * A light response's headers as node:http's writeHead takes them, without making a Headers object
 * for a response that never had one (the common `new Response('ok')`).
 */
export let responseHeadersObject: (response: LightResponse) => { headers: Record<string, string | string[]>; wide: boolean };
/** Whether a value is a light Request (not a native one). */
let isLightRequest: (value: unknown) => boolean;
/**
 * The native Request a light one stands for, with its current headers, for the platform's
 * `Request` constructor and `fetch`: as those do with a Request, it takes the body.
 */
let requestToNative: (request: LightRequest, where: string) => Request;
/**
 * A light request, as the adapters make them: a serialized URL, an upper-case method, headers
 * whose values are ByteStrings, the body's bytes (dropped for GET and HEAD, as a server does).
 */
export let createLightRequest: (url: string, method: string, headers: LightHeaders | RawHeaders, body: Uint8Array | null,
  closes?: ClosingResponse) => LightRequest;

/** node:http's rawHeaders, read into Headers the first time the app asks for them. */
export interface RawHeaders { readonly rawHeaders: readonly string[] }
/** A server response whose early close (the client went away) aborts the request's signal. */
export interface ClosingResponse { once(event: 'close', listener: () => void): unknown; readonly writableFinished: boolean }

/** `Response` for string, byte, URLSearchParams and empty bodies; other bodies are the platform's. */
export class LightResponse extends LightBody {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LightResponse) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (value !== null && typeof value === 'object' && #status in value) || isNative(value, 'Response');
  }

  static json(data: unknown, init?: unknown): LightResponse {
    arity(arguments.length, 1, 'Response.json');
    if (init === null) throw new TypeError('Response.json: init must be an object');
    const converted = convertResponseInit(init);
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError('Response.json: Value is not JSON serializable');
    return new LightResponse(INTERNAL, converted, { source: body, contentType: 'application/json' });
  }

  static redirect(url: string | URL, status: number = 302): LightResponse {
    arity(arguments.length, 1, 'Response.redirect');
    const href = `${url as string}`;
    let location: string;
    try {
      location = new URL(href).href;
    } catch (err) {
      throw new TypeError(`Failed to parse URL from ${href}`, { cause: err });
    }
    const code = unsignedShort(status);
    if (!REDIRECT_STATUS.has(code)) throw new RangeError(`Invalid status code ${code}`);
    const response = new LightResponse(INTERNAL, { status: code, statusText: '', headers: [['location', location]] }, { source: null, contentType: null });
    freezeHeaders(response.headers);
    return response;
  }

  static error(): Response {
    return NativeResponse().error();
  }

  #status: number;
  #statusText: string;
  /** The headers; null until asked for when the response was made without init headers. */
  #headers: LightHeaders | null = null;
  /** The body's Content-Type, for headers not made yet. */
  #type: string | null = null;

  constructor(body: unknown = null, init?: unknown, ..._internal: unknown[]) {
    let extracted: Extracted | undefined;
    let converted: Init;
    let native: Response | undefined;
    if (body === INTERNAL) {
      converted = init as Init;
      extracted = arguments[2] as Extracted;
      native = arguments[3] as Response | undefined;
    } else {
      extracted = extractLight(body);
      if (!extracted) {
        // Exactly the platform's constructor, checks and all; the headers are then copied.
        native = new (NativeResponse())(body as any, init as any);
        converted = { status: native.status, statusText: native.statusText, headers: [...native.headers] };
      } else {
        converted = convertResponseInit(init);
      }
    }
    super(extracted?.source ?? null, native, LightResponse.#makeNative);
    const { status, statusText } = converted;
    if (status < 200 || status > 599) throw new RangeError(`init["status"] must be in the range of 200 to 599, inclusive.`);
    if (statusText !== '' && !REASON.test(statusText)) throw new TypeError('Invalid statusText');
    this.#status = status;
    this.#statusText = statusText;
    if (native) {
      // set-cookie comes apart from the native iterator; fill keeps each one.
      this.#headers = new LightHeaders();
      fillHeaders(this.#headers, converted.headers as string[][]);
      return;
    }
    if (converted.headers) {
      if (Array.isArray(converted.headers)) {
        this.#headers = new LightHeaders();
        fillHeaders(this.#headers, converted.headers);
      } else {
        this.#headers = new LightHeaders(converted.headers);
      }
    }
    if (extracted!.source !== null) {
      if (NULL_BODY_STATUS.has(status)) throw new TypeError(`Response constructor: Invalid response status code ${status}`);
      const type = extracted!.contentType;
      if (type) {
        // Without init headers the Headers object is made when first asked for.
        if (!this.#headers) this.#type = type;
        else if (!this.#headers.has('content-type')) setTrusted(this.#headers, 'content-type', type);
      }
    }
  }

  static #makeNative(self: LightBody, source: Source | null): Response {
    const r = self as LightResponse;
    return new (NativeResponse())(source as any, { status: r.#status, statusText: r.#statusText, headers: headerPairs(r.headers) });
  }

  static {
    isLightResponse = (value) => value !== null && typeof value === 'object' && #status in value;
    responseHeadersObject = (response) => {
      if (response.#headers) return headersObject(response.#headers);
      return { headers: response.#type ? { 'content-type': response.#type } : {}, wide: false };
    };
  }

  get type(): 'default' { return 'default'; }
  get url(): string { return ''; }
  get redirected(): boolean { return false; }
  get status(): number { return this.#status; }
  get ok(): boolean { return this.#status >= 200 && this.#status <= 299; }
  get statusText(): string { return this.#statusText; }
  get headers(): LightHeaders {
    if (!this.#headers) {
      this.#headers = new LightHeaders();
      if (this.#type) setTrusted(this.#headers, 'content-type', this.#type);
    }
    return this.#headers;
  }

  clone(): LightResponse {
    const { source, native } = takeBody(this, 'Response.clone', true);
    return new LightResponse(INTERNAL, { status: this.#status, statusText: this.#statusText, headers: headerPairs(this.headers) },
      { source, contentType: null }, native);
  }
}
Object.defineProperty(LightResponse.prototype, Symbol.toStringTag, { value: 'Response', configurable: true });
nameAs(LightResponse, 'Response');

// ---------------------------------------------------------------------------------------------
// Request.

/**
 * `Request`. The adapters make light requests (url, method, headers, body bytes); anything else
 * that constructs one — `new Request(url, init)` in the app — gets the platform's Request, with a
 * light request as input turned into a native one first.
 */
export class LightRequest extends LightBody {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (this !== LightRequest) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (value !== null && typeof value === 'object' && #url in value) || isNative(value, 'Request');
  }

  #url!: string;
  #method!: string;
  /** The headers, or node:http's raw ones, read on first use. */
  #headers!: LightHeaders | RawHeaders;
  #signal: AbortSignal | undefined;
  /** Makes the signal, on first use: the server adapter's aborts when the client goes away. */
  #makeSignal: (() => AbortSignal) | undefined;
  #closes: ClosingResponse | undefined;

  constructor(input: unknown, init?: unknown) {
    if (input !== INTERNAL) {
      // The app constructs a Request: the platform's, exactly. Returning an object from a
      // constructor makes `new` yield it.
      const source = isLightRequest(input) ? requestToNative(input as LightRequest, 'Request constructor') : input;
      return new (NativeRequest())(source as any, convertInit(init)) as unknown as LightRequest;
    }
    const [url, method, headers, source, native] = init as [string, string, LightHeaders | RawHeaders, Source | null, Request | undefined];
    super(source, native, LightRequest.#makeNative);
    this.#url = url;
    this.#method = method;
    this.#headers = headers;
  }

  static {
    createLightRequest = (url, method, headers, body, closes) => {
      const source = body && body.length > 0 && method !== 'GET' && method !== 'HEAD' ? body : null;
      const request = new LightRequest(INTERNAL, [url, method, headers, source, undefined]);
      request.#closes = closes;
      return request;
    };
  }

  static #makeNative(self: LightBody, source: Source | null): Request {
    const r = self as LightRequest;
    return new (NativeRequest())(r.#url, { method: r.#method, headers: headerPairs(r.headers), body: source, duplex: 'half' } as RequestInit);
  }

  /**
   * @internal The native Request this one stands for, with its current headers, for the platform's
   * `Request` constructor and `fetch`: as those do with a Request, it takes the body.
   */
  static {
    isLightRequest = (value) => value !== null && typeof value === 'object' && #url in value;
    requestToNative = (request, where) => {
      if (request.bodyUsed) throw new TypeError(`${where}: Cannot construct a Request with a Request object that has already been used.`);
      const { source, native } = takeBody(request, where, false);
      const init = { method: request.#method, headers: headerPairs(request.headers), body: native ? native.body : source, duplex: 'half', signal: request.signal };
      return new (NativeRequest())(request.#url, init as RequestInit);
    };
  }

  get method(): string { return this.#method; }
  get url(): string { return this.#url; }
  get headers(): LightHeaders {
    if (!(this.#headers instanceof LightHeaders)) {
      const headers = new LightHeaders();
      fillTrusted(headers, this.#headers.rawHeaders);
      this.#headers = headers;
    }
    return this.#headers;
  }

  get destination(): '' { return ''; }
  get referrer(): string { return 'about:client'; }
  get referrerPolicy(): '' { return ''; }
  get mode(): 'cors' { return 'cors'; }
  get credentials(): 'same-origin' { return 'same-origin'; }
  get cache(): 'default' { return 'default'; }
  get redirect(): 'follow' { return 'follow'; }
  get integrity(): string { return ''; }
  get keepalive(): boolean { return false; }
  get isReloadNavigation(): boolean { return false; }
  get isHistoryNavigation(): boolean { return false; }
  get duplex(): 'half' { return 'half'; }
  get signal(): AbortSignal {
    if (!this.#signal) {
      if (this.#makeSignal) this.#signal = this.#makeSignal();
      else {
        const controller = new AbortController();
        const res = this.#closes;
        res?.once('close', () => { if (!res.writableFinished) controller.abort(); });
        this.#signal = controller.signal;
      }
    }
    return this.#signal;
  }

  clone(): LightRequest {
    const { source, native } = takeBody(this, 'Request.clone', true);
    const clone = new LightRequest(INTERNAL, [this.#url, this.#method, new LightHeaders(this.headers), source, native as Request | undefined]);
    // The clone's signal aborts with this one's.
    clone.#makeSignal = () => this.signal;
    return clone;
  }
}
Object.defineProperty(LightRequest.prototype, Symbol.toStringTag, { value: 'Request', configurable: true });
nameAs(LightRequest, 'Request');

/** A RequestInit whose light parts (headers, a light Request or Response as body) the platform can read. */
function convertInit(init: unknown): RequestInit | undefined {
  if (init === null || typeof init !== 'object') return init as undefined;
  const i = init as AnyRecord;
  const headers = i.headers instanceof LightHeaders && !isNative(i.headers, 'Headers') ? headerPairs(i.headers as LightHeaders) : i.headers;
  return headers === i.headers ? (init as RequestInit) : ({ ...i, headers } as RequestInit);
}

/** `fetch`, the platform's: a light Request as input is turned into a native one first. */
export function lightFetch(input: unknown, init?: unknown): Promise<Response> {
  const source = isLightRequest(input) ? requestToNative(input as LightRequest, 'fetch') : input;
  return nativeFetch()(source as any, convertInit(init));
}
nameAs(lightFetch, 'fetch');
