import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpisodeIndex, type IndexedEpisode } from '../../src/recall/episode-index.ts';
import { VectorIndex } from '../../src/recall/vector-index.ts';
import { encodeRow, restoreRow } from '../../src/recall/vector-codes.ts';
import { Bm25Index } from '../../src/recall/bm25-index.ts';
import { fuseByRank } from '../../src/recall/fuse.ts';
import { hashedEmbedder, embedText } from '../../src/embed/hashed-embedder.ts';
import { compileWat } from '../../scripts/build-wasm.ts';

const e = hashedEmbedder();
const opts = { dimension: e.dimension, embedderId: e.id };
const texts = [
  'refund for damaged goods arriving broken', 'refund policy for late delivery', 'how to reset my password',
  'password reset email never arrives', 'shipping to canada costs', 'damaged goods claim form', 'cancel my subscription today',
  'subscription billing twice this month', 'change delivery address after order', 'broken screen on arrival refund',
];
const episodes = (labels = texts.map((_, i) => (i % 2 ? 'bad' : 'good'))): IndexedEpisode[] =>
  texts.map((t, i) => ({ id: `e${i}`, text: t, vector: embedText(t, e.dimension), label: labels[i] }));
const q = (text: string) => ({ text, vector: embedText(text, e.dimension) });

test('fusion: a hit found by both lists outranks hits found by one; first place in both scores 1', () => {
  const fused = fuseByRank([{ id: 'a', score: 0.9 }, { id: 'b', score: 0.8 }], [{ id: 'b', score: 5 }, { id: 'c', score: 4 }]);
  assert.deepEqual(fused.map((h) => h.id), ['b', 'a', 'c']);
  assert.equal(fuseByRank([{ id: 'x', score: 1 }], [{ id: 'x', score: 2 }])[0].score, 1);
  assert.deepEqual(fused.find((h) => h.id === 'c'), { id: 'c', score: (1 / 62) / (2 / 61), vectorScore: null, bm25Score: 4 });
});

test('hybrid recall finds the closest episodes, deterministically', () => {
  const index = EpisodeIndex.build(episodes(), opts);
  const hits = index.search(q('my refund for broken damaged goods'), { k: 3 });
  assert.ok(['e0', 'e5', 'e9'].includes(hits[0].id));
  assert.ok(hits.every((h) => h.vectorScore !== null || h.bm25Score !== null));
  assert.deepEqual(index.search(q('my refund for broken damaged goods'), { k: 3 }), hits);
  assert.deepEqual(index.search(q('password reset'), { k: 2, mode: 'bm25' }).map((h) => h.id).sort(), ['e2', 'e3']);
  assert.equal(index.search(q('password reset'), { k: 0 }).length, 0);
});

test('lexical candidates found ahead are used only on the index state they were found on', () => {
  const index = EpisodeIndex.build(episodes(), opts);
  const text = 'exotic parrot feathers refund';
  const ahead = index.lexical(text, 3);
  assert.deepEqual(index.search({ ...q(text), lexical: ahead }, { k: 3 }), index.search(q(text), { k: 3 }));
  // A new episode that matches the text best arrives before the vector does: the stale
  // candidates are not used, so it is found.
  index.add([{ id: 'new', text: 'exotic parrot feathers refund request', vector: embedText('exotic parrot feathers refund request', e.dimension) }]);
  const after = index.search({ ...q(text), lexical: ahead }, { k: 3 });
  assert.equal(after[0].id, 'new');
  assert.deepEqual(after, index.search(q(text), { k: 3 }));
  const again = index.lexical(text, 3);
  index.remove(['new']);
  assert.ok(!index.search({ ...q(text), lexical: again }, { k: 3 }).some((h) => h.id === 'new'));
  // Found for another text, another k, or another index: not used either.
  const other = EpisodeIndex.build(episodes(), opts);
  assert.deepEqual(index.search({ ...q('password reset'), lexical: other.lexical('password reset', 3) }, { k: 3 }), index.search(q('password reset'), { k: 3 }));
  assert.deepEqual(index.search({ ...q('password reset'), lexical: index.lexical('refund', 3) }, { k: 3 }), index.search(q('password reset'), { k: 3 }));
});

test('the similarity floor drops weak matches', () => {
  const index = EpisodeIndex.build(episodes(), opts);
  const all = index.search(q('password reset'), { k: 10, mode: 'vector' });
  const floored = index.search(q('password reset'), { k: 10, mode: 'vector', floor: 0.3 });
  assert.ok(floored.length < all.length);
  assert.ok(floored.every((h) => (h.vectorScore ?? 0) >= 0.3));
});

test('MMR trades relevance for diversity among near-duplicates', () => {
  const dup = [0, 1, 2].map((i) => ({ id: `d${i}`, text: `refund for damaged goods ${'!'.repeat(i)}`, vector: embedText('refund for damaged goods', e.dimension) }));
  const index = EpisodeIndex.build([...dup, { id: 'other', text: 'refund after late delivery', vector: embedText('refund after late delivery', e.dimension) }], opts);
  const plain = index.search(q('refund for damaged goods'), { k: 2, mode: 'vector' });
  const diverse = index.search(q('refund for damaged goods'), { k: 2, mode: 'vector', mmrLambda: 0.3 });
  assert.deepEqual(plain.map((h) => h.id), ['d0', 'd1']);
  assert.deepEqual(diverse.map((h) => h.id), ['d0', 'other']);
});

