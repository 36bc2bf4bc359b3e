import * as fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

/** A real PostgreSQL (PGlite, compiled to WebAssembly) on a loopback port, for local runs and tests. */
export interface EmbeddedPostgres {
  /** A `postgresql://` URL the `pg` driver connects to. */
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Starts an embedded PostgreSQL speaking the wire protocol on 127.0.0.1.
 * @param dataDir a folder to keep data in between runs; in memory when omitted
 */
export async function startEmbeddedPostgres(dataDir?: string, port = 0): Promise<EmbeddedPostgres> {
  if (dataDir) fs.mkdirSync(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir ? { dataDir } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 10 });
  await server.start();
  const address = server.getServerConn();
  return {
    url: `postgresql://postgres:postgres@${address}/postgres?sslmode=disable`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
