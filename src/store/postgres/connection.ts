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
