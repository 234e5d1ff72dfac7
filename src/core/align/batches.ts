/**
 * Packs items into batches of at most `maxItems`, each under a token budget, keeping input order.
 * An item larger than the whole budget travels alone (its fields are truncated when rendered).
 * With `boundOf` (a cheap upper bound of `tokensOf`, e.g. UTF-8 bytes), items are counted exactly
 * only where the bounds cannot decide; the batches are the same as with exact counts throughout.
 *
 * @example
 * packBatches([{ t: 10 }, { t: 10 }, { t: 10 }], (x) => x.t, { maxItems: 50, maxTokens: 25 }); // [[a, b], [c]]
 */
export function packBatches<T>(items: T[], tokensOf: (item: T) => number, limits: { maxItems: number; maxTokens: number }, boundOf?: (item: T) => number): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  // Each item of the current batch counts its exact tokens when known, else its bound: `used` is
  // never below the exact total, and equals it once `exact` is set.
  let costs: number[] = [];
  let exact: boolean[] = [];
  let used = 0;
  for (const item of items) {
    let cost = boundOf ? boundOf(item) : tokensOf(item);
    let isExact = !boundOf;
    if (current.length > 0 && current.length < limits.maxItems && used + cost > limits.maxTokens && boundOf) {
      // The bounds say it may not fit: count exactly what was only bounded, then decide.
      for (let i = 0; i < current.length; i++) {
        if (!exact[i]) { const t = tokensOf(current[i]); used += t - costs[i]; costs[i] = t; exact[i] = true; }
      }
      cost = tokensOf(item);
      isExact = true;
    }
    if (current.length > 0 && (current.length >= limits.maxItems || used + cost > limits.maxTokens)) {
      batches.push(current);
      current = [];
      costs = [];
      exact = [];
      used = 0;
    }
    current.push(item);
    costs.push(cost);
    exact.push(isExact);
    used += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
