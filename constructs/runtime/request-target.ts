/**
 * How both adapters turn what arrived (scheme, Host, request target) into `request.url`, so the
 * app sees the same URL on a server and on Lambda: the WHATWG URL serialization (lower-case
 * host, default port dropped, dot segments resolved, spaces and non-ASCII percent-encoded).
 */

/** A request the adapters answer with 400 before the app sees it. */
export class BadRequest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadRequest';
  }
}

/** Targets already in serialized form: no dot segments, only characters the URL parser keeps. */
const SERIALIZED_TARGET = /^\/[!#$&-;=?-[\]_a-z~]*$/i;
const DOT_SEGMENT = /\/\.\.?(?:[/?#]|$)|%2e/i;
/** A lower-case host name or IPv4 address, with a port that is not 0-padded. */
const PLAIN_HOST = /^[a-z0-9.-]+(?::([1-9]\d{0,4}))?$/;
const DEFAULT_PORT: Record<string, string> = { http: '80', https: '443' };

/** `scheme://host/target` as the URL parser serializes it; a BadRequest when it cannot be one. */
/** The last scheme and host found already in serialized form (most requests repeat them). */
let plainOrigin = '';

/** Whether `scheme://host` is already what the URL parser would serialize. */
function isPlainOrigin(scheme: string, host: string): boolean {
  const plain = PLAIN_HOST.exec(host);
  return plain !== null && plain[1] !== DEFAULT_PORT[scheme] && Number(plain[1] ?? 0) <= 65535;
}

export function requestUrl(scheme: string, host: string, target: string): string {
  if (target.charCodeAt(0) !== 47) throw new BadRequest(`the request target must start with '/': ${JSON.stringify(target.slice(0, 100))}`);
  const origin = `${scheme}://${host}`;
  if ((origin === plainOrigin || isPlainOrigin(scheme, host)) && SERIALIZED_TARGET.test(target) && !DOT_SEGMENT.test(target)) {
    plainOrigin = origin;
    return origin + target;
  }
  const backslash = target.indexOf('\\');
  const query = target.indexOf('?');
  if (backslash !== -1 && (query === -1 || backslash < query)) throw new BadRequest('a backslash in the request path');
  let url: URL;
  try {
    url = new URL(`${scheme}://${host}${target}`);
  } catch {
    throw new BadRequest(`the Host header is not a valid host: ${JSON.stringify(host.slice(0, 100))}`);
  }
  // A Host the parser read as something else (user info, a path, another host) is not a host.
  const expected = host.toLowerCase().replace(/:\d*$/, '');
  if (url.hostname !== expected || url.username || url.password) {
    throw new BadRequest(`the Host header is not a valid host: ${JSON.stringify(host.slice(0, 100))}`);
  }
  return url.href;
}
