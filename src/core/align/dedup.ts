import type { Guideline } from '../types.ts';
import { guidelineKeys, sameRuleKeys } from '../memory/guideline-rules.ts';

/** A guideline proposed by a distillation batch, with the feedback ids it came from. */
export interface ProposedGuideline { text: string; sources: string[] }

/** The result of merging proposals into existing guidelines. */
export interface DedupResult {
  /** Genuinely new guidelines (first proposal wins; duplicates' sources merged in). */
  added: ProposedGuideline[];
  /** Existing guidelines that a proposal repeated: their sources grow by `added`. */
  extended: { id: string; sources: string[]; added: string[] }[];
  /** Tombstoned guidelines (deleted by an expert) that a proposal repeated: not brought back. */
  suppressed: string[];
  /** How many proposals were dropped as duplicates (of existing, tombstoned or earlier proposals). */
  dropped: number;
}

type Hit =
  | { kind: 'existing'; id: string; sources: Set<string>; added: Set<string> }
  | { kind: 'tombstone'; id: string }
  | { kind: 'new'; item: ProposedGuideline; sources: Set<string> };

/**
 * Drops proposals that repeat an existing guideline (under its text or any earlier text), a
 * tombstone, or an earlier proposal, across all parallel batches. A repeat of a live guideline is
 * evidence: its sources are merged into the guideline it repeats rather than lost. A repeat of a
 * tombstone stays deleted: an expert removed that rule.
 *
 * @example
 * dedupGuidelines([], [{ text: 'Be brief.', sources: ['a'] }, { text: 'be brief', sources: ['b'] }]).added; // [{ text: 'Be brief.', sources: ['a', 'b'] }]
 */
export function dedupGuidelines(existing: Guideline[], proposals: ProposedGuideline[], tombstones: Guideline[] = []): DedupResult {
  const byKey = new Map<string, Hit>();
  for (const g of tombstones) for (const k of guidelineKeys(g)) byKey.set(k, { kind: 'tombstone', id: g.id });
  // Live guidelines win over tombstones that share a key (the expert kept a rule like it).
  for (const g of existing) {
    const hit: Hit = { kind: 'existing', id: g.id, sources: new Set(g.sources), added: new Set() };
    for (const k of guidelineKeys(g)) if (byKey.get(k)?.kind !== 'existing') byKey.set(k, hit);
  }
  const added: ProposedGuideline[] = [];
  const newHits: Extract<Hit, { kind: 'new' }>[] = [];
  const suppressed = new Set<string>();
  let dropped = 0;
  for (const p of proposals) {
    const keys = sameRuleKeys(p.text);
    if (keys.length === 0) { dropped += 1; continue; }
    const hit = keys.map((k) => byKey.get(k)).find((h) => h !== undefined);
    if (!hit) {
      const item = { text: p.text.trim(), sources: unique(p.sources) };
      // Sources gather in a set: a rule repeated by thousands of batches stays linear.
      const hit: Hit = { kind: 'new', item, sources: new Set(item.sources) };
      for (const k of keys) byKey.set(k, hit);
      added.push(item);
      newHits.push(hit);
      continue;
    }
    dropped += 1;
    if (hit.kind === 'new') for (const s of p.sources) hit.sources.add(s);
    else if (hit.kind === 'existing') for (const s of p.sources) { hit.added.add(s); hit.sources.add(s); }
    else suppressed.add(hit.id);
  }
  for (const h of newHits) h.item.sources = [...h.sources];
  const extended: DedupResult['extended'] = [];
  const seen = new Set<string>();
  for (const hit of byKey.values()) {
    if (hit.kind !== 'existing' || seen.has(hit.id)) continue;
    seen.add(hit.id);
    if (hit.added.size > 0) extended.push({ id: hit.id, sources: [...hit.sources], added: [...hit.added] });
  }
  return { added, extended, suppressed: [...suppressed], dropped };
}

function unique(items: string[]): string[] {
  return [...new Set(items)];
}
