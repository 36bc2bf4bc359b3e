/**
 * Lightweight stand-ins for the WHATWG `Headers`, `Response` and `Request` classes.
 *
 * Node loads its fetch implementation lazily, the first time `Headers`, `Request` or `Response`
 * is touched, and that costs ~20 ms: most of a Lambda cold start for a small app. These
 * classes cover what a fetch-handler app does while answering a request (build a response
 * from a string or bytes, read and set headers, read a JSON or text body) without that load.
 * Anything else — a streamed body, `formData()`, `clone()`, a property they do not implement —
 * turns the object into a native one on first use, so behaviour stays that of the platform.
 */

type NativeCtor<T> = new (...args: any[]) => T;

export const LIGHT_HEADERS = Symbol('cdk-web-tiers.lightHeaders');
export const LIGHT_RESPONSE = Symbol('cdk-web-tiers.lightResponse');
const NATIVE = Symbol('cdk-web-tiers.native');

/** True once anything has loaded the platform's fetch classes (then instanceof against them is free). */
let nativeLoaded = false;
function isNativeLoaded(): boolean {
  return nativeLoaded;
}
function markNativeLoaded(): void {
  nativeLoaded = true;
}

/** Light classes put in place of globals, to put back after a native getter replaced them. */
const lightGlobals = new Map<string, unknown>();

/**
 * The platform's own classes, read from their lazy global getters only when needed. Node's getter
 * replaces the global with the native class when called, so the light class is put back.
 */
function nativeGlobal<T>(name: 'Headers' | 'Response' | 'Request'): () => NativeCtor<T> {
  const descriptor = Object.getOwnPropertyDescriptor(globalThis, name);
  let ctor: NativeCtor<T> | undefined;
  return () => {
    if (!ctor) {
      ctor = (descriptor?.get ? descriptor.get.call(globalThis) : descriptor?.value) as NativeCtor<T>;
      markNativeLoaded();
      restoreLightGlobals();
    }
    return ctor;
  };
}

function restoreLightGlobals(): void {
  for (const [name, light] of lightGlobals) {
    // The descriptor, not the property: reading the property would run the lazy getter.
    if (Object.getOwnPropertyDescriptor(globalThis, name)?.value !== light) {
      Object.defineProperty(globalThis, name, { value: light, writable: true, configurable: true, enumerable: false });
    }
  }
}

export const NativeHeaders = nativeGlobal<Headers>('Headers');
export const NativeResponse = nativeGlobal<Response>('Response');
export const NativeRequest = nativeGlobal<Request>('Request');

type HeadersLike = LightHeaders | Headers | Record<string, string> | Array<[string, string]> | Iterable<[string, string]>;

/** `Headers`: names are case-insensitive, values of a repeated name join with ', ', except Set-Cookie. */
export class LightHeaders {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (value !== null && typeof value === 'object' && LIGHT_HEADERS in value) return true;
    return isNativeLoaded() && value instanceof NativeHeaders();
  }

  private readonly map = new Map<string, string[]>();
  public readonly [LIGHT_HEADERS] = true;

  constructor(init?: HeadersLike | null) {
    if (!init) return;
    if (typeof (init as Headers).forEach === 'function' && !Array.isArray(init)) {
      (init as Headers).forEach((value, name) => this.append(name, value));
      // forEach joins Set-Cookie; keep each cookie separate.
      const cookies = typeof (init as Headers).getSetCookie === 'function' ? (init as Headers).getSetCookie() : [];
      if (cookies.length > 1) this.map.set('set-cookie', [...cookies]);
    } else if (Array.isArray(init) || typeof (init as Iterable<unknown>)[Symbol.iterator] === 'function') {
      for (const [name, value] of init as Iterable<[string, string]>) this.append(name, value);
    } else {
      for (const [name, value] of Object.entries(init as Record<string, string>)) this.append(name, value);
    }
  }

  append(name: string, value: string): void {
    const key = String(name).toLowerCase();
    const values = this.map.get(key);
    if (values) values.push(String(value).trim());
    else this.map.set(key, [String(value).trim()]);
  }

  set(name: string, value: string): void {
    this.map.set(String(name).toLowerCase(), [String(value).trim()]);
  }

  delete(name: string): void {
    this.map.delete(String(name).toLowerCase());
  }

  has(name: string): boolean {
    return this.map.has(String(name).toLowerCase());
  }

  get(name: string): string | null {
    const values = this.map.get(String(name).toLowerCase());
    return values ? values.join(', ') : null;
  }

  getSetCookie(): string[] {
    return [...(this.map.get('set-cookie') ?? [])];
  }

  forEach(callback: (value: string, name: string, headers: this) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.map.keys()].sort()) {
      if (name === 'set-cookie') for (const cookie of this.map.get(name)!) yield [name, cookie];
      else yield [name, this.get(name)!];
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

  get [Symbol.toStringTag](): string {
    return 'Headers';
  }
}

