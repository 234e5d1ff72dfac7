import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpisodeIndex, type IndexedEpisode } from '../../src/recall/episode-index.ts';
import { decodeIndex, encodeIndex, VECTOR_PART_BYTES } from '../../src/recall/index-file.ts';
import { hashedEmbedder, embedText } from '../../src/embed/hashed-embedder.ts';

const e = hashedEmbedder();
const opts = { dimension: e.dimension, embedderId: e.id };
const words = ['refund', 'damaged', 'goods', 'password', 'reset', 'email', 'shipping', 'canada', 'subscription', 'billing', 'address', 'screen', 'broken', 'late', 'delivery'];
const episodes = (n: number, from = 0): IndexedEpisode[] => Array.from({ length: n }, (_, j) => {
  const i = j + from;
  const text = `${words[i % words.length]} ${words[(i * 7) % words.length]} ${words[(i * 3 + 1) % words.length]} case ${i}`;
  return { id: `e${i}`, text, vector: embedText(text, e.dimension), label: i % 3 === 0 ? undefined : JSON.stringify(i % 2 === 0) };
});
const queries = ['damaged goods refund', 'password reset email', 'late delivery to canada', 'broken screen', 'case 17', 'nothing matches zzz'];
const results = (index: EpisodeIndex) => queries.map((t) => index.search({ text: t, vector: embedText(t, e.dimension) }, { k: 5, mmrLambda: 0.7, balanceLabels: true }));

test('a saved index opens with the same recall, and keeps updating incrementally like a built one', () => {
  const built = EpisodeIndex.build(episodes(3000), opts);
  built.remove(['e5', 'e100', 'e2999']);
  built.add(episodes(10, 5000));
  const parts = encodeIndex(built.export());
  // Vectors are split into parts of bounded size, one row never split across two.
  assert.ok(parts.length > 1 && parts.slice(1).every((p) => p.byteLength <= VECTOR_PART_BYTES && p.byteLength % e.dimension === 0));
  const opened = EpisodeIndex.load(decodeIndex(parts));
  assert.equal(opened.size, built.size);
  assert.deepEqual(results(opened), results(built));
  // Bit for bit the rows of the built index: both hold the vectors restored from the same codes.
  for (const id of built.ids()) assert.ok(Buffer.from(opened.vectorOf(id)!.buffer).equals(Buffer.from(built.vectorOf(id)!.buffer)), id);
  // Both change the same way afterwards: removal of loaded documents, new ones, replaced ones.
  for (const index of [built, opened]) {
    index.remove(['e1', 'e17', 'e5003']);
    index.add([...episodes(5, 9000), { ...episodes(1, 18)[0], text: 'completely new wording about refund', vector: embedText('completely new wording about refund', e.dimension) }]);
  }
  assert.deepEqual(results(opened), results(built));
  assert.equal(opened.has('e17'), false);
  // Saved again after changes: still the same.
  assert.deepEqual(results(EpisodeIndex.load(decodeIndex(encodeIndex(opened.export())))), results(built));
});

test('a damaged or foreign saved index is refused with a reason, never half-loaded', () => {
  const parts = encodeIndex(EpisodeIndex.build(episodes(200), opts).export());
  const bad = (mutate: (p: Uint8Array[]) => Uint8Array[]) => () => EpisodeIndex.load(decodeIndex(mutate(parts.map((p) => p.slice()))));
  assert.throws(bad((p) => [p[0].subarray(0, 40), ...p.slice(1)]), /truncated|header/);
  assert.throws(bad((p) => { p[0][0] ^= 0xff; return p; }), /not a recall index/);
  assert.throws(bad((p) => { p[0][4] = 9; return p; }), /format 9/);
  assert.throws(bad((p) => p.slice(0, 1)), /vector parts/);
  assert.throws(bad((p) => [p[0], p[1].subarray(0, p[1].byteLength - e.dimension)]), /one row per document/);
  assert.throws(bad(() => []), /no parts/);
  // A part at an odd offset (as a database driver may hand it back) still decodes, by copying.
  const shifted = parts.map((p) => { const b = new Uint8Array(p.byteLength + 1); b.set(p, 1); return b.subarray(1); });
  assert.equal(EpisodeIndex.load(decodeIndex(shifted)).size, 200);
  // The same with Buffers (a PostgreSQL COPY hands back views into one buffer), whose slice is a view.
  const inOne = Buffer.concat([Buffer.alloc(3), ...parts]);
  let at = 3;
  const views = parts.map((p) => { const v = inOne.subarray(at, at + p.byteLength); at += p.byteLength; return v; });
  assert.equal(EpisodeIndex.load(decodeIndex(views)).size, 200);
});
