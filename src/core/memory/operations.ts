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
  const next: MemoryState = { version, feedback: new Map(state.feedback), episodes: new Map(state.episodes), guidelines: new Map(state.guidelines), tombstones: new Map(state.tombstones) };
  for (const op of ops) {
    switch (op.op) {
      case 'feedback.put': next.feedback.set(op.feedback.id, op.feedback); break;
      case 'feedback.delete': next.feedback.delete(op.id); break;
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
  return out;
}
