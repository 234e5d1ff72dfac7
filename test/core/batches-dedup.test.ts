import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packBatches } from '../../src/core/align/batches.ts';
import { dedupGuidelines } from '../../src/core/align/dedup.ts';
import type { Guideline } from '../../src/core/types.ts';

test('batches hold at most maxItems and stay under the token budget, in order', () => {
  const items = Array.from({ length: 120 }, (_, i) => ({ i, t: 10 }));
  const byCount = packBatches(items, (x) => x.t, { maxItems: 50, maxTokens: 1e9 });
  assert.deepEqual(byCount.map((b) => b.length), [50, 50, 20]);
  const byTokens = packBatches(items, (x) => x.t, { maxItems: 50, maxTokens: 95 });
  assert.ok(byTokens.every((b) => b.reduce((s, x) => s + x.t, 0) <= 95));
  assert.deepEqual(byTokens.flat().map((x) => x.i), items.map((x) => x.i));
});

test('an item bigger than the budget travels alone', () => {
  const b = packBatches([{ t: 5 }, { t: 500 }, { t: 5 }], (x) => x.t, { maxItems: 50, maxTokens: 100 });
  assert.deepEqual(b.map((x) => x.length), [1, 1, 1]);
});

test('with an upper bound, batches are those of exact counting, and only undecided items are counted', () => {
  // Random sizes; the bound over-estimates by up to 3×, as UTF-8 bytes over-estimate tokens.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let round = 0; round < 50; round++) {
    const items = Array.from({ length: 200 }, (_, i) => ({ i, t: 1 + Math.floor(rnd() * 60), slack: 1 + rnd() * 2 }));
    const limits = { maxItems: 1 + Math.floor(rnd() * 40), maxTokens: 50 + Math.floor(rnd() * 800) };
    let counted = 0;
    const exact = packBatches(items, (x) => x.t, limits);
    const bounded = packBatches(items, (x) => { counted++; return x.t; }, limits, (x) => Math.ceil(x.t * x.slack));
    assert.deepEqual(bounded.map((b) => b.map((x) => x.i)), exact.map((b) => b.map((x) => x.i)));
    assert.ok(counted <= 2 * items.length);
  }
  // Batches full by item count long before the budget: nothing is counted at all.
  let counted = 0;
  const items = Array.from({ length: 120 }, () => ({ t: 10 }));
  const b = packBatches(items, (x) => { counted++; return x.t; }, { maxItems: 50, maxTokens: 10_000 }, (x) => x.t * 3);
  assert.deepEqual(b.map((x) => x.length), [50, 50, 20]);
  assert.equal(counted, 0);
});

test('duplicates are dropped across batches and against existing guidelines; their sources merge', () => {
  const existing: Guideline[] = [{ id: 'g1', text: 'Prefer certified views.', sources: ['f0'], origin: 'distilled', pinned: false, createdVersion: 1, updatedVersion: 1 }];
  const r = dedupGuidelines(existing, [
    { text: 'Be concise.', sources: ['f1'] },
    { text: '  be   CONCISE ', sources: ['f2'] },
    { text: 'prefer certified views', sources: ['f3'] },
    { text: '!!!', sources: ['f4'] },
  ]);
  assert.deepEqual(r.added, [{ text: 'Be concise.', sources: ['f1', 'f2'] }]);
  assert.deepEqual(r.extended, [{ id: 'g1', sources: ['f0', 'f3'], added: ['f3'] }]);
  assert.equal(r.dropped, 3);
});
