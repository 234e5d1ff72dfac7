/**
 * Exact cosine search over L2-normalised vectors kept in one contiguous Float32Array (rows are
 * slots; removal swaps the last row in), with a bounded min-heap for top-k instead of a full sort.
 *
 * @example
 * const v = new VectorIndex(256); v.upsert('a', vec); v.topK(query, 5);
 */
export class VectorIndex {
  readonly dimension: number;
  private data: Float32Array;
  private ids: string[] = [];
  private slots = new Map<string, number>();

  constructor(dimension: number, capacity = 1024) {
    this.dimension = dimension;
    this.data = new Float32Array(dimension * capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  upsert(id: string, vector: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      if ((slot + 1) * this.dimension > this.data.length) {
        const grown = new Float32Array(this.data.length * 2);
        grown.set(this.data);
        this.data = grown;
      }
      this.ids.push(id);
      this.slots.set(id, slot);
    }
    this.data.set(vector, slot * this.dimension);
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const d = this.dimension;
      this.data.copyWithin(slot * d, last * d, last * d + d);
      this.ids[slot] = this.ids[last];
      this.slots.set(this.ids[slot], slot);
    }
    this.ids.pop();
    this.slots.delete(id);
  }

  /** The k most similar ids, best first; ties broken by id. */
  topK(query: Float32Array, k: number): { id: string; score: number }[] {
    const d = this.dimension;
    const n = this.ids.length;
    const data = this.data;
    const heapScores = new Float64Array(k);
    const heapSlots = new Int32Array(k);
    let size = 0;
    for (let s = 0; s < n; s++) {
      let dot = 0;
      const base = s * d;
      for (let j = 0; j < d; j++) dot += data[base + j] * query[j];
      if (size < k) {
        heapScores[size] = dot;
        heapSlots[size] = s;
        size += 1;
        siftUp(heapScores, heapSlots, size - 1, this.ids);
      } else if (better(dot, s, heapScores[0], heapSlots[0], this.ids)) {
        heapScores[0] = dot;
        heapSlots[0] = s;
        siftDown(heapScores, heapSlots, size, this.ids);
      }
    }
    const out: { id: string; score: number }[] = [];
    for (let i = 0; i < size; i++) out.push({ id: this.ids[heapSlots[i]], score: heapScores[i] });
    return out.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Cosine similarity of a stored vector and a query. */
  similarity(id: string, query: Float32Array): number {
    const slot = this.slots.get(id);
    if (slot === undefined) return 0;
    let dot = 0;
    const base = slot * this.dimension;
    for (let j = 0; j < this.dimension; j++) dot += this.data[base + j] * query[j];
    return dot;
  }

  /** Cosine similarity of two stored vectors. */
  pairSimilarity(a: string, b: string): number {
    const sa = this.slots.get(a);
    const sb = this.slots.get(b);
    if (sa === undefined || sb === undefined) return 0;
    let dot = 0;
    for (let j = 0; j < this.dimension; j++) dot += this.data[sa * this.dimension + j] * this.data[sb * this.dimension + j];
    return dot;
  }
}

// Heap order: the root is the worst kept candidate (lowest score; on ties, the larger id).
function better(score: number, slot: number, otherScore: number, otherSlot: number, ids: string[]): boolean {
  return score > otherScore || (score === otherScore && ids[slot] < ids[otherSlot]);
}

function siftUp(scores: Float64Array, slots: Int32Array, i: number, ids: string[]): void {
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (!better(scores[p], slots[p], scores[i], slots[i], ids)) break;
    swap(scores, slots, i, p);
    i = p;
  }
}

function siftDown(scores: Float64Array, slots: Int32Array, n: number, ids: string[]): void {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    const r = l + 1;
    let worst = i;
    if (l < n && better(scores[worst], slots[worst], scores[l], slots[l], ids)) worst = l;
    if (r < n && better(scores[worst], slots[worst], scores[r], slots[r], ids)) worst = r;
    if (worst === i) return;
    swap(scores, slots, i, worst);
    i = worst;
  }
}

function swap(scores: Float64Array, slots: Int32Array, a: number, b: number): void {
  const s = scores[a]; scores[a] = scores[b]; scores[b] = s;
  const t = slots[a]; slots[a] = slots[b]; slots[b] = t;
}
