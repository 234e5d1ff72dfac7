import type { MemoryStore } from './memory-store.ts';
import { openSqliteStore } from './sqlite/sqlite-store.ts';
import { isPostgresUrl } from './postgres/connection.ts';

/** Options of `openStore`. */
export interface OpenStoreOptions {
  /** SQLite: create the file when it does not exist (default true). PostgreSQL: tables are always created. */
  create?: boolean;
}

/**
 * Opens the store a location names: a `postgres://` URL (tables in schema `memalign`, or
 * `?schema=`) or an SQLite file path. PostgreSQL support loads only when used.
 *
 * @example
 * const store = await openStore(process.env.MEMALIGN_STORE ?? '.memalign/memory.db');
 */
export async function openStore(location: string, options: OpenStoreOptions = {}): Promise<MemoryStore> {
  if (isPostgresUrl(location)) {
    const { openPostgresStore } = await import('./postgres/postgres-store.ts');
    return openPostgresStore(location);
  }
  return openSqliteStore(location, { create: options.create });
}
