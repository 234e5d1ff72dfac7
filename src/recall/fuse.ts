import type { RecallHit } from './episode-index.ts';

/** Reciprocal-rank-fusion constant (the usual 60). */
const K = 60;

/**
 * Fuses ranked lists by reciprocal rank: score = Σ 1/(60 + rank), scaled so that first place in
 * both lists scores 1. A hit found by one list only still competes. Ties go to the smaller id.
 *
 * @example
 * fuseByRank([{ id: 'a', score: 0.9 }], [{ id: 'b', score: 7.1 }]); // a and b, each 0.5
 */
export function fuseByRank(byVector: { id: string; score: number }[], byText: { id: string; score: number }[]): RecallHit[] {
  const lists = [byVector, byText].filter((l) => l.length > 0);
  const best = lists.length / (K + 1);
  const hits = new Map<string, RecallHit & { raw: number }>();
  const touch = (id: string) => {
    let h = hits.get(id);
    if (!h) { h = { id, score: 0, vectorScore: null, bm25Score: null, raw: 0 }; hits.set(id, h); }
    return h;
  };
  byVector.forEach((r, i) => { const h = touch(r.id); h.raw += 1 / (K + i + 1); h.vectorScore = r.score; });
  byText.forEach((r, i) => { const h = touch(r.id); h.raw += 1 / (K + i + 1); h.bm25Score = r.score; });
  return [...hits.values()]
    .map(({ raw, ...h }) => ({ ...h, score: best > 0 ? raw / best : 0 }))
    .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
