import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PostgreSQL server of its own, in a temporary folder, on a free port of 127.0.0.1. */
export interface ThrowawayPostgres {
  /** `postgres://memalign@127.0.0.1:<port>/postgres` (trust authentication, local only). */
  url: string;
  port: number;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

/** Options of `startPostgres`. */
export interface ThrowawayPostgresOptions {
  /** Sync to disk like a production server (default false: faster, for tests). */
  durable?: boolean;
  /** Server settings, e.g. `{ max_connections: '300' }`. */
  settings?: Record<string, string>;
  /** How long to wait for the server to accept connections, in ms (default 30 000). */
  timeoutMs?: number;
}

/**
 * The folder with `initdb` and `postgres`: `MEMALIGN_PG_BIN`, else the newest
 * `/usr/lib/postgresql/<n>/bin` (Debian's packages), else undefined.
 *
 * @example
 * if (!postgresBinaries()) console.log('apt-get install -y postgresql-15');
 */
export function postgresBinaries(): string | undefined {
  const env = process.env.MEMALIGN_PG_BIN;
  if (env) return existsSync(join(env, 'initdb')) ? env : undefined;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'initdb'))) return join(root, v, 'bin');
  return undefined;
}

/**
 * Starts a throwaway PostgreSQL cluster (initdb into a temporary folder, a free port on
 * 127.0.0.1), for tests and benchmarks. Run as root, the server runs as the `postgres` user
 * (PostgreSQL refuses root).
 *
 * @example
 * const pg = await startPostgres();
 * const store = await openPostgresStore(pg.url);
 * await pg.stop();
 */
export async function startPostgres(options: ThrowawayPostgresOptions = {}): Promise<ThrowawayPostgres> {
  const bin = postgresBinaries();
  if (!bin) throw new Error('PostgreSQL is not installed: apt-get install -y postgresql-15 (or set MEMALIGN_PG_BIN to the folder with initdb).');
  const dir = mkdtempSync(join(tmpdir(), 'memalign-pg-'));
  const data = join(dir, 'data');
  const owner = process.getuid?.() === 0 ? postgresUser() : undefined;
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  const init = spawnSync(join(bin, 'initdb'), ['-D', data, '-U', 'memalign', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'], { ...as, encoding: 'utf8' });
  if (init.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${init.stderr || init.error?.message}`);
  }
  const port = await freePort();
  const settings: Record<string, string> = {
    listen_addresses: '127.0.0.1', port: String(port), unix_socket_directories: dir, max_connections: '300',
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }), ...options.settings,
  };
  const server = spawn(join(bin, 'postgres'), ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])], { ...as, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  server.stderr!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
  const stop = async () => {
    await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(server, () => log, options.timeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url: `postgres://memalign@127.0.0.1:${port}/postgres`, port, stop };
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
  const uid = id('-u');
  if (!Number.isInteger(uid) || uid <= 0) throw new Error('Running as root, PostgreSQL needs the "postgres" user (created by the Debian package postgresql-15).');
  return { uid, gid: id('-g') };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function waitReady(server: ChildProcess, log: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`PostgreSQL exited at start: ${log()}`);
    if (/ready to accept connections/.test(log())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`PostgreSQL did not start within ${timeoutMs} ms: ${log()}`);
}

async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise<void>((r) => server.once('exit', () => r()));
  server.kill('SIGINT'); // fast shutdown
  const timer = setTimeout(() => server.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}
