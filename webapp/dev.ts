/**
 * `npm run dev`: the guestbook on http://localhost:3000 through `cdk-web-tiers dev`, the command a
 * consumer runs on their own app, with the store each target uses started locally and no setup:
 * - `--target server` (default): an embedded PostgreSQL (PGlite), data kept in webapp/.data;
 *   set DATABASE_URL to use another PostgreSQL instead;
 * - `--target lambda`: an in-memory DynamoDB (dynalite) holding the guestbook table.
 * Every option of `cdk-web-tiers dev` applies: `npm run dev -- --target lambda --port 4000`.
 */
import type * as http from 'node:http';
import * as path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseDevArgs, startDev } from '../lib/dev';
import { startEmbeddedPostgres } from './src/local-db';

interface LocalStore {
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

async function postgres(): Promise<LocalStore> {
  if (process.env.DATABASE_URL) return { env: {}, stop: async () => undefined };
  const db = await startEmbeddedPostgres(path.join(__dirname, '.data', 'pglite'));
  return { env: { DATABASE_URL: db.url }, stop: db.stop };
}

async function dynamodb(): Promise<LocalStore> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const dynalite = require('dynalite') as (o: object) => http.Server;
  const server = dynalite({ createTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const endpoint = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const env = { TABLE_NAME: 'guestbook', AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_ENDPOINT_URL_DYNAMODB: endpoint };
  const client = new DynamoDBClient({ endpoint, region: env.AWS_REGION, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await client.send(new CreateTableCommand({
    TableName: env.TABLE_NAME, BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }, { AttributeName: 'sk', AttributeType: 'S' }],
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }, { AttributeName: 'sk', KeyType: 'RANGE' }],
  }));
  client.destroy();
  return { env, stop: () => new Promise((resolve) => server.close(() => resolve())) };
}

async function main() {
  const options = parseDevArgs(process.argv.slice(2), process.env, path.join(__dirname, 'src', 'app.ts'));
  const store = options.target === 'lambda' ? await dynamodb() : await postgres();
  const dev = await startDev({ ...options, env: store.env });
  const shutdown = () => void dev.close().then(store.stop).then(() => process.exit(0));
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

main().catch((err: Error) => {
  console.error(`npm run dev: ${err.message}`);
  process.exit(1);
});
