/**
 * Packs items into batches of at most `maxItems`, each under a token budget, keeping input order.
 * An item larger than the whole budget travels alone (its fields are truncated when rendered).
 *
 * @example
 * packBatches([{ t: 10 }, { t: 10 }, { t: 10 }], (x) => x.t, { maxItems: 50, maxTokens: 25 }); // [[a, b], [c]]
 */
export function packBatches<T>(items: T[], tokensOf: (item: T) => number, limits: { maxItems: number; maxTokens: number }): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let used = 0;
  for (const item of items) {
    const tokens = tokensOf(item);
    if (current.length > 0 && (current.length >= limits.maxItems || used + tokens > limits.maxTokens)) {
      batches.push(current);
      current = [];
      used = 0;
    }
    current.push(item);
    used += tokens;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
