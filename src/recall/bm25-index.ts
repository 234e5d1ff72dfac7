/**
 * BM25 over episode texts with an incremental inverted index (k1 = 1.2, b = 0.75, Lucene's idf).
 * Terms found in over 30 % of documents are skipped at query time: they carry almost no weight
 * and would make every query touch most of the index.
 *
 * @example
 * const bm = new Bm25Index(); bm.upsert('a', 'refund for damaged goods'); bm.topK('damaged refund', 5);
 */
export class Bm25Index {
  private readonly postings = new Map<string, Map<string, number>>();
  private readonly docTerms = new Map<string, Map<string, number>>();
  private readonly docLengths = new Map<string, number>();
  private totalLength = 0;

  get size(): number {
    return this.docTerms.size;
  }

  upsert(id: string, text: string): void {
    this.remove(id);
    const terms = new Map<string, number>();
    const tokens = tokenize(text);
    for (const t of tokens) terms.set(t, (terms.get(t) ?? 0) + 1);
    for (const [t, tf] of terms) {
      let list = this.postings.get(t);
      if (!list) { list = new Map(); this.postings.set(t, list); }
      list.set(id, tf);
    }
    this.docTerms.set(id, terms);
    this.totalLength += tokens.length;
    this.docLengths.set(id, tokens.length);
  }

  remove(id: string): void {
    const terms = this.docTerms.get(id);
    if (!terms) return;
    for (const t of terms.keys()) {
      const list = this.postings.get(t)!;
      list.delete(id);
      if (list.size === 0) this.postings.delete(t);
    }
    this.docTerms.delete(id);
    this.totalLength -= this.docLengths.get(id) ?? 0;
    this.docLengths.delete(id);
  }

  /** The k best-scoring ids for a query, best first; ties broken by id. */
  topK(query: string, k: number): { id: string; score: number }[] {
    const n = this.docTerms.size;
    if (n === 0) return [];
    const avg = this.totalLength / n || 1;
    const docLengths = this.docLengths;
    const scores = new Map<string, number>();
    for (const term of new Set(tokenize(query))) {
      const list = this.postings.get(term);
      if (!list || (n >= 50 && list.size > n * 0.3)) continue;
      const idf = Math.log(1 + (n - list.size + 0.5) / (list.size + 0.5));
      for (const [id, tf] of list) {
        const len = docLengths.get(id) ?? avg;
        const s = idf * (tf * 2.2) / (tf + 1.2 * (0.25 + 0.75 * len / avg));
        scores.set(id, (scores.get(id) ?? 0) + s);
      }
    }
    return [...scores].map(([id, score]) => ({ id, score }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .slice(0, k);
  }
}

/** Lower-case word tokens (letters and digits of any script). */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}
