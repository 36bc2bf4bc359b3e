import { handle } from 'hono/aws-lambda';
import { assertFetchApp, type FetchApp } from './contract';

interface AlbMultiValueEvent {
  requestContext?: { elb?: unknown };
  multiValueHeaders?: Record<string, string[] | undefined>;
}

/**
 * Hono's ALB processor joins every repeated header with '; ', which is right only for
 * Cookie; RFC 9110 joins other field lines with ', '. Pre-join them correctly so that
 * e.g. X-Forwarded-For keeps its meaning.
 */
function normalizeAlbHeaders<E>(event: E): E {
  const alb = event as AlbMultiValueEvent;
  if (!alb?.requestContext?.elb || !alb.multiValueHeaders) return event;
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, values] of Object.entries(alb.multiValueHeaders)) {
    if (!values) continue;
    multiValueHeaders[name] = values.length > 1 ? [values.join(name.toLowerCase() === 'cookie' ? '; ' : ', ')] : values;
  }
  return { ...event, multiValueHeaders };
}

/**
 * One Lambda handler for API Gateway REST (v1) and HTTP API (v2) events, ALB
 * events and Function URL events: base64 bodies, multi-value headers and
 * cookies are translated by Hono's adapter, which only needs `app.fetch`.
 */
export function createHandler(app: FetchApp) {
  assertFetchApp(app);
  const hono = handle(app as unknown as Parameters<typeof handle>[0]);
  return (event: Parameters<typeof hono>[0], context?: Parameters<typeof hono>[1]) => hono(normalizeAlbHeaders(event), context);
}
