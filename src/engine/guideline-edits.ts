import type { Guideline } from '../core/types.ts';
import type { MemoryOperation, MemoryState } from '../core/memory/operations.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { guidelineKeys, newGuidelineId, sameRuleKeys } from '../core/memory/guideline-rules.ts';

/** One expert edit, as the operations to commit, the log cause and what to return. */
export interface Edit<T> { ops: MemoryOperation[]; cause: string; result: T }

/**
 * The expert's edits of semantic memory, each planned from the current state without I/O. An
 * edited, written or pinned guideline becomes the expert's (never rewritten by distillation); a
 * deleted one leaves a tombstone that keeps distillation from bringing it back until restored.
 */
export const guidelineEdits = {
  /**
   * A guideline written by an expert (origin `manual`), with a fresh id.
   *
   * @example
   * guidelineEdits.add(state, 'sql', 'Never accept raw event tables.', { pinned: true });
   */
  add(state: MemoryState, judge: string, text: string, options: { pinned?: boolean } = {}): Edit<Guideline> {
    const clean = requireText(text);
    const keys = new Set(sameRuleKeys(clean));
    const same = [...state.guidelines.values()].find((g) => guidelineKeys({ ...g, aliases: [] }).some((k) => keys.has(k)));
    if (same) throw new ValidationError('guideline', [{ path: 'text', message: `the same guideline already exists as ${same.id} ("${same.text}"): edit or pin that one instead` }]);
    const version = state.version + 1;
    const id = newGuidelineId({ has: (x) => state.guidelines.has(x) || state.tombstones.has(x) }, `${judge}\n${version}\nmanual\n${clean}`);
    const g: Guideline = { id, text: clean, sources: [], origin: 'manual', pinned: options.pinned ?? false, createdVersion: version, updatedVersion: version };
    return { ops: [{ op: 'guideline.add', guideline: g }], cause: `edit: add guideline ${id}`, result: g };
  },

  /**
   * Rewrites a guideline's text; its id and sources stay, its earlier text becomes an alias so a
   * distilled repeat of the old wording merges into it.
   *
   * @example
   * guidelineEdits.edit(state, 'sql', 'g_1a2b', 'Use certified views for revenue.');
   */
  edit(state: MemoryState, judge: string, id: string, text: string): Edit<Guideline> {
    const g = find(state, judge, id);
    const clean = requireText(text);
    const aliases = [...new Set([...(g.aliases ?? []), g.text])].filter((a) => a !== clean);
    const next: Guideline = { ...g, text: clean, edited: true, aliases, updatedVersion: state.version + 1 };
    return { ops: [{ op: 'guideline.update', id, changes: { text: clean, edited: true, aliases } }], cause: `edit: rewrite guideline ${id}`, result: next };
  },

  /** Pins (always in the prompt; the expert's from now on) or unpins a guideline. */
  pin(state: MemoryState, judge: string, id: string, pinned: boolean): Edit<Guideline> {
    const g = find(state, judge, id);
    return { ops: [{ op: 'guideline.update', id, changes: { pinned } }], cause: `edit: ${pinned ? 'pin' : 'unpin'} guideline ${id}`, result: { ...g, pinned, updatedVersion: state.version + 1 } };
  },

  /** Deletes a guideline, leaving a tombstone (its feedback and episodes stay). */
  delete(state: MemoryState, judge: string, id: string): Edit<Guideline> {
    const g = find(state, judge, id);
    return { ops: [{ op: 'guideline.delete', id, tombstone: true }], cause: `edit: delete guideline ${id}`, result: g };
  },

  /** Restores a guideline an expert deleted. */
  restore(state: MemoryState, judge: string, id: string): Edit<Guideline> {
    const g = state.tombstones.get(id);
    if (!g) {
      const live = state.guidelines.has(id);
      throw new NotFoundError(live ? `Guideline "${id}" of judge "${judge}" is not deleted: nothing to restore.` : `No deleted guideline "${id}" in the memory of judge "${judge}". List deleted guidelines with inspect() (tombstones) or "memory list --deleted".`);
    }
    return { ops: [{ op: 'guideline.restore', id }], cause: `edit: restore guideline ${id}`, result: { ...g, updatedVersion: state.version + 1 } };
  },
};

function find(state: MemoryState, judge: string, id: string): Guideline {
  const g = state.guidelines.get(id);
  if (!g) throw new NotFoundError(`No guideline "${id}" in the memory of judge "${judge}"${state.tombstones.has(id) ? ' (it was deleted; restore it first)' : ''}. List guidelines with inspect() or "memory list".`);
  return g;
}

function requireText(text: string): string {
  if (typeof text !== 'string' || text.trim() === '') throw new ValidationError('guideline', [{ path: 'text', message: 'write the guideline text' }]);
  return text.trim().replace(/\s+/g, ' ');
}
