import { DatabaseSync } from 'node:sqlite';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import type pg from 'pg';
import { StoreError } from '../core/errors.ts';
import { inPgTransaction } from '../store/postgres/connection.ts';
import { statementCache } from '../store/sqlite/statements.ts';

/** A row as the database returns it. */
export type SqlRow = Record<string, unknown>;
export type SqlValue = string | number | null;

/**
 * The little SQL the review store needs, over SQLite or PostgreSQL. Statements are written once,
 * with `?` placeholders (rewritten to `$n` for PostgreSQL) and the SQL both databases share.
 */
export interface Sql {
  readonly dialect: 'sqlite' | 'postgres';
  all(sql: string, params?: SqlValue[]): Promise<SqlRow[]>;
  get(sql: string, params?: SqlValue[]): Promise<SqlRow | undefined>;
  /** Runs a statement; returns the number of rows it changed. */
  run(sql: string, params?: SqlValue[]): Promise<number>;
  /**
   * Runs data-changing statements that touch different tables, as one round trip where the
   * database allows (PostgreSQL: one statement of WITH parts; SQLite: in process, one by one).
   */
  batch(statements: [string, SqlValue[]][]): Promise<void>;
  /** Runs `fn` in one transaction: all or nothing. Rows read to be changed are locked with `lockRows` (PostgreSQL). */
  tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * SQLite through `node:sqlite`. The driver is synchronous, so transactions of concurrent requests
 * in one process run one after another (a promise chain), each as BEGIN IMMEDIATE so other
 * processes wait on the file lock instead of failing midway.
 */
export function sqliteSql(path: string): Sql {
  // One connection per file in a process: two would deadlock (a synchronous busy wait on one
  // blocks the event loop the other's open transaction needs to finish).
  const key = path === ':memory:' ? undefined : resolve(path);
  const shared = key ? openFiles.get(key) : undefined;
  if (shared) {
    shared.users += 1;
    return { ...shared.sql, close: () => shared.release() };
  }
  const sql = openSqlite(path);
  if (!key) return sql;
  const entry = { sql, users: 1, release: async () => { if (--entry.users === 0) { openFiles.delete(key); await sql.close(); } } };
  openFiles.set(key, entry);
  return { ...sql, close: () => entry.release() };
}

const openFiles = new Map<string, { sql: Sql; users: number; release(): Promise<void> }>();

function openSqlite(path: string): Sql {
  if (path !== ':memory:') {
    if (!existsSync(dirname(path))) mkdirSync(dirname(path), { recursive: true });
  }
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;');
  } catch (error) {
    throw new StoreError(`Could not open the review store ${path}: ${(error as Error).message}. Check the path and that it is an SQLite file.`, error);
  }
  const prepare = statementCache(db);
  // Everything on this connection runs one at a time, in call order: a transaction's statements
  // are not interleaved with another caller's.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T> | T): Promise<T> => {
    const run = chain.then(fn);
    chain = run.catch(() => {});
    return run;
  };
  const inner: Sql = {
    dialect: 'sqlite',
    async all(sql, params = []) { return prepare(sql).all(...params) as SqlRow[]; },
    async get(sql, params = []) { return prepare(sql).get(...params) as SqlRow | undefined; },
    async run(sql, params = []) { return Number(prepare(sql).run(...params).changes); },
    async batch(statements) { for (const [sql, params] of statements) prepare(sql).run(...params); },
    // A transaction inside a transaction joins it.
    tx: (fn) => fn(inner),
    async close() {},
  };
  return {
    dialect: 'sqlite',
    all: (sql, params) => serial(() => inner.all(sql, params)),
    get: (sql, params) => serial(() => inner.get(sql, params)),
    run: (sql, params) => serial(() => inner.run(sql, params)),
    batch: (statements) => serial(() => inner.batch(statements)),
    tx: <T>(fn: (sql: Sql) => Promise<T>) => serial(async () => {
      db.exec('BEGIN IMMEDIATE');
      try {
        const result = await fn(inner);
        db.exec('COMMIT');
        return result;
      } catch (error) {
        try { db.exec('ROLLBACK'); } catch { /* already rolled back */ }
        throw error;
      }
    }),
    close: () => serial(() => db.close()),
  };
}

/** `?` placeholders to PostgreSQL's `$1, $2, …` (no statement here has a `?` inside a literal). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/**
 * PostgreSQL through a node-postgres pool; each transaction on its own connection. Statements are
 * named, so each connection parses and plans one only once (the review queries run thousands of
 * times a minute; planning them anew each time was most of their cost).
 */
export function postgresSql(pool: pg.Pool): Sql {
  const names = new Map<string, { name: string; text: string }>();
  const statement = (sql: string, values: SqlValue[]) => {
    let s = names.get(sql);
    if (!s) { s = { name: `ma_${createHash('sha1').update(sql).digest('hex').slice(0, 20)}`, text: numbered(sql) }; names.set(sql, s); }
    return { ...s, values };
  };
  const on = (client: pg.Pool | pg.PoolClient): Omit<Sql, 'tx' | 'close'> => ({
    dialect: 'postgres',
    async all(sql, params = []) { return (await client.query(statement(sql, params))).rows as SqlRow[]; },
    async get(sql, params = []) { return (await client.query(statement(sql, params))).rows[0] as SqlRow | undefined; },
    async run(sql, params = []) { return (await client.query(statement(sql, params))).rowCount ?? 0; },
    async batch(statements) {
      if (statements.length === 0) return;
      if (statements.length === 1) { await client.query(statement(statements[0][0], statements[0][1])); return; }
      // Parts of one WITH run together, on one snapshot: they must not depend on each other's rows.
      const text = `WITH ${statements.map(([sql], i) => `s${i} AS (${sql})`).join(', ')} SELECT 1`;
      await client.query(statement(text, statements.flatMap(([, params]) => params)));
    },
  });
  const sql: Sql = {
    ...on(pool),
    tx<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
      return inPgTransaction(pool, (client) => {
        const inner: Sql = { ...on(client), tx: (f) => f(inner), close: async () => {} };
        return fn(inner);
      });
    },
    async close() { /* the pool belongs to the memory store */ },
  };
  return sql;
}

/** ` FOR UPDATE` where the database needs it: SQLite's BEGIN IMMEDIATE already holds the write lock. */
export function lockRows(sql: Sql): string {
  return sql.dialect === 'postgres' ? ' FOR UPDATE' : '';
}
