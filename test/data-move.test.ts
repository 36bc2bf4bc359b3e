// The data move from tier 1 to a managed database, run between two local PostgreSQL servers of
// the same major version (Debian's `postgresql` package; CI installs it): the source set up as tier
// 1's boot script sets it up (role and database webapp, the app's own tables, made by the app's
// driver), the target as RDS hands it over (an empty database owned by a user that is not a
// superuser). The script under test is the one README's runbook runs on the hosts.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PgStore } from '../webapp/src/pg-store';

const SCRIPT = path.join(__dirname, '..', 'constructs', 'scripts', 'data-move.sh');

/** The newest PostgreSQL server binaries Debian installed. */
function serverBin(): string {
  const root = '/usr/lib/postgresql';
  const majors = fs.existsSync(root) ? fs.readdirSync(root).filter((d) => fs.existsSync(path.join(root, d, 'bin', 'initdb'))).sort((a, b) => Number(a) - Number(b)) : [];
  if (majors.length === 0) throw new Error('no PostgreSQL server: apt-get install postgresql (CI installs it the same way)');
  return path.join(root, majors[majors.length - 1], 'bin');
}

const BIN = serverBin();
// initdb and postgres refuse to run as root: as root, the servers run as the package's postgres user.
const AS_ROOT = process.getuid?.() === 0;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'data-move-'));
fs.chmodSync(work, 0o755);

