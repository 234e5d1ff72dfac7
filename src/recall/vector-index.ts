import { TopK } from './top-k.ts';
import { DOT_WASM } from './simd/dot-wasm.ts';
import { encodeRow, restoreRow } from './vector-codes.ts';

const PAGE = 65536;
let compiled: WebAssembly.Module | undefined;

/**
 * Exact cosine search over L2-normalised vectors stored as one contiguous f32 array (rows are
 * slots; removal moves the last row into the gap). Each vector is held as restored from its 8-bit
 * codes (`vector-codes.ts`), so an index built here, saved as codes and opened elsewhere holds
 * exactly the same rows and answers exactly the same. The dot products run in a small WebAssembly
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
  private readonly restore: (codes: number, n: number, dim: number, out: number) => void;
  private view: Float32Array;
  private capacityBytes = 0;
  private ids: string[] = [];
  private slots = new Map<string, number>();
  // Layout in memory (f32 offsets): query at 0, rows from `rowsAt`, scores after the last row.
  private readonly rowsAt: number;

  constructor(dimension: number, capacity = 1024) {
    this.dimension = dimension;
    this.scratch = new Int8Array(dimension);
    this.rowsAt = Math.ceil(dimension / 4) * 4;
    compiled ??= new WebAssembly.Module(Buffer.from(DOT_WASM, 'base64'));
    const instance = new WebAssembly.Instance(compiled);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    if (dimension % 16 === 0) this.dots = instance.exports.dots as VectorIndex['dots'];
    this.restore = instance.exports.restore as VectorIndex['restore'];
    this.view = new Float32Array(this.memory.buffer);
    this.capacityBytes = this.memory.buffer.byteLength;
    this.ensure(capacity);
  }

  get size(): number {
    return this.ids.length;
  }

  private readonly scratch: Int8Array;

  upsert(id: string, vector: Float32Array): void {
    let slot = this.slots.get(id);
    if (slot === undefined) {
      slot = this.ids.length;
      this.ensure(slot + 1);
      this.ids.push(id);
      this.slots.set(id, slot);
    }
    encodeRow(vector, this.scratch, 0, 0, this.dimension);
    restoreRow(this.scratch, 0, this.dimension, this.view, this.rowsAt + slot * this.dimension);
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

  /** The ids in row order (row i of `codes()` is `idsInOrder()[i]`). */
  idsInOrder(): readonly string[] {
    return this.ids;
  }

  /** The rows' 8-bit codes, row-major (`size × dimension`, in `idsInOrder` order): what a saved index holds. */
  codes(): Int8Array {
    const d = this.dimension;
    const out = new Int8Array(this.ids.length * d);
    for (let s = 0; s < this.ids.length; s++) encodeRow(this.view, out, s * d, this.rowsAt + s * d, d);
    return out;
  }

  /**
   * Fills an empty index in bulk from code rows: `chunks` hold, one after another,
   * `ids.length × dimension` codes (row-major; ids distinct), restored one row at a time.
   */
  load(ids: readonly string[], chunks: readonly Int8Array[]): void {
    if (this.ids.length > 0) throw new Error('load: the index is not empty');
    const d = this.dimension;
    const total = chunks.reduce((sum, c) => sum + c.length, 0);
    if (total !== ids.length * d || chunks.some((c) => c.length % d !== 0)) throw new Error(`load: ${total} codes for ${ids.length} rows of ${d}`);
    // Room for the rows, and after them for the largest chunk of codes, restored by the kernel
    // (the same arithmetic as restoreRow, at a few ns per row instead of a cold JS loop's 2 µs).
    const largest = chunks.reduce((m, c) => Math.max(m, c.length), 0);
    this.ensure(ids.length, largest);
    for (let i = 0; i < ids.length; i++) this.slots.set(ids[i], i);
    if (this.slots.size !== ids.length) { this.slots.clear(); throw new Error('load: ids must be distinct'); }
    this.ids = ids.slice();
    const scratch = this.capacityBytes - largest;
    let row = 0;
    for (const c of chunks) {
      new Int8Array(this.memory.buffer, scratch, c.length).set(c);
      // Short calls: WebAssembly has no on-stack replacement, so a call that began in the baseline
      // compiler stays there; the next ones run the optimised code.
      const rows = c.length / d;
      for (let r = 0; r < rows; r += 1024) this.restore(scratch + r * d, Math.min(1024, rows - r), d, (this.rowsAt + (row + r) * d) * 4);
      row += rows;
    }
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

  // Makes room for `rows` rows (plus the query, a score per row and `extraBytes` at the end of the
  // memory); views are renewed after growth.
  private ensure(rows: number, extraBytes = 0): void {
    const bytes = (this.rowsAt + rows * this.dimension + rows + 16) * 4 + extraBytes;
    if (bytes <= this.capacityBytes) return;
    const target = Math.max(bytes, this.capacityBytes * 1.5);
    this.memory.grow(Math.ceil((target - this.capacityBytes) / PAGE));
    this.view = new Float32Array(this.memory.buffer);
    this.capacityBytes = this.memory.buffer.byteLength;
  }
}
