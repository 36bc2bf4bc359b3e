import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { LIMITS, type GuestbookStore } from './store';
import { page } from './page';

class BadRequest extends Error {}

function field(body: Record<string, unknown>, name: 'name' | 'message'): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') throw new BadRequest(`'${name}' is required and must be a non-empty string`);
  const trimmed = value.trim();
  if (trimmed.length > LIMITS[name]) throw new BadRequest(`'${name}' must be at most ${LIMITS[name]} characters`);
  return trimmed;
}

/**
 * The guestbook: a page, a JSON API and a health route over any {@link GuestbookStore}.
 * `store` is a function so the module can load before configuration is checked.
 */
export function createApp(store: () => Promise<GuestbookStore>): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof BadRequest) return c.json({ error: err.message }, 400);
    console.error(JSON.stringify({ level: 'error', msg: 'unhandled error', path: c.req.path, error: err.message }));
    return c.json({ error: 'internal error' }, 500);
  });
  app.notFound((c) => c.json({ error: `no route for ${c.req.method} ${c.req.path}` }, 404));

  app.get('/', (c) => c.html(page()));

  app.get('/health', async (c) => {
    try {
      const s = await store();
      await s.ping();
      return c.json({ status: 'ok', store: s.kind });
    } catch (err) {
      return c.json({ status: 'unavailable', error: (err as Error).message }, 503);
    }
  });

  app.get('/api/entries', async (c) => {
    const raw = c.req.query('limit') ?? '20';
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 1 || limit > LIMITS.list) {
      throw new BadRequest(`'limit' must be an integer from 1 to ${LIMITS.list}`);
    }
    return c.json({ entries: await (await store()).list(limit) });
  });

  app.post('/api/entries',
    bodyLimit({ maxSize: LIMITS.bodyBytes, onError: (c) => c.json({ error: `body larger than ${LIMITS.bodyBytes} bytes` }, 413) }),
    async (c) => {
      if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
        throw new BadRequest("the body must be JSON (content-type 'application/json')");
      }
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new BadRequest('the body is not valid JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
      const entry = await (await store()).add(field(body as Record<string, unknown>, 'name'), field(body as Record<string, unknown>, 'message'));
      return c.json({ entry }, 201);
    });

  return app;
}

/**
 * The store the environment configures. `DATABASE_URL` selects PostgreSQL, which every tier gives
 * the app: the instance's own server on tier 1, RDS or Aurora on tiers 2-4, the same database
 * through RDS Proxy on tiers 5-6 (where the password is an IAM token in `PGPASSWORD`, which `pg`
 * reads for each new connection). `TABLE_NAME` selects DynamoDB, the documented alternative on the
 * serverless tiers. Drivers load on first use, and `WEB_TIERS_TARGET` (a constant in each bundle)
 * leaves the AWS SDK's driver out of the server bundle.
 */
export async function storeFromEnv(env: NodeJS.ProcessEnv = process.env): Promise<GuestbookStore> {
  if (env.DATABASE_URL) {
    const { PgStore } = require('./pg-store') as typeof import('./pg-store');
    return new PgStore({ connectionString: env.DATABASE_URL });
  }
  if (process.env.WEB_TIERS_TARGET !== 'server' && env.TABLE_NAME) {
    const { DynamoStore } = require('./dynamo-store') as typeof import('./dynamo-store');
    return new DynamoStore(env.TABLE_NAME);
  }
  throw new Error('no store configured: set DATABASE_URL (PostgreSQL) or TABLE_NAME (DynamoDB); npm run dev starts an embedded PostgreSQL');
}

let configured: Promise<GuestbookStore> | undefined;
export default createApp(() => (configured ??= storeFromEnv().catch((err) => {
  configured = undefined;
  throw err;
})));
