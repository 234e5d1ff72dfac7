import type { QualityRun, StageResult } from './quality.ts';

/** Mean and spread (sample standard deviation) over seeds of one metric. */
export interface Spread { mean: number | null; sd: number | null; n: number }

/** A dataset × method × shard row, aggregated over seeds. */
export interface SummaryRow {
  dataset: string; method: string; shard: number;
  /** Exact match for categorical kinds, CCC for numeric (the method's primary metric). */
  test: Spread; train: Spread; kappa: Spread;
  alignCalls: number; alignTokens: number; alignCostUsd: number | null; alignSeconds: number;
}

/**
 * Aggregates stages over seeds. The primary metric is CCC where the stage has one (numeric
 * judges), else exact match; alignment cost is cumulative up to the shard, averaged over seeds.
 *
 * @example
 * const rows = summarise(run);
 */
export function summarise(run: QualityRun): SummaryRow[] {
  const key = (s: StageResult) => `${s.dataset}\u0000${s.method}\u0000${s.shard}`;
  const groups = new Map<string, StageResult[]>();
  for (const s of run.stages) groups.set(key(s), [...(groups.get(key(s)) ?? []), s]);
  const cumulative = (s: StageResult) => run.stages.filter((x) => x.dataset === s.dataset && x.method === s.method && x.seed === s.seed && x.shard <= s.shard);
  return [...groups.values()].map((stages) => {
    const first = stages[0];
    const primary = (m: StageResult['test']) => (m.ccc !== null ? m.ccc : m.exactMatch);
    const costs = stages.map((s) => cumulative(s).reduce((c, x) => ({ calls: c.calls + x.align.calls, tokens: c.tokens + x.align.inputTokens + x.align.outputTokens, usd: c.usd === null || x.align.costUsd === null ? null : c.usd + x.align.costUsd, ms: c.ms + x.align.wallMs }), { calls: 0, tokens: 0, usd: 0 as number | null, ms: 0 }));
    const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return {
      dataset: first.dataset, method: first.method, shard: first.shard,
      test: spread(stages.map((s) => primary(s.test))), train: spread(stages.map((s) => primary(s.train))), kappa: spread(stages.map((s) => s.test.kappa)),
      alignCalls: avg(costs.map((c) => c.calls)), alignTokens: avg(costs.map((c) => c.tokens)),
      alignCostUsd: costs.some((c) => c.usd === null) ? null : avg(costs.map((c) => c.usd!)), alignSeconds: avg(costs.map((c) => c.ms)) / 1000,
    };
  }).sort((a, b) => (a.dataset < b.dataset ? -1 : a.dataset > b.dataset ? 1 : 0) || a.shard - b.shard);
}

/**
 * Mean and sample standard deviation, ignoring missing values.
 *
 * @example
 * spread([0.5, 0.7]); // { mean: 0.6, sd: 0.1414…, n: 2 }
 */
export function spread(values: (number | null)[]): Spread {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return { mean: null, sd: null, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1)) : null;
  return { mean, sd, n: xs.length };
}
