import type { Guideline } from '../types.ts';
import { normaliseText } from '../text/hash.ts';

/**
 * Picks the existing guidelines to show a distillation batch: the ones sharing the most words
 * with the batch (so the model can avoid repeating them), within `maxTokens`. Duplicates that the
 * model writes anyway are still caught afterwards against all guidelines.
 *
 * @example
 * const { shown, omitted } = relevantGuidelines(existing, batchText, 15_000, tokensOf);
 */
export function relevantGuidelines(existing: Guideline[], batchText: string, maxTokens: number, tokensOf: (g: Guideline) => number): { shown: Guideline[]; omitted: number } {
  const total = existing.reduce((n, g) => n + tokensOf(g), 0);
  if (total <= maxTokens) return { shown: existing, omitted: 0 };
  const words = new Set(normaliseText(batchText).split(' ').filter((w) => w.length > 2));
  const scored = existing.map((g, i) => {
    const own = [...new Set(normaliseText(g.text).split(' ').filter((w) => w.length > 2))];
    const shared = own.filter((w) => words.has(w)).length;
    return { g, i, score: own.length === 0 ? 0 : shared / Math.sqrt(own.length) };
  });
  // Most relevant first; pinned and expert guidelines break ties, then the original order.
  scored.sort((a, b) => b.score - a.score || Number(b.g.pinned) - Number(a.g.pinned) || a.i - b.i);
  const shown: Guideline[] = [];
  let used = 0;
  for (const { g } of scored) {
    const t = tokensOf(g);
    if (used + t > maxTokens) continue;
    used += t;
    shown.push(g);
  }
  return { shown, omitted: existing.length - shown.length };
}
