import type { Sql } from './sql.ts';
import { StoreError } from '../core/errors.ts';

/**
 * The review store's tables, beside the memory's (same SQLite file, same PostgreSQL schema). Each
 * migration moves the schema one version up; never edit a released one. `{p}` is the table prefix
 * (the PostgreSQL schema), `{serial}`, `{big}` and `{real}` the types each database spells
 * differently.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE {p}review_users (name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT, created_at TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE {p}review_tokens (hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES {p}review_users (name) ON DELETE CASCADE, label TEXT NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE {p}review_sessions (hash TEXT PRIMARY KEY, user_name TEXT NOT NULL REFERENCES {p}review_users (name) ON DELETE CASCADE, csrf TEXT NOT NULL, expires_at {big} NOT NULL);
   CREATE TABLE {p}review_queues (id TEXT PRIMARY KEY, judge TEXT NOT NULL, name TEXT NOT NULL, description TEXT NOT NULL, reviewers INTEGER NOT NULL,
     overlap {real} NOT NULL, calibration {real} NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE (judge, name));
   CREATE TABLE {p}review_items (queue TEXT NOT NULL REFERENCES {p}review_queues (id) ON DELETE CASCADE, id TEXT NOT NULL, seq INTEGER NOT NULL,
     record TEXT NOT NULL, content TEXT NOT NULL, verdict TEXT, memory_version INTEGER, state TEXT NOT NULL, priority {real} NOT NULL, reason TEXT NOT NULL,
     needed INTEGER NOT NULL, reviews INTEGER NOT NULL DEFAULT 0, assigned_to TEXT, calibration INTEGER NOT NULL, error TEXT, PRIMARY KEY (queue, id));
   CREATE INDEX review_items_next ON {p}review_items (queue, state, priority DESC, seq);
   CREATE TABLE {p}review_reservations (queue TEXT NOT NULL, item TEXT NOT NULL, reviewer TEXT NOT NULL, until {big} NOT NULL, PRIMARY KEY (queue, item, reviewer),
     FOREIGN KEY (queue, item) REFERENCES {p}review_items (queue, id) ON DELETE CASCADE);
   CREATE TABLE {p}review_skips (queue TEXT NOT NULL, item TEXT NOT NULL, reviewer TEXT NOT NULL, PRIMARY KEY (queue, item, reviewer),
     FOREIGN KEY (queue, item) REFERENCES {p}review_items (queue, id) ON DELETE CASCADE);
   CREATE TABLE {p}review_reviews (queue TEXT NOT NULL, item TEXT NOT NULL, reviewer TEXT NOT NULL, value TEXT, rationale TEXT, expected TEXT, verdict_seen TEXT,
     created_at TEXT NOT NULL, revision INTEGER NOT NULL, aligned_version INTEGER, PRIMARY KEY (queue, item, reviewer),
     FOREIGN KEY (queue, item) REFERENCES {p}review_items (queue, id) ON DELETE CASCADE);
   CREATE TABLE {p}review_history (seq {serial}, queue TEXT NOT NULL, item TEXT NOT NULL, reviewer TEXT NOT NULL, revision INTEGER NOT NULL, data TEXT NOT NULL, superseded_at TEXT NOT NULL);
   CREATE TABLE {p}review_idempotency (user_name TEXT NOT NULL, key TEXT NOT NULL, request TEXT NOT NULL, response TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (user_name, key));
   CREATE TABLE {p}review_verdicts (queue TEXT NOT NULL, item TEXT NOT NULL, memory_version INTEGER NOT NULL, value TEXT NOT NULL, rationale TEXT NOT NULL, PRIMARY KEY (queue, item, memory_version),
     FOREIGN KEY (queue, item) REFERENCES {p}review_items (queue, id) ON DELETE CASCADE);
   CREATE TABLE {p}review_evaluations (judge TEXT NOT NULL, version INTEGER NOT NULL, at TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, version));
   CREATE TABLE {p}review_audit (seq {serial}, at TEXT NOT NULL, user_name TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, detail TEXT NOT NULL);`,
];

const TYPES = {
  sqlite: { serial: 'INTEGER PRIMARY KEY AUTOINCREMENT', big: 'INTEGER', real: 'REAL' },
  postgres: { serial: 'BIGSERIAL PRIMARY KEY', big: 'BIGINT', real: 'DOUBLE PRECISION' },
};

/**
 * Brings the review tables to the current version in one transaction (PostgreSQL: under an
 * advisory lock, so several servers starting at once migrate once). Refuses tables written by a
 * newer memalign.
 */
export async function migrateReview(sql: Sql, prefix: string, location: string): Promise<void> {
  const t = TYPES[sql.dialect];
  const expand = (ddl: string) => ddl.replaceAll('{p}', prefix).replaceAll('{serial}', t.serial).replaceAll('{big}', t.big).replaceAll('{real}', t.real);
  try {
    await sql.tx(async (tx) => {
      if (tx.dialect === 'postgres') await tx.run('SELECT pg_advisory_xact_lock(hashtext(?))', [`memalign.review.${prefix}`]);
      await tx.run(expand('CREATE TABLE IF NOT EXISTS {p}review_schema (version INTEGER NOT NULL)'));
      const row = await tx.get(expand('SELECT version FROM {p}review_schema'));
      const current = row ? Number(row.version) : 0;
      if (current > MIGRATIONS.length) throw new StoreError(`${location} holds review tables of a newer memalign (schema ${current}, this one knows ${MIGRATIONS.length}): upgrade memalign.`);
      for (let v = current; v < MIGRATIONS.length; v++) {
        for (const statement of expand(MIGRATIONS[v]).split(';').map((s) => s.trim()).filter(Boolean)) await tx.run(statement);
      }
      // PostgreSQL: the queue tables churn (every review updates an item and inserts and deletes a
      // reservation), and next() walks the item index, where superseded row versions linger until
      // vacuumed. Vacuum them after 2 % of rows changed rather than the default 20 %.
      if (tx.dialect === 'postgres') {
        for (const table of ['review_items', 'review_reservations', 'review_reviews']) {
          await tx.run(expand(`ALTER TABLE {p}${table} SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_vacuum_threshold = 200, autovacuum_analyze_scale_factor = 0.02)`));
        }
      }
      if (!row) await tx.run(expand('INSERT INTO {p}review_schema (version) VALUES (?)'), [MIGRATIONS.length]);
      else await tx.run(expand('UPDATE {p}review_schema SET version = ?'), [MIGRATIONS.length]);
    });
  } catch (error) {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`Could not prepare the review tables in ${location}: ${(error as Error).message}. Check that the store is writable.`, error);
  }
}
