import { DEFAULT_EMBED_BATCH, type Embedder } from './embedder.ts';
import { hashedEmbedder } from './hashed-embedder.ts';
import { aiSdkEmbedder } from './ai-sdk-embedder.ts';
import { openaiEmbedder } from './openai-embedder.ts';
import { resolveProvider, type ResolveOptions } from '../model/resolve-model.ts';
import { llamaCppEmbedder } from '../local/llama-cpp-embedder.ts';

/** Inputs one embedding request may carry, per provider (OpenAI documents 2 048; Gemini's batch endpoint takes 100). */
export const EMBED_BATCH: Record<string, number> = { openai: 2048, google: 100 };

/**
 * Resolves an embedder string: `hashed` (the offline default), or a provider model such as
 * `openai:text-embedding-3-small`, `ollama:nomic-embed-text`, `http://host:port/v1#model`, or a local
 * GGUF file as `llama-cpp:/path/model.gguf`.
 * `dimensions` (default 512, as the reference) is requested from providers that support it.
 *
 * @example
 * const e = resolveEmbedder('openai:text-embedding-3-small', { dimensions: 512 });
 */
export function resolveEmbedder(spec: string, options: ResolveOptions & { dimensions?: number; maxBatch?: number } = {}): Embedder {
  if (spec === 'hashed' || spec.startsWith('hashed:')) {
    const d = Number(spec.split(':')[1]) || options.dimensions;
    return hashedEmbedder(d ? { dimension: d } : {});
  }
  if (spec.startsWith('llama-cpp:')) return llamaCppEmbedder({ modelPath: spec.slice('llama-cpp:'.length) });
  const dimension = options.dimensions ?? 512;
  const p = resolveProvider(spec, options);
  const provider = p.id.split(':')[0];
  const maxBatch = options.maxBatch ?? EMBED_BATCH[provider] ?? DEFAULT_EMBED_BATCH;
  // OpenAI's wire format, spoken directly: vectors come back as base64, not as decimal text.
  if (p.openaiWire) return openaiEmbedder({ id: `${p.id}:${dimension}`, dimension, maxBatch, ...p.openaiWire });
  return aiSdkEmbedder(p.embedding(), {
    id: `${p.id}:${dimension}`, dimension, maxBatch,
    // Options go under the key each provider reads (Google's is `outputDimensionality`).
    providerOptions: provider === 'google' ? { google: { outputDimensionality: dimension } } : undefined,
  });
}
