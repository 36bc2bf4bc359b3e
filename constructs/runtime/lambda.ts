import { handle } from 'hono/aws-lambda';
import { assertFetchApp, type FetchApp } from './contract';

/**
 * One Lambda handler for API Gateway REST (v1) and HTTP API (v2) events, ALB
 * events and Function URL events: base64 bodies, multi-value headers and
 * cookies are translated by Hono's adapter, which only needs `app.fetch`.
 */
export function createHandler(app: FetchApp) {
  assertFetchApp(app);
  return handle(app as unknown as Parameters<typeof handle>[0]);
}
