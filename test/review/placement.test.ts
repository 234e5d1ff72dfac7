// Where a verdict goes in a review queue, and how agreement between reviewers is told: pure rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeOf, reviewerAgreement, fleissKappa, krippendorffAlpha } from '../../src/index.ts';
import type { ItemVerdict, Review } from '../../src/index.ts';

const verdict = (value: boolean | string | number, episodes: string[] = []): ItemVerdict => ({ value, rationale: 'r', provenance: { memoryVersion: 1, guidelineIds: [], episodes: episodes.map((id) => ({ id, score: 0.5 })), dropped: { guidelineIds: [], episodeIds: [] }, truncatedFields: [], truncatedExamples: [], warnings: [] } });
const boolean = { type: 'boolean' } as const;

test('queue order: disagreement with expert feedback, then precedents that disagree, then calibration, overlap, the rest', () => {
  const base = { kind: boolean, verdict: verdict(true), feedbackValues: [], precedentValues: [], calibration: false, needed: 1 };
  const disagreement = placeOf({ ...base, feedbackValues: [false, true] });
  const lowConfidence = placeOf({ ...base, precedentValues: [false, false, true] });
  const confident = placeOf({ ...base, precedentValues: [true, true, false] });
  const calibration = placeOf({ ...base, calibration: true });
  const overlap = placeOf({ ...base, needed: 3 });
  assert.equal(disagreement.reason, 'disagreement');
  assert.equal(lowConfidence.reason, 'low-confidence');
  assert.match(lowConfidence.why, /2 of the 3 precedents/);
  assert.equal(confident.reason, 'routine');
  const order = [disagreement, lowConfidence, calibration, overlap, confident].map((p) => p.priority);
  assert.deepEqual([...order].sort((a, b) => b - a), order);
  assert.equal(placeOf({ ...base, kind: { type: 'numeric', min: 0, max: 10, integer: true }, verdict: verdict(7), feedbackValues: [8] }).reason, 'routine', 'numeric values within a tenth of the scale agree');
});

test('agreement between reviewers: Fleiss\' κ and pairwise Cohen\'s κ for labels, Krippendorff\'s α for numbers, with a warning when low', () => {
  const r = (item: string, reviewer: string, value: boolean | number): Review => ({ queue: 'q', item, reviewer, value, createdAt: '', revision: 1, alignedVersion: null });
  const split = reviewerAgreement(boolean, [r('a', 'x', true), r('a', 'y', false), r('b', 'x', false), r('b', 'y', true), r('c', 'x', true), r('c', 'y', true)]);
  assert.equal(split.items, 3);
  assert.ok(split.value! < 0.4);
  assert.match(split.summary, /disagree too much to learn from/);
  assert.deepEqual(split.pairs.map((p) => [p.a, p.b, p.items]), [['x', 'y', 3]]);
  const numeric = reviewerAgreement({ type: 'numeric', min: 1, max: 5, integer: true }, [r('a', 'x', 1), r('a', 'y', 1), r('b', 'x', 5), r('b', 'y', 4)]);
  assert.equal(numeric.metric, 'krippendorff-alpha');
  assert.ok(numeric.value! > 0.8);
  assert.equal(reviewerAgreement(boolean, [r('a', 'x', true)]).value, null);
  // Reference values: Fleiss (1971) worked example as tabulated on Wikipedia, and a hand-computed α.
  const table = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1], [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]];
  assert.equal(fleissKappa(table.map((row) => row.flatMap((n, label) => Array(n).fill(label))))!.toFixed(3), '0.210');
  assert.equal(krippendorffAlpha([[1, 1], [2, 2], [3, 4]])!.toFixed(3), '0.878');
});
