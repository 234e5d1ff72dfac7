import { openMemalign, resolveModel, type ChatModel } from '../index.ts';
import { startLoopbackServer } from '../testing/index.ts';
import { DATASETS } from './datasets/registry.ts';

/** Options of the speed benchmark (no real model: the loopback server with a latency model). */
export interface SpeedOptions {
  root: string;
  latency: { fixedMs: number; perOutputTokenMs: number };
  sizes: number[];
  concurrencies: number[];
  /** Records judged per concurrency level. */
  judged: number;
  onProgress?: (message: string) => void;
}

export interface AlignSpeed { n: number; batches: number; llmCalls: number; httpRequests: number; rounds: number; inputTokens: number; outputTokens: number; wallMs: number; ownOverheadMs: number }
export interface JudgeSpeed { concurrency: number; records: number; verdictsPerSecond: number; wallMs: number; rssMbBefore: number; rssMbAfter: number; maxInFlight: number }

/**
 * Wraps a model to measure the time during which at least one provider call is in flight: wall
 * time minus that is memalign's own overhead.
 *
 * @example
 * const t = timedModel(model); await ma.align(items); t.waitingMs();
 */
export function timedModel(model: ChatModel): { model: ChatModel; waitingMs: () => number } {
  let inFlight = 0;
  let since = 0;
  let waiting = 0;
  return {
    waitingMs: () => waiting,
    model: {
      id: model.id,
      async generate(req) {
        if (inFlight++ === 0) since = performance.now();
        try { return await model.generate(req); } finally { if (--inFlight === 0) waiting += performance.now() - since; }
      },
    },
  };
}

/**
 * Measures alignment at growing feedback sizes and judging throughput at growing concurrency,
 * against the loopback OpenAI-compatible server through the real provider package.
 *
 * @example
 * const r = await runSpeedBench({ root, latency: { fixedMs: 300, perOutputTokenMs: 0 }, sizes: [10, 50], concurrencies: [1, 8], judged: 64 });
 */
export async function runSpeedBench(o: SpeedOptions): Promise<{ align: AlignSpeed[]; judge: JudgeSpeed[]; latency: SpeedOptions['latency'] }> {
  const server = await startLoopbackServer({ latency: o.latency });
  const rows = DATASETS.evouna.load(o.root, { seed: 1 });
  const judge = { ...DATASETS.evouna.judge, memory: {} };
  const align: AlignSpeed[] = [];
  const judged: JudgeSpeed[] = [];
  try {
    for (const n of o.sizes) {
      o.onProgress?.(`align ${n}`);
      const feedback = rows.slice(0, n).map((r) => ({ id: `f-${r.record.id}`, record: r.record, value: r.value, rationale: r.value ? 'Matches the gold answer.' : 'Does not give the gold answer.' }));
      const t = timedModel(resolveModel(`${server.url}#speed`));
      const ma = await openMemalign({ judge, model: t.model, store: ':memory:', retries: 0 });
      server.reset();
      const started = performance.now();
      const report = await ma.align(feedback);
      const wallMs = performance.now() - started;
      await ma.close();
      align.push({ n, batches: Math.ceil(n / 50), llmCalls: report.usage.calls, httpRequests: server.stats().chat, rounds: report.rounds, inputTokens: report.usage.inputTokens, outputTokens: report.usage.outputTokens, wallMs, ownOverheadMs: wallMs - t.waitingMs() });
    }
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#speed`), store: ':memory:', retries: 0 });
    await ma.align(rows.slice(0, 200).map((r) => ({ id: `f-${r.record.id}`, record: r.record, value: r.value })));
    const records = rows.slice(200, 200 + o.judged).map((r) => r.record);
    for (const c of o.concurrencies) {
      o.onProgress?.(`judge at concurrency ${c}`);
      server.reset();
      const rssBefore = process.memoryUsage().rss / 1e6;
      const started = performance.now();
      const results = await ma.judgeMany(records, { concurrency: c });
      const wallMs = performance.now() - started;
      judged.push({ concurrency: c, records: results.filter((r) => r.ok).length, verdictsPerSecond: (results.length / wallMs) * 1000, wallMs, rssMbBefore: rssBefore, rssMbAfter: process.memoryUsage().rss / 1e6, maxInFlight: server.stats().maxInFlight });
    }
    await ma.close();
  } finally {
    await server.close();
  }
  return { align, judge: judged, latency: o.latency };
}
