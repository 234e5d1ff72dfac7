import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { PgBoss } from 'pg-boss';
import type { JudgeDefinition, JudgedRecord, JudgeResult } from '../core/types.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { parseJudge } from '../core/judge/definition.ts';
import { parseRecord } from '../core/feedback/parse-feedback.ts';
import type { PostgresStore } from '../store/postgres/postgres-store.ts';
import { checkSchemaName } from '../store/postgres/schema.ts';
import { JUDGE_QUEUE, inTransaction, refreshQueueStatistics } from './job-engine.ts';

/** A batch as stored: what to judge it with, and where it stands. */
export interface BatchInfo {
  id: string;
  judge: string;
  definition: JudgeDefinition;
  /** The model string workers judge with (their own keys resolve it). */
  model: string;
  /** The memory version every verdict uses, when pinned (a snapshot is kept for it). */
  pinnedVersion: number | null;
  /** Schema of the pinned snapshot. */
  snapshot: string | null;
  status: 'running' | 'cancelled';
  total: number;
  createdAt: string;
  /** Attempts per record before a retryable failure is kept as a failure. */
  maxAttempts: number;
}

/** Progress of a batch. */
export interface BatchStatus extends Omit<BatchInfo, 'definition'> {
  /** Verdicts written. */
  judged: number;
  /** Records whose attempts ended in an error (kept with it; `retryBatch` queues them again). */
  failed: number;
  /** Neither yet (queued, running or waiting to be retried), 0 when done or cancelled. */
  remaining: number;
  state: 'running' | 'done' | 'cancelled';
  /** Memory versions the verdicts used, with counts. */
  versions: Record<string, number>;
  /** Verdicts per worker. */
  workers: Record<string, number>;
  firstAt: string | null;
  lastAt: string | null;
}

/** One line of a batch's results, in input order. */
export interface BatchResultLine { seq: number; record: JudgedRecord; result: JudgeResult | null; memoryVersion: number | null; worker: string | null }

/** Options of `createBatch`. */
export interface CreateBatchOptions {
  /** The judge; stored with the batch, so every worker judges with exactly this definition. */
  judge: JudgeDefinition | unknown;
  model: string;
  records: (JudgedRecord | unknown)[];
  /** Judge every record with the memory as it is now (a snapshot is kept), whatever aligns meanwhile. */
  pin?: boolean;
  /** Attempts per record for retryable failures (default 4). */
  maxAttempts?: number;
  /** Clock for creation times. */
  now?: () => Date;
}

const CHUNK = 2000;

/**
 * Stores a batch with its records and queues one job per record, all in one transaction: either
 * the whole batch is queued or nothing is.
 *
 * @example
 * const batch = await createBatch(store, boss, { judge, model: 'openai:gpt-4.1-mini', records });
 */
