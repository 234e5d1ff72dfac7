import { extname, resolve } from 'node:path';
import {
  ConfigError, ValidationError, openPostgresStore, createBatch, batchStatus, listBatches, cancelBatch, retryBatch, batchResults, deleteBatch,
  startJobEngine, runWorker, resolveEmbedder, parseMapping, redactUrl, type PostgresStore, type BatchStatus, type JudgeResult, type JudgedRecord,
} from '../../index.ts';
import type { CliContext } from '../context.ts';
import { intFlag } from '../flags.ts';
import { checkOutput } from '../output-file.ts';
import { writeAtomic } from '../write-file.ts';
import { toCsv } from '../csv-out.ts';
import { EXIT } from '../exit-codes.ts';
import { readRecords } from './judge.ts';

/** The shared store a batch command needs, or a config error saying how to give one. */
async function sharedStore(ctx: CliContext): Promise<PostgresStore> {
  if (!ctx.sharedStore) {
    throw new ConfigError(`Batches need a shared PostgreSQL store, and the store is the SQLite file ${ctx.storePath}: pass --store postgres://user@host/db (or set MEMALIGN_STORE, or "store:" in memalign.config.yaml). Without one, "memalign judge" judges in this process.`);
  }
  return openPostgresStore(ctx.storePath);
}

