import { createRequire } from 'node:module';
import type pg from 'pg';
import { ConfigError } from '../../core/errors.ts';

const require = createRequire(import.meta.url);

/**
 * Whether a store location names a PostgreSQL database rather than an SQLite file.
 *
 * @example
 * isPostgresUrl('postgres://localhost/memalign'); // true
 */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^(postgres(?:ql)?:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** node-postgres, loaded on first use: SQLite users never pay for it. */
export async function loadPg(): Promise<typeof pg> {
  try {
    return require('pg') as typeof pg;
  } catch (error) {
    throw new ConfigError(`A postgres:// store needs the "pg" package, which could not be loaded (${(error as Error).message}): reinstall memalign with its dependencies.`);
  }
}

/**
 * Runs `fn` in one transaction on one pooled connection: committed when it returns, rolled back
 * when it throws, the connection released either way.
 *
 * @example
 * await inPgTransaction(pool, async (client) => client.query('UPDATE …'));
 */
export async function inPgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>, begin = 'BEGIN'): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query(begin);
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
