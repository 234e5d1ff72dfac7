import { TopK } from './top-k.ts';
import { DOT_WASM } from './simd/dot-wasm.ts';
import { encodeRow, restoreRow } from './vector-codes.ts';

const PAGE = 65536;
let compiled: WebAssembly.Module | undefined;

/**
 * Exact cosine search over vectors held as 8-bit codes (`vector-codes.ts`) in one contiguous
 * array (rows are slots; removal moves the last row into the gap). A score is the cosine of the
 * query's codes and a row's codes: an exact integer dot product (a small WebAssembly SIMD kernel,
 * `simd/dot.wat`, over rows that live in its memory, so nothing is copied per query) times both
 * inverse norms (two rows per pass against the query widened to 16 bits). An index built here, saved as codes and opened elsewhere holds the same bytes
 * and answers exactly the same; against full precision a cosine moves by about 0.01 at most, and
 * the rows take a quarter of the memory f32 would. Dimensions that are not a multiple of 16 use a
 * plain loop.
 *
 * @example
 * const v = new VectorIndex(256); v.upsert('a', vec); v.topK(query, 5);
 */
export class VectorIndex {
  readonly dimension: number;
  private readonly memory: WebAssembly.Memory;
  private readonly dots?: (rows: number, query: number, n: number, dim: number, out: number) => void;
  private readonly selfdots?: (rows: number, n: number, dim: number, out: number) => void;
  private bytes: Int8Array;
  private ints: Int32Array;
  private shorts: Int16Array;
  private capacityBytes = 0;
  private ids: string[] = [];
  private slots = new Map<string, number>();
  /** 1 / norm of each row's codes (0 for an all-zero row), by slot. */
  private inverse = new Float64Array(1024);
  // Layout in memory (bytes): the query's codes widened to i16 at 0, rows from `rowsAt`, i32 scores after the rows.
  private readonly rowsAt: number;
  private readonly scratch: Int8Array;

  constructor(dimension: number, capacity = 1024) {
    this.dimension = dimension;
    this.scratch = new Int8Array(dimension);
    this.rowsAt = Math.ceil(dimension / 16) * 32;
    compiled ??= new WebAssembly.Module(Buffer.from(DOT_WASM, 'base64'));
    const instance = new WebAssembly.Instance(compiled);
    this.memory = instance.exports.memory as WebAssembly.Memory;
    if (dimension % 16 === 0) {
      this.dots = instance.exports.dots as VectorIndex['dots'];
      this.selfdots = instance.exports.selfdots as VectorIndex['selfdots'];
    }
    this.bytes = new Int8Array(this.memory.buffer);
    this.ints = new Int32Array(this.memory.buffer);
    this.shorts = new Int16Array(this.memory.buffer, 0, dimension);
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
    const at = this.rowsAt + slot * this.dimension;
    encodeRow(vector, this.bytes, at, 0, this.dimension);
    this.inverse[slot] = inverseNorm(this.bytes, at, this.dimension);
  }