async function withStore<T>(ctx: CliContext, fn: (store: PostgresStore) => Promise<T>): Promise<T> {
  const store = await sharedStore(ctx);
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

async function withEngine<T>(ctx: CliContext, fn: (store: PostgresStore, boss: Awaited<ReturnType<typeof startJobEngine>>) => Promise<T>): Promise<T> {
  return withStore(ctx, async (store) => {
    const boss = await startJobEngine(store, { supervise: false });
    try {
      return await fn(store, boss);
    } finally {
      await boss.stop({ graceful: false, close: true });
    }
  });
}

/**
 * `memalign judge <judge> <records> --queue`: stores the records as a batch and queues one job per
 * record for `memalign worker` processes on any machine. Prints the batch id.
 */
export async function queueCommand(ctx: CliContext, judgeRef: string, file: string, options: { map?: string; limit?: string; pin?: boolean; maxAttempts?: string }): Promise<number> {
  const limit = options.limit === undefined ? undefined : intFlag('--limit', options.limit, { min: 1 });
  const maxAttempts = options.maxAttempts === undefined ? undefined : intFlag('--max-attempts', options.maxAttempts, { min: 1, max: 20 });
  const mapping = parseMapping(options.map);
  const input = resolve(ctx.io.cwd, file);
  const { judge } = await ctx.judge(judgeRef);
  const records = await readRecords(input, mapping);
  const model = await ctx.model(judge);
  return withEngine(ctx, async (store, boss) => {
    const batch = await createBatch(store, boss, { judge, model, records: limit === undefined ? records : records.slice(0, limit), pin: options.pin, maxAttempts });
    ctx.print({ batch: batch.id, records: batch.total, model, pinnedVersion: batch.pinnedVersion, store: redactUrl(ctx.storePath) }, () => [
      `Queued batch ${batch.id}: ${batch.total} records for judge "${batch.judge}" with ${model}${batch.pinnedVersion !== null ? `, pinned to memory version ${batch.pinnedVersion}` : ''}.`,
      `  run workers (any machine):  memalign worker --store <the same store>`,
      `  follow it:                  memalign batch status ${batch.id}`,
      `  export its verdicts:        memalign batch results ${batch.id} -o verdicts.jsonl`,
    ].join('\n'));
    return EXIT.ok;
  });
}

/** `memalign worker`: judges queued batch records until interrupted (or idle, with --exit-when-idle). */
export async function workerCommand(ctx: CliContext, options: { concurrency: string; modelConcurrency?: string; rpm?: string; burst?: string; exitWhenIdle?: string; name?: string }): Promise<number> {
  const concurrency = intFlag('--concurrency', options.concurrency, { min: 1, max: 512 });
  const modelConcurrency = options.modelConcurrency === undefined ? undefined : intFlag('--model-concurrency', options.modelConcurrency, { min: 1 });
  const rpm = options.rpm === undefined ? undefined : intFlag('--rpm', options.rpm, { min: 1, example: 500 });
  const burst = options.burst === undefined ? undefined : intFlag('--burst', options.burst, { min: 1, max: 10_000, example: 10 });
  const idle = options.exitWhenIdle === undefined ? undefined : intFlag('--exit-when-idle', options.exitWhenIdle, { min: 0, example: 30 });
  const embedderSpec = ctx.config.embedder ?? ctx.io.env.MEMALIGN_EMBEDDER;
  return withStore(ctx, async (store) => {
    const abort = new AbortController();
    const stop = () => { ctx.note('Stopping: finishing the records in hand…'); abort.abort(); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let judged = 0; let last = 0;
    const started = performance.now();
    ctx.note(`Worker${options.name ? ` ${options.name}` : ''} judging queued records from ${redactUrl(ctx.storePath)}, ${concurrency} at a time${modelConcurrency ? `, at most ${modelConcurrency} per model across all workers` : ''}${rpm ? `, at most ${rpm} requests a minute per model across all workers` : ''}. Ctrl-C stops.`);
    try {
      const report = await runWorker({
        store, concurrency, modelConcurrency, requestsPerMinute: rpm, burst, name: options.name, signal: abort.signal, exitWhenIdleMs: idle === undefined ? undefined : idle * 1000, env: ctx.io.env,
        model: ctx.flags.model, embedder: embedderSpec ? resolveEmbedder(embedderSpec, { env: ctx.io.env, maxBatch: ctx.config.embedderBatch }) : undefined,
        onEvent: (e) => {
          if (e.type === 'flush') judged += e.written;
          if (e.type === 'retry') ctx.note(`  retrying record ${e.seq} of ${e.batch} later (attempt ${e.attempt}): ${e.error}`);
          const now = performance.now();
          if (now - last > 5000 && judged > 0) { last = now; ctx.note(`  ${judged} written (${(judged / ((now - started) / 1000)).toFixed(1)}/s)`); }
        },
      });
      ctx.print(report, () => `Worker ${report.name} stopped: ${report.verdicts} verdicts and ${report.failures} failures written, ${report.retries} attempts handed back for retry${report.stale ? `, ${report.stale} results dropped because their job had moved to another worker` : ''}.`);
      return EXIT.ok;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  });
}

function statusLines(s: BatchStatus): string {
  const done = s.judged + s.failed;
  const seconds = s.firstAt && s.lastAt ? (Date.parse(s.lastAt) - Date.parse(s.firstAt)) / 1000 : 0;
  const rate = seconds > 0 ? done / seconds : 0;
  return [
    `Batch ${s.id} (judge "${s.judge}", ${s.model}${s.pinnedVersion !== null ? `, pinned to memory version ${s.pinnedVersion}` : ''}): ${s.state}`,
    `  ${done} of ${s.total} done (${s.total ? Math.floor((100 * done) / s.total) : 100}%): ${s.judged} verdicts, ${s.failed} failed${s.remaining ? `, ${s.remaining} to go` : ''}${rate > 0 && s.remaining ? `; ${rate.toFixed(1)}/s, about ${Math.ceil(s.remaining / rate)} s left` : ''}`,
    Object.keys(s.versions).length ? `  memory versions used: ${Object.entries(s.versions).map(([v, n]) => `v${v} × ${n}`).join(', ')}` : '',
    Object.keys(s.workers).length ? `  workers: ${Object.entries(s.workers).map(([w, n]) => `${w} ${n}`).join(', ')}` : '',
    s.failed ? `  re-queue the failures: memalign batch retry ${s.id}` : '',
  ].filter(Boolean).join('\n');
}

/** `memalign batch <action> [id]`: list, status, cancel, retry, results, delete. */
export async function batchCommand(ctx: CliContext, action: string, id: string | undefined, options: { output?: string; format?: string; limit?: string }): Promise<number> {
  const actions = ['list', 'status', 'cancel', 'retry', 'results', 'delete'];
  if (!actions.includes(action)) throw new ValidationError('command', [{ path: 'action', message: `"${action}" is not a batch action: use ${actions.join(', ')}` }]);
  if (action !== 'list' && !id) throw new ValidationError('command', [{ path: 'id', message: `"memalign batch ${action}" needs a batch id: "memalign batch list" shows them` }]);
  const batchId = id ?? '';
  switch (action) {
    case 'list':
      return withStore(ctx, async (store) => {
        const all = await listBatches(store, { limit: options.limit === undefined ? 50 : intFlag('--limit', options.limit, { min: 1 }) });
        ctx.print(all, () => (all.length ? all.map(statusLines).join('\n') : 'No batches yet: "memalign judge <judge> <records> --queue" queues one.'));
        return EXIT.ok;
      });
    case 'status':
      return withStore(ctx, async (store) => {
        const s = await batchStatus(store, batchId);
        ctx.print(s, () => statusLines(s));
        return EXIT.ok;
      });
    case 'cancel':
      return withEngine(ctx, async (store, boss) => {
        const s = await cancelBatch(store, boss, batchId);
        ctx.print(s, () => `Cancelled batch ${s.id}: ${s.judged} verdicts kept; nothing more of it will be judged ("memalign batch retry ${s.id}" queues the rest again).`);
        return EXIT.ok;
      });
    case 'retry':
      return withEngine(ctx, async (store, boss) => {
        const n = await retryBatch(store, boss, batchId);
        ctx.print({ batch: batchId, queued: n }, () => (n ? `Queued ${n} records of batch ${batchId} again.` : `Nothing to retry in batch ${batchId}: every record has a verdict.`));
        return EXIT.ok;
      });
    case 'delete':
      return withEngine(ctx, async (store, boss) => {
        await deleteBatch(store, boss, batchId);
        ctx.print({ batch: batchId, deleted: true }, () => `Deleted batch ${batchId}, its verdicts and its pinned snapshot.`);
        return EXIT.ok;
      });
    default:
      return exportResults(ctx, batchId, options);
  }
}

async function exportResults(ctx: CliContext, id: string, options: { output?: string; format?: string }): Promise<number> {
  const format = options.format ?? (options.output && extname(options.output).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  if (!['jsonl', 'csv'].includes(format)) throw new ValidationError('options', [{ path: '--format', message: `"${options.format}" is not a format: use jsonl or csv` }]);
  const output = options.output ? resolve(ctx.io.cwd, options.output) : undefined;
  if (output) checkOutput(output, format === 'csv' ? 'verdicts-csv' : 'verdicts-jsonl', { flag: '--output', protect: [...(ctx.config.file ? [ctx.config.file] : [])], protectDirs: ctx.stateDirs() });
  return withStore(ctx, async (store) => {
    const lines: { record: JudgedRecord; result: JudgeResult }[] = [];
    let missing = 0; let failed = 0;
    for await (const line of batchResults(store, id)) {
      if (!line.result) { missing += 1; continue; }
      if (!line.result.ok) failed += 1;
      lines.push({ record: line.record, result: line.result });
    }
    const text = format === 'csv' ? toCsv(lines) : lines.map((l) => `${JSON.stringify(l)}\n`).join('');
    if (output) writeAtomic(output, text);
    else ctx.io.out(text);
    ctx.note(`${lines.length} results of batch ${id} in input order${output ? ` → ${output}` : ''}${failed ? `; ${failed} are errors` : ''}${missing ? `; ${missing} records are not judged yet` : ''}.`);
    return missing || failed ? EXIT.someRecordsFailed : EXIT.ok;
  });
}
