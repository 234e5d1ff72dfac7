import type pg from 'pg';
import { StoreError } from '../../core/errors.ts';

/**
 * Each migration moves a schema one version up; never edit a released one, add a new one. The
 * tables mirror the SQLite store's (same rows, same JSON), plus batches for distributed judging.
 * `{s}` is the quoted schema name.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE {s}.judges (name TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE {s}.feedback (judge TEXT NOT NULL, id TEXT NOT NULL, record_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));
   CREATE TABLE {s}.episodes (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, text TEXT NOT NULL, label TEXT,
     vector BYTEA, embedder TEXT, PRIMARY KEY (judge, id));
   CREATE TABLE {s}.guidelines (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));
   CREATE TABLE {s}.tombstones (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));
   CREATE TABLE {s}.log (seq BIGSERIAL PRIMARY KEY, judge TEXT NOT NULL, version INTEGER NOT NULL, op TEXT NOT NULL,
     target TEXT NOT NULL, cause TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL);
   CREATE INDEX log_judge ON {s}.log (judge, version);
   CREATE TABLE {s}.feedback_history (seq BIGSERIAL PRIMARY KEY, judge TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX feedback_history_id ON {s}.feedback_history (judge, id);`,
  // Batches of records judged by workers (see src/batch): the batch, its items in input order, and
  // one verdict per item, written in the transaction that completes the item's job.
  `CREATE TABLE {s}.batches (id TEXT PRIMARY KEY, judge TEXT NOT NULL, definition TEXT NOT NULL, model TEXT NOT NULL,
     pinned_version INTEGER, snapshot TEXT, status TEXT NOT NULL, total INTEGER NOT NULL, created_at TEXT NOT NULL, options TEXT NOT NULL);
   CREATE TABLE {s}.batch_items (batch TEXT NOT NULL REFERENCES {s}.batches (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
     record TEXT NOT NULL, job TEXT, PRIMARY KEY (batch, seq));
   CREATE TABLE {s}.batch_results (batch TEXT NOT NULL, seq INTEGER NOT NULL, ok BOOLEAN NOT NULL, result TEXT NOT NULL,
     memory_version INTEGER NOT NULL, worker TEXT NOT NULL, at TEXT NOT NULL, PRIMARY KEY (batch, seq),
     FOREIGN KEY (batch, seq) REFERENCES {s}.batch_items (batch, seq) ON DELETE CASCADE);
   CREATE TABLE {s}.rate_buckets (key TEXT PRIMARY KEY, tokens DOUBLE PRECISION NOT NULL, refilled_at DOUBLE PRECISION NOT NULL);`,
  // Request rate limits shared by every worker (see src/batch/rate-limit.ts): per key, the
  // theoretical arrival time of the next request (GCRA), in seconds of the database's clock.
  `DROP TABLE {s}.rate_buckets;
   CREATE TABLE {s}.rate_limits (key TEXT PRIMARY KEY, tat DOUBLE PRECISION NOT NULL);`,
  // A persisted recall index per judge (derived, rebuilt when missing): its parts, in order.
  `CREATE TABLE {s}.recall_index (judge TEXT NOT NULL, part INTEGER NOT NULL, version INTEGER NOT NULL, embedder TEXT NOT NULL,
     data BYTEA NOT NULL, PRIMARY KEY (judge, part));`,
];

/** The schema version this code writes. */
export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** A schema name safe to splice into SQL (PostgreSQL identifiers, lower case). */
export function checkSchemaName(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) {
    throw new StoreError(`"${name}" is not a usable PostgreSQL schema name: use lower-case letters, digits and underscores (e.g. memalign).`);
  }
  return `"${name}"`;
}

/**
 * Brings the schema to the current version under an advisory lock (several processes may open the
 * store at once: one migrates, the others wait and then find it done), in one transaction.
 * Refuses a schema written by a newer memalign.
 *
 * @example
 * await migratePostgres(pool, 'memalign', 'postgres://db/memalign');
 */
export async function migratePostgres(pool: pg.Pool, schema: string, location: string): Promise<void> {
  const s = checkSchemaName(schema);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    // One lock per schema name, held until the transaction ends.
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`memalign.migrate.${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_version (version INTEGER NOT NULL)`);
    const row = (await client.query(`SELECT version FROM ${s}.schema_version`)).rows[0] as { version: number } | undefined;
    const current = row ? Number(row.version) : 0;
    if (current > PG_SCHEMA_VERSION) {
      throw new StoreError(`${location} was written by a newer memalign (schema ${current}, this one knows ${PG_SCHEMA_VERSION}): upgrade memalign to open it.`);
    }
    for (let v = current; v < PG_SCHEMA_VERSION; v++) await client.query(MIGRATIONS[v].replaceAll('{s}', s));
    if (!row) await client.query(`INSERT INTO ${s}.schema_version (version) VALUES ($1)`, [PG_SCHEMA_VERSION]);
    else if (current !== PG_SCHEMA_VERSION) await client.query(`UPDATE ${s}.schema_version SET version = $1`, [PG_SCHEMA_VERSION]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(`Could not prepare the memory store ${location} (schema ${schema}): ${(error as Error).message}. Check that the user may create tables in the database.`, error);
  } finally {
    client.release();
  }
}
