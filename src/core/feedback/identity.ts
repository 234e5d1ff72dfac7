import type { Feedback, JudgedRecord } from '../types.ts';
import { contentHash } from '../text/hash.ts';

/**
 * The id of feedback given without one: derived from (record id, author) only, so an author's
 * later feedback on the same record has the same id and supersedes the earlier one.
 *
 * @example
 * defaultFeedbackId('r1', 'ann') === defaultFeedbackId('r1', 'ann'); // true
 */
export function defaultFeedbackId(recordId: string, author: string | undefined): string {
  return `fb_${contentHash({ record: recordId, author: author ?? null })}`;
}

/**
 * What a record says, for telling whether a reused record id names the same content: every field
 * the judge can see (not its id, not `metadata`).
 *
 * @example
 * recordContentKey({ id: 'r1', inputs: 'q', outputs: 'a' }) === recordContentKey({ id: 'r1', inputs: 'q', outputs: 'a', metadata: { t: 1 } }); // true
 */
export function recordContentKey(record: JudgedRecord): string {
  const { id: _id, metadata: _metadata, ...content } = record;
  return contentHash(content);
}

/**
 * Hash of the parts of a feedback that matter (not its id or time): equal hash = unchanged.
 *
 * @example
 * feedbackHash(a) === feedbackHash({ ...a, createdAt: later }); // true
 */
export function feedbackHash(f: Feedback): string {
  return contentHash({ record: f.record, value: f.value ?? null, rationale: f.rationale ?? null, author: f.author ?? null, judgeVerdict: f.judgeVerdict ?? null });
}
