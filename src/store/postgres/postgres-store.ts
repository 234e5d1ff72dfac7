import type pg from 'pg';
import type { Feedback, Guideline } from '../../core/types.ts';
import { emptyMemory, FeedbackNotLoaded, operationDetail, operationTarget, type LogEntry, type MemoryOperation } from '../../core/memory/operations.ts';
import { StoreError } from '../../core/errors.ts';
import { logBefore, logUntil, type LogQuery, type MemoryOverview, type MemoryStore, type StoredIndex, type StoredMemory, type StoredVector } from '../memory-store.ts';
import { changedTargets, changeOperations, type ChangedRows } from '../changes.ts';
import { copyBinary } from './copy-binary.ts';
import { corruptRow, indexFromRows, lazyEpisode, lazyFeedback, rowJson } from '../stored-rows.ts';
import { checkSchemaName, migratePostgres } from './schema.ts';
import { inPgTransaction, loadPg, redactUrl } from './connection.ts';

/** Options of the PostgreSQL store. */
export interface PostgresStoreOptions {
  /** The schema memalign's tables live in (created on first use); default `memalign`, or `?schema=` in the URL. */
  schema?: string;
  /** Connections in the pool (default 10). */
  poolSize?: number;
  /** Clock for log times (tests inject a fixed one). */
  now?: () => Date;
  /**
   * Listen for other writers' commits (LISTEN/NOTIFY), so `currentVersion` answers from memory and
   * every instance sees a new version as soon as it commits. Default true.
   */
  listen?: boolean;
  /** Open without migrating, and refuse writes (for a pinned snapshot). */
  readOnly?: boolean;
}

type Row = Record<string, unknown>;

/** The PostgreSQL store's extra abilities, beside the `MemoryStore` contract. */
export interface PostgresStore extends MemoryStore {
  /** The schema name (unquoted). */
  readonly schema: string;
  /** The pool, for modules that keep their own tables in the same schema (batches). */
  readonly pool: pg.Pool;
  /** The database's connection string (without memalign's `schema` parameter), for other clients of it (the job engine, snapshots). */
  readonly connectionString: string;
  /** Calls `listener` with each judge version committed by any process (needs `listen`). Returns a function that stops it. */
  watch(listener: (judge: string, version: number) => void): () => void;
}

/**
 * A memory store in PostgreSQL, shared by any number of processes and machines: the same rows and
 * guarantees as the SQLite store (one transaction per commit, optimistic versions, history kept),
 * migrations under an advisory lock, and commits announced with NOTIFY.
 *
 * @example
 * const store = await openPostgresStore('postgres://memalign@db.internal/memalign');
 */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
  const { Pool, Client } = await loadPg();
  const parsed = parseStoreUrl(url);
  const schema = options.schema ?? parsed.schema ?? 'memalign';
  checkSchemaName(schema);
  const location = redactUrl(url);
  // Idle connections are kept for minutes, not node-postgres's 10 s: a long-running server would
  // otherwise reconnect (and re-plan its named statements) every few seconds under light load.
  const pool = new Pool({ connectionString: parsed.connectionString, max: options.poolSize ?? 10, idleTimeoutMillis: 300_000, application_name: 'memalign' });
  // An idle connection the server dropped must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    await pool.query('SELECT 1');
    if (!options.readOnly) await migratePostgres(pool, schema, location);
  } catch (error) {
    await pool.end().catch(() => {});
    if (error instanceof StoreError) throw error;
    throw new StoreError(`Could not connect to the memory store ${location}: ${(error as Error).message}. Check the URL (postgres://user:password@host:port/database), that the server runs, and that the user may connect.`, error);
  }
  const store = new PgStore(pool, parsed.connectionString, schema, location, options.now ?? (() => new Date()), options.readOnly ?? false);
  if (options.listen !== false) await store.startListening(() => new Client({ connectionString: parsed.connectionString, application_name: 'memalign-listen' }));
  return store;
}

/** Splits memalign's own `schema` parameter off a postgres URL. */
function parseStoreUrl(url: string): { connectionString: string; schema?: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new StoreError(`"${redactUrl(url)}" is not a PostgreSQL URL: write postgres://user:password@host:port/database.`);
  }
  const schema = u.searchParams.get('schema') ?? undefined;
  u.searchParams.delete('schema');
  return { connectionString: u.toString(), schema };
}

