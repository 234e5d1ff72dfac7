import { openMemalign, agreementReport, costOf, MemalignError, VERSION, type ChatModel, type JudgeResult, type JudgedRecord, type Memalign, type OutputKind, type Usage } from '../index.ts';
import { DATASETS } from './datasets/registry.ts';
import type { DatasetAdapter, LabelledRow } from './datasets/adapter.ts';
import { splitRows, shards } from './split.ts';
import { METHODS, type BenchMethod } from './methods.ts';
import { gepaBaseline, type AxEndpoint } from './gepa.ts';

/** Options of a quality benchmark run (the MemAlign protocol, DESIGN.md §2 and §6). */
export interface QualityOptions {
  /** Folder holding the datasets (shared/datasets). */
  root: string;
  datasets: string[];
  methods: string[];
  seeds: number[];
  shardSizes: number[];
  trainSize: number;
  /** At most this many test rows per dataset and seed (cost control). */
  testLimit: number;
  model: ChatModel;
  /** Where the GEPA baseline's requests go (ax calls the endpoint itself); without it GEPA is skipped. */
  optimiserEndpoint?: AxEndpoint;
  /** GEPA's budget of metric evaluations per compile. */
  optimiserBudget?: number;
  /** The fetch GEPA's HTTP calls go through (a recording or replaying cassette). */
  optimiserFetch?: typeof fetch;
  concurrency: number;
  onProgress?: (message: string) => void;
}

/** Agreement on one set of rows. */
export interface SetMetrics { n: number; errors: number; exactMatch: number | null; kappa: number | null; ccc: number | null }
type Cost = Pick<Usage, 'calls' | 'inputTokens' | 'outputTokens' | 'costUsd'> & { wallMs: number };

/** One measurement: a dataset, method, seed and training-shard size. */
export interface StageResult {
  dataset: string; method: string; seed: number; shard: number;
  /** Agreement on the training examples given so far (empty at shard 0). */
  train: SetMetrics;
  test: SetMetrics;
  /** What aligning on this shard's new examples cost (calls, tokens, dollars, wall time). */
  align: Cost;
  judge: Cost;
}

/** The full record of a run. */
export interface QualityRun {
  startedAt: string;
  config: Omit<QualityOptions, 'model' | 'onProgress' | 'root'> & { model: string };
  versions: { memalign: string; node: string };
  notices: string[];
  stages: StageResult[];
}

/**
 * Runs the protocol: per dataset and seed, a group-aware split (50 train, the rest test); per
 * method, alignment on growing training shards; after each shard, agreement on the training
 * examples seen so far and on the test set, with alignment cost and time. Stages are independent
 * judges on in-memory stores.
 *
 * @example
 * const run = await runQualityBench({ root, datasets: ['llmbar'], methods: ['unaligned', 'memalign'], seeds: [1], shardSizes: [0, 2, 5], trainSize: 50, testLimit: 50, model, concurrency: 8 });
 */
export async function runQualityBench(o: QualityOptions): Promise<QualityRun> {
  const run: QualityRun = {
    startedAt: new Date().toISOString(), versions: { memalign: VERSION, node: process.version }, notices: [], stages: [],
    config: { datasets: o.datasets, methods: o.methods, seeds: o.seeds, shardSizes: o.shardSizes, trainSize: o.trainSize, testLimit: o.testLimit, concurrency: o.concurrency, model: o.model.id },
  };
  for (const name of o.datasets) {
    const adapter = DATASETS[name];
    if (!adapter) throw new MemalignError('invalid_input', `Unknown dataset "${name}": choose from ${Object.keys(DATASETS).join(', ')}.`);
    if (adapter.notice) { run.notices.push(`${adapter.name}: ${adapter.notice}`); o.onProgress?.(`Notice — ${adapter.notice}`); }
    for (const seed of o.seeds) {
      const rows = adapter.load(o.root, { seed });
      const { train, test } = splitRows(rows, { seed, trainSize: o.trainSize, testLimit: o.testLimit });
      const baseVerdicts = new Map<string, JudgeResult>();
      for (const method of o.methods.map(findMethod)) {
        if (method.optimiser) {
          if (!o.optimiserEndpoint) {
            const note = 'gepa: skipped (ax needs an endpoint: pass --model as openai:, anthropic:, ollama: or a URL, also when replaying).';
            if (!run.notices.includes(note)) { run.notices.push(note); o.onProgress?.(note); }
            continue;
          }
          for (const shard of shards(train, o.shardSizes)) {
            o.onProgress?.(`${name} seed ${seed} gepa shard ${shard.size}`);
            run.stages.push(await gepaStage(adapter, shard.rows, test, seed, o));
          }
          continue;
        }
        const ma = await openMemalign({ judge: { ...adapter.judge, memory: method.memory }, model: o.model, store: ':memory:', retries: 1, retryDelayMs: 200 });
        try {
          let given = 0;
          let unalignedStage: StageResult | undefined;
          for (const shard of shards(train, o.shardSizes)) {
            o.onProgress?.(`${name} seed ${seed} ${method.name} shard ${shard.size}`);
            const delta = shard.rows.slice(given);
            given = shard.size;
            const align = method.aligns && delta.length > 0 ? await alignDelta(ma, method, delta, baseVerdicts, o, adapter.judge) : noCost();
            if (!method.aligns && unalignedStage) {
              // The unaligned judge does not change between shards: reuse its test measurement.
              const trainSet = await measure(ma, shard.rows, adapter.judge.output, o.concurrency);
              run.stages.push({ ...unalignedStage, shard: shard.size, train: trainSet.metrics, align: noCost(), judge: trainSet.cost });
              continue;
            }
            const trainSet = await measure(ma, shard.rows, adapter.judge.output, o.concurrency);
            const testSet = await measure(ma, test, adapter.judge.output, o.concurrency);
            const stage: StageResult = { dataset: name, method: method.name, seed, shard: shard.size, train: trainSet.metrics, test: testSet.metrics, align, judge: addCost(trainSet.cost, testSet.cost) };
            if (!method.aligns) unalignedStage = stage;
            run.stages.push(stage);
          }
        } finally {
          await ma.close();
        }
      }
    }
  }
  return run;
}

