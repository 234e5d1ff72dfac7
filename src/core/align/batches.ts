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
  // Items of the current batch before `counted` cost their exact tokens, the others their bound
  // (`costs`), so `used` is never below the exact total.
  let costs: number[] = [];
  let counted = 0;
  let used = 0;
  for (const item of items) {
    let cost = boundOf ? boundOf(item) : tokensOf(item);
    let exact = !boundOf;
    if (boundOf && current.length > 0 && current.length < limits.maxItems && used + cost > limits.maxTokens) {
      // The bounds say it may not fit: count exactly what was only bounded, then decide.
      for (; counted < current.length; counted++) { const t = tokensOf(current[counted]); used += t - costs[counted]; costs[counted] = t; }
      cost = tokensOf(item);
      exact = true;
    }
    if (current.length > 0 && (current.length >= limits.maxItems || used + cost > limits.maxTokens)) {
      batches.push(current);
      current = [];
      costs = [];
      counted = 0;
      used = 0;
    }
    current.push(item);
    costs.push(cost);
    if (exact && counted === current.length - 1) counted++;
    used += cost;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