class PgStore implements PostgresStore {
  readonly location: string;
  readonly schema: string;
  readonly pool: pg.Pool;
  readonly connectionString: string;
  private readonly s: string;
  private readonly now: () => Date;
  private readonly readOnly: boolean;
  private readonly channel: string;
  /** Versions announced by NOTIFY (or read while listening): trusted only while the listener is up. */
  private readonly known = new Map<string, number>();
  private listening = false;
  private listener?: pg.Client;
  private readonly watchers = new Set<(judge: string, version: number) => void>();
  private closed = false;
  private reconnect?: NodeJS.Timeout;

  constructor(pool: pg.Pool, connectionString: string, schema: string, location: string, now: () => Date, readOnly: boolean) {
    this.pool = pool;
    this.connectionString = connectionString;
    this.schema = schema;
    this.s = checkSchemaName(schema);
    this.location = location;
    this.now = now;
    this.readOnly = readOnly;
    this.channel = `memalign_${schema}`;
  }

  /** LISTEN on a dedicated connection; on loss, forget the cached versions and reconnect. */
  async startListening(connect: () => pg.Client): Promise<void> {
    const client = connect();
    const lost = () => {
      if (this.listener !== client) return;
      this.listening = false;
      this.listener = undefined;
      this.known.clear();
      client.end().catch(() => {});
      if (!this.closed) this.reconnect = setTimeout(() => { this.startListening(connect).catch(() => lost()); }, 500);
    };
    this.listener = client;
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', (n) => {
      if (n.channel !== this.channel || !n.payload) return;
      try {
        const { judge, version } = JSON.parse(n.payload) as { judge: string; version: number };
        this.remember(judge, version);
        for (const w of this.watchers) w(judge, version);
      } catch { /* not ours */ }
    });
    await client.connect();
    await client.query(`LISTEN "${this.channel}"`);
    this.known.clear();
    this.listening = true;
  }

  watch(listener: (judge: string, version: number) => void): () => void {
    this.watchers.add(listener);
    return () => this.watchers.delete(listener);
  }

  private remember(judge: string, version: number): void {
    if (this.listening && version > (this.known.get(judge) ?? -1)) this.known.set(judge, version);
  }

  private fail(what: string, error: unknown): never {
    if (error instanceof StoreError) throw error;
    throw new StoreError(`Could not ${what} in ${this.location}: ${(error as Error).message}. Nothing was changed.`, error);
  }

  /** Runs `fn` in one transaction on one connection (read-only ones see one snapshot). */
  private async tx<T>(mode: 'read' | 'write', fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    return inPgTransaction(this.pool, fn, mode === 'read' ? 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY' : 'BEGIN');
  }

  async load(judge: string, options: { vectors?: boolean; feedback?: boolean } = {}): Promise<StoredMemory> {
    const s = this.s;
    try {
      return await this.tx('read', async (c) => {
        const state = emptyMemory();
        let vectors = new Map<string, StoredVector>();
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        if (!row) return { state, vectors };
        state.version = Number(row.version);
        state.feedback = options.feedback === false ? new FeedbackNotLoaded() : await this.readFeedback(c, judge);
        const withVectors = options.vectors !== false;
        const rows = (await q(c, `SELECT id, data, text${withVectors ? ', label, vector, embedder' : ''} FROM ${s}.episodes WHERE judge = $1`, [judge])).rows as Row[];
        for (const r of rows) { const id = dec(r.id as string); state.episodes.set(id, lazyEpisode(id, dec(r.text as string), r.data as string, this.location)); }
        if (withVectors) vectors = this.readVectors(rows);
        for (const r of (await q(c, `SELECT id, data FROM ${s}.guidelines WHERE judge = $1`, [judge])).rows as Row[]) {
          const g = rowJson<Guideline>(this.location, 'guidelines', r);
          state.guidelines.set(g.id, g);
        }
        for (const r of (await q(c, `SELECT id, data FROM ${s}.tombstones WHERE judge = $1`, [judge])).rows as Row[]) {
          const g = rowJson<Guideline>(this.location, 'tombstones', r);
          state.tombstones.set(g.id, g);
        }
        this.remember(judge, state.version);
        return { state, vectors };
      });
    } catch (error) {
      return this.fail(`read the memory of judge "${judge}"`, error);
    }
  }

  // Vectors copied into one contiguous array (views per episode), as in the SQLite store.
  private readVectors(rows: Row[]): Map<string, StoredVector> {
    const vectors = new Map<string, StoredVector>();
    let floats = 0;
    for (const r of rows) {
      const b = r.vector as Buffer | null;
      if (b && r.embedder) {
        if (b.byteLength % 4 !== 0) throw corruptRow(this.location, 'episodes', r.id, `its vector is ${b.byteLength} bytes, not a whole number of floats`);
        floats += b.byteLength / 4;
      }
    }
    const all = new Float32Array(floats);
    const bytes = new Uint8Array(all.buffer);
    let at = 0;
    for (const r of rows) {
      const b = r.vector as Buffer | null;
      if (!b || !r.embedder) continue;
      bytes.set(b, at * 4);
      const n = b.byteLength / 4;
      const id = dec(r.id as string);
      vectors.set(id, { id, vector: all.subarray(at, at + n), embedderId: r.embedder as string, label: (r.label as string | null) ?? undefined });
      at += n;
    }
    return vectors;
  }

  async feedback(judge: string): Promise<{ version: number; feedback: Map<string, Feedback> }> {
    const s = this.s;
    try {
      return await this.tx('read', async (c) => {
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        return { version: row ? Number(row.version) : 0, feedback: row ? await this.readFeedback(c, judge) : new Map() };
      });
    } catch (error) {
      return this.fail(`read the feedback of judge "${judge}"`, error);
    }
  }

  private async readFeedback(c: pg.PoolClient, judge: string): Promise<Map<string, Feedback>> {
    const feedback = new Map<string, Feedback>();
    for (const r of (await q(c, `SELECT id, data FROM ${this.s}.feedback WHERE judge = $1`, [judge])).rows as Row[]) {
      const id = dec(r.id as string);
      feedback.set(id, lazyFeedback(id, r.data as string, this.location));
    }
    return feedback;
  }

  async vectors(judge: string): Promise<{ version: number; vectors: Map<string, StoredVector> }> {
    const s = this.s;
    try {
      return await this.tx('read', async (c) => {
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        if (!row) return { version: 0, vectors: new Map() };
        const rows = (await q(c, `SELECT id, label, vector, embedder FROM ${s}.episodes WHERE judge = $1`, [judge])).rows as Row[];
        return { version: Number(row.version), vectors: this.readVectors(rows) };
      });
    } catch (error) {
      return this.fail(`read the vectors of judge "${judge}"`, error);
    }
  }

  async overview(judge: string): Promise<MemoryOverview> {
    const s = this.s;
    try {
      return await this.tx('read', async (c) => {
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        const count = async (table: string) => Number(((await q(c, `SELECT count(*) AS n FROM ${s}.${table} WHERE judge = $1`, [judge])).rows[0] as Row).n);
        const read = async (table: string) => ((await q(c, `SELECT id, data FROM ${s}.${table} WHERE judge = $1`, [judge])).rows as Row[]).map((r) => rowJson<Guideline>(this.location, table, r));
        return { version: row ? Number(row.version) : 0, guidelines: await read('guidelines'), tombstones: await read('tombstones'), episodes: await count('episodes'), feedback: await count('feedback') };
      });
    } catch (error) {
      return this.fail(`read the memory of judge "${judge}"`, error);
    }
  }

  async currentVersion(judge: string): Promise<number> {
    const cached = this.listening ? this.known.get(judge) : undefined;
    if (cached !== undefined) return cached;
    try {
      const row = (await q(this.pool, `SELECT version FROM ${this.s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
      const version = row ? Number(row.version) : 0;
      this.remember(judge, version);
      return version;
    } catch (error) {
      return this.fail(`read the memory version of judge "${judge}"`, error);
    }
  }

  async commit(judge: string, expectedVersion: number, ops: MemoryOperation[], cause: string): Promise<number> {
    this.refuseReadOnly();
    const at = this.now().toISOString();
    const s = this.s;
    let version = 0;
    try {
      await this.tx('write', async (c) => {
        // The judge's row is the lock: a second writer waits here, then sees the new version.
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1 FOR UPDATE`, [judge])).rows[0] as Row | undefined;
        const current = row ? Number(row.version) : 0;
        if (current !== expectedVersion) throw conflict(judge, this.location, current, expectedVersion);
        version = current + 1;
        if (row) await q(c, `UPDATE ${s}.judges SET version = $1 WHERE name = $2`, [version, judge]);
        else {
          // Two first commits at once: one inserts, the other finds the row taken (a conflict).
          const made = await q(c, `INSERT INTO ${s}.judges (name, version, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`, [judge, version, at]);
          if (made.rowCount === 0) throw conflict(judge, this.location, 1, expectedVersion);
        }
        for (const run of runsOf(ops)) await this.applyRun(c, judge, run, version);
        await q(c, 
          `INSERT INTO ${s}.log (judge, version, op, target, cause, at, detail)
           SELECT $1, $2, o, t, $3, $4, d FROM unnest($5::text[], $6::text[], $7::text[]) AS u(o, t, d)`,
          [judge, version, cause, at, ops.map((o) => o.op), ops.map(operationTarget), ops.map((o) => operationDetail(o).slice(0, 500))],
        );
        await q(c, 'SELECT pg_notify($1, $2)', [this.channel, JSON.stringify({ judge, version })]);
      });
    } catch (error) {
      return this.fail(`write the memory of judge "${judge}"`, error);
    }
    this.remember(judge, version);
    return version;
  }

  // Consecutive puts of feedback or episodes go in one statement each (an align writes thousands);
  // every other operation runs as it comes, in order.
  private async applyRun(c: pg.PoolClient, judge: string, run: MemoryOperation[], version: number): Promise<void> {
    const s = this.s;
    const first = run[0];
    if (first.op === 'feedback.put') {
      const last = new Map<string, Feedback>();
      for (const op of run) if (op.op === 'feedback.put') last.set(op.feedback.id, op.feedback);
      const ids = [...last.keys()];
      const data = [...last.values()].map((f) => JSON.stringify(f));
      // What a feedback said before it was superseded goes to history, never lost.
      await q(c, 
        `INSERT INTO ${s}.feedback_history (judge, id, version, data)
         SELECT f.judge, f.id, $2, f.data FROM ${s}.feedback f JOIN unnest($3::text[], $4::text[]) AS u(id, data) ON f.id = u.id
         WHERE f.judge = $1 AND f.data <> u.data ORDER BY f.id`,
        [judge, version, ids, data],
      );
      await q(c, 
        `INSERT INTO ${s}.feedback (judge, id, record_id, data) SELECT $1, id, rid, data FROM unnest($2::text[], $3::text[], $4::text[]) AS u(id, rid, data)
         ON CONFLICT (judge, id) DO UPDATE SET record_id = EXCLUDED.record_id, data = EXCLUDED.data`,
        [judge, ids, [...last.values()].map((f) => f.record.id), data],
      );
      return;
    }
    if (first.op === 'episode.put') {
      const last = new Map<string, MemoryOperation & { op: 'episode.put' }>();
      for (const op of run) if (op.op === 'episode.put') last.set(op.episode.id, op);
      const puts = [...last.values()];
      await q(c, 
        `INSERT INTO ${s}.episodes (judge, id, data, text, label, vector, embedder)
         SELECT $1, id, data, text, label, vector, embedder FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::bytea[], $7::text[]) AS u(id, data, text, label, vector, embedder)
         ON CONFLICT (judge, id) DO UPDATE SET data = EXCLUDED.data, text = EXCLUDED.text, label = EXCLUDED.label, vector = EXCLUDED.vector, embedder = EXCLUDED.embedder`,
        [
          judge, puts.map((p) => p.episode.id), puts.map((p) => { const { text: _text, ...rest } = p.episode; return JSON.stringify(rest); }),
          puts.map((p) => p.episode.text), puts.map((p) => (p.episode.value === undefined ? null : JSON.stringify(p.episode.value))),
          puts.map((p) => (p.vector ? toBytes(p.vector) : null)), puts.map((p) => p.embedderId),
        ],
      );
      return;
    }
    for (const op of run) await this.applyOne(c, judge, op, version);
  }

  // Puts never come here: runsOf groups them into applyRun's statements.
  private async applyOne(c: pg.PoolClient, judge: string, op: MemoryOperation, version: number): Promise<void> {
    const s = this.s;
    const get = async (table: string, id: string) => ((await q(c, `SELECT id, data FROM ${s}.${table} WHERE judge = $1 AND id = $2`, [judge, id])).rows[0] as Row | undefined);
    switch (op.op) {
      case 'feedback.delete':
        await q(c, `DELETE FROM ${s}.feedback WHERE judge = $1 AND id = $2`, [judge, op.id]);
        return;
      case 'episode.delete':
        await q(c, `DELETE FROM ${s}.episodes WHERE judge = $1 AND id = $2`, [judge, op.id]);
        return;
      case 'guideline.add':
        await q(c, `INSERT INTO ${s}.guidelines (judge, id, data) VALUES ($1, $2, $3) ON CONFLICT (judge, id) DO UPDATE SET data = EXCLUDED.data`, [judge, op.guideline.id, JSON.stringify(op.guideline)]);
        return;
      case 'guideline.update': {
        const row = await get('guidelines', op.id);
        if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" does not exist.`);
        const next = { ...rowJson<Guideline>(this.location, 'guidelines', row), ...op.changes, updatedVersion: version };
        await q(c, `UPDATE ${s}.guidelines SET data = $1 WHERE judge = $2 AND id = $3`, [JSON.stringify(next), judge, op.id]);
        return;
      }
      case 'guideline.delete': {
        if (op.tombstone) {
          const row = await get('guidelines', op.id);
          if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" does not exist.`);
          const g = { ...rowJson<Guideline>(this.location, 'guidelines', row), updatedVersion: version };
          await q(c, `INSERT INTO ${s}.tombstones (judge, id, data) VALUES ($1, $2, $3) ON CONFLICT (judge, id) DO UPDATE SET data = EXCLUDED.data`, [judge, op.id, JSON.stringify(g)]);
        }
        await q(c, `DELETE FROM ${s}.guidelines WHERE judge = $1 AND id = $2`, [judge, op.id]);
        return;
      }
      case 'guideline.restore': {
        const row = await get('tombstones', op.id);
        if (!row) throw new StoreError(`Guideline ${op.id} of judge "${judge}" was not deleted; there is nothing to restore.`);
        const g = { ...rowJson<Guideline>(this.location, 'tombstones', row), updatedVersion: version };
        await q(c, `DELETE FROM ${s}.tombstones WHERE judge = $1 AND id = $2`, [judge, op.id]);
        await q(c, `INSERT INTO ${s}.guidelines (judge, id, data) VALUES ($1, $2, $3)`, [judge, op.id, JSON.stringify(g)]);
        return;
      }
      case 'guideline.purge':
        await q(c, `DELETE FROM ${s}.guidelines WHERE judge = $1 AND id = $2`, [judge, op.id]);
        await q(c, `DELETE FROM ${s}.tombstones WHERE judge = $1 AND id = $2`, [judge, op.id]);
        return;
      case 'tombstone.add':
        await q(c, `INSERT INTO ${s}.tombstones (judge, id, data) VALUES ($1, $2, $3) ON CONFLICT (judge, id) DO UPDATE SET data = EXCLUDED.data`, [judge, op.guideline.id, JSON.stringify(op.guideline)]);
        return;
    }
  }

  async changes(judge: string, sinceVersion: number): Promise<{ version: number; ops: MemoryOperation[] }> {
    const s = this.s;
    try {
      return await this.tx('read', async (c) => {
        const row = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        const entries = ((await q(c, `SELECT DISTINCT op, target FROM ${s}.log WHERE judge = $1 AND version > $2`, [judge, sinceVersion])).rows as { op: string; target: string }[]).map((e) => ({ op: e.op, target: dec(e.target) }));
        const targets = changedTargets(entries);
        const rows: ChangedRows = { feedback: new Map(), episodes: new Map(), guidelines: new Map(), tombstones: new Map() };
        const read = async (table: string, columns: string, ids: Set<string>) => ids.size === 0 ? [] : ((await q(c, `SELECT ${columns} FROM ${s}.${table} WHERE judge = $1 AND id = ANY($2::text[])`, [judge, [...ids]])).rows as Row[]);
        for (const r of await read('feedback', 'id, data', targets.feedback)) rows.feedback.set(dec(r.id as string), { op: 'feedback.put', feedback: rowJson<Feedback>(this.location, 'feedback', r) });
        for (const r of await read('episodes', 'id, data, text, vector, embedder', targets.episodes)) {
          const b = r.vector as Buffer | null;
          if (b && b.byteLength % 4 !== 0) throw corruptRow(this.location, 'episodes', r.id, `its vector is ${b.byteLength} bytes, not a whole number of floats`);
          const vector = b ? new Float32Array(new Uint8Array(b).buffer) : null;
          const id = dec(r.id as string);
          rows.episodes.set(id, { op: 'episode.put', episode: lazyEpisode(id, dec(r.text as string), r.data as string, this.location), vector, embedderId: (r.embedder as string | null) ?? null });
        }
        for (const r of await read('guidelines', 'id, data', targets.guidelines)) rows.guidelines.set(dec(r.id as string), { op: 'guideline.add', guideline: rowJson<Guideline>(this.location, 'guidelines', r) });
        for (const r of await read('tombstones', 'id, data', targets.guidelines)) rows.tombstones.set(dec(r.id as string), { op: 'tombstone.add', guideline: rowJson<Guideline>(this.location, 'tombstones', r) });
        return { version: row ? Number(row.version) : 0, ops: changeOperations(targets, rows) };
      });
    } catch (error) {
      return this.fail(`read the changes of judge "${judge}"`, error);
    }
  }

  async recallIndex(judge: string): Promise<StoredIndex | undefined> {
    try {
      // By binary COPY: the parts arrive as bytes, not as hex text (a third of the time at 57 MB).
      const client = await this.pool.connect();
      let fields: (Buffer | null)[][];
      try {
        fields = await copyBinary(client, `SELECT part, version, embedder, data FROM ${this.s}.recall_index WHERE judge = ${client.escapeLiteral(enc(judge))} ORDER BY part`);
      } catch (error) {
        client.release(true);
        throw error;
      }
      client.release();
      const rows = fields.map(([part, version, embedder, data]) => ({ part: part?.readInt32BE(0), version: version?.readInt32BE(0), embedder: embedder && dec(embedder.toString('utf8')), data }));
      return indexFromRows(rows);
    } catch {
      // Derived data: a schema without the table (a pinned snapshot copied from an older one) has none.
      return undefined;
    }
  }

  async putRecallIndex(judge: string, index: StoredIndex): Promise<boolean> {
    if (this.readOnly) return false;
    const s = this.s;
    try {
      return await this.tx('write', async (c) => {
        // One writer per judge's index at a time; another one busy means "not now", not a wait.
        const locked = (await q(c, 'SELECT pg_try_advisory_xact_lock(hashtext($1)) AS ok', [`memalign.recall_index.${this.schema}.${judge}`])).rows[0] as Row;
        if (!locked.ok) return false;
        const stored = (await q(c, `SELECT max(version) AS v FROM ${s}.recall_index WHERE judge = $1`, [judge])).rows[0] as Row;
        const reached = (await q(c, `SELECT version FROM ${s}.judges WHERE name = $1`, [judge])).rows[0] as Row | undefined;
        if ((stored.v !== null && Number(stored.v) > index.version) || !reached || Number(reached.version) < index.version) return false;
        await q(c, `DELETE FROM ${s}.recall_index WHERE judge = $1`, [judge]);
        for (let part = 0; part < index.parts.length; part++) {
          const data = index.parts[part];
          await q(c, `INSERT INTO ${s}.recall_index (judge, part, version, embedder, data) VALUES ($1, $2, $3, $4, $5)`,
            [judge, part, index.version, index.embedderId, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]);
        }
        return true;
      });
    } catch {
      return false;
    }
  }

  async putVectors(judge: string, vectors: StoredVector[]): Promise<void> {
    this.refuseReadOnly();
    if (vectors.length === 0) return;
    try {
      await q(this.pool, 
        `UPDATE ${this.s}.episodes e SET vector = u.vector, embedder = u.embedder FROM unnest($2::text[], $3::bytea[], $4::text[]) AS u(id, vector, embedder)
         WHERE e.judge = $1 AND e.id = u.id`,
        [judge, vectors.map((v) => v.id), vectors.map((v) => toBytes(v.vector)), vectors.map((v) => v.embedderId)],
      );
    } catch (error) {
      this.fail('store re-embedded vectors', error);
    }
  }

  async log(judge: string, options: LogQuery = {}): Promise<LogEntry[]> {
    try {
      const rows = (await q(this.pool, `SELECT seq, version, op, target, cause, at, detail FROM ${this.s}.log WHERE judge = $1 AND version > $2 AND version <= $3::bigint AND seq < $4::bigint ORDER BY seq DESC LIMIT $5`,
        [judge, options.sinceVersion ?? 0, logUntil(options.untilVersion), logBefore(options.beforeSeq), options.limit ?? 1000])).rows as Row[];
      return rows.reverse().map((r) => ({
        seq: Number(r.seq), version: Number(r.version), op: r.op as LogEntry['op'], target: dec(r.target as string),
        cause: dec(r.cause as string), at: r.at as string, detail: dec(r.detail as string),
      }));
    } catch (error) {
      return this.fail(`read the log of judge "${judge}"`, error);
    }
  }

  async feedbackHistory(judge: string, id: string): Promise<{ version: number; feedback: Feedback }[]> {
    try {
      const rows = (await q(this.pool, `SELECT id, version, data FROM ${this.s}.feedback_history WHERE judge = $1 AND id = $2 ORDER BY seq`, [judge, id])).rows as Row[];
      return rows.map((r) => ({ version: Number(r.version), feedback: rowJson<Feedback>(this.location, 'feedback_history', r) }));
    } catch (error) {
      return this.fail(`read the history of feedback "${id}"`, error);
    }
  }

  async checkWritable(): Promise<void> {
    this.refuseReadOnly();
    try {
      // A write the server refuses (read-only replica, missing privilege) fails here, before any model call.
      await this.tx('write', async (c) => {
        await q(c, `LOCK TABLE ${this.s}.judges IN ROW EXCLUSIVE MODE NOWAIT`);
        await q(c, `UPDATE ${this.s}.judges SET version = version WHERE false`);
      });
    } catch (error) {
      throw new StoreError(`The memory store ${this.location} cannot be written (${(error as Error).message}): check that the server accepts writes and the user has INSERT and UPDATE on schema ${this.schema}. Nothing was changed.`, error);
    }
  }

  async judges(): Promise<string[]> {
    try {
      return ((await q(this.pool, `SELECT name FROM ${this.s}.judges ORDER BY name`)).rows as Row[]).map((r) => dec(r.name as string));
    } catch (error) {
      return this.fail('list the judges', error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.reconnect);
    const listener = this.listener;
    this.listener = undefined;
    this.listening = false;
    await listener?.end().catch(() => {});
    await this.pool.end();
  }

  private refuseReadOnly(): void {
    if (this.readOnly) throw new StoreError(`The memory store ${this.location} (schema ${this.schema}) was opened read-only (a pinned snapshot); nothing was changed.`);
  }
}