test('label balance spreads the k examples over the labels', () => {
  const labels = texts.map((t) => (t.includes('refund') || t.includes('damaged') ? 'bad' : 'good'));
  const index = EpisodeIndex.build(episodes(labels), opts);
  const plain = index.search(q('refund damaged broken goods'), { k: 4 });
  const balanced = index.search(q('refund damaged broken goods'), { k: 4, balanceLabels: true });
  assert.equal(plain.filter((h) => labels[Number(h.id.slice(1))] === 'bad').length, 4);
  assert.equal(balanced.filter((h) => labels[Number(h.id.slice(1))] === 'bad').length, 2);
});

test('incremental add/remove gives the same results as a rebuild', () => {
  const all = episodes();
  const inc = new EpisodeIndex(opts);
  inc.add(all.slice(0, 6));
  inc.remove(['e1', 'e4']);
  inc.add(all.slice(6));
  inc.add([{ ...all[0], text: 'completely new text about shipping', vector: embedText('completely new text about shipping', e.dimension) }]);
  inc.remove(['missing']);
  const kept = all.filter((x) => !['e1', 'e4'].includes(x.id)).map((x) => (x.id === 'e0' ? { ...x, text: 'completely new text about shipping', vector: embedText('completely new text about shipping', e.dimension) } : x));
  const rebuilt = EpisodeIndex.build(kept, opts);
  assert.equal(inc.size, rebuilt.size);
  for (const query of ['refund', 'password reset email', 'shipping', 'subscription billing', 'broken']) {
    assert.deepEqual(inc.search(q(query), { k: 5 }), rebuilt.search(q(query), { k: 5 }), query);
  }
});

test('a vector of the wrong dimension is refused', () => {
  const index = new EpisodeIndex(opts);
  assert.throws(() => index.add([{ id: 'x', text: 'x', vector: new Float32Array(3) }]), /3-d vector; this index holds 256-d/);
});

test('the SIMD kernel agrees with a plain dot product on every row (rows go in pairs: odd counts too), and the JS fallback handles odd dimensions', () => {
  for (const [d, count] of [[16, 2500], [48, 2501], [256, 1], [256, 2501], [10, 2500]]) {
    const v = new VectorIndex(d);
    const unit = (x: Float32Array) => { const n = Math.hypot(...x); return x.map((y) => y / n); };
    const rows = Array.from({ length: count }, (_, i) => unit(Float32Array.from({ length: d }, (_, j) => Math.sin(i * 7 + j * 3))));
    rows.forEach((r, i) => v.upsert(`r${i}`, r));
    const query = unit(Float32Array.from({ length: d }, (_, j) => Math.cos(j)));
    const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let j = 0; j < d; j++) s += a[j] * b[j]; return s; };
    // The kernel against a plain dot product of what the index compares: the vectors restored
    // from the codes of the query and of each row.
    const codes = new Int8Array(d); const q = new Float32Array(d);
    encodeRow(query, codes, 0); restoreRow(codes, 0, d, q, 0);
    const held = new Map(rows.map((_, i) => [`r${i}`, dot(v.vectorOf(`r${i}`)!, q)]));
    const expected = [...held].sort((a, b) => b[1] - a[1]).slice(0, 5);
    const got = v.topK(query, 5);
    assert.equal(got.length, Math.min(5, count));
    got.forEach((h, i) => {
      assert.ok(Math.abs(h.score - held.get(h.id)!) < 1e-5, `d=${d}: score of ${h.id}`);
      assert.ok(Math.abs(held.get(h.id)! - expected[i][1]) < 1e-5, `d=${d}: rank ${i}`);
      assert.ok(Math.abs(v.similarity(h.id, query) - h.score) < 1e-12);
    });
    for (const h of v.topK(query, count)) assert.ok(Math.abs(h.score - held.get(h.id)!) < 1e-5, `d=${d}: every score, ${h.id}`);
    // The 8-bit codes move a cosine by at most about 0.01 against full precision.
    rows.forEach((r, i) => assert.ok(Math.abs(held.get(`r${i}`)! - dot(r, query)) < 0.02, `d=${d}: row ${i} off by ${held.get(`r${i}`)! - dot(r, query)}`));
  }
});

test('8-bit codes: a restored vector encodes to the same codes, so saving and opening never drift', () => {
  const d = 256;
  const codes = new Int8Array(d); const again = new Int8Array(d); const out = new Float32Array(d);
  for (let i = 0; i < 500; i++) {
    const x = Float32Array.from({ length: d }, (_, j) => Math.sin(i * 13 + j * j * 0.7) * (j % 7 === 0 ? 3 : 1));
    encodeRow(x, codes, 0);
    restoreRow(codes, 0, d, out, 0);
    encodeRow(out, again, 0);
    assert.deepEqual(again, codes);
    assert.ok(Math.abs(Math.hypot(...out) - 1) < 1e-5);
  }
  encodeRow(new Float32Array(d), codes, 0);
  restoreRow(codes, 0, d, out, 0);
  assert.ok(out.every((x) => x === 0));
});

test('the committed wasm module is built from dot.wat', async () => {
  const dir = join(import.meta.dirname, '..', '..', 'src', 'recall', 'simd');
  assert.equal(readFileSync(join(dir, 'dot-wasm.ts'), 'utf8'), await compileWat(join(dir, 'dot.wat')), 'run npm run build:wasm');
});

test('BM25 ranks by rare shared terms, and updates in place', () => {
  const bm = new Bm25Index();
  texts.forEach((t, i) => bm.upsert(`e${i}`, t));
  assert.equal(bm.topK('password email', 1)[0].id, 'e3');
  bm.upsert('e3', 'nothing relevant');
  assert.equal(bm.topK('password email', 1)[0].id, 'e2');
  bm.remove('e2');
  assert.deepEqual(bm.topK('password', 3), []);
  assert.equal(bm.size, 9);
});
