import type { Embedder } from './embedder.ts';
import { truncateToTokens } from '../core/text/tokens.ts';
import { bounded, DEFAULT_TIMEOUT_MS } from '../model/timeout.ts';

/** Input limit assumed for an embedder that declares none (OpenAI's is 8 191 tokens). */
export const DEFAULT_EMBED_INPUT_TOKENS = 8000;

/**
 * Makes an embedder safe to call: each text is cut to the embedder's input limit
 * (`maxInputTokens`), and each request is bounded by a timeout, so a long record or a hung
 * provider can neither fail nor stall an align or a verdict.
 *
 * @example
 * const e = limitedEmbedder(resolveEmbedder('openai:text-embedding-3-small'), { timeoutMs: 30_000 });
 */
export function limitedEmbedder(inner: Embedder, options: { timeoutMs?: number } = {}): Embedder {
  const limit = inner.maxInputTokens ?? DEFAULT_EMBED_INPUT_TOKENS;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cut = (t: string) => {
    // A token is at most a few characters; cutting characters first keeps tokenising cheap.
    const rough = t.length > limit * 8 ? t.slice(0, limit * 8) : t;
    return truncateToTokens(rough, limit).text;
  };
  return {
    id: inner.id,
    dimension: inner.dimension,
    maxInputTokens: limit,
    maxBatch: inner.maxBatch,
    local: inner.local,
    embed: (texts) => bounded(inner.id, timeoutMs, undefined, () => inner.embed(texts.map(cut))),
  };
}