/** Bodies the light response keeps as they are; anything else goes to a native Response. */
type SimpleBody = string | Uint8Array | ArrayBuffer | null;
function isSimpleBody(body: unknown): body is SimpleBody {
  return body === null || body === undefined || typeof body === 'string' || body instanceof Uint8Array || body instanceof ArrayBuffer;
}

interface ResponseInitLike {
  status?: number;
  statusText?: string;
  headers?: HeadersLike;
}

/** `Response` for string, byte and empty bodies; other bodies are handed to the native class at once. */
export class LightResponse {
  static [Symbol.hasInstance](value: unknown): boolean {
    if (value !== null && typeof value === 'object' && LIGHT_RESPONSE in value) return true;
    return isNativeLoaded() && value instanceof NativeResponse();
  }

  static json(data: unknown, init: ResponseInitLike = {}): LightResponse {
    const body = JSON.stringify(data);
    if (body === undefined) throw new TypeError('Response.json: value is not JSON serializable');
    const headers = new LightHeaders(init.headers);
    if (!headers.has('content-type')) headers.set('content-type', 'application/json');
    return new LightResponse(body, { ...init, headers });
  }

  static redirect(url: string | URL, status = 302): LightResponse {
    if (![301, 302, 303, 307, 308].includes(status)) throw new RangeError(`Response.redirect: invalid status code ${status}`);
    let location: string;
    try {
      location = new URL(String(url)).href;
    } catch {
      throw new TypeError(`Response.redirect: failed to parse URL from ${String(url)}`);
    }
    return new LightResponse(null, { status, headers: { location } });
  }

  static error(): Response {
    markNativeLoaded();
    return (NativeResponse() as unknown as { error(): Response }).error();
  }

  public readonly [LIGHT_RESPONSE] = true;
  private [NATIVE]?: Response;
  private readonly bodyInit: SimpleBody | undefined;
  private readonly init: ResponseInitLike;
  private lightHeaders?: LightHeaders;
  private used = false;

  constructor(body?: unknown, init: ResponseInitLike | Response = {}) {
    const fromResponse = init !== null && typeof init === 'object' && ('status' in init) && (init instanceof LightResponse || typeof (init as Response).clone === 'function');
    const plainInit: ResponseInitLike = fromResponse
      ? { status: (init as Response).status, statusText: (init as Response).statusText, headers: new LightHeaders((init as Response).headers) }
      : (init as ResponseInitLike) ?? {};
    this.init = plainInit;
    const status = plainInit.status ?? 200;
    if (!Number.isInteger(status) || status < 200 || status > 599) {
      throw new RangeError(`Response: status ${status} is outside 200-599`);
    }
    if ([204, 205, 304].includes(status) && body !== null && body !== undefined) {
      throw new TypeError(`Response: a ${status} response cannot have a body`);
    }
    if (isSimpleBody(body)) {
      this.bodyInit = body ?? null;
    } else {
      markNativeLoaded();
      this[NATIVE] = new (NativeResponse())(body, { status: plainInit.status, statusText: plainInit.statusText, headers: plainInit.headers ? [...new LightHeaders(plainInit.headers)] : undefined });
    }
  }

  /** The native Response this one stands for, made on first need. */
  toNative(): Response {
    if (!this[NATIVE]) {
      markNativeLoaded();
      const status = this.status;
      this[NATIVE] = new (NativeResponse())(status === 204 || status === 304 ? null : this.bodyInit, {
        status, statusText: this.statusText, headers: [...this.headers],
      });
    }
    return this[NATIVE]!;
  }

  /** The body as given, when it is simple enough to send without the native class. @internal */
  _simpleBody(): SimpleBody | undefined {
    return this[NATIVE] ? undefined : this.bodyInit;
  }

  get status(): number {
    return this[NATIVE]?.status ?? this.init.status ?? 200;
  }

  get statusText(): string {
    return this[NATIVE]?.statusText ?? this.init.statusText ?? '';
  }

  get ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  get headers(): LightHeaders {
    if (this[NATIVE]) return this[NATIVE].headers as unknown as LightHeaders;
    if (!this.lightHeaders) {
      this.lightHeaders = new LightHeaders(this.init.headers);
      if (typeof this.bodyInit === 'string' && !this.lightHeaders.has('content-type')) {
        this.lightHeaders.set('content-type', 'text/plain;charset=UTF-8');
      }
    }
    return this.lightHeaders;
  }

