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

// What a ranking costs, worked out once per ranking (a memory version ranks its guidelines once)
// rather than per verdict: pinned guidelines, the others in rank order with their bytes in all,
// their token costs summed as far as a budget has needed them, and the selections made so far
// (a selection is always the pinned guidelines plus a prefix of the others, so a count names it).
interface Prepared {
  pinned: Guideline[];
  rest: Guideline[];
  restBytes: number;
  /** cum[j] = tokens of rest[0..j), filled as far as needed. */
  cum: number[];
  chosen: Map<number, { guidelines: Guideline[]; dropped: string[] }>;
}
const prepared = new WeakMap<Guideline[], Prepared>();
const MAX_CHOSEN = 64;

function prepare(ranked: Guideline[]): Prepared {
  let p = prepared.get(ranked);
  if (!p) {
    const pinned = ranked.filter((g) => g.pinned);
    const rest = ranked.filter((g) => !g.pinned);
    let restBytes = 0;
    for (const g of rest) restBytes += utf8Length(g.text) + 2;
    p = { pinned, rest, restBytes, cum: [0], chosen: new Map() };
    prepared.set(ranked, p);
  }
  return p;
}

// A guideline object is immutable within a memory version: measured once, not per verdict.
function cost(g: Guideline, tokens: (text: string) => number): number {
  let c = measured.get(g);
  if (c === undefined) { c = tokens(g.text) + 2; measured.set(g, c); }
  return c;
}

// The largest m ≥ from such that rest[from..m) costs at most `room` tokens.
function fitting(p: Prepared, from: number, room: number, tokens: (text: string) => number): number {
  const { cum, rest } = p;
  const limit = cum[from] + room;
  while (cum.length <= rest.length && cum[cum.length - 1] <= limit) cum.push(cum[cum.length - 1] + cost(rest[cum.length - 1], tokens));
  let lo = from; let hi = Math.min(cum.length - 1, rest.length);
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (cum[mid] <= limit) lo = mid; else hi = mid - 1; }
  return lo;
}

function chosen(p: Prepared, m: number): { guidelines: Guideline[]; dropped: string[] } {
  let c = p.chosen.get(m);
  if (!c) {
    c = { guidelines: Object.freeze([...p.pinned, ...p.rest.slice(0, m)]) as Guideline[], dropped: p.rest.slice(m).map((g) => g.id) };
    if (p.chosen.size >= MAX_CHOSEN) p.chosen.delete(p.chosen.keys().next().value!);
    p.chosen.set(m, c);
  }
  return c;
}

/**
 * Chooses, deterministically, what fits in the working-memory budget. Pinned guidelines always go
 * in and count against the budget. Other guidelines may use the first half of the budget, recalled
 * examples (in recall order, each already cut to its per-example share) the rest, and guidelines
 * then take whatever examples left unused. The guidelines chosen are the pinned ones, then the
 * others in rank order up to the first that does not fit; the same choice returns the same
 * (shared, frozen) array, so what is rendered from it can be reused.
 *
 * @example
 * const sel = selectWorkingMemory(rankGuidelines(gs), recalled, { budget: 6000, tokens: estimateTokens });
 */
export function selectWorkingMemory(
  ranked: Guideline[],
  recalled: { episode: Episode; score: number; text: string; tokens?: number; measure?: () => number }[],
  options: { budget: number; tokens: (text: string) => number },
): Selection {
  const p = prepare(ranked);
  let used = 0;
  for (const g of p.pinned) used += cost(g, options.tokens);
  const pinnedTokens = used;
  // A token covers at least one byte of UTF-8, so when everything fits counted in bytes it fits in
  // tokens, and the rules below would take it all: nothing else needs measuring (counting tokens
  // of examples recalled for the first time was most of a verdict's own time).
  let bound = p.restBytes;
  for (const r of recalled) bound += r.tokens ?? utf8Length(r.text);
  if (used + bound <= options.budget) {
    const all = chosen(p, p.rest.length);
    return { guidelines: all.guidelines, episodes: recalled, droppedGuidelines: [], droppedEpisodes: [], pinnedTokens };
  }
  let m = fitting(p, 0, options.budget / 2 - used, options.tokens);
  used += p.cum[m];
  const episodes: Selection['episodes'] = [];
  const droppedEpisodes: string[] = [];
  for (const r of recalled) {
    const c = r.tokens ?? r.measure?.() ?? options.tokens(r.text);
    if (droppedEpisodes.length === 0 && used + c <= options.budget) { used += c; episodes.push(r); }
    else droppedEpisodes.push(r.episode.id);
  }
  m = fitting(p, m, options.budget - used, options.tokens);
  const c = chosen(p, m);
  return { guidelines: c.guidelines, episodes, droppedGuidelines: c.dropped.slice(), droppedEpisodes, pinnedTokens };
}
