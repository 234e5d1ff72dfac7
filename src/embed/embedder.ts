/** Inputs per request when a provider's limit is not known (the AI SDK's own default for OpenAI-compatible servers). */
export const DEFAULT_EMBED_BATCH = 2048;

/**
 * Turns texts into vectors for episodic recall. Each stored vector records the embedder's `id`
 * and `dimension`, so vectors from different spaces are never mixed.
 *
 * @example
 * const vectors = await embedder.embed(['a question', 'another']);
 */
export interface Embedder {
  /** Stable identifier of the vector space, e.g. `hashed:v1:512` or `openai:text-embedding-3-small:512`. */
  readonly id: string;
  readonly dimension: number;
  /** Longest text, in tokens, the provider accepts; longer texts are cut before they are sent. */
  readonly maxInputTokens?: number;
  /**
   * Most inputs one request may carry (OpenAI: 2 048, Gemini: 100). Callers split larger batches
   * into requests of this size and schedule them in parallel. Undefined: any number.
   */
  readonly maxBatch?: number;
  /** True when embedding runs in this process (no request, no rate limit): callers need not schedule it. */
  readonly local?: boolean;
  /** Embeds texts; returns L2-normalised vectors in the same order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
