/**
 * The application contract: a module whose default export has a WHATWG fetch handler,
 * the convention Hono, Cloudflare Workers, Bun and Deno share.
 */
export interface FetchApp {
  fetch(request: Request, ...rest: any[]): Response | Promise<Response>;
}

/** Fails fast, at start-up, when the bundled module does not follow the contract. */
export function assertFetchApp(app: unknown): asserts app is FetchApp {
  if (!app || typeof (app as FetchApp).fetch !== 'function') {
    throw new TypeError(
      'cdk-web-tiers: the web app module must have a default export with fetch(request) ' +
      `(got ${app === null ? 'null' : typeof app}); e.g. 'export default new Hono()' or 'export default { fetch }'.`,
    );
  }
}
