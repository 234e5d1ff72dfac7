import type { Embedder } from '../embed/embedder.ts';
import { DEFAULT_EMBED_BATCH } from '../embed/embedder.ts';

/**
 * Micro-batches query embeddings: texts asked for while no request is being sent join the next
 * request, which starts as soon as the previous one has returned (or at once, in the same tick,
 * when none is in flight). There is no waiting window: no text waits longer than it takes the
 * next request to start, and concurrent verdicts share requests instead of each paying one.
 *
 * @example
 * const batcher = queryBatcher(embedder); const [a, b] = await Promise.all([batcher.embed('q1'), batcher.embed('q2')]); // one request
 */
export function queryBatcher(embedder: Embedder, options: { maxInFlight?: number } = {}): { embed(text: string): Promise<Float32Array> } {
  const maxBatch = Math.max(1, embedder.maxBatch ?? DEFAULT_EMBED_BATCH);
  const maxInFlight = Math.max(1, options.maxInFlight ?? 1);
  const queue: { text: string; resolve: (v: Float32Array) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    while (queue.length > 0 && inFlight < maxInFlight) {
      const batch = queue.splice(0, maxBatch);
      inFlight += 1;
      embedder.embed(batch.map((b) => b.text)).then(
        (vectors) => batch.forEach((b, i) => b.resolve(vectors[i])),
        (error: unknown) => batch.forEach((b) => b.reject(error)),
      ).finally(() => { inFlight -= 1; schedule(); });
    }
  };
  // Texts asked for in the same tick go together: the flush runs after the current synchronous work.
  const schedule = () => {
    if (scheduled || queue.length === 0 || inFlight >= maxInFlight) return;
    scheduled = true;
    queueMicrotask(flush);
  };
  return {
    embed(text) {
      return new Promise<Float32Array>((resolve, reject) => {
        queue.push({ text, resolve, reject });
        schedule();
      });
    },
  };
}
