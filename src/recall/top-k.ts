/**
 * Keeps the k best (score, id) pairs seen, in a bounded min-heap: O(n log k) instead of sorting
 * everything. Order: higher score first, then smaller id, so results are deterministic.
 *
 * @example
 * const top = new TopK(2); top.offer(0.5, 'a'); top.offer(0.9, 'b'); top.offer(0.1, 'c'); top.sorted(); // b, a
 */
export class TopK {
  private readonly k: number;
  private readonly scores: number[] = [];
  private readonly ids: string[] = [];

  constructor(k: number) {
    this.k = k;
  }

  /** True when a candidate would enter the heap (cheap pre-check for hot loops). */
  admits(score: number): boolean {
    return this.scores.length < this.k || score >= this.scores[0];
  }

  offer(score: number, id: string): void {
    const s = this.scores;
    if (s.length < this.k) {
      s.push(score);
      this.ids.push(id);
      this.up(s.length - 1);
    } else if (this.k > 0 && worse(s[0], this.ids[0], score, id)) {
      s[0] = score;
      this.ids[0] = id;
      this.down();
    }
  }

  sorted(): { id: string; score: number }[] {
    return this.ids.map((id, i) => ({ id, score: this.scores[i] }))
      .sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!worse(this.scores[i], this.ids[i], this.scores[p], this.ids[p])) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(): void {
    const n = this.scores.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let w = i;
      if (l < n && worse(this.scores[l], this.ids[l], this.scores[w], this.ids[w])) w = l;
      if (r < n && worse(this.scores[r], this.ids[r], this.scores[w], this.ids[w])) w = r;
      if (w === i) return;
      this.swap(i, w);
      i = w;
    }
  }

  private swap(a: number, b: number): void {
    [this.scores[a], this.scores[b]] = [this.scores[b], this.scores[a]];
    [this.ids[a], this.ids[b]] = [this.ids[b], this.ids[a]];
  }
}

// a ranks below b: lower score, or equal score and larger id.
function worse(aScore: number, aId: string, bScore: number, bId: string): boolean {
  return aScore < bScore || (aScore === bScore && aId > bId);
}
