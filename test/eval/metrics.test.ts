import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exactMatch, cohensKappa, linCcc, confusionMatrix, agreementReport } from '../../src/index.ts';

test('exact match and its empty case', () => {
  assert.equal(exactMatch(['a', 'b', 'c', 'd'], ['a', 'b', 'x', 'd']), 0.75);
  assert.equal(exactMatch([], []), null);
});

test("Cohen's kappa against hand-computed values", () => {
  // po = 3/4; p(y) = 2/4 · 1/4, p(n) = 2/4 · 3/4 → pe = 0.5; kappa = (0.75 − 0.5) / 0.5 = 0.5
  assert.equal(cohensKappa(['y', 'y', 'n', 'n'], ['y', 'n', 'n', 'n']), 0.5);
  // total disagreement on a balanced pair: po = 0, pe = 0.5 → −1
  assert.equal(cohensKappa(['y', 'n'], ['n', 'y']), -1);
  // constant and identical: chance agreement is total → 1; constant but different → 0
  assert.equal(cohensKappa(['y', 'y'], ['y', 'y']), 1);
  assert.equal(cohensKappa(['y', 'y'], ['n', 'n']), 0);
  assert.equal(cohensKappa([], []), null);
});

test("Lin's CCC against hand-computed values", () => {
  assert.equal(linCcc([1, 2, 3], [1, 2, 3]), 1);
  // x = 1,2,3 (mean 2, var 2/3); y = 2,3,4 (mean 3, var 2/3); cov 2/3 → 2·(2/3) / (4/3 + 1) = 4/7
  assert.ok(Math.abs(linCcc([1, 2, 3], [2, 3, 4])! - 4 / 7) < 1e-12);
  assert.equal(linCcc([3, 3], [3, 3]), 1);
  assert.equal(linCcc([3, 3], [4, 4]), 0);
  assert.equal(linCcc([], []), null);
});

test('confusion matrix rows are expected, columns predicted', () => {
  assert.deepEqual(confusionMatrix(['y', 'n', 'n'], ['y', 'y', 'n'], ['y', 'n']), [[1, 0], [1, 1]]);
});

test('the agreement report leaves errors out of agreement', () => {
  const ok = (recordId: string, value: boolean) => ({ ok: true as const, recordId, value, rationale: 'r', provenance: { memoryVersion: 1, guidelineIds: [], episodes: [], dropped: { guidelineIds: [], episodeIds: [] }, truncatedFields: [], truncatedExamples: [], warnings: [] }, usage: { calls: 1, inputTokens: 1, outputTokens: 1, costUsd: 0 }, latencyMs: 1, repaired: false });
  const err = { ok: false as const, recordId: 'e', error: { code: 'provider_error', message: 'down', retryable: true }, usage: { calls: 1, inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: 1 };
  const r = agreementReport({ type: 'boolean' }, [
    { recordId: 'a', expected: true, result: ok('a', true) },
    { recordId: 'b', expected: false, result: ok('b', true) },
    { recordId: 'e', expected: false, result: err },
  ]);
  assert.equal(r.n, 3);
  assert.equal(r.errors, 1);
  assert.equal(r.exactMatch, 0.5);
  assert.deepEqual(r.confusion, { labels: ['true', 'false'], matrix: [[1, 0], [1, 0]] });
  assert.deepEqual(r.disagreements.map((d) => d.recordId), ['b']);
  const numeric = agreementReport({ type: 'numeric', min: 1, max: 5, integer: true }, [
    { recordId: 'a', expected: 2, result: { ...ok('a', true), value: 3 } },
    { recordId: 'b', expected: 4, result: { ...ok('b', true), value: 4 } },
  ]);
  assert.equal(numeric.meanAbsoluteError, 0.5);
  assert.ok(numeric.ccc! > 0);
});