/**
 * PostgreSQL text cannot hold U+0000, which judged content may contain. Every string parameter
 * goes through `enc`: unchanged unless it holds U+0000 or starts with U+0001, then U+0001 plus its
 * JSON form; `dec` reverses it for raw text columns read back (ids, names, texts, log fields).
 * JSON columns never hold either (JSON escapes control characters).
 */
function enc(value: string): string {
  return value.includes('\u0000') || value.charCodeAt(0) === 1 ? `\u0001${JSON.stringify(value)}` : value;
}

function dec<T>(value: T): T {
  return typeof value === 'string' && value.charCodeAt(0) === 1 ? JSON.parse(value.slice(1)) as T : value;
}

async function q(c: pg.PoolClient | pg.Pool, text: string, params: unknown[] = []): Promise<pg.QueryResult> {
  return c.query(text, params.map((p) => typeof p === 'string' ? enc(p) : Array.isArray(p) ? p.map((v) => typeof v === 'string' ? enc(v) : v) : p));
}

function conflict(judge: string, location: string, current: number, expected: number): StoreError {
  return Object.assign(new StoreError(`The memory of judge "${judge}" in ${location} changed meanwhile (now version ${current}, expected ${expected}): reload it and try again.`), { code: 'store_conflict', isRetryable: true });
}

/**
 * Splits operations into runs for as few statements as possible: feedback, episode and guideline
 * operations touch disjoint tables, so each kind keeps its own order and the kinds run one after
 * the other; within a kind, consecutive puts form one run (an align interleaves feedback and
 * episode puts, thousands of them).
 */
function runsOf(ops: MemoryOperation[]): MemoryOperation[][] {
  const runs: MemoryOperation[][] = [];
  const kinds = [ops.filter((o) => o.op.startsWith('feedback.')), ops.filter((o) => o.op.startsWith('episode.')), ops.filter((o) => !o.op.startsWith('feedback.') && !o.op.startsWith('episode.'))];
  for (const kind of kinds) {
    let last: MemoryOperation[] | undefined;
    for (const op of kind) {
      if (last && (op.op === 'feedback.put' || op.op === 'episode.put') && last[0].op === op.op) last.push(op);
      else runs.push((last = [op]));
    }
  }
  return runs;
}

function toBytes(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