export async function createBatch(store: PostgresStore, boss: PgBoss, options: CreateBatchOptions): Promise<BatchInfo> {
  const definition = parseJudge(options.judge);
  const issues: { path: string; message: string }[] = [];
  const records: JudgedRecord[] = [];
  const seen = new Set<string>();
  options.records.forEach((raw, i) => {
    const rec = parseRecord(raw, (path, message) => issues.push({ path: `records[${i}].${path}`, message }));
    if (!rec) return;
    if (seen.has(rec.id)) issues.push({ path: `records[${i}].id`, message: `record id "${rec.id}" appears twice: ids must be unique in a batch` });
    seen.add(rec.id);
    records.push(rec);
  });
  if (records.length === 0 && issues.length === 0) issues.push({ path: 'records', message: 'a batch needs at least one record' });
  if (issues.length > 0) throw new ValidationError('batch records', issues);
  const maxAttempts = options.maxAttempts ?? 4;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1 || maxAttempts > 20) throw new ValidationError('batch options', [{ path: 'maxAttempts', message: 'must be a whole number from 1 to 20' }]);
  const id = `b_${randomBytes(6).toString('hex')}`;
  const s = checkSchemaName(store.schema);
  const createdAt = (options.now ?? (() => new Date()))().toISOString();
  const client = await store.pool.connect();
  let info: BatchInfo;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ');
    let pinnedVersion: number | null = null;
    let snapshot: string | null = null;
    if (options.pin) {
      // The judge's row, shared-locked: no commit lands while the snapshot is copied.
      const row = (await client.query(`SELECT version FROM ${s}.judges WHERE name = $1 FOR SHARE`, [definition.name])).rows[0] as { version: number } | undefined;
      pinnedVersion = row ? Number(row.version) : 0;
      snapshot = `${store.schema}_pin_${id.slice(2)}`;
      await copySnapshot(client, s, snapshot, definition.name);
    }
    await client.query(`INSERT INTO ${s}.batches (id, judge, definition, model, pinned_version, snapshot, status, total, created_at, options) VALUES ($1, $2, $3, $4, $5, $6, 'running', $7, $8, $9)`,
      [id, definition.name, JSON.stringify(definition), options.model, pinnedVersion, snapshot, records.length, createdAt, JSON.stringify({ maxAttempts })]);
    // Each item is written once, with the id of the job that will judge it.
    const jobs = records.map(() => randomUUID());
    for (let i = 0; i < records.length; i += CHUNK) {
      const chunk = records.slice(i, i + CHUNK);
      await client.query(`INSERT INTO ${s}.batch_items (batch, seq, record, job) SELECT $1, seq, record, job FROM unnest($2::int[], $3::text[], $4::text[]) AS u(seq, record, job)`,
        [id, chunk.map((_, j) => i + j), chunk.map((r) => JSON.stringify(r)), jobs.slice(i, i + CHUNK)]);
      await insertJobs(client, boss, { id, model: options.model, maxAttempts }, chunk.map((_, j) => i + j), jobs.slice(i, i + CHUNK));
    }
    await client.query('COMMIT');
    info = { id, judge: definition.name, definition, model: options.model, pinnedVersion, snapshot, status: 'running', total: records.length, createdAt, maxAttempts };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await refreshQueueStatistics(store, boss);
  return info;
}

// New jobs for items already stored (a retry), their ids kept with the items (to cancel them), in the caller's transaction.
async function queueJobs(client: pg.PoolClient, boss: PgBoss, s: string, batch: Pick<BatchInfo, 'id' | 'model' | 'maxAttempts'>, seqs: number[]): Promise<void> {
  for (let i = 0; i < seqs.length; i += CHUNK) {
    const chunk = seqs.slice(i, i + CHUNK);
    const jobs = chunk.map(() => randomUUID());
    await client.query(`UPDATE ${s}.batch_items i SET job = u.job FROM unnest($2::int[], $3::text[]) AS u(seq, job) WHERE i.batch = $1 AND i.seq = u.seq`, [batch.id, chunk, jobs]);
    await insertJobs(client, boss, batch, chunk, jobs);
  }
}

// One job per record, with the given ids, in the caller's transaction.
async function insertJobs(client: pg.PoolClient, boss: PgBoss, batch: Pick<BatchInfo, 'id' | 'model' | 'maxAttempts'>, seqs: number[], jobs: string[]): Promise<void> {
  await boss.insert(JUDGE_QUEUE, seqs.map((seq, j) => ({ id: jobs[j], data: { batch: batch.id, seq }, group: { id: batch.model }, retryLimit: batch.maxAttempts - 1 })), { db: inTransaction(client) });
}

// A read-only copy of one judge's memory in a schema of its own, openable as a store.
async function copySnapshot(client: pg.PoolClient, s: string, snapshot: string, judge: string): Promise<void> {
  const snap = checkSchemaName(snapshot);
  await client.query(`CREATE SCHEMA ${snap}`);
  for (const table of ['judges', 'feedback', 'episodes', 'guidelines', 'tombstones', 'log', 'feedback_history']) {
    await client.query(`CREATE TABLE ${snap}.${table} (LIKE ${s}.${table} INCLUDING ALL)`);
    if (table === 'log' || table === 'feedback_history') continue;
    await client.query(`INSERT INTO ${snap}.${table} SELECT * FROM ${s}.${table} WHERE ${table === 'judges' ? 'name' : 'judge'} = $1`, [judge]);
  }
}

