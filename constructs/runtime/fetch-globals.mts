/**
 * Injected into the lambda bundle by esbuild (`inject`): every free reference to `Headers`,
 * `Request`, `Response` or `fetch` in the bundled code — the app, its framework, its libraries —
 * resolves to these bindings instead of the globals. The globals themselves are never read or
 * redefined, so Node's fetch implementation stays unloaded until something needs a native object.
 *
 * `WEB_TIERS_NATIVE_FETCH=1` binds the platform's own classes instead (for comparison).
 */
import { LightHeaders, LightRequest, LightResponse, lightFetch } from './light-fetch.js';

const native = process.env.WEB_TIERS_NATIVE_FETCH === '1';
const platform = globalThis as unknown as Record<string, unknown>;

const Headers = native ? platform.Headers : LightHeaders;
const Request = native ? platform.Request : LightRequest;
const Response = native ? platform.Response : LightResponse;
const fetch = native ? platform.fetch : lightFetch;

export { Headers, Request, Response, fetch };