function asServerUser(command: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const [file, argv] = AS_ROOT ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
  return execFileSync(file, argv, { encoding: 'utf8', env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

interface Server { readonly port: number; readonly socketDir: string; readonly dataDir: string }

async function startServer(name: string): Promise<Server> {
  const dataDir = path.join(work, name, 'data');
  const socketDir = path.join(work, name, 'socket');
  fs.mkdirSync(dataDir, { recursive: true });
  fs.mkdirSync(socketDir, { recursive: true });
  if (AS_ROOT) execFileSync('chown', ['-R', 'postgres:postgres', path.join(work, name)]);
  asServerUser(path.join(BIN, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  asServerUser(path.join(BIN, 'pg_ctl'), ['-D', dataDir, '-l', path.join(work, name, 'log'), '-w', '-o',
    `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${socketDir} -c fsync=off`, 'start']);
  return { port, socketDir, dataDir };
}

/** psql as the server's superuser over its socket. */
function superuser(server: Server, sql: string, database = 'postgres'): string {
  return asServerUser('psql', ['-X', '-v', 'ON_ERROR_STOP=1', '-tA', '-h', server.socketDir, '-p', String(server.port), '-U', 'postgres', '-d', database, '-c', sql]).trim();
}

function run(args: string[], env: NodeJS.ProcessEnv, asPostgres = false): { status: number; stdout: string; stderr: string } {
  const [file, argv] = asPostgres && AS_ROOT ? ['runuser', ['-u', 'postgres', '--', 'bash', SCRIPT, ...args]] : ['bash', [SCRIPT, ...args]];
  const r = spawnSync(file, argv, { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let source: Server;
let target: Server;
const PASSWORD = 'move-test-secret';
const dumpFile = path.join(work, 'dump', 'webapp.dump');
const sourceEnv = () => ({ PGHOST: source.socketDir, PGPORT: String(source.port), PGUSER: 'postgres' });
const targetEnv = () => ({ PGHOST: '127.0.0.1', PGPORT: String(target.port), PGUSER: 'webapp', PGPASSWORD: PASSWORD });
const store = (server: Server, user: string, password?: string) =>
  new PgStore({ host: '127.0.0.1', port: server.port, user, password, database: 'webapp' });

beforeAll(async () => {
  [source, target] = await Promise.all([startServer('source'), startServer('target')]);
  // Tier 1, as its boot script makes it: role webapp (peer/trust on the instance), database webapp owned by it.
  superuser(source, `CREATE ROLE webapp LOGIN PASSWORD '${PASSWORD}'`);
  superuser(source, 'CREATE DATABASE webapp OWNER webapp');
  // RDS, as it hands the database over: its master user is no superuser and owns an empty database.
  superuser(target, `CREATE ROLE webapp LOGIN CREATEDB CREATEROLE PASSWORD '${PASSWORD}'`);
  superuser(target, 'CREATE DATABASE webapp OWNER webapp');
  superuser(target, 'REVOKE ALL ON DATABASE webapp FROM PUBLIC');
  fs.mkdirSync(path.dirname(dumpFile), { recursive: true });
  if (AS_ROOT) execFileSync('chown', ['postgres', path.dirname(dumpFile)]);
}, 60_000);

afterAll(() => {
  for (const server of [source, target]) {
    if (server) asServerUser(path.join(BIN, 'pg_ctl'), ['-D', server.dataDir, '-m', 'immediate', 'stop']);
  }
  fs.rmSync(work, { recursive: true, force: true });
});

test('tier 1\'s data reaches the managed database: rows, owner, sequences, and the app writes on', async () => {
  // The app makes its table and writes through its own driver; a deleted row leaves the sequence ahead of the rows.
  const before = store(source, 'webapp', PASSWORD);
  for (const name of ['ada', 'grace', 'edsger']) await before.add(name, `hello from ${name}`);
  const gone = await before.add('temp', 'deleted before the move');
  superuser(source, `DELETE FROM guestbook_entries WHERE id = ${gone.id}`, 'webapp');
  const entries = await before.list(10);
  await before.close();

  const dumped = run(['dump', dumpFile], { ...sourceEnv(), PGDATABASE: 'webapp' }, true);
  expect(dumped).toEqual(expect.objectContaining({ status: 0, stdout: expect.stringMatching(/^data-move: dumped webapp \(PostgreSQL \d+\) to .*webapp\.dump \(\d+ bytes\)\n$/) }));

  const restored = run(['restore', dumpFile], targetEnv());
  expect(restored.stderr).toBe('');
  expect(restored.stdout).toMatch(/^data-move: restored .* into webapp \(PostgreSQL \d+\) as webapp\n$/);

  // The same rows, owned by the target's user, and the counts the runbook compares agree.
  expect(superuser(target, "SELECT tableowner FROM pg_tables WHERE tablename = 'guestbook_entries'", 'webapp')).toBe('webapp');
  const counts = (env: NodeJS.ProcessEnv, asPostgres = false) => run(['counts'], { ...env, PGDATABASE: 'webapp' }, asPostgres).stdout;
  expect(counts(targetEnv())).toBe(counts(sourceEnv(), true));
  expect(counts(targetEnv())).toBe('table public.guestbook_entries 3\nsequence public.guestbook_entries_id_seq 4\n');
  const after = store(target, 'webapp', PASSWORD);
  expect(await after.list(10)).toEqual(entries);
  // The sequence moved with the data: the next entry does not collide with the deleted one's id.
  expect((await after.add('barbara', 'written after the move')).id).toBe(gone.id + 1);
  await after.close();
}, 60_000);

test('a restore into a database that holds tables stops before writing; nothing is dropped', () => {
  const again = run(['restore', dumpFile], targetEnv());
  expect(again.status).toBe(1);
  expect(again.stderr).toBe('data-move: the target database webapp already holds 1 table(s): restore only into an empty database (nothing is dropped)\n');
  expect(superuser(target, 'SELECT count(*) FROM guestbook_entries', 'webapp')).toBe('4');
});

test('a dump is never overwritten, and a file that is not a dump is refused', () => {
  const overwrite = run(['dump', dumpFile], { ...sourceEnv(), PGDATABASE: 'webapp' }, true);
  expect(overwrite).toEqual(expect.objectContaining({ status: 1, stderr: `data-move: ${dumpFile} exists: not overwriting it\n` }));
  const junk = path.join(work, 'junk.dump');
  fs.writeFileSync(junk, 'not a dump');
  const refused = run(['restore', junk], targetEnv());
  expect(refused.status).toBe(1);
  expect(refused.stderr).toMatch(/^data-move: \/.*\/junk\.dump is not a pg_dump archive \(pg_restore: error: .+\)\n$/);
  expect(run([], {}).stderr).toBe('data-move: usage: data-move.sh dump FILE | restore FILE | counts\n');
});
