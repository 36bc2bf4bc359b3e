/**
 * An embedded PostgreSQL in its own process: prints `{"msg":"db listening","url":...}` once
 * ready and stops on SIGTERM. Tests use it (PGlite cannot load inside jest's VM sandbox).
 */
import { startEmbeddedPostgres } from './src/local-db';

void startEmbeddedPostgres(process.argv[2]).then((db) => {
  process.stdout.write(`${JSON.stringify({ msg: 'db listening', url: db.url })}\n`);
  process.once('SIGTERM', () => void db.stop().then(() => process.exit(0)));
});
