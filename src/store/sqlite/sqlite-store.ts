import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Feedback, Guideline } from '../../core/types.ts';
import { emptyMemory, FeedbackNotLoaded, operationDetail, operationTarget, type LogEntry, type MemoryOperation } from '../../core/memory/operations.ts';
import { NotFoundError, StoreError } from '../../core/errors.ts';
import { logBefore, logUntil, type LogQuery, type MemoryOverview, type MemoryStore, type StoredIndex, type StoredMemory, type StoredVector } from '../memory-store.ts';
import { migrate } from './schema.ts';
import { statementCache } from './statements.ts';
import { corruptRow, indexFromRows, lazyEpisode, lazyFeedback, rowJson } from '../stored-rows.ts';
import { changedTargets, changeOperations, type ChangedRows } from '../changes.ts';

/** Options of the SQLite store. */
export interface SqliteStoreOptions {
  /** Clock for log times (tests inject a fixed one). */
  now?: () => Date;
  /** Create the file when it does not exist (default true); false makes a missing file a `not_found` error. */
  create?: boolean;
  /** How long a write waits for another process's transaction, in ms (default 5000). */
  busyTimeoutMs?: number;
}

type Row = { [key: string]: unknown };

/**
 * The default memory store: one embedded SQLite file (via `node:sqlite`), created on first use,
 * migrated on open, WAL-journaled with full sync so a killed process leaves the previous or the
 * next version, never something in between.
 *
 * @example
 * const store = openSqliteStore('.memalign/memory.db');
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): MemoryStore {
  if (path !== ':memory:' && options.create === false && !existsSync(path)) {
    throw new NotFoundError(`There is no memory store at ${path}: check --store (or "store:" in the config); "memalign align" creates it.`);
  }
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(path);
    db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}; PRAGMA foreign_keys = ON;`);
  } catch (error) {
    throw new StoreError(`Could not open the memory store ${path}: ${(error as Error).message}. Check the path and that it is an SQLite file.`, error);
  }
  migrate(db, path);
  return new SqliteStore(db, path, options.now ?? (() => new Date()));
}

class SqliteStore implements MemoryStore {
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly now: () => Date;
  private readonly statement: (sql: string, options?: { arrays?: boolean }) => StatementSync;

  constructor(db: DatabaseSync, location: string, now: () => Date) {
    this.db = db;
    this.location = location;
    this.now = now;
    this.statement = statementCache(db);
  }

  // Rows as arrays: bulk reads of 100 000 rows create no object per row (opening a 100 000-episode memory: about 0.2 s less here).
  private arrays(sql: string): StatementSync {
    return this.statement(sql, { arrays: true });
  }

  async load(judge: string, options: { vectors?: boolean; feedback?: boolean } = {}): Promise<StoredMemory> {
    const state = emptyMemory();
    let vectors = new Map<string, StoredVector>();
    // One read transaction: the rows all belong to one version even while another process commits.
    this.db.exec('BEGIN');
    try {
      const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      if (!row) return { state, vectors };
      state.version = Number(row.version);
      if (options.feedback === false) state.feedback = new FeedbackNotLoaded();
      else state.feedback = this.readFeedback(judge);
      // With vectors: one pass over the episode rows (they are the bulk of the file).
      const reader = options.vectors !== false ? this.vectorReader(judge) : undefined;
      for (const r of this.arrays(`SELECT id, data, text${reader ? ', label, vector, embedder' : ''} FROM episodes WHERE judge = ?`).iterate(judge) as Iterable<unknown[]>) {
        const id = r[0] as string;
        state.episodes.set(id, lazyEpisode(id, r[2] as string, r[1] as string, this.location));
        reader?.add(id, r[3], r[4], r[5]);
      }
      if (reader) vectors = reader.vectors;
      for (const r of this.statement('SELECT id, data FROM guidelines WHERE judge = ?').iterate(judge) as Iterable<Row>) {
        const g = rowJson<Guideline>(this.location, 'guidelines', r);
        state.guidelines.set(g.id, g);
      }
      for (const r of this.statement('SELECT id, data FROM tombstones WHERE judge = ?').iterate(judge) as Iterable<Row>) {
        const g = rowJson<Guideline>(this.location, 'tombstones', r);
        state.tombstones.set(g.id, g);
      }
      return { state, vectors };
    } finally {
      this.db.exec('COMMIT');
    }
  }

  async vectors(judge: string): Promise<{ version: number; vectors: Map<string, StoredVector> }> {
    const { version, value } = this.atVersion(judge, () => this.readVectors(judge), () => new Map());
    return { version, vectors: value };
  }

  async feedback(judge: string): Promise<{ version: number; feedback: Map<string, Feedback> }> {
    const { version, value } = this.atVersion(judge, () => this.readFeedback(judge), () => new Map());
    return { version, feedback: value };
  }

  // Something read with the version it belongs to, in one read transaction.
  private atVersion<T>(judge: string, read: () => T, none: () => T): { version: number; value: T } {
    this.db.exec('BEGIN');
    try {
      const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      return row ? { version: Number(row.version), value: read() } : { version: 0, value: none() };
    } finally {
      this.db.exec('COMMIT');
    }
  }

  private readFeedback(judge: string): Map<string, Feedback> {
    const feedback = new Map<string, Feedback>();
    for (const [id, data] of this.arrays('SELECT id, data FROM feedback WHERE judge = ?').iterate(judge) as Iterable<[string, string]>) {
      feedback.set(id, lazyFeedback(id, data, this.location));
    }
    return feedback;
  }

  private readVectors(judge: string): Map<string, StoredVector> {
    const reader = this.vectorReader(judge);
    for (const r of this.arrays('SELECT id, label, vector, embedder FROM episodes WHERE judge = ?').iterate(judge) as Iterable<unknown[]>) reader.add(r[0] as string, r[1], r[2], r[3]);
    return reader.vectors;
  }

  // Vectors are copied into one contiguous array (views per episode): one allocation instead of
  // one small buffer per row, which matters for load time and garbage collection at 100k.
  private vectorReader(judge: string): { vectors: Map<string, StoredVector>; add(id: string, label: unknown, vector: unknown, embedder: unknown): void } {
    const vectors = new Map<string, StoredVector>();
    const sizes = this.statement('SELECT count(*) AS n, max(length(vector)) AS bytes FROM episodes WHERE judge = ?').get(judge) as Row;
    const maxBytes = Number(sizes.bytes ?? 0);
    const all = new Float32Array((Number(sizes.n) * maxBytes) / 4);
    let at = 0;
    return {
      vectors,
      add: (id, label, vector, embedder) => {
        const bytes = vector as Uint8Array | null;
        if (!bytes || !embedder) return;
        if (bytes.byteLength % 4 !== 0 || bytes.byteLength > maxBytes) throw corruptRow(this.location, 'episodes', id, `its vector is ${bytes.byteLength} bytes, not a whole number of floats`);
        const v = toFloat32(bytes);
        all.set(v, at);
        vectors.set(id, { id, vector: all.subarray(at, at + v.length), embedderId: embedder as string, label: (label as string | null) ?? undefined });
        at += v.length;
      },
    };
  }

  async overview(judge: string): Promise<MemoryOverview> {
    this.db.exec('BEGIN');
    try {
      const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      const count = (table: string) => Number((this.statement(`SELECT count(*) AS n FROM ${table} WHERE judge = ?`).get(judge) as Row).n);
      const read = (table: string) => (this.statement(`SELECT id, data FROM ${table} WHERE judge = ?`).all(judge) as Row[]).map((r) => rowJson<Guideline>(this.location, table, r));
      return { version: row ? Number(row.version) : 0, guidelines: read('guidelines'), tombstones: read('tombstones'), episodes: count('episodes'), feedback: count('feedback') };
    } finally {
      this.db.exec('COMMIT');
    }
  }

  async currentVersion(judge: string): Promise<number> {
    const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
    return row ? Number(row.version) : 0;
  }

  async commit(judge: string, expectedVersion: number, ops: MemoryOperation[], cause: string): Promise<number> {
    const at = this.now().toISOString();
    const db = this.db;
    db.exec('BEGIN IMMEDIATE');
    try {
      const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      const current = row ? Number(row.version) : 0;
      if (current !== expectedVersion) {
        throw Object.assign(new StoreError(`The memory of judge "${judge}" in ${this.location} changed meanwhile (now version ${current}, expected ${expectedVersion}): reload it and try again.`), { code: 'store_conflict', isRetryable: true });
      }
      const version = current + 1;
      if (row) this.statement('UPDATE judges SET version = ? WHERE name = ?').run(version, judge);
      else this.statement('INSERT INTO judges (name, version, created_at) VALUES (?, ?, ?)').run(judge, version, at);
      const log = this.statement('INSERT INTO log (judge, version, op, target, cause, at, detail) VALUES (?, ?, ?, ?, ?, ?, ?)');
      for (const op of ops) {
        this.applyOne(judge, op, version);
        log.run(judge, version, op.op, operationTarget(op), cause, at, operationDetail(op).slice(0, 500));
      }
      db.exec('COMMIT');
      return version;
    } catch (error) {
      db.exec('ROLLBACK');
      if (error instanceof StoreError) throw error;
      throw new StoreError(`Could not write the memory of judge "${judge}" to ${this.location}: ${(error as Error).message}. Nothing was changed.`, error);
    }
  }

  private applyOne(judge: string, op: MemoryOperation, version: number): void {
    const db = this.db;
    switch (op.op) {
      case 'feedback.put': {
        // What the feedback said before it was superseded goes to history, never lost.
        const old = this.statement('SELECT data FROM feedback WHERE judge = ? AND id = ?').get(judge, op.feedback.id) as Row | undefined;
        const data = JSON.stringify(op.feedback);
        if (old && old.data !== data) this.statement('INSERT INTO feedback_history (judge, id, version, data) VALUES (?, ?, ?, ?)').run(judge, op.feedback.id, version, old.data as string);
        this.statement('INSERT OR REPLACE INTO feedback (judge, id, record_id, data) VALUES (?, ?, ?, ?)').run(judge, op.feedback.id, op.feedback.record.id, data);
        return;
      }
      case 'feedback.delete':
        this.statement('DELETE FROM feedback WHERE judge = ? AND id = ?').run(judge, op.id);
        return;
      case 'episode.put': {
        const { text, ...rest } = op.episode;
        const label = op.episode.value === undefined ? null : JSON.stringify(op.episode.value);
        this.statement('INSERT OR REPLACE INTO episodes (judge, id, data, text, label, vector, embedder) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(judge, op.episode.id, JSON.stringify(rest), text, label, op.vector ? toBytes(op.vector) : null, op.embedderId);
        return;
      }
      case 'episode.delete':
        this.statement('DELETE FROM episodes WHERE judge = ? AND id = ?').run(judge, op.id);
        return;
      case 'guideline.add':
        this.statement('INSERT OR REPLACE INTO guidelines (judge, id, data) VALUES (?, ?, ?)').run(judge, op.guideline.id, JSON.stringify(op.guideline));
        return;
      case 'guideline.update': {
        const row = this.statement('SELECT data FROM guidelines WHERE judge = ? AND id = ?').get(judge, op.id) as Row | undefined;
        if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" does not exist.`);
        const next = { ...(JSON.parse(row.data as string) as Guideline), ...op.changes, updatedVersion: version };
        this.statement('UPDATE guidelines SET data = ? WHERE judge = ? AND id = ?').run(JSON.stringify(next), judge, op.id);
        return;
      }
      case 'guideline.delete': {
        if (op.tombstone) {
          const row = this.statement('SELECT data FROM guidelines WHERE judge = ? AND id = ?').get(judge, op.id) as Row | undefined;
          if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" does not exist.`);
          const g = { ...(JSON.parse(row.data as string) as Guideline), updatedVersion: version };
          this.statement('INSERT OR REPLACE INTO tombstones (judge, id, data) VALUES (?, ?, ?)').run(judge, op.id, JSON.stringify(g));
        }
        this.statement('DELETE FROM guidelines WHERE judge = ? AND id = ?').run(judge, op.id);
        return;
      }
      case 'guideline.restore': {
        const row = this.statement('SELECT data FROM tombstones WHERE judge = ? AND id = ?').get(judge, op.id) as Row | undefined;
        if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" was not deleted; there is nothing to restore.`);
        const g = { ...(JSON.parse(row.data as string) as Guideline), updatedVersion: version };
        this.statement('DELETE FROM tombstones WHERE judge = ? AND id = ?').run(judge, op.id);
        this.statement('INSERT INTO guidelines (judge, id, data) VALUES (?, ?, ?)').run(judge, op.id, JSON.stringify(g));
        return;
      }
      case 'guideline.purge':
        this.statement('DELETE FROM guidelines WHERE judge = ? AND id = ?').run(judge, op.id);
        this.statement('DELETE FROM tombstones WHERE judge = ? AND id = ?').run(judge, op.id);
        return;
      case 'tombstone.add':
        this.statement('INSERT OR REPLACE INTO tombstones (judge, id, data) VALUES (?, ?, ?)').run(judge, op.guideline.id, JSON.stringify(op.guideline));
        return;
    }
  }

  async changes(judge: string, sinceVersion: number): Promise<{ version: number; ops: MemoryOperation[] }> {
    this.db.exec('BEGIN');
    try {
      const row = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      const entries = this.statement('SELECT DISTINCT op, target FROM log WHERE judge = ? AND version > ?').all(judge, sinceVersion) as { op: string; target: string }[];
      const targets = changedTargets(entries);
      const rows: ChangedRows = { feedback: new Map(), episodes: new Map(), guidelines: new Map(), tombstones: new Map() };
      const one = (table: string, columns: string, id: string) => this.statement(`SELECT ${columns} FROM ${table} WHERE judge = ? AND id = ?`).get(judge, id) as Row | undefined;
      for (const id of targets.feedback) {
        const r = one('feedback', 'id, data', id);
        if (r) rows.feedback.set(id, { op: 'feedback.put', feedback: rowJson<Feedback>(this.location, 'feedback', r) });
      }
      for (const id of targets.episodes) {
        const r = one('episodes', 'id, data, text, vector, embedder', id);
        if (!r) continue;
        const bytes = r.vector as Uint8Array | null;
        if (bytes && bytes.byteLength % 4 !== 0) throw corruptRow(this.location, 'episodes', id, `its vector is ${bytes.byteLength} bytes, not a whole number of floats`);
        rows.episodes.set(id, { op: 'episode.put', episode: lazyEpisode(id, r.text as string, r.data as string, this.location), vector: bytes ? toFloat32(bytes) : null, embedderId: (r.embedder as string | null) ?? null });
      }
      for (const id of targets.guidelines) {
        const g = one('guidelines', 'id, data', id);
        if (g) rows.guidelines.set(id, { op: 'guideline.add', guideline: rowJson<Guideline>(this.location, 'guidelines', g) });
        const t = one('tombstones', 'id, data', id);
        if (t) rows.tombstones.set(id, { op: 'tombstone.add', guideline: rowJson<Guideline>(this.location, 'tombstones', t) });
      }
      return { version: row ? Number(row.version) : 0, ops: changeOperations(targets, rows) };
    } finally {
      this.db.exec('COMMIT');
    }
  }

  async recallIndex(judge: string): Promise<StoredIndex | undefined> {
    const rows = this.statement('SELECT part, version, embedder, data FROM recall_index WHERE judge = ? ORDER BY part').all(judge) as Row[];
    return indexFromRows(rows);
  }

  async putRecallIndex(judge: string, index: StoredIndex): Promise<boolean> {
    // Never wait for the write lock: another process's transaction means "not now".
    const busy = Number((this.statement('PRAGMA busy_timeout').get() as Row).timeout);
    try {
      this.db.exec('PRAGMA busy_timeout = 0');
      this.db.exec('BEGIN IMMEDIATE');
    } catch {
      this.db.exec(`PRAGMA busy_timeout = ${busy}`);
      return false;
    }
    try {
      const stored = this.statement('SELECT max(version) AS v FROM recall_index WHERE judge = ?').get(judge) as Row;
      const reached = this.statement('SELECT version FROM judges WHERE name = ?').get(judge) as Row | undefined;
      if ((stored.v !== null && Number(stored.v) > index.version) || !reached || Number(reached.version) < index.version) { this.db.exec('ROLLBACK'); return false; }
      this.statement('DELETE FROM recall_index WHERE judge = ?').run(judge);
      const insert = this.statement('INSERT INTO recall_index (judge, part, version, embedder, data) VALUES (?, ?, ?, ?, ?)');
      index.parts.forEach((data, part) => insert.run(judge, part, index.version, index.embedderId, data));
      this.db.exec('COMMIT');
      return true;
    } catch {
      if (this.db.isTransaction) this.db.exec('ROLLBACK');
      return false;
    } finally {
      this.db.exec(`PRAGMA busy_timeout = ${busy}`);
    }
  }

  async putVectors(judge: string, vectors: StoredVector[]): Promise<void> {
    const update = this.statement('UPDATE episodes SET vector = ?, embedder = ? WHERE judge = ? AND id = ?');
    this.db.exec('BEGIN IMMEDIATE');
    try {
      for (const v of vectors) update.run(toBytes(v.vector), v.embedderId, judge, v.id);
      this.db.exec('COMMIT');
    } catch (error) {
      this.db.exec('ROLLBACK');
      throw new StoreError(`Could not store re-embedded vectors in ${this.location}: ${(error as Error).message}`, error);
    }
  }

  async log(judge: string, options: LogQuery = {}): Promise<LogEntry[]> {
    const rows = this.statement('SELECT seq, version, op, target, cause, at, detail FROM log WHERE judge = ? AND version > ? AND version <= ? AND seq < ? ORDER BY seq DESC LIMIT ?')
      .all(judge, options.sinceVersion ?? 0, logUntil(options.untilVersion), logBefore(options.beforeSeq), options.limit ?? 1000) as Row[];
    return rows.reverse().map((r) => ({
      seq: Number(r.seq), version: Number(r.version), op: r.op as LogEntry['op'], target: r.target as string,
      cause: r.cause as string, at: r.at as string, detail: r.detail as string,
    }));
  }

  async feedbackHistory(judge: string, id: string): Promise<{ version: number; feedback: Feedback }[]> {
    const rows = this.statement('SELECT id, version, data FROM feedback_history WHERE judge = ? AND id = ? ORDER BY rowid').all(judge, id) as Row[];
    return rows.map((r) => ({ version: Number(r.version), feedback: rowJson<Feedback>(this.location, 'feedback_history', r) }));
  }

  async checkWritable(): Promise<void> {
    // Taking the write lock fails on a read-only file or folder, or when another process holds it too long.
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    } catch (error) {
      throw new StoreError(`The memory store ${this.location} cannot be written (${(error as Error).message}): check the file's and its folder's permissions, or that no other process keeps it locked. Nothing was changed.`, error);
    }
  }

  async judges(): Promise<string[]> {
    return (this.statement('SELECT name FROM judges ORDER BY name').all() as Row[]).map((r) => r.name as string);
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}

function toBytes(v: Float32Array): Uint8Array {
  return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

function toFloat32(bytes: Uint8Array): Float32Array {
  if (bytes.byteOffset % 4 === 0) return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  // Copy only when the blob is not 4-byte aligned.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}
