import { normaliseInPlace } from './unit-vector.ts';
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
  const add = (h: number, weight: number) => {
    h >>>= 0;
    counts.set(h, (counts.get(h) ?? 0) + weight);
  };
  // Features are hashed in place (FNV-1a continued over their parts), never built as strings:
  // the hash of "w:" + word is the hash of "w:" continued over the word.
  const words = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    add(fnvOver(WORD, w), 1);
    if (i + 1 < words.length) add(fnvOver(fnvChar(fnvOver(BIGRAM, w), SPACE), words[i + 1]), 0.5);
    // Character trigrams of "^word$".
    const last = w.length + 1;
    for (let j = 0; j + 3 <= w.length + 2; j++) {
      let h = TRIGRAM;
      for (let k = j; k < j + 3; k++) h = fnvChar(h, k === 0 ? CARET : k === last ? DOLLAR : w.charCodeAt(k - 1));
      add(h, 0.25);
    }
  }
  const v = new Float32Array(dimension);
  for (const [h, count] of counts) {
    const slot = h % dimension;
    const sign = (h >>> 31) === 1 ? -1 : 1;
    v[slot] += sign * Math.log1p(count);
  }
  normaliseInPlace(v);
  return v;
}

const FNV_OFFSET = 0x811c9dc5;
const fnvChar = (h: number, c: number) => Math.imul(h ^ c, 0x01000193);
function fnvOver(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = fnvChar(h, s.charCodeAt(i));
  return h;
}
const WORD = fnvOver(FNV_OFFSET, 'w:');
const BIGRAM = fnvOver(FNV_OFFSET, 'b:');
const TRIGRAM = fnvOver(FNV_OFFSET, 'c:');
const SPACE = 32;
const CARET = 94;
const DOLLAR = 36;
