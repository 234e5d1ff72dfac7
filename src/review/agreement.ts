import type { OutputKind, VerdictValue } from '../core/types.ts';
import { cohensKappa, fleissKappa, krippendorffAlpha } from '../eval/metrics.ts';
import type { Review } from './types.ts';

/** How much independent reviewers agree, before anyone aligns on their reviews. */
export interface ReviewerAgreement {
  /** Items reviewed by two or more reviewers with a value. */
  items: number;
  /** Fleiss' κ over all reviewers (labels), or Krippendorff's α (numeric). */
  metric: 'fleiss-kappa' | 'krippendorff-alpha';
  value: number | null;
  /** Cohen's κ for each pair of reviewers on the items both reviewed (labels only). */
  pairs: { a: string; b: string; items: number; kappa: number | null }[];
  /** In words, with a warning when agreement is too low to learn from. */
  summary: string;
}

/**
 * Agreement between reviewers on the items several of them reviewed: Fleiss' κ and pairwise
 * Cohen's κ for labels (boolean, categorical, pairwise), Krippendorff's α (interval) for numeric.
 *
 * @example
 * reviewerAgreement({ type: 'boolean' }, reviews).summary;
 */
export function reviewerAgreement(kind: OutputKind, reviews: Review[]): ReviewerAgreement {
  const byItem = new Map<string, Map<string, VerdictValue>>();
  for (const r of reviews) {
    if (r.value === undefined) continue;
    const key = `${r.queue}\n${r.item}`;
    if (!byItem.has(key)) byItem.set(key, new Map());
    byItem.get(key)!.set(r.reviewer, r.value);
  }
  const multi = [...byItem.values()].filter((m) => m.size >= 2);
  const numeric = kind.type === 'numeric';
  const value = numeric ? krippendorffAlpha(multi.map((m) => [...m.values()] as number[])) : fleissKappa(multi.map((m) => [...m.values()]));
  const pairs: ReviewerAgreement['pairs'] = [];
  if (!numeric) {
    const names = [...new Set(multi.flatMap((m) => [...m.keys()]))].sort();
    for (let i = 0; i < names.length; i++) {
      for (let j = i + 1; j < names.length; j++) {
        const both = multi.filter((m) => m.has(names[i]) && m.has(names[j]));
        if (both.length === 0) continue;
        pairs.push({ a: names[i], b: names[j], items: both.length, kappa: cohensKappa(both.map((m) => m.get(names[i])), both.map((m) => m.get(names[j]))) });
      }
    }
  }
  const name = numeric ? "Krippendorff's α" : "Fleiss' κ";
  let summary: string;
  if (value === null) summary = multi.length === 0 ? 'No item has two reviews yet: agreement between reviewers is unknown.' : `${name} is undefined on these ${multi.length} item(s) (every value identical).`;
  else if (value < 0.4) summary = `${name} = ${value.toFixed(2)} on ${multi.length} item(s): reviewers disagree too much to learn from. Settle the guidelines between reviewers before aligning.`;
  else if (value < 0.6) summary = `${name} = ${value.toFixed(2)} on ${multi.length} item(s): moderate agreement; look at the items reviewers split on before aligning.`;
  else summary = `${name} = ${value.toFixed(2)} on ${multi.length} item(s): reviewers agree well.`;
  return { items: multi.length, metric: numeric ? 'krippendorff-alpha' : 'fleiss-kappa', value, pairs, summary };
}
