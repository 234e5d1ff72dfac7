import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { embedText, hashedEmbedder } from '../../src/embed/hashed-embedder.ts';

// Stored vectors are named by the embedder id (hashed:v1:<dimension>): a memory aligned with one
// release is recalled with query vectors of the next. These digests pin v1's exact output; a change
// to them needs a new id (hashed:v2), never a silent change of v1.
test('hashed:v1 vectors are bit-for-bit those of v1', () => {
  const texts = ['Refund policy for damaged goods', 'Ünïcödé naïve café 日本語の文 🎉 emoji', 'a', '', 'The capital of France is Paris; the answer "Lyon" is wrong.'];
  const digest = (d: number) => {
    const h = createHash('sha256');
    for (const t of texts) h.update(Buffer.from(embedText(t, d).buffer));
    return h.digest('hex');
  };
  assert.equal(digest(256), 'c2afcda7314e038f047781c925d1771ae69ffe99eac081e649064f2a4567777c');
  assert.equal(digest(512), 'b8f28f85686aa24d6adee6b7fad499167a5399391d4a77d7849b1e5ae041cbe2');
});

test('vectors are unit length, and similar texts are closer than unrelated ones', async () => {
  const [a, b, c] = await hashedEmbedder().embed(['refund for damaged goods', 'damaged goods refund request', 'the capital of France']);
  const dot = (x: Float32Array, y: Float32Array) => x.reduce((s, v, i) => s + v * y[i], 0);
  assert.ok(Math.abs(dot(a, a) - 1) < 1e-5);
  assert.ok(dot(a, b) > dot(a, c) + 0.3);
});
