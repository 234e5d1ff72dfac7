import type { Feedback } from '../types.ts';
import type { MemoryState } from '../memory/operations.ts';
import { ValidationError, type Issue } from '../errors.ts';
import type { FeedbackSource, RecordChange } from './parse-feedback.ts';
import { recordContentKey } from './identity.ts';

/**
 * Refuses incoming feedback whose record id is already in memory with different content (a
 * silent merge would pool votes about two different things), naming both places. With
 * `'new-version'` the incoming content becomes the record's new version instead.
 *
 * @example
 * checkRecordsAgainstMemory(state, items, { sources, recordChange: 'error' });
 */
export function checkRecordsAgainstMemory(state: MemoryState, items: Feedback[], options: { sources?: FeedbackSource[]; recordChange?: RecordChange } = {}): void {
  if ((options.recordChange ?? 'error') === 'new-version' || items.length === 0) return;
  const wanted = new Set(items.map((f) => f.record.id));
  const stored = new Map<string, { key: string; feedbackId: string }>();
  // An episode's id is its record's id: look each one up rather than scanning memory.
  for (const id of wanted) {
    const e = state.episodes.get(id);
    if (e) stored.set(id, { key: recordContentKey(e.record), feedbackId: e.feedbackIds[0] ?? '?' });
  }
  // Records with feedback but no episode yet cannot exist (every align writes both), except in
  // hand-built states; fall back to the feedback itself.
  if (stored.size < wanted.size) {
    for (const f of state.feedback.values()) {
      if (wanted.has(f.record.id) && !stored.has(f.record.id)) stored.set(f.record.id, { key: recordContentKey(f.record), feedbackId: f.id });
    }
  }
  const issues: Issue[] = [];
  items.forEach((f, i) => {
    const s = stored.get(f.record.id);
    if (!s || s.key === recordContentKey(f.record)) return;
    const src = options.sources?.[i] ?? {};
    issues.push({
      file: src.file, line: src.line, path: src.line === undefined || src.element !== undefined ? `[${src.element ?? i}].record` : 'record',
      message: `record "${f.record.id}" has different content from the record stored under that id in memory (with feedback ${s.feedbackId}): give the changed record a new id, or pass recordChange "new-version" (--new-record-version) to replace it`,
    });
  });
  if (issues.length > 0) throw new ValidationError('feedback', issues);
}