  get bodyUsed(): boolean {
    return this[NATIVE]?.bodyUsed ?? this.used;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.toNative().body;
  }

  get redirected(): boolean { return false; }
  get type(): string { return 'default'; }
  get url(): string { return ''; }

  async text(): Promise<string> {
    if (this[NATIVE]) return this[NATIVE].text();
    this.consume();
    const b = this.bodyInit;
    return b === null || b === undefined ? '' : typeof b === 'string' ? b : Buffer.from(b as ArrayBuffer).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    if (this[NATIVE]) return this[NATIVE].arrayBuffer();
    this.consume();
    const bytes = toBytes(this.bodyInit ?? null);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> { return this.toNative().blob(); }
  async formData(): Promise<FormData> { return this.toNative().formData(); }
  clone(): Response { return this.toNative().clone(); }

  private consume(): void {
    if (this.used) throw new TypeError('Body is unusable: Body has already been read');
    this.used = true;
  }
}

export function toBytes(body: SimpleBody): Uint8Array {
  if (body === null) return new Uint8Array(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  return body;
}

/**
 * The request handed to the app: url, method, headers and the body readers are light; any
 * other Request member is served by a native Request made on first use.
 */
export function lightRequest(url: string, method: string, headers: LightHeaders, body: Buffer | undefined): Request {
  let native: Request | undefined;
  let used = false;
  const toNative = (): Request => {
    markNativeLoaded();
    native ??= new (NativeRequest())(url, { method, headers: [...headers], body: body && method !== 'GET' && method !== 'HEAD' ? body : undefined });
    return native;
  };
  const consume = () => {
    if (used) throw new TypeError('Body is unusable: Body has already been read');
    used = true;
  };
  const own: Record<PropertyKey, unknown> = {
    url,
    method,
    headers,
    get bodyUsed() { return native?.bodyUsed ?? used; },
    // The stream is the native request's, so reading it marks the body used as the spec says.
    get body() {
      if (native) return native.body;
      if (!body || body.length === 0) return null;
      return toNative().body;
    },
    text: async () => (native ? native.text() : (consume(), body ? body.toString('utf8') : '')),
    json: async () => (native ? native.json() : (consume(), JSON.parse(body ? body.toString('utf8') : ''))),
    arrayBuffer: async () => {
      if (native) return native.arrayBuffer();
      consume();
      const b = body ?? Buffer.alloc(0);
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    },
    [Symbol.toStringTag]: 'Request',
  };
  return new Proxy(own, {
    // `request instanceof Request` holds (it loads the native class, which few apps need).
    getPrototypeOf() {
      return NativeRequest().prototype;
    },
    get(target, prop) {
      if (prop in target) return target[prop as string];
      const value = Reflect.get(toNative(), prop);
      return typeof value === 'function' ? value.bind(native) : value;
    },
    has(target, prop) {
      return prop in target || prop in toNative();
    },
  }) as unknown as Request;
}

let installed = false;

/**
 * Puts LightHeaders and LightResponse in place of the global `Headers` and `Response`, so an app's
 * `new Response(...)` does not load the native fetch classes. `instanceof` keeps working for
 * native objects too. Set `WEB_TIERS_NATIVE_FETCH=1` to keep the platform's classes.
 */
export function installLightGlobals(): void {
  if (installed || process.env.WEB_TIERS_NATIVE_FETCH === '1') return;
  installed = true;
  // Anything that reads the native getters has loaded them; from then on instanceof checks are exact.
  lightGlobals.set('Headers', LightHeaders);
  lightGlobals.set('Response', LightResponse);
  restoreLightGlobals();
  const request = Object.getOwnPropertyDescriptor(globalThis, 'Request');
  if (request?.get) {
    const get = request.get;
    Object.defineProperty(globalThis, 'Request', { ...request, get() { markNativeLoaded(); return get.call(globalThis); } });
  }
  const fetchDescriptor = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (fetchDescriptor?.get) {
    const get = fetchDescriptor.get;
    Object.defineProperty(globalThis, 'fetch', { ...fetchDescriptor, get() { markNativeLoaded(); return get.call(globalThis); } });
  } else if (typeof fetchDescriptor?.value === 'function') {
    const original = fetchDescriptor.value as typeof fetch;
    Object.defineProperty(globalThis, 'fetch', {
      ...fetchDescriptor,
      value: function fetch(this: unknown, ...args: Parameters<typeof globalThis.fetch>) {
        markNativeLoaded();
        return original.apply(this, args);
      },
    });
  }
}
