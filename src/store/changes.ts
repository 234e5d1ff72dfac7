import type { MemoryOperation } from '../core/memory/operations.ts';

/** What changed between two versions, as the ids to read again (from the log's op and target). */
export interface ChangedTargets { feedback: Set<string>; episodes: Set<string>; guidelines: Set<string> }

/**
 * Sorts log entries into the feedback, episodes and guidelines they touched.
 *
 * @example
 * changedTargets([{ op: 'guideline.update', target: 'g1' }]).guidelines; // Set { 'g1' }
 */
export function changedTargets(entries: Iterable<{ op: string; target: string }>): ChangedTargets {
  const out: ChangedTargets = { feedback: new Set(), episodes: new Set(), guidelines: new Set() };
  for (const e of entries) {
    if (e.op.startsWith('feedback.')) out.feedback.add(e.target);
    else if (e.op.startsWith('episode.')) out.episodes.add(e.target);
    else out.guidelines.add(e.target);
  }
  return out;
}

/** Current rows of changed targets, as read by a store in one transaction. */
export interface ChangedRows {
  feedback: Map<string, MemoryOperation & { op: 'feedback.put' }>;
  episodes: Map<string, MemoryOperation & { op: 'episode.put' }>;
  guidelines: Map<string, MemoryOperation & { op: 'guideline.add' }>;
  tombstones: Map<string, MemoryOperation & { op: 'tombstone.add' }>;
}

/**
 * Operations that bring a memory at the older version to the newer one: each changed target is
 * put as it now is, or deleted when it is gone (a guideline is purged, then re-added as a guideline
 * or a tombstone, whichever it now is).
 *
 * @example
 * const ops = changeOperations(targets, rows);
 */
export function changeOperations(targets: ChangedTargets, rows: ChangedRows): MemoryOperation[] {
  const ops: MemoryOperation[] = [];
  for (const id of targets.feedback) ops.push(rows.feedback.get(id) ?? { op: 'feedback.delete', id });
  for (const id of targets.episodes) ops.push(rows.episodes.get(id) ?? { op: 'episode.delete', id });
  for (const id of targets.guidelines) {
    ops.push({ op: 'guideline.purge', id });
    const g = rows.guidelines.get(id) ?? rows.tombstones.get(id);
    if (g) ops.push(g);
  }
  return ops;
}
