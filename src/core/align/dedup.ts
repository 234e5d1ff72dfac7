import type { Guideline } from '../types.ts';
import { normaliseText } from '../text/hash.ts';

/** A guideline proposed by a distillation batch, with the feedback ids it came from. */
export interface ProposedGuideline { text: string; sources: string[] }

/** The result of merging proposals into existing guidelines. */
export interface DedupResult {
  /** Genuinely new guidelines (first proposal wins; duplicates' sources merged in). */
  added: ProposedGuideline[];
  /** Existing guidelines that a proposal repeated: their sources grow. */
  extended: { id: string; sources: string[] }[];
  /** How many proposals were dropped as duplicates. */
  dropped: number;
}

/**
 * Drops proposals that repeat an existing guideline or an earlier proposal (case, whitespace and
 * punctuation do not count), across all parallel batches. A repeat is evidence: its sources are
 * merged into the guideline it repeats rather than lost.
 *
 * @example
 * dedupGuidelines([], [{ text: 'Be brief.', sources: ['a'] }, { text: 'be brief', sources: ['b'] }]).added; // [{ text: 'Be brief.', sources: ['a', 'b'] }]
 */
export function dedupGuidelines(existing: Guideline[], proposals: ProposedGuideline[]): DedupResult {
  const byText = new Map<string, { kind: 'existing'; id: string; sources: Set<string>; before: number } | { kind: 'new'; item: ProposedGuideline }>();
  for (const g of existing) byText.set(normaliseText(g.text), { kind: 'existing', id: g.id, sources: new Set(g.sources), before: g.sources.length });
  const added: ProposedGuideline[] = [];
  let dropped = 0;
  for (const p of proposals) {
    const key = normaliseText(p.text);
    if (key === '') { dropped += 1; continue; }
    const hit = byText.get(key);
    if (!hit) {
      const item = { text: p.text.trim(), sources: unique(p.sources) };
      byText.set(key, { kind: 'new', item });
      added.push(item);
      continue;
    }
    dropped += 1;
    if (hit.kind === 'new') hit.item.sources = unique([...hit.item.sources, ...p.sources]);
    else for (const s of p.sources) hit.sources.add(s);
  }
  const extended: DedupResult['extended'] = [];
  for (const hit of byText.values()) {
    if (hit.kind === 'existing' && hit.sources.size > hit.before) extended.push({ id: hit.id, sources: [...hit.sources] });
  }
  return { added, extended, dropped };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
