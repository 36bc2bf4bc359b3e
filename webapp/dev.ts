/**
 * `npm run dev`: the guestbook on http://localhost:3000 with an embedded PostgreSQL
 * (data kept in webapp/.data), served by the same adapter the server tiers run.
 * Set DATABASE_URL to use another PostgreSQL instead.
 */
import * as path from 'node:path';
import { startServer, settingsFromEnv } from '../constructs/runtime/server';
import app from './src/app';
import { startEmbeddedPostgres } from './src/local-db';

async function main() {
  let stopDb: (() => Promise<void>) | undefined;
  if (!process.env.DATABASE_URL) {
    const db = await startEmbeddedPostgres(path.join(__dirname, '.data', 'pglite'));
    process.env.DATABASE_URL = db.url;
    stopDb = db.stop;
  }
  const running = startServer(app, { ...settingsFromEnv(), port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' }, false);
  const { port } = await running.listening;
  console.log(`guestbook on http://localhost:${port} (Ctrl+C to stop)`);
  process.once('SIGINT', async () => {
    await running.drain();
    await stopDb?.();
    process.exit(0);
  });
}

void main();
