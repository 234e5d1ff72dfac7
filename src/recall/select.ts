import type { RecallHit } from './episode-index.ts';

/**
 * Picks k hits from ranked candidates with maximal marginal relevance (relevance minus similarity
 * to what is already picked) and, optionally, label balance (no label gets a second example while
 * another label among the candidates has none, and so on).
 *
 * @example
 * selectDiverse(hits, { k: 5, lambda: 0.7, balanceLabels: true, labelOf, similarity });
 */
export function selectDiverse(candidates: RecallHit[], options: {
  k: number; lambda: number; balanceLabels: boolean;
  labelOf: (id: string) => string | undefined; similarity: (a: string, b: string) => number;
}): RecallHit[] {
  const picked: RecallHit[] = [];
  const left = [...candidates];
  const perLabel = new Map<string, number>();
  const labelsPresent = new Set(candidates.map((c) => options.labelOf(c.id) ?? ''));
  while (picked.length < options.k && left.length > 0) {
    let eligible = left;
    if (options.balanceLabels) {
      const least = Math.min(...[...labelsPresent].filter((l) => left.some((c) => (options.labelOf(c.id) ?? '') === l)).map((l) => perLabel.get(l) ?? 0));
      eligible = left.filter((c) => (perLabel.get(options.labelOf(c.id) ?? '') ?? 0) === least);
    }
    let best = eligible[0];
    let bestValue = -Infinity;
    for (const c of eligible) {
      const redundancy = picked.length === 0 ? 0 : Math.max(...picked.map((p) => options.similarity(c.id, p.id)));
      const value = options.lambda * c.score - (1 - options.lambda) * redundancy;
      if (value > bestValue) { best = c; bestValue = value; }
    }
    picked.push(best);
    left.splice(left.indexOf(best), 1);
    const label = options.labelOf(best.id) ?? '';
    perLabel.set(label, (perLabel.get(label) ?? 0) + 1);
  }
  return picked;
}
