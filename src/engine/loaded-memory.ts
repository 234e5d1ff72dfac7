import type { Episode } from '../core/types.ts';
import { applyToState, type MemoryOperation, type MemoryState } from '../core/memory/operations.ts';
import type { MemoryStore, StoredVector } from '../store/memory-store.ts';
import { DEFAULT_EMBED_BATCH, type Embedder } from '../embed/embedder.ts';
import { createLimiter } from '../model/limit.ts';
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
  /** Stored episode vectors of the loaded version (any space; `ready()` brings them into the embedder's). */
  private vectors = new Map<string, StoredVector>();
  /** Whether `vectors` holds the stored vectors (only what recalls needs them; reading memory does not). */
  private withVectors = false;
  /** The state whose vectors were last found all in the embedder's space (by identity). */
  private readyState: MemoryState | undefined;
  private built: EpisodeIndex | undefined;
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

  private peeked = 0;

  /** Reads the stored version only (checks that the store answers), without loading memory. */
  async peek(): Promise<number> {
    this.peeked = await this.storedVersion();
    return this.peeked;
  }

  /** The version loaded, or, before anything was loaded, the version last peeked. */
  get version(): number {
    return this.state?.version ?? this.peeked;
  }

  /**
   * Loads (or reloads when the stored version moved on) and returns the current state. Cheap: the
   * recall index is only built when something recalls (`ready`), so inspecting memory never pays
   * for it, and never re-embeds.
   */
  async refresh(): Promise<MemoryState> {
    if (this.state) {
      const stored = await this.storedVersion();
      if (stored === this.state.version) return this.state;
      if (stored > this.state.version) {
        // Another writer moved on: read only what changed since the loaded version.
        const since = this.state.version;
        const { version, ops } = await this.store.changes(this.judge, since);
        if (this.state.version < version) this.applyCommitted(ops, version);
        return this.state;
      }
    }
    const { state, vectors } = await this.store.load(this.judge, { vectors: this.withVectors });
    // A commit of this instance may have landed while the load ran: never step back to an older version.
    if (this.state && this.state.version > state.version) return this.state;
    this.state = state;
    this.vectors = vectors;
    this.built = undefined;
    return state;
  }

  /**
   * The current state with every episode vector in the embedder's space (re-embedding, once, what
   * is not) and the recall index built: what judging and alignment need.
   */
  async ready(): Promise<MemoryState> {
    // Nothing loaded yet: read memory and vectors in one pass over the store.
    if (!this.state) this.withVectors = true;
    let state = await this.refresh();
    // Checked already for this very state (verdict after verdict): nothing to scan again.
    if (this.readyState === state && this.built) return state;
    if (!this.withVectors) {
      const { version, vectors } = await this.store.vectors(this.judge);
      this.withVectors = true;
      // Vectors of another version than the loaded state: load both again, together.
      if (version !== state.version) { this.state = undefined; state = await this.refresh(); } else { this.vectors = vectors; this.built = undefined; }
    }
    const stale: Episode[] = [];
    for (const e of state.episodes.values()) if (this.vectors.get(e.id)?.embedderId !== this.embedder.id) stale.push(e);
    if (stale.length > 0) await this.reembed(stale);
    void this.index;
    this.readyState = this.state;
    return this.state!;
  }

  /** The recall index of the loaded version, built on first use (after `ready`, every episode is in it). */
  get index(): EpisodeIndex | undefined {
    if (!this.state) return undefined;
    if (!this.built) {
      // Labels come from the store's column: building the index must not parse every episode.
      const inSpace: IndexedEpisode[] = [];
      for (const e of this.state.episodes.values()) {
        const v = this.vectors.get(e.id);
        if (v && v.embedderId === this.embedder.id) inSpace.push({ id: e.id, text: e.text, vector: v.vector, label: v.label });
      }
      this.built = EpisodeIndex.build(inSpace, { dimension: this.embedder.dimension, embedderId: this.embedder.id });
    }
    return this.built;
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
    const v = this.vectors.get(episode.id);
    return old && old.text === episode.text && v?.embedderId === this.embedder.id ? v.vector : undefined;
  }

  /** Applies operations that were just committed as `version`, updating the index incrementally. */
  applyCommitted(ops: MemoryOperation[], version: number): void {
    if (!this.state) return;
    const removed: string[] = [];
    const added: IndexedEpisode[] = [];
    for (const op of ops) {
      if (op.op === 'episode.delete') { removed.push(op.id); this.vectors.delete(op.id); }
      if (op.op === 'episode.put') {
        if (op.vector) {
          const label = labelOf(op.episode);
          const embedderId = op.embedderId ?? this.embedder.id;
          this.vectors.set(op.episode.id, { id: op.episode.id, vector: op.vector, embedderId, label });
          // Another writer's vector from another space stays out of the index until re-embedded.
          if (embedderId === this.embedder.id) added.push({ id: op.episode.id, text: op.episode.text, vector: op.vector, label });
          else removed.push(op.episode.id);
        } else { this.vectors.delete(op.episode.id); removed.push(op.episode.id); }
      }
    }
    const wasReady = this.readyState === this.state;
    const inSpace = ops.every((op) => op.op !== 'episode.put' || (op.vector !== null && (op.embedderId ?? this.embedder.id) === this.embedder.id));
    this.state = applyToState(this.state, ops, version);
    if (wasReady && inSpace) this.readyState = this.state;
    if (!this.built) return;
    if (removed.length > 0) this.built.remove(removed);
    if (added.length > 0) this.built.add(added);
  }

  private async storedVersion(): Promise<number> {
    return this.store.currentVersion(this.judge);
  }

  // Vectors from another embedder (or none) are recomputed once, stored, and reported: spaces are never mixed.
  private async reembed(episodes: Episode[]): Promise<void> {
    const from = [...new Set(episodes.map((e) => this.vectors.get(e.id)?.embedderId ?? 'none'))];
    this.onEvent({ type: 'reembed', judge: this.judge, count: episodes.length, from, to: this.embedder.id });
    const fresh: StoredVector[] = [];
    // Requests as large as the embedder takes, a few at a time (an in-process embedder: one call).
    const size = this.embedder.local ? episodes.length : Math.max(1, this.embedder.maxBatch ?? DEFAULT_EMBED_BATCH);
    const chunks: Episode[][] = [];
    for (let i = 0; i < episodes.length; i += size) chunks.push(episodes.slice(i, i + size));
    const limit = createLimiter(4);
    const embedded = await Promise.all(chunks.map((chunk) => limit(() => this.embedder.embed(chunk.map((e) => e.text)))));
    chunks.forEach((chunk, c) => chunk.forEach((e, j) => fresh.push({ id: e.id, vector: embedded[c][j], embedderId: this.embedder.id, label: labelOf(e) })));
    await this.store.putVectors(this.judge, fresh);
    for (const v of fresh) this.vectors.set(v.id, v);
    this.built = undefined;
  }
}

/** The label key recall balances on: the value as JSON, exactly as the store keeps it. */
export function labelOf(e: Episode): string | undefined {
  return e.value === undefined ? undefined : JSON.stringify(e.value);
}
