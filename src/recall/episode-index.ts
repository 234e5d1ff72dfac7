import { VectorIndex } from './vector-index.ts';
import { Bm25Index, type Bm25Arrays } from './bm25-index.ts';
import { fuseByRank } from './fuse.ts';
import { selectDiverse } from './select.ts';

/** An episode as the index sees it. `label` lets recall balance verdicts among the k examples. */
export interface IndexedEpisode { id: string; text: string; vector: Float32Array; label?: string }

/**
 * An index in flat form: ids in row order, their labels, the vector rows (row-major, possibly in
 * several consecutive chunks) and the lexical index. `EpisodeIndex.export` makes one and
 * `EpisodeIndex.load` opens one without embedding or tokenizing anything.
 */
export interface IndexArrays {
  dimension: number;
  embedderId: string;
  ids: readonly string[];
  labels: readonly (string | undefined)[];
  /** The rows' 8-bit codes (`vector-codes.ts`), row-major, in `ids` order, in one or more chunks. */
  vectors: readonly Int8Array[];
  lexical: Bm25Arrays;
}

export interface RecallOptions {
  k: number;
  /** Minimum cosine similarity of a recalled episode (hybrid/vector modes); 0 = none. */
  floor?: number;
  /** Maximal-marginal-relevance trade-off: 1 = pure relevance, lower = more diverse. */
  mmrLambda?: number;
  /** Spread the k examples over the labels when candidates allow. */
  balanceLabels?: boolean;
  mode?: 'hybrid' | 'vector' | 'bm25';
}

/**
 * A recalled episode. `score` is the fused relevance in (0, 1] (reciprocal-rank fusion, scaled so
 * that first place in both lists is 1); `vectorScore` is the cosine similarity, `bm25Score` the raw BM25.
 */
export interface RecallHit { id: string; score: number; vectorScore: number | null; bm25Score: number | null }

/**
 * The lexical half of a search, done ahead (`EpisodeIndex.lexical`) while the query's vector is
 * still being embedded. `search` uses it only on the index state it was computed on.
 */
export interface LexicalHits { readonly owner: EpisodeIndex; readonly revision: number; readonly text: string; readonly pool: number; readonly hits: { id: string; score: number }[] }

/**
 * Hybrid episodic recall: exact cosine over a contiguous vector array plus BM25, fused by
 * reciprocal rank. Both indexes update incrementally; search is deterministic (ties by id).
 *
 * @example
 * const index = EpisodeIndex.build(episodes, { dimension: 256, embedderId: 'hashed:v1:256' });
 * const hits = index.search({ text, vector }, { k: 5 });
 */
export class EpisodeIndex {
  readonly dimension: number;
  readonly embedderId: string;
  private readonly vectors: VectorIndex;
  private bm25 = new Bm25Index();
  private readonly labels = new Map<string, string | undefined>();
  /** Counts changes, so work done ahead on an earlier state is never used on a later one. */
  private revision = 0;

  constructor(options: { dimension: number; embedderId: string; capacity?: number }) {
    this.dimension = options.dimension;
    this.embedderId = options.embedderId;
    this.vectors = new VectorIndex(options.dimension, options.capacity);
  }

  /** Builds an index from many episodes at once (loading from a store), sized up front. */
  static build(items: IndexedEpisode[], options: { dimension: number; embedderId: string }): EpisodeIndex {
    const index = new EpisodeIndex({ ...options, capacity: Math.max(1024, items.length) });
    index.add(items);
    return index;
  }

  /** Opens an index from its flat form (see `export`); throws when the parts do not fit together. */
  static load(arrays: IndexArrays): EpisodeIndex {
    const { ids, labels } = arrays;
    if (labels.length !== ids.length) throw new Error(`index arrays: ${labels.length} labels for ${ids.length} ids`);
    const index = new EpisodeIndex({ dimension: arrays.dimension, embedderId: arrays.embedderId, capacity: Math.max(1024, ids.length) });
    index.vectors.load(ids, arrays.vectors);
    index.bm25 = Bm25Index.from(ids, arrays.lexical);
    for (let i = 0; i < ids.length; i++) index.labels.set(ids[i], labels[i]);
    return index;
  }

  /** The index in flat form (a copy: later changes to the index do not reach it). */
  export(): IndexArrays {
    const ids = this.vectors.idsInOrder().slice();
    // The rows are copied: the index may change (or its memory grow) while a store writes them.
    return {
      dimension: this.dimension, embedderId: this.embedderId, ids,
      labels: ids.map((id) => this.labels.get(id)),
      vectors: [this.vectors.codes()],
      lexical: this.bm25.export(ids),
    };
  }

  /** The indexed ids, in row order. */
  ids(): readonly string[] {
    return this.vectors.idsInOrder();
  }

  /** Whether an episode is in the index. */
  has(id: string): boolean {
    return this.labels.has(id);
  }

  get size(): number {
    return this.vectors.size;
  }

  /** Adds or replaces episodes by id. */
  add(items: IndexedEpisode[]): void {
    this.revision += 1;
    for (const item of items) {
      if (item.vector.length !== this.dimension) {
        throw new Error(`Episode ${item.id} has a ${item.vector.length}-d vector; this index holds ${this.dimension}-d vectors of ${this.embedderId}.`);
      }
      this.vectors.upsert(item.id, item.vector);
      this.bm25.upsert(item.id, item.text);
      this.labels.set(item.id, item.label);
    }
  }

  /** A copy of an episode's stored vector (undefined when absent). */
  vectorOf(id: string): Float32Array | undefined {
    return this.vectors.vectorOf(id);
  }

  remove(ids: string[]): void {
    this.revision += 1;
    for (const id of ids) {
      this.vectors.remove(id);
      this.bm25.remove(id);
      this.labels.delete(id);
    }
  }

  /**
   * The lexical candidates of a search for `k` examples, computed now: a judge does this while
   * the query's vector is on its way, and passes it to `search` as `query.lexical`.
   */
  lexical(text: string, k: number): LexicalHits {
    const pool = poolFor(k);
    return { owner: this, revision: this.revision, text, pool, hits: this.bm25.topK(text, pool) };
  }

  search(query: { text: string; vector: Float32Array | null; lexical?: LexicalHits }, options: RecallOptions): RecallHit[] {
    if (options.k <= 0 || this.size === 0) return [];
    const mode = options.mode ?? (query.vector ? 'hybrid' : 'bm25');
    const pool = poolFor(options.k);
    const byVector = mode !== 'bm25' && query.vector ? this.vectors.topK(query.vector, pool) : [];
    const ahead = query.lexical;
    const fresh = ahead && ahead.owner === this && ahead.revision === this.revision && ahead.text === query.text && ahead.pool === pool;
    const byText = mode === 'vector' ? [] : fresh ? ahead.hits : this.bm25.topK(query.text, pool);
    let fused = fuseByRank(byVector, byText);
    if (query.vector && (options.floor ?? 0) > 0) {
      const floor = options.floor!;
      fused = fused.filter((h) => (h.vectorScore ?? this.vectors.similarity(h.id, query.vector!)) >= floor);
    }
    const lambda = options.mmrLambda ?? 1;
    if (lambda >= 1 && !options.balanceLabels) return fused.slice(0, options.k);
    return selectDiverse(fused, {
      k: options.k, lambda, balanceLabels: options.balanceLabels ?? false,
      labelOf: (id) => this.labels.get(id), similarity: (a, b) => this.vectors.pairSimilarity(a, b),
    });
  }
}

// Candidates each list offers to the fusion.
function poolFor(k: number): number {
  return Math.max(k * 4, 20);
}
