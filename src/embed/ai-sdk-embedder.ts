import { normaliseInPlace } from './unit-vector.ts';
import type { EmbeddingModel } from 'ai';
import { DEFAULT_EMBED_BATCH, type Embedder } from './embedder.ts';
import { ProviderError } from '../core/errors.ts';
import { toProviderError } from '../model/ai-sdk-model.ts';
import { createLimiter } from '../model/limit.ts';
import { routeProviderWarnings } from '../model/provider-warnings.ts';


/**
 * Adapts an AI SDK embedding model: requests of at most `maxBatch` inputs (more are split and sent
 * in parallel, at most `parallel` at a time), vectors L2-normalised, dimension checked.
 *
 * @example
 * const e = aiSdkEmbedder(createOpenAI().embedding('text-embedding-3-small'), { id: 'openai:text-embedding-3-small:512', dimension: 512, maxBatch: 2048, providerOptions: { openai: { dimensions: 512 } } });
 */
export function aiSdkEmbedder(model: EmbeddingModel, options: { id: string; dimension: number; maxBatch?: number; parallel?: number; providerOptions?: Record<string, Record<string, unknown>> }): Embedder {
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_EMBED_BATCH));
  const limit = createLimiter(options.parallel ?? 4);
  const one = async (values: string[]): Promise<Float32Array[]> => {
    routeProviderWarnings();
    const { embedMany } = await import('ai');
    let embeddings: number[][];
    try {
      // One HTTP request: the SDK must not split it again or run its own retries.
      ({ embeddings } = await embedMany({ model, values, maxRetries: 0, maxParallelCalls: 1, providerOptions: options.providerOptions as never }));
    } catch (error) {
      throw toProviderError(error, options.id);
    }
    return embeddings.map((e) => {
      if (e.length !== options.dimension) {
        throw new ProviderError(`${options.id}: the provider returned ${e.length}-dimensional vectors, but ${options.dimension} were configured. Set the embedder dimension to ${e.length} or choose a model that supports ${options.dimension}.`);
      }
      return normalise(e);
    });
  };
  return {
    id: options.id,
    dimension: options.dimension,
    maxBatch,
    async embed(texts: string[]): Promise<Float32Array[]> {
      if (texts.length <= maxBatch) return one(texts);
      const chunks: string[][] = [];
      for (let i = 0; i < texts.length; i += maxBatch) chunks.push(texts.slice(i, i + maxBatch));
      return (await Promise.all(chunks.map((c) => limit(() => one(c))))).flat();
    },
  };
}

// Indexed loops: 10 000 vectors of 512 floats are normalised per large align (iterators cost 5×).
function normalise(values: number[]): Float32Array {
  const v = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) v[i] = values[i];
  normaliseInPlace(v);
  return v;
}