/** A batch by id, or a `not_found` error naming it. */
export async function getBatch(store: PostgresStore, id: string): Promise<BatchInfo> {
  const s = checkSchemaName(store.schema);
  const row = (await store.pool.query(`SELECT * FROM ${s}.batches WHERE id = $1`, [id])).rows[0] as Record<string, unknown> | undefined;
  if (!row) throw new NotFoundError(`There is no batch "${id}" in ${store.location}: "memalign batch list" shows the batches.`);
  return batchOf(row);
}

function batchOf(row: Record<string, unknown>): BatchInfo {
  const options = JSON.parse(row.options as string) as { maxAttempts: number };
  return {
    id: row.id as string, judge: row.judge as string, definition: JSON.parse(row.definition as string) as JudgeDefinition, model: row.model as string,
    pinnedVersion: row.pinned_version === null ? null : Number(row.pinned_version), snapshot: (row.snapshot as string | null) ?? null,
    status: row.status as BatchInfo['status'], total: Number(row.total), createdAt: row.created_at as string, maxAttempts: options.maxAttempts,
  };
}

/** Progress of a batch. */
export async function batchStatus(store: PostgresStore, id: string): Promise<BatchStatus> {
  const [status] = await statusesOf(store, [await getBatch(store, id)]);
  return status;
}

/** Batches, newest first. */
export async function listBatches(store: PostgresStore, options: { limit?: number } = {}): Promise<BatchStatus[]> {
  const s = checkSchemaName(store.schema);
  const rows = (await store.pool.query(`SELECT * FROM ${s}.batches ORDER BY created_at DESC, id LIMIT $1`, [options.limit ?? 50])).rows as Record<string, unknown>[];
  return statusesOf(store, rows.map(batchOf));
}

// Result counts of several batches in one grouped query.
async function statusesOf(store: PostgresStore, batches: BatchInfo[]): Promise<BatchStatus[]> {
  const s = checkSchemaName(store.schema);
  const rows = batches.length === 0 ? [] : (await store.pool.query(`SELECT batch, ok, memory_version, worker, count(*) AS n, min(at) AS first, max(at) AS last FROM ${s}.batch_results
    WHERE batch = ANY($1::text[]) GROUP BY batch, ok, memory_version, worker`, [batches.map((b) => b.id)])).rows as Record<string, unknown>[];
  return batches.map(({ definition: _definition, ...batch }) => {
    let judged = 0; let failed = 0; let firstAt: string | null = null; let lastAt: string | null = null;
    const versions: Record<string, number> = {};
    const workers: Record<string, number> = {};
    for (const r of rows) {
      if (r.batch !== batch.id) continue;
      const n = Number(r.n);
      if (r.ok) { judged += n; versions[String(r.memory_version)] = (versions[String(r.memory_version)] ?? 0) + n; } else failed += n;
      workers[r.worker as string] = (workers[r.worker as string] ?? 0) + n;
      if (!firstAt || (r.first as string) < firstAt) firstAt = r.first as string;
      if (!lastAt || (r.last as string) > lastAt) lastAt = r.last as string;
    }
    const remaining = batch.status === 'cancelled' ? 0 : batch.total - judged - failed;
    const state = batch.status === 'cancelled' ? 'cancelled' : remaining === 0 ? 'done' : 'running';
    return { ...batch, judged, failed, remaining, state, versions, workers, firstAt, lastAt };
  });
}

/**
 * Cancels a batch: its queued jobs are cancelled in the job engine, workers judge nothing more of
 * it (a verdict already being made is still kept). Verdicts written stay readable.
 */
