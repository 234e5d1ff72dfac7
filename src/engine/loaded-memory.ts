import type { Episode } from '../core/types.ts';
import { applyToState, hasFeedback, type MemoryOperation, type MemoryState } from '../core/memory/operations.ts';
import type { MemoryStore, StoredVector } from '../store/memory-store.ts';
import { DEFAULT_EMBED_BATCH, type Embedder } from '../embed/embedder.ts';
import { createLimiter } from '../model/limit.ts';
import { EpisodeIndex, type IndexedEpisode } from '../recall/episode-index.ts';
import { decodeIndex, encodeIndex } from '../recall/index-file.ts';

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
 * Memories with at least this many episodes in the recall index save it in the store (derived data,
 * `putRecallIndex`), so that the next process opens it instead of rebuilding it: read back, a
 * 100 000-episode index needs no row of vectors and no tokenizing.
 */
export const PERSIST_INDEX_MIN = 10_000;

/**
 * A judge's memory held in process: the state, and the recall index kept in step with it
 * incrementally. Reloads from the store only when another writer moved the version on. A large
 * memory's index is saved in the store and opened from there next time (then brought up to date
 * with what changed since it was saved); a missing, old-format, damaged or other-embedder index
 * is simply rebuilt from the rows.
 *
 * @example
 * const memory = new LoadedMemory('correctness', store, embedder, onEvent);
 * await memory.refresh();
 */
