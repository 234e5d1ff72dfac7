import { TopK } from './top-k.ts';

/**
 * BM25 over episode texts (k1 = 1.2, b = 0.75, Lucene's idf) with an incremental inverted index
 * kept in typed arrays: documents are numbered slots, each term's postings are parallel arrays of
 * slots and term frequencies, and a query accumulates into one Float32Array. Terms found in over
 * 30 % of documents are skipped at query time: they weigh almost nothing and would make every
 * query touch most of the index.
 *
 * @example
 * const bm = new Bm25Index(); bm.upsert('a', 'refund for damaged goods'); bm.topK('damaged refund', 5);
 */
export class Bm25Index {
  private readonly termIds = new Map<string, number>();
  private postings: Posting[] = [];
  private readonly slots = new Map<string, number>();
  private ids: (string | undefined)[] = [];
  private docTerms: (number[] | undefined)[] = [];
  private lengths = new Float32Array(1024);
  private free: number[] = [];
  private totalLength = 0;
  private scores = new Float32Array(1024);
  private tf = new Uint32Array(1024);

  get size(): number {
    return this.slots.size;
  }

  upsert(id: string, text: string): void {
    this.remove(id);
    // Count term frequencies with reusable per-term scratch arrays: no Map per document.
    const unique: number[] = [];
    const tokens = tokenize(text);
    for (const t of tokens) {
      let tid = this.termIds.get(t);
      if (tid === undefined) { tid = this.postings.length; this.termIds.set(t, tid); this.postings.push(new Posting()); }
      if (tid >= this.tf.length) this.growScratch(tid);
      if (this.tf[tid] === 0) unique.push(tid);
      this.tf[tid] += 1;
    }
    const length = tokens.length;
    const slot = this.free.pop() ?? this.ids.length;
    if (slot === this.ids.length) { this.ids.push(undefined); this.docTerms.push(undefined); }
    if (slot >= this.lengths.length) {
      const grown = new Float32Array(this.lengths.length * 2);
      grown.set(this.lengths);
      this.lengths = grown;
      this.scores = new Float32Array(grown.length);
    }
    this.ids[slot] = id;
    this.slots.set(id, slot);
    for (const tid of unique) { this.postings[tid].add(slot, this.tf[tid]); this.tf[tid] = 0; }
    this.docTerms[slot] = unique;
    this.lengths[slot] = length;
    this.totalLength += length;
  }

  private growScratch(tid: number): void {
    const grown = new Uint32Array(Math.max(tid + 1, this.tf.length * 2));
    grown.set(this.tf);
    this.tf = grown;
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    for (const tid of this.docTerms[slot]!) this.postings[tid].remove(slot);
    this.totalLength -= this.lengths[slot];
    this.lengths[slot] = 0;
    this.docTerms[slot] = undefined;
    this.ids[slot] = undefined;
    this.slots.delete(id);
    this.free.push(slot);
  }

  /** The k best-scoring ids for a query, best first; ties broken by id. */
  topK(query: string, k: number): { id: string; score: number }[] {
    const n = this.slots.size;
    if (n === 0 || k <= 0) return [];
    const avg = this.totalLength / n || 1;
    const scores = this.scores;
    const touched: number[] = [];
    for (const term of new Set(tokenize(query))) {
      const tid = this.termIds.get(term);
      if (tid === undefined) continue;
      const p = this.postings[tid];
      if (p.size === 0 || (n >= 50 && p.size > n * 0.3)) continue;
      const idf = Math.log(1 + (n - p.size + 0.5) / (p.size + 0.5));
      const docs = p.docs;
      const tfs = p.tfs;
      for (let i = 0; i < p.size; i++) {
        const slot = docs[i];
        const tf = tfs[i];
        if (scores[slot] === 0) touched.push(slot);
        scores[slot] += idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * this.lengths[slot] / avg));
      }
    }
    const top = new TopK(k);
    for (const slot of touched) {
      top.offer(scores[slot], this.ids[slot]!);
      scores[slot] = 0;
    }
    return top.sorted();
  }
}

/** One term's postings: parallel arrays of document slots and term frequencies (small integers). */
class Posting {
  docs: number[] = [];
  tfs: number[] = [];
  get size(): number {
    return this.docs.length;
  }

  add(slot: number, tf: number): void {
    this.docs.push(slot);
    this.tfs.push(tf);
  }

  remove(slot: number): void {
    const i = this.docs.indexOf(slot);
    if (i < 0) return;
    const last = this.docs.length - 1;
    this.docs[i] = this.docs[last];
    this.tfs[i] = this.tfs[last];
    this.docs.pop();
    this.tfs.pop();
  }
}

/** Lower-case word tokens (letters and digits of any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
