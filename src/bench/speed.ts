import { openMemalign, resolveModel, type ChatModel } from '../index.ts';
import { startLoopbackServer } from '../testing/index.ts';
import { DATASETS } from './datasets/registry.ts';
import type { DatasetAdapter, LabelledRow } from './datasets/adapter.ts';
import { gepaBaseline, axEndpoint } from './gepa.ts';

type DatasetAdapterJudge = DatasetAdapter['judge'];

/** Options of the speed benchmark (no real model: the loopback server with a latency model). */
export interface SpeedOptions {
  root: string;
  latency: { fixedMs: number; perOutputTokenMs: number };
  sizes: number[];
  concurrencies: number[];
  /** Records judged per concurrency level. */
  judged: number;
  /** Training sizes at which the prompt-optimiser baseline (ax GEPA) is compiled for comparison; [] to skip. */
  optimiserSizes?: number[];
  /** GEPA's budget of metric evaluations per compile. */
  optimiserBudget?: number;
  onProgress?: (message: string) => void;
}

export interface AlignSpeed { n: number; batches: number; llmCalls: number; httpRequests: number; rounds: number; inputTokens: number; outputTokens: number; wallMs: number; ownOverheadMs: number }
export interface OptimiserSpeed { n: number; budget: number; gepa: { calls: number; tokens: number; wallMs: number }; memalign: { calls: number; tokens: number; wallMs: number } }
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

async function alignOnce(url: string, judge: DatasetAdapterJudge & { memory: object }, rows: LabelledRow[]): Promise<AlignSpeed> {
  const feedback = rows.map((r) => ({ id: `f-${r.record.id}`, record: r.record, value: r.value, rationale: r.value ? 'Matches the gold answer.' : 'Does not give the gold answer.' }));
  const t = timedModel(resolveModel(`${url}#speed`));
  const ma = await openMemalign({ judge, model: t.model, store: ':memory:', retries: 0 });
  const started = performance.now();
  const report = await ma.align(feedback);
  const wallMs = performance.now() - started;
  await ma.close();
  return { n: rows.length, batches: Math.ceil(rows.length / 50), llmCalls: report.usage.calls, httpRequests: report.usage.calls, rounds: report.rounds, inputTokens: report.usage.inputTokens, outputTokens: report.usage.outputTokens, wallMs, ownOverheadMs: wallMs - t.waitingMs() };
}

/**
 * Measures alignment at growing feedback sizes and judging throughput at growing concurrency,
 * against the loopback OpenAI-compatible server through the real provider package.
 *
 * @example
 * const r = await runSpeedBench({ root, latency: { fixedMs: 300, perOutputTokenMs: 0 }, sizes: [10, 50], concurrencies: [1, 8], judged: 64 });
 */
export async function runSpeedBench(o: SpeedOptions): Promise<{ align: AlignSpeed[]; judge: JudgeSpeed[]; optimiser: OptimiserSpeed[]; latency: SpeedOptions['latency'] }> {
  const server = await startLoopbackServer({ latency: o.latency });
  const rows = DATASETS.evouna.load(o.root, { seed: 1 });
  const judge = { ...DATASETS.evouna.judge, memory: {} };
  const align: AlignSpeed[] = [];
  const judged: JudgeSpeed[] = [];
  const optimiser: OptimiserSpeed[] = [];
  try {
    for (const n of o.sizes) {
      o.onProgress?.(`align ${n}`);
      server.reset();
      const a = await alignOnce(server.url, judge, rows.slice(0, n));
      align.push({ ...a, httpRequests: server.stats().chat });
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
    for (const n of o.optimiserSizes ?? []) {
      o.onProgress?.(`GEPA compile on ${n} examples`);
      const budget = o.optimiserBudget ?? 100;
      const train = rows.slice(0, n);
      const g = await gepaBaseline(DATASETS.evouna.judge, train, [], axEndpoint(`${server.url}#speed`, {}), { seed: 1, maxMetricCalls: budget, concurrency: 8 });
      const m = align.find((a) => a.n === n) ?? (await alignOnce(server.url, judge, train));
      optimiser.push({ n, budget, gepa: { calls: g.compile.calls, tokens: g.compile.inputTokens + g.compile.outputTokens, wallMs: g.compile.wallMs }, memalign: { calls: m.llmCalls, tokens: m.inputTokens + m.outputTokens, wallMs: m.wallMs } });
    }
  } finally {
    await server.close();
  }
  return { align, judge: judged, optimiser, latency: o.latency };
}