export class LoadedMemory {
  state: MemoryState | undefined;
  /**
   * Stored episode vectors of the loaded version not (yet) in the recall index: before the index
   * is built, every loaded vector; after, only those of another space (to be re-embedded).
   */
  private vectors = new Map<string, StoredVector>();
  /** Whether `vectors` was read with the state (only what recalls needs them; reading memory does not). */
  private withVectors = false;
  /** The state whose vectors were last found all in the embedder's space (by identity). */
  private readyState: MemoryState | undefined;
  private built: EpisodeIndex | undefined;
  /** The version of the index as last read from or saved to the store, and episode changes applied since. */
  private persisted: { version: number; changes: number } | undefined;
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
   * for it, and never re-embeds. With `feedback: false` (judging) a state not loaded yet is read
   * without its feedback (`FeedbackNotLoaded`); the default reads it, once, when it is missing.
   */
  async refresh(options: { feedback?: boolean } = {}): Promise<MemoryState> {
    const wantFeedback = options.feedback !== false;
    if (this.state) {
      const stored = await this.storedVersion();
      let current = stored === this.state.version;
      if (stored > this.state.version) {
        // Another writer moved on: read only what changed since the loaded version.
        const since = this.state.version;
        const { version, ops } = await this.store.changes(this.judge, since);
        if (this.state.version < version) this.applyCommitted(ops, version);
        current = true;
      }
      if (current) {
        if (!wantFeedback || hasFeedback(this.state)) return this.state;
        // Read without feedback, now needed: the feedback of this very version, or everything again.
        const { version, feedback } = await this.store.feedback(this.judge);
        if (hasFeedback(this.state)) return this.state;
        if (version === this.state.version) {
          const wasReady = this.readyState === this.state;
          this.state = { ...this.state, feedback };
          if (wasReady) this.readyState = this.state;
          return this.state;
        }
      }
    }
    const { state, vectors } = await this.store.load(this.judge, { vectors: this.withVectors, feedback: wantFeedback });
    // A commit of this instance may have landed while the load ran: never step back to an older
    // version. (Every commit starts from a state read with its feedback, so that one has it.)
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
  async ready(options: { feedback?: boolean } = {}): Promise<MemoryState> {
    // Nothing loaded yet: open the saved index with the state, or read memory and vectors in one pass.
    // (A saved index that turns out unusable leaves the state loaded: its vectors are read next.)
    if (!this.state && (await this.openSaved(options.feedback !== false)) === 'none') this.withVectors = true;
    let state = await this.refresh(options);
    // Checked already for this very state (verdict after verdict): nothing to scan again.
    if (this.readyState === state && this.built) return state;
    if (!this.built && !this.withVectors) {
      const { version, vectors } = await this.store.vectors(this.judge);
      this.withVectors = true;
      // Vectors of another version than the loaded state: load both again, together.
      if (version !== state.version) { this.state = undefined; state = await this.refresh(options); } else { this.vectors = vectors; this.built = undefined; }
    }
    const index = this.index!;
    const stale: Episode[] = [];
    for (const e of this.state!.episodes.values()) if (!index.has(e.id)) stale.push(e);
    if (stale.length > 0) await this.reembed(stale);
    // Everything in space is in the index now: keep no second copy of the vectors.
    this.vectors = new Map();
    this.readyState = this.state;
    await this.save();
    return this.state!;
  }

  /**
   * The recall index of the loaded version: opened from the store, or built on first use from the
   * loaded vectors (after `ready`, every episode is in it); undefined while no vectors were read.
   */
  get index(): EpisodeIndex | undefined {
    if (!this.state) return undefined;
    if (!this.built && this.withVectors) {
      // Labels come from the store's column: building the index must not parse every episode.
      const inSpace: IndexedEpisode[] = [];
      for (const e of this.state.episodes.values()) {
        const v = this.vectors.get(e.id);
        if (v && v.embedderId === this.embedder.id) { inSpace.push({ id: e.id, text: e.text, vector: v.vector, label: v.label }); this.vectors.delete(e.id); }
      }
      this.built = EpisodeIndex.build(inSpace, { dimension: this.embedder.dimension, embedderId: this.embedder.id });
      this.persisted = undefined;
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
    if (!old || old.text !== episode.text) return undefined;
    if (this.built?.has(episode.id)) return this.built.vectorOf(episode.id);
    const v = this.vectors.get(episode.id);
    return v?.embedderId === this.embedder.id ? v.vector : undefined;
  }

  /** Applies operations that were just committed as `version`, updating the index incrementally. */
  applyCommitted(ops: MemoryOperation[], version: number): void {
    if (!this.state) return;
    const wasReady = this.readyState === this.state;
    const inSpace = ops.every((op) => op.op !== 'episode.put' || (op.vector !== null && (op.embedderId ?? this.embedder.id) === this.embedder.id));
    this.applyToIndex(ops);
    this.state = applyToState(this.state, ops, version);
    if (wasReady && inSpace) this.readyState = this.state;
  }

  // Episode puts and deletes into the index (when built) and the not-indexed vectors.
  private applyToIndex(ops: MemoryOperation[]): void {
    const removed: string[] = [];
    const added: IndexedEpisode[] = [];
    for (const op of ops) {
      if (op.op === 'episode.delete') { removed.push(op.id); this.vectors.delete(op.id); }
      if (op.op === 'episode.put') {
        const embedderId = op.embedderId ?? this.embedder.id;
        const label = labelOf(op.episode);
        // Another writer's vector from another space stays out of the index until re-embedded.
        if (op.vector && embedderId === this.embedder.id && this.built) {
          this.vectors.delete(op.episode.id);
          added.push({ id: op.episode.id, text: op.episode.text, vector: op.vector, label });
        } else {
          removed.push(op.episode.id);
          if (op.vector) this.vectors.set(op.episode.id, { id: op.episode.id, vector: op.vector, embedderId, label });
          else this.vectors.delete(op.episode.id);
        }
      }
    }
    if (!this.built) return;
    if (removed.length > 0) this.built.remove(removed);
    if (added.length > 0) this.built.add(added);
    if (this.persisted) this.persisted.changes += removed.length + added.length;
  }

  /**
   * Opens the index saved in the store, with the state (read without vectors), and brings it up to
   * date with what changed since it was saved. 'none' when there is none for this embedder (nothing
   * loaded); false when it cannot be used (unreadable, or not matching the memory: the state is
   * loaded, without vectors).
   */
  private async openSaved(feedback: boolean): Promise<boolean | 'none'> {
    const saved = await this.store.recallIndex(this.judge);
    if (!saved || saved.embedderId !== this.embedder.id) return 'none';
    const { state } = await this.store.load(this.judge, { vectors: false, feedback });
    this.state = state;
    this.vectors = new Map();
    this.built = undefined;
    if (saved.version > state.version) return false;
    let index: EpisodeIndex;
    try {
      const arrays = decodeIndex(saved.parts);
      if (arrays.embedderId !== this.embedder.id || arrays.dimension !== this.embedder.dimension) return false;
      index = EpisodeIndex.load(arrays);
    } catch {
      return false;
    }
    const { version, ops } = saved.version < state.version ? await this.store.changes(this.judge, saved.version) : { version: state.version, ops: [] };
    if (version < state.version) return false;
    this.built = index;
    this.persisted = { version: saved.version, changes: 0 };
    this.applyToIndex(ops);
    if (version > state.version) this.state = applyToState(state, ops, version);
    // An index that names an episode the memory does not have was not saved from this memory.
    for (const id of index.ids()) {
      if (!this.state.episodes.has(id)) { this.built = undefined; this.persisted = undefined; this.vectors = new Map(); return false; }
    }
    return true;
  }

  // Saves the index when it is large and was rebuilt, or has changed much since it was saved.
  private async save(): Promise<void> {
    const index = this.built;
    const state = this.state;
    if (!index || !state || index.size < PERSIST_INDEX_MIN) return;
    if (this.persisted && this.persisted.changes < Math.max(1000, index.size * 0.05)) return;
    this.persisted = { version: state.version, changes: 0 };
    try {
      await this.store.putRecallIndex(this.judge, { version: state.version, embedderId: this.embedder.id, parts: encodeIndex(index.export()) });
    } catch {
      // Derived data: failing to save it only means the next process rebuilds it.
    }
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
    const indexed: IndexedEpisode[] = [];
    chunks.forEach((chunk, c) => chunk.forEach((e, j) => {
      const label = labelOf(e);
      fresh.push({ id: e.id, vector: embedded[c][j], embedderId: this.embedder.id, label });
      indexed.push({ id: e.id, text: e.text, vector: embedded[c][j], label });
    }));
    await this.store.putVectors(this.judge, fresh);
    this.built!.add(indexed);
    for (const v of fresh) this.vectors.delete(v.id);
    if (this.persisted) this.persisted.changes += fresh.length;
  }
}

/** The label key recall balances on: the value as JSON, exactly as the store keeps it. */
export function labelOf(e: Episode): string | undefined {
  return e.value === undefined ? undefined : JSON.stringify(e.value);
}
