import { hash } from 'node:crypto';
import type { Embedder } from './embedder.ts';

/**
 * Caches vectors by content hash (LRU). Each `embed` call sends only the misses, in one request.
 *
 * @example
 * const e = cachedEmbedder(resolveEmbedder('openai:text-embedding-3-small'));
 */
export function cachedEmbedder(inner: Embedder, options: { maxEntries?: number } = {}): Embedder {
  const max = options.maxEntries ?? 10_000;
  const cache = new Map<string, Float32Array>();
  return {
    id: inner.id,
    dimension: inner.dimension,
    maxBatch: inner.maxBatch,
    local: inner.local,
    maxInputTokens: inner.maxInputTokens,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const keys = texts.map((t) => hash('sha1', t, 'base64'));
      const missing: number[] = [];
      const seen = new Set<string>();
      keys.forEach((k, i) => { if (!cache.has(k) && !seen.has(k)) { missing.push(i); seen.add(k); } });
      if (missing.length > 0) {
        const vectors = await inner.embed(missing.map((i) => texts[i]));
        missing.forEach((i, j) => cache.set(keys[i], vectors[j]));
      }
      const out = keys.map((k) => {
        const v = cache.get(k)!;
        cache.delete(k);
        cache.set(k, v);
        return v;
      });
      while (cache.size > max) cache.delete(cache.keys().next().value!);
      return out;
    },
  };
}