export async function cancelBatch(store: PostgresStore, boss: PgBoss, id: string): Promise<BatchStatus> {
  await getBatch(store, id);
  const s = checkSchemaName(store.schema);
  await store.pool.query(`UPDATE ${s}.batches SET status = 'cancelled' WHERE id = $1`, [id]);
  const jobs = (await store.pool.query(`SELECT i.job FROM ${s}.batch_items i LEFT JOIN ${s}.batch_results r ON r.batch = i.batch AND r.seq = i.seq WHERE i.batch = $1 AND r.seq IS NULL`, [id])).rows as { job: string }[];
  for (let i = 0; i < jobs.length; i += CHUNK) await boss.cancel(JUDGE_QUEUE, jobs.slice(i, i + CHUNK).map((j) => j.job));
  return batchStatus(store, id);
}

/**
 * Queues again the records whose attempts all failed (their errors are replaced by new attempts),
 * and un-cancels a cancelled batch's unjudged records. Returns how many were queued.
 */
export async function retryBatch(store: PostgresStore, boss: PgBoss, id: string): Promise<number> {
  const batch = await getBatch(store, id);
  const s = checkSchemaName(store.schema);
  const client = await store.pool.connect();
  let seqs: number[];
  try {
    await client.query('BEGIN');
    await client.query(`DELETE FROM ${s}.batch_results WHERE batch = $1 AND NOT ok`, [id]);
    seqs = ((await client.query(`SELECT i.seq FROM ${s}.batch_items i LEFT JOIN ${s}.batch_results r ON r.batch = i.batch AND r.seq = i.seq WHERE i.batch = $1 AND r.seq IS NULL ORDER BY i.seq`, [id])).rows as { seq: number }[]).map((r) => Number(r.seq));
    // Jobs still queued or running for these records are cancelled first, so none runs twice.
    const old = ((await client.query(`SELECT job FROM ${s}.batch_items WHERE batch = $1 AND seq = ANY($2::int[])`, [id, seqs])).rows as { job: string }[]).map((r) => r.job);
    for (let i = 0; i < old.length; i += CHUNK) await boss.cancel(JUDGE_QUEUE, old.slice(i, i + CHUNK), { db: inTransaction(client) });
    await queueJobs(client, boss, s, batch, seqs);
    await client.query(`UPDATE ${s}.batches SET status = 'running' WHERE id = $1`, [id]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
  await refreshQueueStatistics(store, boss);
  return seqs.length;
}

/** The batch's records with their results, in input order, page by page (null result: not judged yet). */
export async function* batchResults(store: PostgresStore, id: string, options: { pageSize?: number } = {}): AsyncGenerator<BatchResultLine> {
  await getBatch(store, id);
  const s = checkSchemaName(store.schema);
  let after = -1;
  for (;;) {
    const rows = (await store.pool.query(`SELECT i.seq, i.record, r.result, r.memory_version, r.worker FROM ${s}.batch_items i LEFT JOIN ${s}.batch_results r ON r.batch = i.batch AND r.seq = i.seq
      WHERE i.batch = $1 AND i.seq > $2 ORDER BY i.seq LIMIT $3`, [id, after, options.pageSize ?? 2000])).rows as Record<string, unknown>[];
    if (rows.length === 0) return;
    for (const r of rows) {
      yield { seq: Number(r.seq), record: JSON.parse(r.record as string) as JudgedRecord, result: r.result ? JSON.parse(r.result as string) as JudgeResult : null, memoryVersion: r.memory_version === null ? null : Number(r.memory_version), worker: (r.worker as string | null) ?? null };
    }
    after = Number(rows.at(-1)!.seq);
  }
}

/** Deletes a batch, its results and its pinned snapshot; its remaining jobs are cancelled. */
export async function deleteBatch(store: PostgresStore, boss: PgBoss, id: string): Promise<void> {
  const batch = await getBatch(store, id);
  await cancelBatch(store, boss, id);
  const s = checkSchemaName(store.schema);
  const client = await store.pool.connect();
  try {
    await client.query('BEGIN');
    if (batch.snapshot) await client.query(`DROP SCHEMA IF EXISTS ${checkSchemaName(batch.snapshot)} CASCADE`);
    await client.query(`DELETE FROM ${s}.batch_results WHERE batch = $1`, [id]);
    await client.query(`DELETE FROM ${s}.batches WHERE id = $1`, [id]);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}
