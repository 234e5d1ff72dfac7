import type { Episode, Feedback, Guideline } from '../types.ts';

/**
 * Every change to memory is one of these operations, applied by the store in one transaction and
 * written to the memory's log with its cause and the version it produced (DESIGN.md §8.4).
 */
export type MemoryOperation =
  | { op: 'feedback.put'; feedback: Feedback }
  | { op: 'feedback.delete'; id: string }
  | { op: 'episode.put'; episode: Episode; vector: Float32Array | null; embedderId: string | null }
  | { op: 'episode.delete'; id: string }
  | { op: 'guideline.add'; guideline: Guideline }
  | { op: 'guideline.update'; id: string; changes: Partial<Pick<Guideline, 'text' | 'sources' | 'pinned' | 'edited' | 'aliases'>> }
  /** `tombstone`: an expert's delete; the guideline is kept aside so distillation cannot bring it back. */
  | { op: 'guideline.delete'; id: string; tombstone?: boolean }
  /** Brings a tombstoned guideline back. */
  | { op: 'guideline.restore'; id: string }
  /** Removes a guideline or tombstone outright, leaving no tombstone (memory import, redistil of everything). */
  | { op: 'guideline.purge'; id: string }
  /** Adds a tombstone as it is (memory import). */
  | { op: 'tombstone.add'; guideline: Guideline };

/** One entry of the memory log. */
export interface LogEntry {
  seq: number;
  version: number;
  op: MemoryOperation['op'];
  /** The operation's subject (feedback, episode or guideline id). */
  target: string;
  /** Why: `align`, `forget`, `edit`, `import`, with detail. */
  cause: string;
  at: string;
  /** A short human-readable summary (e.g. the guideline text). */
  detail: string;
}

/** A judge's whole memory as held in process. */
export interface MemoryState {
  version: number;
  feedback: Map<string, Feedback>;
  episodes: Map<string, Episode>;
  guidelines: Map<string, Guideline>;
  /** Guidelines an expert deleted: never shown to the judge, never re-added by distillation. */
  tombstones: Map<string, Guideline>;
}

/**
 * The feedback of a memory read without it (judging reads none: at 100 000 items, reading them
 * was a third of opening a large memory). Any use throws, so code that needs feedback and was
 * handed a memory without it fails loudly instead of seeing no feedback; `hasFeedback` tells.
 */
export class FeedbackNotLoaded extends Map<string, Feedback> {
  private fail(): never { throw new Error('Internal error: this memory was read without its feedback (LoadedMemory.refresh({ feedback: true }) reads it).'); }
  override get size(): number { return this.fail(); }
  override get(): Feedback | undefined { return this.fail(); }
  override has(): boolean { return this.fail(); }
  override set(): this { return this.fail(); }
  override delete(): boolean { return this.fail(); }
  override clear(): void { this.fail(); }
  override keys(): MapIterator<string> { return this.fail(); }
  override values(): MapIterator<Feedback> { return this.fail(); }
  override entries(): MapIterator<[string, Feedback]> { return this.fail(); }
  override forEach(): void { this.fail(); }
  override [Symbol.iterator](): MapIterator<[string, Feedback]> { return this.fail(); }
}

/** Whether a memory's feedback was read (see `FeedbackNotLoaded`). */
export function hasFeedback(state: MemoryState): boolean {
  return !(state.feedback instanceof FeedbackNotLoaded);
}

/**
 * An empty memory at version 0.
 *
 * @example
 * emptyMemory().version; // 0
 */
export function emptyMemory(): MemoryState {
  return { version: 0, feedback: new Map(), episodes: new Map(), guidelines: new Map(), tombstones: new Map() };
}

/** The target id of an operation, for logs. */
export function operationTarget(op: MemoryOperation): string {
  switch (op.op) {
    case 'feedback.put': return op.feedback.id;
    case 'episode.put': return op.episode.id;
    case 'guideline.add': return op.guideline.id;
    case 'tombstone.add': return op.guideline.id;
    default: return op.id;
  }
}

