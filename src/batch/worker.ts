import { hostname } from 'node:os';
import type { Job, JobWithMetadata, PgBoss } from 'pg-boss';
import type { JudgedRecord, JudgeResult } from '../core/types.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { ChatModel } from '../model/chat-model.ts';
import { openMemalign, type Memalign } from '../engine/memalign.ts';
import { openPostgresStore, type PostgresStore } from '../store/postgres/postgres-store.ts';
import { checkSchemaName } from '../store/postgres/schema.ts';
import { getBatch, type BatchInfo } from './batches.ts';
import { DEFAULT_TIMINGS, JUDGE_QUEUE, inTransaction, startJobEngine, type JobTimings } from './job-engine.ts';
import { rateLimitedModel, sharedRateLimit, type SharedRateLimit } from './rate-limit.ts';
import { resolveModel } from '../model/resolve-model.ts';

/** What a worker reports while it runs. */
export type WorkerEvent =
  | { type: 'verdict'; batch: string; seq: number; ok: boolean; ms: number }
  /** A retryable failure handed back to the job engine, to be retried (with backoff) by any worker. */
  | { type: 'retry'; batch: string; seq: number; attempt: number; error: string }
  /** Verdicts written with their jobs' completion; `stale`: attempts that lost their job to another worker meanwhile (not written). */
  | { type: 'flush'; written: number; stale: number }
  | { type: 'idle' };

/** Options of `runWorker`. */
export interface WorkerOptions {
  store: PostgresStore;
  /** Records judged at once by this worker (default 8). */
  concurrency?: number;
  /** Model calls in flight per model across all workers together (the job engine enforces it); default unlimited. */
  modelConcurrency?: number;
  /**
   * Model requests per minute per model across all workers together (a rate limit held in the
   * database; give every worker the same figure); default unlimited. Retries count.
   */
  requestsPerMinute?: number;
  /** Requests the rate limit lets through at once after a quiet spell (default 1: evenly spaced). */
  burst?: number;
  /** Name in results and status (default host:pid). */
  name?: string;
  signal?: AbortSignal;
  /** Stop after the queue stayed empty this long, in ms (default: run until `signal`). */
  exitWhenIdleMs?: number;
  /** The judging model instead of each batch's model string (tests; a local override). */
  model?: ChatModel | string;
  embedder?: Embedder;
  env?: Record<string, string | undefined>;
  timings?: Partial<JobTimings>;
  onEvent?: (event: WorkerEvent) => void;
}

/** What a worker did. */
export interface WorkerReport { name: string; verdicts: number; failures: number; retries: number; stale: number }

/** The longest a judged verdict waits before it is written with its job's completion. */
const FLUSH_MS = 100;

interface Done { job: JobWithMetadata<JobData>; result: JudgeResult; version: number }
interface JobData { batch: string; seq: number }

/**
 * Processes batch jobs until stopped: fetches as many jobs as it has free slots, judges each
 * record with its batch's judge and model (at the batch's pinned memory, or the current one), and
 * writes each verdict in the same transaction that completes its job, fenced to the attempt it
 * holds, so a verdict is written exactly once even when a job was given to another worker.
 * Retryable failures go back to the job engine (retried with backoff, by any worker); permanent
 * ones, or the last attempt's, are kept as the record's result with their error.
 *
 * @example
 * const controller = new AbortController();
 * await runWorker({ store, concurrency: 16, signal: controller.signal });
 */
