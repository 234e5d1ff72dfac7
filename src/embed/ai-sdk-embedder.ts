import type { EmbeddingModel } from 'ai';
import type { Embedder } from './embedder.ts';
import { ProviderError } from '../core/errors.ts';
import { toProviderError } from '../model/ai-sdk-model.ts';

/**
 * Adapts an AI SDK embedding model: one request per batch, vectors L2-normalised, dimension checked.
 *
 * @example
 * const e = aiSdkEmbedder(createOpenAI().embedding('text-embedding-3-small'), { id: 'openai:text-embedding-3-small:512', dimension: 512, providerOptions: { openai: { dimensions: 512 } } });
 */
export function aiSdkEmbedder(model: EmbeddingModel, options: { id: string; dimension: number; batchSize?: number; providerOptions?: Record<string, Record<string, unknown>> }): Embedder {
  const batchSize = options.batchSize ?? 128;
  return {
    id: options.id,
    dimension: options.dimension,
    async embed(texts: string[]): Promise<Float32Array[]> {
      const { embedMany } = await import('ai');
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        let embeddings: number[][];
        try {
          ({ embeddings } = await embedMany({ model, values: texts.slice(i, i + batchSize), maxRetries: 0, providerOptions: options.providerOptions as never }));
        } catch (error) {
          throw toProviderError(error, options.id);
        }
        for (const e of embeddings) {
          if (e.length !== options.dimension) {
            throw new ProviderError(`${options.id}: the provider returned ${e.length}-dimensional vectors, but ${options.dimension} were configured. Set the embedder dimension to ${e.length} or choose a model that supports ${options.dimension}.`);
          }
          out.push(normalise(e));
        }
      }
      return out;
    },
  };
}

function normalise(values: number[]): Float32Array {
  const v = Float32Array.from(values);
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return v;
}