/** A one-line summary of an operation, for logs. */
export function operationDetail(op: MemoryOperation): string {
  switch (op.op) {
    case 'feedback.put': return `record ${op.feedback.record.id}${op.feedback.value !== undefined ? ` value=${JSON.stringify(op.feedback.value)}` : ''}`;
    case 'episode.put': return `record ${op.episode.id}${op.episode.value !== undefined ? ` value=${JSON.stringify(op.episode.value)}` : ''}`;
    case 'guideline.add': return op.guideline.text;
    case 'guideline.update': return op.changes.text ?? (op.changes.pinned !== undefined ? (op.changes.pinned ? 'pinned' : 'unpinned') : `sources ${op.changes.sources?.join(',')}`);
    case 'guideline.delete': return op.tombstone ? 'deleted by an expert (tombstone)' : '';
    case 'guideline.restore': return 'restored';
    case 'tombstone.add': return `tombstone: ${op.guideline.text}`;
    default: return '';
  }
}

/**
 * Applies operations to an in-process memory (the store applies the same operations durably).
 * Returns the new state; the input is not modified.
 *
 * @example
 * const next = applyToState(emptyMemory(), [{ op: 'guideline.delete', id: 'g1' }], 1);
 */
export function applyToState(state: MemoryState, ops: MemoryOperation[], version: number): MemoryState {
  // A memory read without feedback stays so: its feedback operations have nothing to change.
  const withFeedback = hasFeedback(state);
  const next: MemoryState = { version, feedback: withFeedback ? new Map(state.feedback) : state.feedback, episodes: new Map(state.episodes), guidelines: new Map(state.guidelines), tombstones: new Map(state.tombstones) };
  for (const op of ops) {
    switch (op.op) {
      case 'feedback.put': if (withFeedback) next.feedback.set(op.feedback.id, op.feedback); break;
      case 'feedback.delete': if (withFeedback) next.feedback.delete(op.id); break;
      case 'episode.put': next.episodes.set(op.episode.id, op.episode); break;
      case 'episode.delete': next.episodes.delete(op.id); break;
      case 'guideline.add': next.guidelines.set(op.guideline.id, op.guideline); break;
      case 'guideline.update': {
        const g = next.guidelines.get(op.id);
        if (g) next.guidelines.set(op.id, { ...g, ...op.changes, updatedVersion: version });
        break;
      }
      case 'guideline.delete': {
        const g = next.guidelines.get(op.id);
        next.guidelines.delete(op.id);
        if (op.tombstone && g) next.tombstones.set(op.id, { ...g, updatedVersion: version });
        break;
      }
      case 'guideline.purge': next.guidelines.delete(op.id); next.tombstones.delete(op.id); break;
      case 'tombstone.add': next.tombstones.set(op.guideline.id, op.guideline); break;
      case 'guideline.restore': {
        const g = next.tombstones.get(op.id);
        next.tombstones.delete(op.id);
        if (g) next.guidelines.set(op.id, { ...g, updatedVersion: version });
        break;
      }
    }
  }
  return next;
}

/**
 * A plain-object copy of a feedback item (stores may hand out lazily parsed ones).
 *
 * @example
 * JSON.stringify(plainFeedback(f));
 */
export function plainFeedback(f: Feedback): Feedback {
  const out: Feedback = { id: f.id, record: f.record, createdAt: f.createdAt };
  if (f.value !== undefined) out.value = f.value;
  if (f.rationale !== undefined) out.rationale = f.rationale;
  if (f.author !== undefined) out.author = f.author;
  if (f.judgeVerdict !== undefined) out.judgeVerdict = f.judgeVerdict;
  return out;
}

/**
 * A plain-object copy of an episode (stores may hand out lazily parsed ones).
 *
 * @example
 * JSON.stringify(plainEpisode(e));
 */
export function plainEpisode(e: Episode): Episode {
  const out: Episode = { id: e.id, record: e.record, feedbackIds: e.feedbackIds, text: e.text, hash: e.hash, createdVersion: e.createdVersion };
  if (e.value !== undefined) out.value = e.value;
  if (e.rationale !== undefined) out.rationale = e.rationale;
  if (e.judgeVerdict !== undefined) out.judgeVerdict = e.judgeVerdict;
  if (e.disagreed !== undefined) out.disagreed = e.disagreed;
  if (e.distilled !== undefined) out.distilled = e.distilled;
  if (e.tokens !== undefined) out.tokens = e.tokens;
  return out;
}