export async function runWorker(options: WorkerOptions): Promise<WorkerReport> {
  const { store } = options;
  const concurrency = options.concurrency ?? 8;
  const name = options.name ?? `${hostname()}:${process.pid}`;
  const timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const boss = await startJobEngine(store, { timings });
  const s = checkSchemaName(store.schema);
  const emit = options.onEvent ?? (() => {});
  const report: WorkerReport = { name, verdicts: 0, failures: 0, retries: 0, stale: 0 };
  const batches = new Map<string, { info: BatchInfo; checked: number }>();
  const judges = new Map<string, Promise<Memalign>>();
  const snapshots: PostgresStore[] = [];
  // The jobs this worker holds: running, or fetched ahead and waiting in `ready`.
  const inflight = new Map<string, JobWithMetadata<JobData>>();
  const ready: JobWithMetadata<JobData>[] = [];
  const records = new Map<string, JudgedRecord>();
  let pending: Done[] = [];
  let pendingSince = 0;
  let wake: (() => void) | undefined;
  const wakeUp = () => { wake?.(); wake = undefined; };
  const sleep = (ms: number) => new Promise<void>((r) => { const t = setTimeout(r, ms); wake = () => { clearTimeout(t); r(); }; });
  options.signal?.addEventListener('abort', wakeUp);

  const batchOf = async (id: string): Promise<BatchInfo> => {
    const known = batches.get(id);
    // The status is re-read at most once a second (a cancel takes effect within that).
    if (known && Date.now() - known.checked < 1000) return known.info;
    const info = await getBatch(store, id);
    batches.set(id, { info, checked: Date.now() });
    return info;
  };
  const limits = new Map<string, SharedRateLimit>();
  // The judging model: the override or the batch's, behind the shared rate limit when one is set.
  const modelFor = (batch: BatchInfo): ChatModel | string => {
    const spec = options.model ?? batch.model;
    if (!options.requestsPerMinute) return spec;
    const base = typeof spec === 'string' ? resolveModel(spec, { env: options.env }) : spec;
    const key = `model:${base.id}`;
    if (!limits.has(key)) limits.set(key, sharedRateLimit(store, key, { perMinute: options.requestsPerMinute, burst: options.burst }));
    return rateLimitedModel(base, limits.get(key)!);
  };
  const judgeFor = (batch: BatchInfo): Promise<Memalign> => {
    let ma = judges.get(batch.id);
    if (!ma) {
      ma = (async () => {
        let memory: PostgresStore = store;
        if (batch.snapshot) {
          memory = await openPostgresStore(store.connectionString, { schema: batch.snapshot, readOnly: true, listen: false, poolSize: 2 });
          snapshots.push(memory);
        }
        return openMemalign({ judge: batch.definition, store: memory, model: modelFor(batch), embedder: options.embedder, env: options.env });
      })();
      judges.set(batch.id, ma);
      ma.catch(() => judges.delete(batch.id));
    }
    return ma;
  };

  // Verdicts and completions, together: the jobs this worker still holds (attempt-fenced) are
  // completed, and only their verdicts written; ON CONFLICT guards the exactly-once even so.
  const flush = async () => {
    if (pending.length === 0) return;
    const done = pending;
    pending = [];
    pendingSince = 0;
    const client = await store.pool.connect();
    try {
      await client.query('BEGIN');
      const res = await boss.complete(JUDGE_QUEUE, done.map((d) => ({ id: d.job.id, retryCount: d.job.retryCount })), null, { db: inTransaction(client) }) as { settled?: string[] };
      const settled = new Set(res.settled ?? []);
      const kept = done.filter((d) => settled.has(d.job.id));
      const at = new Date().toISOString();
      if (kept.length > 0) {
        await client.query(`INSERT INTO ${s}.batch_results (batch, seq, ok, result, memory_version, worker, at)
          SELECT batch, seq, ok, result, v, $1, $2 FROM unnest($3::text[], $4::int[], $5::bool[], $6::text[], $7::int[]) AS u(batch, seq, ok, result, v) ON CONFLICT DO NOTHING`,
        [name, at, kept.map((d) => d.job.data.batch), kept.map((d) => d.job.data.seq), kept.map((d) => d.result.ok), kept.map((d) => JSON.stringify(d.result)), kept.map((d) => d.version)]);
      }
      await client.query('COMMIT');
      for (const d of kept) { if (d.result.ok) report.verdicts += 1; else report.failures += 1; }
      report.stale += done.length - kept.length;
      emit({ type: 'flush', written: kept.length, stale: done.length - kept.length });
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      // Not written, not completed: the jobs run again after their heartbeat lapses.
      emit({ type: 'flush', written: 0, stale: done.length });
      throw error;
    } finally {
      client.release();
    }
  };

  // A fetch's records of one batch are judged in one judgeMany call, so their query embeddings
  // go out together; each result is settled as it comes.
  const settle = async (job: JobWithMetadata<JobData>, result: JudgeResult, version: number, started: number) => {
    const lastAttempt = job.retryCount >= job.retryLimit;
    if (!result.ok && result.error.retryable && !lastAttempt) {
      report.retries += 1;
      emit({ type: 'retry', batch: job.data.batch, seq: job.data.seq, attempt: job.retryCount + 1, error: result.error.message });
      await boss.fail(JUDGE_QUEUE, { id: job.id, retryCount: job.retryCount }, { error: result.error }).catch(() => {});
    } else {
      if (pending.length === 0) pendingSince = performance.now();
      pending.push({ job, result, version });
      emit({ type: 'verdict', batch: job.data.batch, seq: job.data.seq, ok: result.ok, ms: performance.now() - started });
    }
  };
  const release = (job: JobWithMetadata<JobData>) => {
    inflight.delete(job.id);
    records.delete(job.id);
    startReady();
    wakeUp();
  };
  const run = async (batchId: string, jobs: JobWithMetadata<JobData>[]) => {
    const started = performance.now();
    const settling: Promise<void>[] = [];
    try {
      const batch = await batchOf(batchId);
      const missing = jobs.filter((j) => batch.status === 'cancelled' || !records.has(j.id));
      if (missing.length > 0) {
        await boss.complete(JUDGE_QUEUE, missing.map((j) => ({ id: j.id, retryCount: j.retryCount })));
        missing.forEach(release);
      }
      const todo = jobs.filter((j) => !missing.includes(j));
      if (todo.length === 0) return;
      const ma = await judgeFor(batch);
      await ma.judgeMany(todo.map((j) => records.get(j.id)!), {
        concurrency: todo.length,
        onResult: (result, i) => {
          const job = todo[i];
          settling.push(settle(job, result, result.ok ? result.provenance.memoryVersion : ma.version, started).finally(() => release(job)));
        },
      });
      await Promise.all(settling);
    } catch (error) {
      // Could not even try (batch unreadable, model unresolvable): back to the engine, retried later.
      await Promise.all(settling);
      for (const job of jobs.filter((j) => inflight.has(j.id))) {
        report.retries += 1;
        emit({ type: 'retry', batch: job.data.batch, seq: job.data.seq, attempt: job.retryCount + 1, error: (error as Error).message });
        await boss.fail(JUDGE_QUEUE, { id: job.id, retryCount: job.retryCount }, { error: { message: (error as Error).message } }).catch(() => {});
        release(job);
      }
    }
  };

  // The records of fetched jobs, kept by job id until the job is let go.
  const loadRecords = async (jobs: Job<JobData>[]): Promise<void> => {
    const rows = (await store.pool.query(`SELECT i.batch, i.seq, i.record FROM ${s}.batch_items i JOIN unnest($1::text[], $2::int[]) AS u(batch, seq) ON i.batch = u.batch AND i.seq = u.seq`,
      [jobs.map((j) => j.data.batch), jobs.map((j) => j.data.seq)])).rows as { batch: string; seq: number; record: string }[];
    const byKey = new Map(rows.map((r) => [`${r.batch}/${r.seq}`, r.record]));
    for (const job of jobs) {
      const text = byKey.get(`${job.data.batch}/${job.data.seq}`);
      if (text !== undefined) records.set(job.id, JSON.parse(text) as JudgedRecord);
    }
  };
  // Starts ready jobs in free slots; those of one batch in one judgeMany call, so that their
  // query embeddings go out together.
  function startReady(): void {
    const free = concurrency - (inflight.size - ready.length);
    if (free <= 0 || ready.length === 0) return;
    const byBatch = new Map<string, JobWithMetadata<JobData>[]>();
    for (const job of ready.splice(0, free)) {
      const group = byBatch.get(job.data.batch);
      if (group) group.push(job);
      else byBatch.set(job.data.batch, [job]);
    }
    for (const [batchId, group] of byBatch) {
      const p = run(batchId, group);
      running.add(p);
      void p.finally(() => running.delete(p));
    }
  }

  // Heartbeats for the jobs held, so a live worker keeps them and a dead one loses them.
  const beat = setInterval(() => {
    const held = [...inflight.values()].map((j) => ({ id: j.id, retryCount: j.retryCount }));
    if (held.length > 0) boss.touch(JUDGE_QUEUE, held).catch(() => {});
  }, Math.max(1000, (timings.heartbeatSeconds * 1000) / 3));
  // Verdicts are written in groups: when a round's worth is waiting or the oldest has waited
  // FLUSH_MS. Each group is one transaction of four statements, so writing every few verdicts
  // would cost the database (and this process's socket writes) more than the judging does.
  const flushAt = Math.max(1, concurrency);
  const flusher = setInterval(() => {
    if (pending.length >= flushAt || (pending.length > 0 && performance.now() - pendingSince >= FLUSH_MS)) flush().catch(() => {});
  }, 20);

  const running = new Set<Promise<void>>();
  let idleSince = Date.now();
  let firstFreeAt = 0;
  let fetchAfter = 0;
  // Jobs are fetched ahead of the free slots (half the concurrency, with their records), so a
  // slot that frees starts its next record at once instead of waiting for a fetch and a record
  // read; the buffer is topped up when half of it is used, so fetches stay few. Not under a
  // global model-concurrency limit: a fetched job counts against it before it calls the model.
  const ahead = options.modelConcurrency ? 0 : Math.ceil(concurrency / 2);
  // Without fetching ahead: fetch when a tenth of the slots are free, or 50 ms after the first
  // one freed.
  const refill = ahead > 0 ? Math.ceil(ahead / 2) : Math.max(1, Math.ceil(concurrency / 10));
  try {
    while (!options.signal?.aborted) {
      const room = concurrency + ahead - inflight.size;
      const slotsIdle = ready.length === 0 && inflight.size < concurrency;
      if (room <= 0 || (ahead > 0 && room < refill && !slotsIdle)) { firstFreeAt = 0; await sleep(1000); continue; }
      if (ahead === 0) {
        if (firstFreeAt === 0) firstFreeAt = Date.now();
        if (room < refill && inflight.size > 0 && Date.now() - firstFreeAt < 50) { await sleep(50 - (Date.now() - firstFreeAt)); continue; }
      }
      if (Date.now() < fetchAfter) { await sleep(fetchAfter - Date.now()); continue; }
      const jobs = await boss.fetch<JobData>(JUDGE_QUEUE, { batchSize: room, includeMetadata: true, ...(options.modelConcurrency ? { groupConcurrency: options.modelConcurrency } : {}) });
      firstFreeAt = 0;
      if (jobs.length === 0) {
        if (inflight.size === 0 && pending.length === 0) {
          if (options.exitWhenIdleMs !== undefined && Date.now() - idleSince >= options.exitWhenIdleMs) break;
          emit({ type: 'idle' });
        }
        fetchAfter = Date.now() + (inflight.size > 0 ? 50 : 250);
        continue;
      }
      // The queue held fewer than asked for: look again a little later, not at once.
      if (jobs.length < room) fetchAfter = Date.now() + 50;
      for (const job of jobs) inflight.set(job.id, job);
      await loadRecords(jobs);
      ready.push(...jobs);
      startReady();
      idleSince = Date.now();
    }
  } finally {
    // Stopping: finish what is held, the few fetched ahead included (handing them back would
    // count an attempt against them), write the verdicts, then let go.
    while (ready.length > 0 || running.size > 0) {
      startReady();
      await Promise.allSettled([...running]);
    }
    clearInterval(flusher);
    clearInterval(beat);
    await flush().catch(() => {});
    for (const ma of judges.values()) await ma.then((m) => m.close(), () => {});
    for (const snap of snapshots) await snap.close();
    await boss.stop({ graceful: false, close: true }).catch(() => {});
  }
  return report;
}
