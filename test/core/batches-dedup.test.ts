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
