import type { Embedder } from './embedder.ts';

/**
 * The offline default embedder: hashed word unigrams, word bigrams and character trigrams (signed
 * feature hashing, sublinear term weights), L2-normalised. Deterministic, needs no model or network,
 * and captures lexical similarity well enough to recall the experts' closest examples.
 *
 * @example
 * const e = hashedEmbedder(); const [v] = await e.embed(['refund policy for damaged goods']);
 */
export function hashedEmbedder(options: { dimension?: number } = {}): Embedder {
  const dimension = options.dimension ?? 256;
  return {
    id: `hashed:v1:${dimension}`,
    dimension,
    local: true,
    async embed(texts: string[]): Promise<Float32Array[]> {
      return texts.map((t) => embedText(t, dimension));
    },
  };
}

/**
 * Embeds one text synchronously (the embedder's whole work).
 *
 * @example
 * embedText('hello world', 256).length; // 256
 */
export function embedText(text: string, dimension: number): Float32Array {
  const counts = new Map<number, number>();
  const add = (feature: string, weight: number) => {
    const h = fnv1a(feature);
    counts.set(h, (counts.get(h) ?? 0) + weight);
  };
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    add(`w:${w}`, 1);
    if (i + 1 < words.length) add(`b:${w} ${words[i + 1]}`, 0.5);
    const padded = `^${w}$`;
    for (let j = 0; j + 3 <= padded.length; j++) add(`c:${padded.slice(j, j + 3)}`, 0.25);
  }
  const v = new Float32Array(dimension);
  for (const [h, count] of counts) {
    const slot = h % dimension;
    const sign = (h >>> 31) === 1 ? -1 : 1;
    v[slot] += sign * Math.log1p(count);
  }
  let norm = 0;
  for (let i = 0; i < dimension; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < dimension; i++) v[i] /= norm;
  return v;
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
