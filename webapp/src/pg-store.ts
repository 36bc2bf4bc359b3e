import { Pool, type PoolConfig } from 'pg';
import type { Entry, GuestbookStore } from './store';

const SCHEMA = `CREATE TABLE IF NOT EXISTS guestbook_entries (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  message text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
)`;

interface Row { id: string; name: string; message: string; created_at: Date }

const toEntry = (r: Row): Entry => ({ id: Number(r.id), name: r.name, message: r.message, createdAt: r.created_at.toISOString() });

/** PostgreSQL through the `pg` driver: the same SQL on the embedded local server, on the instance and on RDS. */
export class PgStore implements GuestbookStore {
  public readonly kind = 'postgres';
  private readonly pool: Pool;
  private ready?: Promise<unknown>;

  constructor(config: PoolConfig) {
    this.pool = new Pool({ max: 5, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 5_000, ...config });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', (err) => console.error(JSON.stringify({ level: 'error', msg: 'idle database client error', error: err.message })));
  }

  private schema(): Promise<unknown> {
    this.ready ??= this.pool.query(SCHEMA).catch((err) => {
      this.ready = undefined;
      throw err;
    });
    return this.ready;
  }

  async list(limit: number): Promise<Entry[]> {
    await this.schema();
    const { rows } = await this.pool.query<Row>(
      'SELECT id, name, message, created_at FROM guestbook_entries ORDER BY id DESC LIMIT $1', [limit]);
    return rows.map(toEntry);
  }

  async add(name: string, message: string): Promise<Entry> {
    await this.schema();
    const { rows } = await this.pool.query<Row>(
      'INSERT INTO guestbook_entries (name, message) VALUES ($1, $2) RETURNING id, name, message, created_at', [name, message]);
    return toEntry(rows[0]);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