  remove(id: string): void {
    const slot = this.slots.get(id);
    if (slot === undefined) return;
    const last = this.ids.length - 1;
    if (slot !== last) {
      const d = this.dimension;
      this.bytes.copyWithin(this.rowsAt + slot * d, this.rowsAt + last * d, this.rowsAt + last * d + d);
      this.inverse[slot] = this.inverse[last];
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
    this.ensure(n);
    const scoresAt = this.scoresAt(n);
    const bytes = this.bytes;
    const codes = this.scratch;
    encodeRow(query, codes, 0, 0, d);
    const q = inverseNorm(codes, 0, d);
    const ints = this.ints;
    const s0 = scoresAt / 4;
    if (this.dots) {
      this.shorts.set(codes);
      this.dots(this.rowsAt, 0, n, d, scoresAt);
    } else {
      for (let s = 0; s < n; s++) ints[s0 + s] = dotCodes(bytes, this.rowsAt + s * d, codes, 0, d);
    }
    const top = new TopK(k);
    const inverse = this.inverse;
    for (let s = 0; s < n; s++) {
      const score = ints[s0 + s] * inverse[s] * q;
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
    return this.bytes.slice(this.rowsAt, this.rowsAt + this.ids.length * this.dimension);
  }

  /**
   * Fills an empty index in bulk from code rows: `chunks` hold, one after another,
   * `ids.length × dimension` codes (row-major; ids distinct), copied as they are.
   */
  load(ids: readonly string[], chunks: readonly Int8Array[]): void {
    if (this.ids.length > 0) throw new Error('load: the index is not empty');
    const d = this.dimension;
    const total = chunks.reduce((sum, c) => sum + c.length, 0);
    if (total !== ids.length * d) throw new Error(`load: ${total} codes for ${ids.length} rows of ${d}`);
    this.ensure(ids.length);
    for (let i = 0; i < ids.length; i++) this.slots.set(ids[i], i);
    if (this.slots.size !== ids.length) { this.slots.clear(); throw new Error('load: ids must be distinct'); }
    this.ids = ids.slice();
    let at = this.rowsAt;
    for (const c of chunks) { this.bytes.set(c, at); at += c.length; }
    // Each row's norm, by the kernel (rows against themselves) where it runs.
    const n = ids.length;
    const scoresAt = this.scoresAt(n);
    if (this.selfdots) {
      this.selfdots(this.rowsAt, n, d, scoresAt);
      const ints = this.ints;
      const s0 = scoresAt / 4;
      for (let s = 0; s < n; s++) this.inverse[s] = ints[s0 + s] > 0 ? 1 / Math.sqrt(ints[s0 + s]) : 0;
    } else {
      for (let s = 0; s < n; s++) this.inverse[s] = inverseNorm(this.bytes, this.rowsAt + s * d, d);
    }
  }

  /** The vector a row stands for (its codes, L2-normalised): a copy. */
  vectorOf(id: string): Float32Array | undefined {
    const slot = this.slots.get(id);
    if (slot === undefined) return undefined;
    const out = new Float32Array(this.dimension);
    restoreRow(this.bytes, this.rowsAt + slot * this.dimension, this.dimension, out, 0);
    return out;
  }

  /** Cosine similarity of a stored vector and a query, as `topK` scores it. */
  similarity(id: string, query: Float32Array): number {
    const slot = this.slots.get(id);
    if (slot === undefined) return 0;
    const d = this.dimension;
    encodeRow(query, this.scratch, 0, 0, d);
    return dotCodes(this.bytes, this.rowsAt + slot * d, this.scratch, 0, d) * this.inverse[slot] * inverseNorm(this.scratch, 0, d);
  }

  /** Cosine similarity of two stored vectors. */
  pairSimilarity(a: string, b: string): number {
    const sa = this.slots.get(a);
    const sb = this.slots.get(b);
    if (sa === undefined || sb === undefined) return 0;
    const d = this.dimension;
    return dotCodes(this.bytes, this.rowsAt + sa * d, this.bytes, this.rowsAt + sb * d, d) * this.inverse[sa] * this.inverse[sb];
  }

  // Where the i32 scores of `rows` rows go: after the rows, 4-byte aligned.
  private scoresAt(rows: number): number {
    return Math.ceil((this.rowsAt + rows * this.dimension) / 4) * 4;
  }

  // Makes room for `rows` rows (plus the query and a score per row); views are renewed after growth.
  private ensure(rows: number): void {
    if (rows > this.inverse.length) {
      const grown = new Float64Array(Math.max(rows, this.inverse.length * 2));
      grown.set(this.inverse);
      this.inverse = grown;
    }
    const bytes = this.scoresAt(rows) + rows * 4 + 64;
    if (bytes <= this.capacityBytes) return;
    const target = Math.max(bytes, this.capacityBytes * 1.5);
    this.memory.grow(Math.ceil((target - this.capacityBytes) / PAGE));
    this.bytes = new Int8Array(this.memory.buffer);
    this.ints = new Int32Array(this.memory.buffer);
    this.shorts = new Int16Array(this.memory.buffer, 0, this.dimension);
    this.capacityBytes = this.memory.buffer.byteLength;
  }
}

function dotCodes(a: Int8Array, at: number, b: Int8Array, bt: number, d: number): number {
  let dot = 0;
  for (let j = 0; j < d; j++) dot += a[at + j] * b[bt + j];
  return dot;
}

function inverseNorm(codes: Int8Array, at: number, d: number): number {
  const sum = dotCodes(codes, at, codes, at, d);
  return sum > 0 ? 1 / Math.sqrt(sum) : 0;
}
