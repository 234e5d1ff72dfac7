import type { Embedder } from '../embed/embedder.ts';
import { hashedEmbedder } from '../embed/hashed-embedder.ts';

/** An embedder for tests that records every batch it was asked to embed. */
export interface MockEmbedder extends Embedder {
  readonly calls: string[][];
}

/**
 * A deterministic embedder (the offline hashed one by default) that records its calls, so a test can
 * assert how many embedding requests were made and for which texts.
 *
 * @example
 * const embedder = mockEmbedder(); await openMemalign({ judge, model, embedder }); embedder.calls.length;
 */
export function mockEmbedder(options: { dimension?: number; inner?: Embedder } = {}): MockEmbedder {
  const inner = options.inner ?? hashedEmbedder({ dimension: options.dimension ?? 64 });
  const calls: string[][] = [];
  return { id: `mock:${inner.id}`, dimension: inner.dimension, calls, embed: (texts) => { calls.push([...texts]); return inner.embed(texts); } };
}
