import type { LogEntry, MemoryOperation, MemoryState } from '../core/memory/operations.ts';
import type { Feedback, Guideline } from '../core/types.ts';

/** A stored episode vector, the space it lives in, and the episode's label (its value as JSON), for recall. */
export interface StoredVector { id: string; vector: Float32Array; embedderId: string; label?: string }

/** What `overview` returns: a judge's memory at a glance. */
export interface MemoryOverview { version: number; guidelines: Guideline[]; tombstones: Guideline[]; episodes: number; feedback: number }

/**
 * A judge's persisted recall index (`src/recall/index-file.ts`): derived from the memory at
 * `version`, in `embedderId`'s space, stored as opaque parts. Never part of memory: losing it only
 * costs a rebuild.
 */
export interface StoredIndex { version: number; embedderId: string; parts: Uint8Array[] }

/** A judge's memory as loaded from a store, with its episode vectors. */
export interface StoredMemory { state: MemoryState; vectors: Map<string, StoredVector> }

/** Which log entries `MemoryStore.log` returns. */
export interface LogQuery { limit?: number; sinceVersion?: number; untilVersion?: number; beforeSeq?: number }

/** The `seq` bound of a log query as stores bind it: no bound (or one past any seq) reads to the newest. */
export function logBefore(beforeSeq: number | undefined): number {
  return bound(beforeSeq);
}

/** The version bound of a log query as stores bind it: none (or one past any version) reads to the latest. */
export function logUntil(untilVersion: number | undefined): number {
  return bound(untilVersion === undefined ? undefined : untilVersion + 1) - 1;
}

function bound(n: number | undefined): number {
  return n === undefined || !Number.isFinite(n) || n > Number.MAX_SAFE_INTEGER ? Number.MAX_SAFE_INTEGER : n;
}

/**
 * Durable memory for any number of judges. `commit` applies a list of operations atomically and
 * produces the next memory version; a store never holds a half-applied change.
 *
 * @example
 * const { state } = await store.load('correctness');
 * const version = await store.commit('correctness', state.version, ops, 'align: 3 feedback');
 */
export interface MemoryStore {
  /** Human-readable location, e.g. the SQLite file path. */
  readonly location: string;
  /**
   * The judge's memory; with `vectors: false` the vectors map is empty (for reading memory without
   * recalling); with `feedback: false` the state's feedback is `FeedbackNotLoaded` (for judging).
   */
  load(judge: string, options?: { vectors?: boolean; feedback?: boolean }): Promise<StoredMemory>;
  /** The feedback alone, with the version it belongs to (read together, consistently). */
  feedback(judge: string): Promise<{ version: number; feedback: Map<string, Feedback> }>;
  /** The episode vectors alone, with the version they belong to (read together, consistently). */
  vectors(judge: string): Promise<{ version: number; vectors: Map<string, StoredVector> }>;
  /** Version, guidelines and tombstones, and how many episodes and feedback there are, without reading them: cheap at any size. */
  overview(judge: string): Promise<MemoryOverview>;
  /** The stored memory version (0 when the judge has no memory yet); cheap, for freshness checks. */
  currentVersion(judge: string): Promise<number>;
  /**
   * Applies operations in one transaction and returns the new version. Fails with a `StoreError`
   * (`code: 'store_conflict'`) when the stored version is not `expectedVersion` (another process
   * changed the memory): reload and retry.
   */
  commit(judge: string, expectedVersion: number, ops: MemoryOperation[], cause: string): Promise<number>;
  /**
   * What changed since `sinceVersion`, as operations that bring a memory loaded at that version to
   * the current one (read from the log, in one transaction): a reload of only what changed.
   */
  changes(judge: string, sinceVersion: number): Promise<{ version: number; ops: MemoryOperation[] }>;
  /** Replaces derived vectors (after an embedder change); not a memory change, so no new version. */
  putVectors(judge: string, vectors: StoredVector[]): Promise<void>;
  /** The judge's persisted recall index, if one was saved (of any version; the reader checks it). */
  recallIndex(judge: string): Promise<StoredIndex | undefined>;
  /**
   * Saves a judge's recall index in one transaction, replacing an older one; never changes memory,
   * its version or its log. Returns false, keeping what is stored, when a newer index is stored, the
   * version is not one the memory has reached, or the store cannot be written right now (read-only,
   * another writer holds the lock): derived data is never worth waiting for.
   */
  putRecallIndex(judge: string, index: StoredIndex): Promise<boolean>;
  /**
   * A judge's change log, oldest first: the latest `limit` entries (default 1 000) of versions after
   * `sinceVersion` up to `untilVersion`, and only those with `seq` below `beforeSeq` (to page back
   * through a long log).
   */
  log(judge: string, options?: LogQuery): Promise<LogEntry[]>;
  /** What a feedback said before it was superseded, oldest first, with the version that superseded it. */
  feedbackHistory(judge: string, id: string): Promise<{ version: number; feedback: Feedback }[]>;
  /** Fails with a `StoreError` when a commit could not be written now (read-only, locked): checked before paying for model calls. */
  checkWritable(): Promise<void>;
  judges(): Promise<string[]>;
  close(): Promise<void>;
}