async function gepaStage(adapter: DatasetAdapter, trainRows: LabelledRow[], test: LabelledRow[], seed: number, o: QualityOptions): Promise<StageResult> {
  // GEPA is not incremental: every shard compiles from scratch on the rows given so far.
  const all = [...trainRows, ...test];
  const r = await gepaBaseline(adapter.judge, trainRows, all, o.optimiserEndpoint!, { seed, maxMetricCalls: trainRows.length === 0 ? 0 : o.optimiserBudget ?? 100, concurrency: o.concurrency, fetch: o.optimiserFetch });
  const metrics = (rows: LabelledRow[], results: JudgeResult[]): SetMetrics => {
    if (rows.length === 0) return { n: 0, errors: 0, exactMatch: null, kappa: null, ccc: null };
    const rep = agreementReport(adapter.judge.output, rows.map((row, i) => ({ recordId: row.record.id, expected: row.value, result: results[i] })));
    return { n: rep.n, errors: rep.errors, exactMatch: rep.exactMatch, kappa: rep.kappa, ccc: rep.ccc };
  };
  return {
    dataset: adapter.name, method: 'gepa', seed, shard: trainRows.length,
    train: metrics(trainRows, r.results.slice(0, trainRows.length)), test: metrics(test, r.results.slice(trainRows.length)),
    align: trainRows.length === 0 ? noCost() : { ...r.compile, costUsd: costOf(o.model.id, r.compile.inputTokens, r.compile.outputTokens) },
    judge: { ...r.judging, costUsd: costOf(o.model.id, r.judging.inputTokens, r.judging.outputTokens) },
  };
}

async function alignDelta(ma: Memalign, method: BenchMethod, delta: LabelledRow[], base: Map<string, JudgeResult>, o: QualityOptions, judge: DatasetAdapter['judge']): Promise<Cost> {
  let extra = noCost();
  let rows = delta;
  if (method.correctionsOnly) {
    // Corrections need the unaligned judge's verdicts on the new examples; their cost is alignment cost.
    const missing = delta.filter((r) => !base.has(r.record.id));
    if (missing.length > 0) {
      const plain = await openMemalign({ judge: { ...judge, memory: { semantic: false, episodic: false } }, model: o.model, store: ':memory:', retries: 1, retryDelayMs: 200 });
      const measured = await judgeAll(plain, missing.map((r) => r.record), o.concurrency);
      await plain.close();
      missing.forEach((r, i) => base.set(r.record.id, measured.results[i]));
      extra = measured.cost;
    }
    rows = delta.filter((r) => { const v = base.get(r.record.id)!; return !v.ok || String(v.value) !== String(r.value); });
  }
  const feedback = rows.flatMap((r) => {
    const f = method.feedback(r);
    return f ? [{ id: `fb-${r.record.id}`, record: r.record, ...f, createdAt: '2026-01-01T00:00:00.000Z' }] : [];
  });
  if (feedback.length === 0) return extra;
  const started = performance.now();
  try {
    const report = await ma.align(feedback);
    return addCost(extra, { ...report.usage, wallMs: performance.now() - started });
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code === 'replay_miss') throw (error as { cause: Error }).cause;
    throw error;
  }
}

async function measure(ma: Memalign, rows: LabelledRow[], kind: OutputKind, concurrency: number): Promise<{ metrics: SetMetrics; cost: Cost }> {
  if (rows.length === 0) return { metrics: { n: 0, errors: 0, exactMatch: null, kappa: null, ccc: null }, cost: noCost() };
  const { results, cost } = await judgeAll(ma, rows.map((r) => r.record), concurrency);
  const report = agreementReport(kind, rows.map((r, i) => ({ recordId: r.record.id, expected: r.value, result: results[i] })));
  return { metrics: { n: report.n, errors: report.errors, exactMatch: report.exactMatch, kappa: report.kappa, ccc: report.ccc }, cost };
}

async function judgeAll(ma: Memalign, records: JudgedRecord[], concurrency: number): Promise<{ results: JudgeResult[]; cost: Cost }> {
  const started = performance.now();
  const results = await ma.judgeMany(records, { concurrency });
  const miss = results.find((r) => !r.ok && r.error.code === 'replay_miss');
  if (miss && !miss.ok) throw new MemalignError('replay_miss', miss.error.message);
  const cost = results.reduce<Cost>((c, r) => addCost(c, { ...r.usage, wallMs: 0 }), noCost());
  return { results, cost: { ...cost, wallMs: performance.now() - started } };
}

function findMethod(name: string): BenchMethod {
  const m = METHODS.find((x) => x.name === name);
  if (!m) throw new MemalignError('invalid_input', `Unknown method "${name}": choose from ${METHODS.map((x) => x.name).join(', ')}.`);
  return m;
}

function noCost(): Cost {
  return { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, wallMs: 0 };
}

function addCost(a: Cost, b: Cost): Cost {
  return { calls: a.calls + b.calls, inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, costUsd: a.costUsd === null || b.costUsd === null ? null : a.costUsd + b.costUsd, wallMs: a.wallMs + b.wallMs };
}
