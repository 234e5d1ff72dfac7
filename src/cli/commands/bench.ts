import { mkdirSync, writeFileSync, existsSync, appendFileSync, accessSync, constants } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { resolveModel, modelIdOf, ValidationError, recordingModel, replayModel, recordingFetch, replayFetch } from '../../index.ts';
import { runQualityBench, runSpeedBench, summarise, qualityReport, plotSpecs, renderPlots, axEndpoint, METHODS, DATASETS, type AxEndpoint } from '../../bench/index.ts';
import type { CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { intFlag } from '../flags.ts';

const list = (v: string | undefined, all: string[]) => (v ? v.split(',').map((s) => s.trim()).filter(Boolean) : all);
const nums = (v: string, what: string) => v.split(',').map((s) => intFlag(what, s, { min: 0 }));

/** Where the shared datasets live: --data, MEMALIGN_DATASETS, or ../shared/datasets. */
function dataRoot(ctx: CliContext, flag?: string): string {
  const root = resolve(ctx.io.cwd, flag ?? ctx.io.env.MEMALIGN_DATASETS ?? '../shared/datasets');
  if (!existsSync(root)) throw new ValidationError('options', [{ path: '--data', message: `no datasets folder at ${root}: pass --data <folder> or set MEMALIGN_DATASETS` }]);
  return root;
}

/**
 * `memalign bench quality`: the MemAlign protocol on the shared datasets, side by side, with a JSON
 * record, a Markdown report and plots. `--record`/`--replay` make a run reproducible offline.
 *
 * @example
 * memalign bench quality --model openai:gpt-4.1-mini --datasets evouna,prometheus --seeds 3 --record runs/c.jsonl
 */
export async function benchQuality(ctx: CliContext, o: { datasets?: string; methods?: string; seeds: string; shards: string; trainSize: string; testLimit: string; out: string; record?: string; replay?: string; data?: string; concurrency: string; gepaBudget: string; allowErrors?: boolean }): Promise<void> {
  const modelSpec = ctx.flags.model;
  if (!modelSpec && !o.replay) throw new ValidationError('options', [{ path: '--model', message: 'give the model to benchmark (e.g. --model openai:gpt-4.1-mini), or --replay a recorded cassette' }]);
  if (o.record && o.replay) throw new ValidationError('options', [{ path: '--record', message: 'use --record or --replay, not both' }]);
  // A cassette that cannot be written must fail before any paid call, not after the run.
  if (o.record) prepareWritable(resolve(ctx.io.cwd, o.record), '--record');
  prepareWritableDir(resolve(ctx.io.cwd, o.out), '--out');
  const model = o.replay ? replayModel(resolve(ctx.io.cwd, o.replay), modelSpec ? modelIdOf(modelSpec) : undefined) : o.record ? recordingModel(resolveModel(modelSpec!, { env: ctx.io.env }), resolve(ctx.io.cwd, o.record)) : resolveModel(modelSpec!, { env: ctx.io.env });
  // GEPA (ax) calls the endpoint itself: its HTTP exchanges go into the same cassette.
  let optimiserEndpoint: AxEndpoint | undefined;
  if (modelSpec) { try { optimiserEndpoint = axEndpoint(modelSpec, ctx.io.env); } catch { optimiserEndpoint = undefined; } }
  const optimiserFetch = o.replay ? replayFetch(resolve(ctx.io.cwd, o.replay)) : o.record ? recordingFetch(resolve(ctx.io.cwd, o.record)) : undefined;
  const run = await runQualityBench({
    optimiserEndpoint, optimiserBudget: intFlag('--gepa-budget', o.gepaBudget, { min: 1 }), optimiserFetch,
    root: dataRoot(ctx, o.data), datasets: list(o.datasets, Object.keys(DATASETS)), methods: list(o.methods, METHODS.map((m) => m.name)),
    seeds: Array.from({ length: intFlag('--seeds', o.seeds, { min: 1, max: 100 }) }, (_, i) => i + 1), shardSizes: nums(o.shards, '--shards'),
    trainSize: intFlag('--train-size', o.trainSize, { min: 1 }), testLimit: intFlag('--test-limit', o.testLimit, { min: 1 }), model, concurrency: intFlag('--concurrency', o.concurrency, { min: 1, max: 256 }),
    onProgress: (m) => ctx.note(m),
  });
  const out = resolve(ctx.io.cwd, o.out);
  mkdirSync(out, { recursive: true });
  const rows = summarise(run);
  writeFileSync(join(out, 'run.json'), `${JSON.stringify({ ...run, summary: rows }, null, 2)}\n`);
  const plots = await renderPlots(plotSpecs(rows));
  for (const p of plots) {
    writeFileSync(join(out, `${p.name}.svg`), p.svg);
    if (p.png) writeFileSync(join(out, `${p.name}.png`), p.png);
  }
  writeFileSync(join(out, 'report.md'), qualityReport(run, rows, plots.map((p) => `${p.name}.svg`)));
  const errored = run.stages.reduce((n, st) => n + st.test.errors + st.train.errors, 0);
  ctx.print({ out, stages: run.stages.length, notices: run.notices, erroredVerdicts: errored }, () => `Benchmark: ${run.stages.length} stages → ${join(out, 'report.md')}, run.json and ${plots.length} plots (SVG${plots[0]?.png ? ' + PNG' : ''}).${errored ? ` ${errored} verdict(s) were errors (not counted as agreement or disagreement).` : ''}`);
  if (errored > 0 && !o.allowErrors) throw new CliError(`${errored} verdict(s) in the benchmark were errors (provider failures or invalid answers), so its numbers are incomplete; see run.json. Pass --allow-errors to accept such a run.`, EXIT.someRecordsFailed);
}

// Creates the file's folder and checks the file can be appended to.
function prepareWritable(file: string, flag: string): void {
  try {
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, '');
  } catch (error) {
    throw new ValidationError('options', [{ path: flag, message: `cannot write ${file} (${(error as Error).message}): choose a writable path` }]);
  }
}

