import type { Episode, Guideline } from '../types.ts';
import { utf8Length } from '../text/utf8.ts';

/** What the budget let into the prompt, and what it left out. */
export interface Selection {
  guidelines: Guideline[];
  episodes: { episode: Episode; score: number; text: string; tokens?: number; measure?: () => number }[];
  droppedGuidelines: string[];
  droppedEpisodes: string[];
  /** Tokens the pinned guidelines take (they always go in). */
  pinnedTokens: number;
}

/**
 * Ranks guidelines for the budget: pinned first, then the best supported, then the oldest.
 *
 * @example
 * rankGuidelines(memory.guidelines)[0].pinned; // true when any guideline is pinned
 */
export function rankGuidelines(guidelines: Iterable<Guideline>): Guideline[] {
  return [...guidelines].sort((a, b) =>
    Number(b.pinned) - Number(a.pinned) || b.sources.length - a.sources.length || a.createdVersion - b.createdVersion || (a.id < b.id ? -1 : 1));
}

const measured = new WeakMap<Guideline, number>();
const bytes = new WeakMap<Guideline, number>();
function bytesOf(g: Guideline): number {
  let b = bytes.get(g);
  if (b === undefined) { b = utf8Length(g.text); bytes.set(g, b); }
  return b;
}

/**
 * Chooses, deterministically, what fits in the working-memory budget. Pinned guidelines always go
 * in and count against the budget. Other guidelines may use the first half of the budget, recalled
 * examples (in recall order, each already cut to its per-example share) the rest, and guidelines
 * then take whatever examples left unused.
 *
 * @example
 * const sel = selectWorkingMemory(rankGuidelines(gs), recalled, { budget: 6000, tokens: estimateTokens });
 */
export function selectWorkingMemory(
  ranked: Guideline[],
  recalled: { episode: Episode; score: number; text: string; tokens?: number; measure?: () => number }[],
  options: { budget: number; tokens: (text: string) => number },
): Selection {
  const cost = (g: Guideline) => {
    // A guideline object is immutable within a memory version: measure it once, not per verdict.
    let c = measured.get(g);
    if (c === undefined) { c = options.tokens(g.text) + 2; measured.set(g, c); }
    return c;
  };
  let used = 0;
  const taken = new Set<string>();
  for (const g of ranked) if (g.pinned) { used += cost(g); taken.add(g.id); }
  const pinnedTokens = used;
  // A token covers at least one byte of UTF-8, so when everything fits counted in bytes it fits in
  // tokens, and the rules below would take it all: nothing else needs measuring (counting tokens
  // of examples recalled for the first time was most of a verdict's own time).
  let bound = 0;
  for (const g of ranked) bound += g.pinned ? 0 : bytesOf(g) + 2;
  for (const r of recalled) bound += r.tokens ?? utf8Length(r.text);
  if (used + bound <= options.budget) {
    return { guidelines: ranked, episodes: recalled, droppedGuidelines: [], droppedEpisodes: [], pinnedTokens };
  }
  const takeGuidelines = (limit: number) => {
    for (const g of ranked) {
      if (taken.has(g.id)) continue;
      const c = cost(g);
      if (used + c > limit) break;
      used += c;
      taken.add(g.id);
    }
  };
  takeGuidelines(options.budget / 2);
  const episodes: Selection['episodes'] = [];
  const droppedEpisodes: string[] = [];
  for (const r of recalled) {
    const c = r.tokens ?? r.measure?.() ?? options.tokens(r.text);
    if (droppedEpisodes.length === 0 && used + c <= options.budget) { used += c; episodes.push(r); }
    else droppedEpisodes.push(r.episode.id);
  }
  takeGuidelines(options.budget);
  return {
    guidelines: ranked.filter((g) => taken.has(g.id)),
    episodes,
    droppedGuidelines: ranked.filter((g) => !taken.has(g.id)).map((g) => g.id),
    droppedEpisodes,
    pinnedTokens,
  };
}
