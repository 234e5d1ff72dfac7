import { TopK } from './top-k.ts';
import { DOT_WASM } from './simd/dot-wasm.ts';

const PAGE = 65536;
let compiled: WebAssembly.Module | undefined;

/**
 * Exact cosine search over L2-normalised vectors stored as one contiguous f32 array (rows are
 * slots; removal moves the last row into the gap). The dot products run in a small WebAssembly
 * SIMD kernel (4 lanes × 4 accumulators, `simd/dot.wat`) over vectors that live in its memory, so
 * nothing is copied per query; dimensions that are not a multiple of 16 use a plain loop.
 *
 * @example
 * const v = new VectorIndex(256); v.upsert('a', vec); v.topK(query, 5);
 */
export class VectorIndex {
  readonly dimension: number;
  private readonly memory: WebAssembly.Memory;
  private readonly dots?: (rows: number, query: number, n: number, dim: number, out: number) => void;
  private view: Float32Array;
  private capacityBytes = 0;
  private ids: string[] = [];
  private slots = new Map<string, number>();
  // Layout in memory (f32 offsets): query at 0, rows from `rowsAt`, scores after the last row.
  private readonly rowsAt: number;

  constructor(dimension: number, capacity = 1024) {
    this.dimension = dimension;
    this.rowsAt = Math.ceil(dimension / 4) * 4;
    compiled ??= new WebAssembly.Module(Buffer.from(DOT_WASM, 'base64'));
    const instance = new WebAssembly.Instance(compiled);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    if (dimension % 16 === 0) this.dots = instance.exports.dots as VectorIndex['dots'];
    this.view = new Float32Array(this.memory.buffer);
    this.capacityBytes = this.memory.buffer.byteLength;
    this.ensure(capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  upsert(id: string, vector: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.ensure(slot + 1);
      this.ids.push(id);
      this.slots.set(id, slot);
    }
    this.view.set(vector, this.rowsAt + slot * this.dimension);
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const d = this.dimension;
      this.view.copyWithin(this.rowsAt + slot * d, this.rowsAt + last * d, this.rowsAt + last * d + d);
      this.ids[slot] = this.ids[last];
      this.slots.set(this.ids[slot], slot);
    }
    this.ids.pop();
    this.slots.delete(id);
  }

  /** The k most similar ids, best first; ties broken by id. */
  topK(query: Float32Array, k: number): { id: string; score: number }[] {
    const n = this.ids.length;
    const d = this.dimension;
    const scoresAt = this.rowsAt + n * d;
    this.ensure(n);
    const view = this.view;
    view.set(query, 0);
    if (this.dots) {
      this.dots(this.rowsAt * 4, 0, n, d, scoresAt * 4);
    } else {
      for (let s = 0; s < n; s++) {
        let dot = 0;
        const base = this.rowsAt + s * d;
        for (let j = 0; j < d; j++) dot += view[base + j] * view[j];
        view[scoresAt + s] = dot;
      }
    }
    const top = new TopK(k);
    for (let s = 0; s < n; s++) {
      const score = view[scoresAt + s];
      if (top.admits(score)) top.offer(score, this.ids[s]);
    }
    return top.sorted();
  }

  /** The ids in row order (row i of `rows()` is `ids()[i]`). */
  idsInOrder(): readonly string[] {
    return this.ids;
  }

  /**
   * The stored rows as one contiguous view (row-major, `size × dimension`), valid until the next
   * change: what a persisted snapshot writes, without copying.
   */
  rows(): Float32Array {
    return this.view.subarray(this.rowsAt, this.rowsAt + this.ids.length * this.dimension);
  }

  /**
   * Fills an empty index in bulk: `chunks` hold, one after another, `ids.length × dimension` floats
   * (row-major; ids distinct), copied in one pass each.
   */
  load(ids: readonly string[], chunks: readonly Float32Array[]): void {
    if (this.ids.length > 0) throw new Error('load: the index is not empty');
    const floats = chunks.reduce((sum, c) => sum + c.length, 0);
    if (floats !== ids.length * this.dimension) throw new Error(`load: ${floats} floats for ${ids.length} rows of ${this.dimension}`);
    this.ensure(ids.length);
    for (let i = 0; i < ids.length; i++) this.slots.set(ids[i], i);
    if (this.slots.size !== ids.length) { this.slots.clear(); throw new Error('load: ids must be distinct'); }
    this.ids = ids.slice();
    let at = this.rowsAt;
    for (const c of chunks) { this.view.set(c, at); at += c.length; }
  }

  /** A copy of a stored vector. */
  vectorOf(id: string): Float32Array | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    const start = this.rowsAt + slot * this.dimension;
    return this.view.slice(start, start + this.dimension);
  }

  /** Cosine similarity of a stored vector and a query. */
  similarity(id: string, query: Float32Array): number {
    const slot = this.slots.get(id);
    if (slot === undefined) return 0;
    let dot = 0;
    const base = this.rowsAt + slot * this.dimension;
    for (let j = 0; j < this.dimension; j++) dot += this.view[base + j] * query[j];
    return dot;
  }

  /** Cosine similarity of two stored vectors. */
  pairSimilarity(a: string, b: string): number {
    const sa = this.slots.get(a);
    const sb = this.slots.get(b);
    if (sa === undefined || sb === undefined) return 0;
    const d = this.dimension;
    let dot = 0;
    for (let j = 0; j < d; j++) dot += this.view[this.rowsAt + sa * d + j] * this.view[this.rowsAt + sb * d + j];
    return dot;
  }

  // Makes room for `rows` rows (plus the query and a score per row); views are renewed after growth.
  private ensure(rows: number): void {
    const bytes = (this.rowsAt + rows * this.dimension + rows + 16) * 4;
    if (bytes <= this.capacityBytes) return;
    const target = Math.max(bytes, this.capacityBytes * 1.5);
    this.memory.grow(Math.ceil((target - this.capacityBytes) / PAGE));
    this.view = new Float32Array(this.memory.buffer);
    this.capacityBytes = this.memory.buffer.byteLength;
  }
}
