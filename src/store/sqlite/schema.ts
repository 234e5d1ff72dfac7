import type { DatabaseSync } from 'node:sqlite';
import { StoreError } from '../../core/errors.ts';

/** Each migration moves the schema one version up; never edit a released one, add a new one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE judges (name TEXT PRIMARY KEY, version INTEGER NOT NULL, created_at TEXT NOT NULL);
   CREATE TABLE feedback (judge TEXT NOT NULL, id TEXT NOT NULL, record_id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));
   CREATE TABLE episodes (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, text TEXT NOT NULL, label TEXT,
     vector BLOB, embedder TEXT, PRIMARY KEY (judge, id));
   CREATE TABLE guidelines (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));
   CREATE TABLE log (seq INTEGER PRIMARY KEY AUTOINCREMENT, judge TEXT NOT NULL, version INTEGER NOT NULL, op TEXT NOT NULL,
     target TEXT NOT NULL, cause TEXT NOT NULL, at TEXT NOT NULL, detail TEXT NOT NULL);
   CREATE INDEX log_judge ON log (judge, version);`,
  // Supersession keeps what an author said before; an expert's delete leaves a tombstone.
  `CREATE TABLE feedback_history (judge TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE INDEX feedback_history_id ON feedback_history (judge, id);
   CREATE TABLE tombstones (judge TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL, PRIMARY KEY (judge, id));`,
  // A persisted recall index per judge (derived, rebuilt when missing): its parts, in order.
  `CREATE TABLE recall_index (judge TEXT NOT NULL, part INTEGER NOT NULL, version INTEGER NOT NULL, embedder TEXT NOT NULL,
     data BLOB NOT NULL, PRIMARY KEY (judge, part));`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings a database to the current schema inside a transaction; refuses a newer one.
 *
 * @example
 * migrate(db, 'memory.db');
 */
export function migrate(db: DatabaseSync, location: string): void {
  const current = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
  if (current > SCHEMA_VERSION) {
    throw new StoreError(`${location} was written by a newer memalign (schema ${current}, this one knows ${SCHEMA_VERSION}): upgrade memalign to open it.`);
  }
  if (current === SCHEMA_VERSION) return;
  db.exec('BEGIN IMMEDIATE');
  try {
    for (let v = current; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]);
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.exec('COMMIT');
  } catch (error) {
    db.exec('ROLLBACK');
    throw new StoreError(`Could not migrate ${location} to schema ${SCHEMA_VERSION}: ${(error as Error).message}`, error);
  }
}
