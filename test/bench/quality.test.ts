import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import { startLoopbackServer } from '../../src/testing/index.ts';
import { spread } from '../../src/bench/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
// The shared datasets sit beside the repository (as in CI); a clone elsewhere skips these tests, saying why.
const NO_DATA = existsSync(ROOT) ? false : `no datasets at ${ROOT} (clone next to shared/)`;
const dir = mkdtempSync(join(tmpdir(), 'memalign-bench-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const cli = async (args: string[]) => {
  let out = ''; let err = '';
  const code = await runCli(args, { cwd: dir, env: {}, out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: Readable.from([]), isTTY: false });
  return { code, out, err };
};
const common = ['bench', 'quality', '--datasets', 'llmbar,prometheus', '--seeds', '2', '--shards', '0,2,5', '--train-size', '5', '--test-limit', '6', '--data', ROOT];

test('bench quality runs end to end, records, and replays exactly with no provider', { skip: NO_DATA }, async () => {
  const server = await startLoopbackServer();
  let recorded: { stages: unknown[]; summary: unknown[] };
  try {
    const r = await cli(['--model', `${server.url}#m`, ...common, '--out', 'live', '--record', 'rec/nested/cassette.jsonl']);
    assert.equal(r.code, 0, r.err);
    recorded = JSON.parse(readFileSync(join(dir, 'live', 'run.json'), 'utf8'));
    assert.equal(recorded.stages.length, 2 * 2 * 9 * 3, 'datasets × seeds × methods (with GEPA) × shards');
  } finally {
    await server.close();
  }
  for (const f of ['report.md', 'learning-llmbar.svg', 'learning-prometheus.svg', 'cost-vs-quality.svg', 'time-vs-quality.svg']) assert.ok(existsSync(join(dir, 'live', f)), f);
  const report = readFileSync(join(dir, 'live', 'report.md'), 'utf8');
  assert.match(report, /## llmbar\n\n### Test agreement by number of training examples/);
  assert.match(report, /\| corrections-few-shot \|/);

  // The server is gone: the replay must answer every request from the cassette.
  const r = await cli(['--model', 'http://127.0.0.1:9/v1#m', ...common, '--out', 'replayed', '--replay', 'rec/nested/cassette.jsonl']);
  assert.equal(r.code, 0, r.err);
  const replayed = JSON.parse(readFileSync(join(dir, 'replayed', 'run.json'), 'utf8')) as typeof recorded;
  // Every method, GEPA included (its HTTP exchanges are in the cassette too), replays identically.
  const metrics = (run: typeof recorded) => (run.stages as { dataset: string; method: string; seed: number; shard: number; test: unknown; train: unknown; align: { calls: number } }[]).map((s) => [s.dataset, s.method, s.seed, s.shard, s.test, s.train, s.align.calls]);
  assert.deepEqual(metrics(replayed), metrics(recorded));

  // A run the cassette does not cover fails loudly.
  const miss = await cli(['--model', `http://127.0.0.1:9/v1#m`, ...common.map((a) => (a === '0,2,5' ? '0,2,4' : a)), '--out', 'miss', '--replay', 'rec/nested/cassette.jsonl']);
  assert.notEqual(miss.code, 0);
  assert.match(miss.err, /has no answer for this .* request/);

  // A cassette that cannot be written fails before any model call.
  // (Its folder would have to live inside a file.)
  const bad = await cli(['--model', 'http://127.0.0.1:9/v1#m', ...common, '--out', 'bad', '--record', 'live/run.json/cassette.jsonl']);
  assert.equal(bad.code, 3);
  assert.match(bad.err, /--record: cannot write .*live\/run\.json\/cassette\.jsonl/);
});

test('spread: mean and sample standard deviation, missing values ignored', () => {
  assert.deepEqual(spread([]), { mean: null, sd: null, n: 0 });
  assert.deepEqual(spread([0.5, null]), { mean: 0.5, sd: null, n: 1 });
  const s = spread([0.5, 0.7]);
  assert.ok(Math.abs(s.mean! - 0.6) < 1e-12 && Math.abs(s.sd! - Math.SQRT2 / 10) < 1e-12);
});

test('the GEPA baseline (ax) compiles and judges through the loopback endpoint, counted at the HTTP level', { skip: NO_DATA }, async () => {
  const { gepaBaseline, axEndpoint, DATASETS, splitRows } = await import('../../src/bench/index.ts');
  const server = await startLoopbackServer();
  try {
    const rows = DATASETS.llmbar.load(ROOT, { seed: 1 });
    const { train, test: held } = splitRows(rows, { seed: 1, trainSize: 5, testLimit: 3 });
    const r = await gepaBaseline(DATASETS.llmbar.judge, train, held, axEndpoint(`${server.url}#m`, {}), { seed: 1, maxMetricCalls: 10, concurrency: 2 });
    assert.ok(r.compile.calls >= 5, `compile calls: ${r.compile.calls}`);
    assert.ok(r.compile.inputTokens > 0);
    assert.equal(r.results.length, 3);
    assert.ok(r.results.every((x) => x.ok && ['A', 'B', 'tie'].includes(String(x.value))));
    assert.equal(server.stats().chat, r.compile.calls + r.judging.calls);
  } finally {
    await server.close();
  }
});
