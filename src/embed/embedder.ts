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
  /** Embeds texts in one batch; returns L2-normalised vectors in the same order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
