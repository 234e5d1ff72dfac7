import { normaliseInPlace } from '../embed/unit-vector.ts';
import { basename } from 'node:path';
import type { Embedder } from '../embed/embedder.ts';
import { ConfigError } from '../core/errors.ts';
import { readGgufMetadata } from './gguf-header.ts';
import { loadLlamaModel, type LlamaModel } from './llama-runtime.ts';

/**
 * Embeddings from a local GGUF model through node-llama-cpp, L2-normalised. The dimension is read
 * from the file's metadata up front, without loading the model.
 *
 * @example
 * const e = llamaCppEmbedder({ modelPath: 'models/nomic-embed-text-v1.5.Q8_0.gguf' });
 */
export function llamaCppEmbedder(options: { modelPath: string; threads?: number }): Embedder {
  const meta = readGgufMetadata(options.modelPath);
  const arch = String(meta['general.architecture'] ?? '');
  const dimension = Number(meta[`${arch}.embedding_length`]);
  if (!Number.isInteger(dimension) || dimension <= 0) throw new ConfigError(`${options.modelPath}: no ${arch}.embedding_length in the GGUF metadata, so its embedding size is unknown.`);
  let context: Promise<Awaited<ReturnType<LlamaModel['createEmbeddingContext']>>> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    id: `llama-cpp:${basename(options.modelPath)}:${dimension}`,
    dimension,
    local: true,
    embed(texts: string[]): Promise<Float32Array[]> {
      const run = queue.then(async () => {
        context ??= loadLlamaModel(options.modelPath).then((m) => m.createEmbeddingContext({ threads: options.threads ?? 1 }));
        const ctx = await context;
        const out: Float32Array[] = [];
        for (const text of texts) {
          const { vector } = await ctx.getEmbeddingFor(text);
          const v = Float32Array.from(vector);
          normaliseInPlace(v);
          out.push(v);
        }
        return out;
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}
