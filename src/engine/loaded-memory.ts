import type { Episode } from '../core/types.ts';
import { applyToState, type MemoryOperation, type MemoryState } from '../core/memory/operations.ts';
import type { MemoryStore, StoredVector } from '../store/memory-store.ts';
import type { Embedder } from '../embed/embedder.ts';
import { EpisodeIndex, type IndexedEpisode } from '../recall/episode-index.ts';

/** Something memalign reports while it works (progress bars, warnings). */
export type MemalignEvent =
  | { type: 'reembed'; judge: string; count: number; from: string[]; to: string }
  /** An align is about to make `total` model calls, `parallelism` at a time. */
  | { type: 'tasks'; judge: string; total: number; parallelism: number }
  /** One of them finished, after `ms`. */
  | { type: 'task'; judge: string; done: number; total: number; ms: number }
  | { type: 'embed'; judge: string; count: number }
  | { type: 'warning'; judge: string; message: string };

/**
 * A judge's memory held in process: the state, and the recall index kept in step with it
 * incrementally. Reloads from the store only when another writer moved the version on.
 *
 * @example
 * const memory = new LoadedMemory('correctness', store, embedder, onEvent);
 * await memory.refresh();
 */
export class LoadedMemory {
  state: MemoryState | undefined;
  index: EpisodeIndex | undefined;
  private readonly judge: string;
  private readonly store: MemoryStore;
  private readonly embedder: Embedder;
  private readonly onEvent: (e: MemalignEvent) => void;

  constructor(judge: string, store: MemoryStore, embedder: Embedder, onEvent: (e: MemalignEvent) => void) {
    this.judge = judge;
    this.store = store;
    this.embedder = embedder;
    this.onEvent = onEvent;
  }

  /** Loads (or reloads when the stored version moved on) and returns the current state. */
  async refresh(): Promise<MemoryState> {
    if (this.state && (await this.storedVersion()) === this.state.version) return this.state;
    const { state, vectors } = await this.store.load(this.judge);
    const stale = [...state.episodes.values()].filter((e) => vectors.get(e.id)?.embedderId !== this.embedder.id);
    if (stale.length > 0) await this.reembed(stale, vectors);
    // Labels come from the store's column: building the index must not parse every episode.
    const index = EpisodeIndex.build([...state.episodes.values()].map((e) => ({ id: e.id, text: e.text, vector: vectors.get(e.id)!.vector, label: vectors.get(e.id)?.label })),
      { dimension: this.embedder.dimension, embedderId: this.embedder.id });
    // A commit of this instance may have landed while the load ran: never step back to an older version.
    if (this.state && this.state.version > state.version) return this.state;
    this.state = state;
    this.index = index;
    return state;
  }

  /**
   * The state and its recall index as one pair, taken synchronously. They always belong to the
   * same version: every change replaces or updates both without yielding in between, so a verdict
   * that recalls and assembles its prompt from one snapshot (synchronously) sees one whole version.
   */
  snapshot(): { state: MemoryState; index: EpisodeIndex | undefined } {
    if (!this.state) throw new Error('memory not loaded: call refresh() first');
    return { state: this.state, index: this.index };
  }

  /** The stored vector of an episode, if it is in the current space and its text is unchanged. */
  vectorFor(episode: Episode): Float32Array | undefined {
    const old = this.state?.episodes.get(episode.id);
    return old && old.text === episode.text ? this.index?.vectorOf(episode.id) : undefined;
  }

  /** Applies operations that were just committed as `version`, updating the index incrementally. */
  applyCommitted(ops: MemoryOperation[], version: number): void {
    if (!this.state || !this.index) return;
    const removed: string[] = [];
    const added: IndexedEpisode[] = [];
    for (const op of ops) {
      if (op.op === 'episode.delete') removed.push(op.id);
      if (op.op === 'episode.put' && op.vector) added.push(this.indexed(op.episode, op.vector));
    }
    this.state = applyToState(this.state, ops, version);
    if (removed.length > 0) this.index.remove(removed);
    if (added.length > 0) this.index.add(added);
  }

  private indexed(e: Episode, vector: Float32Array): IndexedEpisode {
    return { id: e.id, text: e.text, vector, label: labelOf(e) };
  }

  private async storedVersion(): Promise<number> {
    return this.store.currentVersion(this.judge);
  }

  // Vectors from another embedder (or none) are recomputed once, stored, and reported: spaces are never mixed.
  private async reembed(episodes: Episode[], vectors: Map<string, StoredVector>): Promise<void> {
    const from = [...new Set(episodes.map((e) => vectors.get(e.id)?.embedderId ?? 'none'))];
    this.onEvent({ type: 'reembed', judge: this.judge, count: episodes.length, from, to: this.embedder.id });
    const fresh: StoredVector[] = [];
    for (let i = 0; i < episodes.length; i += 256) {
      const chunk = episodes.slice(i, i + 256);
      const embedded = await this.embedder.embed(chunk.map((e) => e.text));
      chunk.forEach((e, j) => fresh.push({ id: e.id, vector: embedded[j], embedderId: this.embedder.id, label: labelOf(e) }));
    }
    await this.store.putVectors(this.judge, fresh);
    for (const v of fresh) vectors.set(v.id, v);
  }
}

/** The label key recall balances on: the value as JSON, exactly as the store keeps it. */
export function labelOf(e: Episode): string | undefined {
  return e.value === undefined ? undefined : JSON.stringify(e.value);
}
