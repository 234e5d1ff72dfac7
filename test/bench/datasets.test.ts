import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DATASETS, splitRows, shards } from '../../src/bench/index.ts';
import { checkValue, parseJudge, parseRecord } from '../../src/index.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..', 'shared', 'datasets');
// The shared datasets sit beside the repository (as in CI); a clone elsewhere skips these tests, saying why.
const NO_DATA = existsSync(ROOT) ? false : `no datasets at ${ROOT} (clone next to shared/)`;

for (const adapter of Object.values(DATASETS)) {
  test(`dataset ${adapter.name}: real rows parse into valid records and values`, { skip: NO_DATA }, () => {
    const judge = parseJudge({ ...adapter.judge });
    const rows = adapter.load(ROOT, { seed: 1 });
    assert.ok(rows.length >= 50, `${rows.length} rows`);
    const ids = new Set<string>();
    for (const r of rows) {
      assert.ok(parseRecord(r.record, (p, m) => assert.fail(`${adapter.name} ${r.record.id} ${p}: ${m}`)));
      assert.ok(!ids.has(r.record.id), `duplicate id ${r.record.id}`);
      ids.add(r.record.id);
      const v = checkValue(judge.output, r.value);
      assert.ok(v.ok && v.value === r.value, `${adapter.name} ${r.record.id}: value ${JSON.stringify(r.value)}`);
    }
    const labels = new Set(rows.map((r) => String(r.value)));
    assert.ok(labels.size >= 2, 'more than one label');
  });
}

test('hh-rlhf randomises the A/B order per seed, so the better answer is not always A', { skip: NO_DATA }, () => {
  const a = DATASETS['hh-rlhf'].load(ROOT, { seed: 1 });
  const share = a.filter((r) => r.value === 'A').length / a.length;
  assert.ok(share > 0.4 && share < 0.6, `share of A: ${share}`);
  assert.notDeepEqual(a.slice(0, 20).map((r) => r.value), DATASETS['hh-rlhf'].load(ROOT, { seed: 2 }).slice(0, 20).map((r) => r.value));
});

test('PandaLM takes the majority of three votes; Prometheus the median grade with GPT-4 feedback', { skip: NO_DATA }, () => {
  const panda = DATASETS.pandalm.load(ROOT, { seed: 1 });
  assert.equal(panda[0].value, 'B', 'annotators 2,2,2 → B');
  const prom = DATASETS.prometheus.load(ROOT, { seed: 1 });
  assert.ok(prom.every((r) => typeof r.rationale === 'string' && r.rationale.length > 20));
  assert.ok(prom.every((r) => typeof r.record.rubric === 'string' && (r.record.rubric as string).length > 0), 'the rubric header is parsed');
});

test('FinanceBench carries its non-commercial notice and groups by question', { skip: NO_DATA }, () => {
  assert.match(DATASETS.financebench.notice!, /non-commercial/);
  const rows = DATASETS.financebench.load(ROOT, { seed: 1 });
  assert.ok(new Set(rows.map((r) => r.group)).size < rows.length / 5);
});

test('splits are deterministic per seed and never split a group', { skip: NO_DATA }, () => {
  const rows = DATASETS.evouna.load(ROOT, { seed: 1 });
  const a = splitRows(rows, { seed: 3, trainSize: 50 });
  const b = splitRows(rows, { seed: 3, trainSize: 50 });
  assert.deepEqual(a.train.map((r) => r.record.id), b.train.map((r) => r.record.id));
  assert.notDeepEqual(a.train.map((r) => r.record.id), splitRows(rows, { seed: 4, trainSize: 50 }).train.map((r) => r.record.id));
  assert.equal(a.train.length, 50);
  const trainGroups = new Set(a.train.map((r) => r.group));
  assert.ok(a.test.every((r) => !trainGroups.has(r.group)));
  assert.equal(splitRows(rows, { seed: 3, trainSize: 50, testLimit: 7 }).test.length, 7);
  assert.deepEqual(shards([1, 2, 3, 4, 5, 6], [0, 2, 5, 10]).map((s) => s.rows), [[], [1, 2], [1, 2, 3, 4, 5]]);
});
