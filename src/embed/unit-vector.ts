/**
 * Scales a vector to unit length in place (an all-zero vector stays zero) and returns the length
 * it had: every embedder's vectors are L2-normalised the same way, so cosine is a dot product.
 *
 * @example
 * const v = Float32Array.of(3, 4); normaliseInPlace(v); // 5, v is [0.6, 0.8]
 */
export function normaliseInPlace(v: Float32Array): number {
  let norm = 0;
  for (let i = 0; i < v.length; i++) norm += v[i] * v[i];
  norm = Math.sqrt(norm);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] /= norm;
  return norm;
}