function prepareWritableDir(dir: string, flag: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (error) {
    throw new ValidationError('options', [{ path: flag, message: `cannot write to ${dir} (${(error as Error).message}): choose a writable folder` }]);
  }
}

/**
 * `memalign bench speed`: alignment and judging speed against the loopback server with a latency
 * model (no real model needed).
 *
 * @example
 * memalign bench speed --latency-ms 300 --sizes 10,50,200,1000,5000
 */
export async function benchSpeed(ctx: CliContext, o: { latencyMs: string; perTokenMs: string; sizes: string; concurrency: string; judged: string; data?: string; gepaSizes?: string; gepaBudget: string }): Promise<void> {
  const r = await runSpeedBench({
    root: dataRoot(ctx, o.data), latency: { fixedMs: intFlag('--latency-ms', o.latencyMs, { min: 0 }), perOutputTokenMs: intFlag('--per-token-ms', o.perTokenMs, { min: 0 }) },
    sizes: nums(o.sizes, '--sizes'), concurrencies: nums(o.concurrency, '--concurrency'), judged: intFlag('--judged', o.judged, { min: 1 }), onProgress: (m) => ctx.note(m),
    optimiserSizes: o.gepaSizes ? nums(o.gepaSizes, '--gepa-sizes') : [], optimiserBudget: intFlag('--gepa-budget', o.gepaBudget, { min: 1 }),
  });
  ctx.print(r, () => [
    `Latency model: ${r.latency.fixedMs} ms + ${r.latency.perOutputTokenMs} ms per output token.`, '',
    '| feedback N | batches | LLM calls | HTTP requests | rounds | tokens in/out | wall ms | own overhead ms |', '|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.align.map((a) => `| ${a.n} | ${a.batches} | ${a.llmCalls} | ${a.httpRequests} | ${a.rounds} | ${a.inputTokens}/${a.outputTokens} | ${a.wallMs.toFixed(0)} | ${a.ownOverheadMs.toFixed(0)} |`), '',
    '| concurrency | verdicts | verdicts/s | wall ms | max in flight | RSS MB before → after |', '|---:|---:|---:|---:|---:|---:|',
    ...r.judge.map((j) => `| ${j.concurrency} | ${j.records} | ${j.verdictsPerSecond.toFixed(1)} | ${j.wallMs.toFixed(0)} | ${j.maxInFlight} | ${j.rssMbBefore.toFixed(0)} → ${j.rssMbAfter.toFixed(0)} |`), '',
    ...(r.optimiser.length ? ['| examples | GEPA calls / memalign calls | GEPA tokens / memalign tokens | GEPA wall / memalign wall |', '|---:|---:|---:|---:|',
      ...r.optimiser.map((x) => `| ${x.n} | ${x.gepa.calls} / ${x.memalign.calls} | ${x.gepa.tokens} / ${x.memalign.tokens} | ${x.gepa.wallMs.toFixed(0)} / ${x.memalign.wallMs.toFixed(0)} ms |`)] : []),
  ].join('\n'));
}
