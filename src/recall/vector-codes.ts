/**
 * Vectors as 8-bit codes: each component scaled so the largest magnitude is 127 and rounded. A
 * code row stands for one vector (`restoreRow`: the codes, L2-normalised), and encoding that
 * vector gives back the same codes, so reusing or saving it again never drifts. The recall index
 * holds and searches codes only (a quarter of f32); cosine similarities move by about 0.01–0.02
 * at most against full precision (256 dimensions), far below the gaps that decide which examples
 * are recalled.
 *
 * @example
 * const codes = new Int8Array(256); encodeRow(vector, codes, 0); restoreRow(codes, 0, 256, out, 0);
 */
export function encodeRow(vector: ArrayLike<number>, codes: Int8Array, at: number, from = 0, dimension = vector.length): void {
  let max = 0;
  for (let j = 0; j < dimension; j++) { const a = Math.abs(vector[from + j]); if (a > max) max = a; }
  if (max === 0 || !Number.isFinite(max)) { codes.fill(0, at, at + dimension); return; }
  const k = 127 / max;
  for (let j = 0; j < dimension; j++) codes[at + j] = Math.max(-127, Math.min(127, Math.round(vector[from + j] * k)));
}

/** Writes the unit vector of a code row into `out` (zeros for an all-zero row). */
export function restoreRow(codes: Int8Array, at: number, dimension: number, out: Float32Array, to: number): void {
  const end = at + dimension;
  let sum = 0;
  for (let j = at; j < end; j++) { const c = codes[j]; sum += c * c; }
  const inv = sum > 0 ? 1 / Math.sqrt(sum) : 0;
  for (let j = at, o = to; j < end; j++, o++) out[o] = codes[j] * inv;
}
