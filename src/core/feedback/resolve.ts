import type { Feedback, JudgeVerdictSeen, VerdictValue } from '../types.ts';
import { valueKey } from '../judge/output-kind.ts';
import { recordContentKey } from './identity.ts';

/** The expert position on one record, resolved from all its feedback. */
export interface Resolution {
  value?: VerdictValue;
  rationale?: string;
  /**
   * The feedback that counts, oldest first: each author's latest feedback on the record's current
   * content, on the winning side (or carrying no value). Everything else is superseded or outvoted.
   */
  feedbackIds: string[];
  /** The judge verdict the counting feedback answered (the latest one given). */
  judgeVerdict?: JudgeVerdictSeen;
}

/**
 * Resolves several feedbacks on one record:
 * 1. only feedback on the record's newest content counts (a record given a new version leaves
 *    older feedback behind);
 * 2. each author's latest feedback counts once (feedback without an author counts on its own);
 * 3. the majority value wins, ties go to the most recent;
 * 4. the rationale joins, newest first, the counting rationales that agree with that value or
 *    carry none.
 *
 * @example
 * resolveFeedback([{ id: 'a', value: true, author: 'ann', createdAt: '2026-01-01T00:00:00Z', record }, { id: 'b', value: false, author: 'bob', createdAt: '2026-01-02T00:00:00Z', record }]).value; // false (tie → most recent)
 */
export function resolveFeedback(items: Feedback[]): Resolution {
  const ordered = [...items].sort(byTime);
  if (ordered.length === 0) return { feedbackIds: [] };
  const content = recordContentKey(ordered[ordered.length - 1].record);
  const latestByAuthor = new Map<string, Feedback>();
  const voters: Feedback[] = [];
  for (const f of ordered) {
    if (recordContentKey(f.record) !== content) continue;
    if (f.author === undefined || f.author === '') voters.push(f);
    else latestByAuthor.set(f.author, f);
  }
  voters.push(...latestByAuthor.values());
  voters.sort(byTime);

  const votes = new Map<string, { value: VerdictValue; count: number; last: number }>();
  voters.forEach((f, i) => {
    if (f.value === undefined) return;
    const key = valueKey(f.value);
    const vote = votes.get(key) ?? { value: f.value, count: 0, last: -1 };
    vote.count += 1;
    vote.last = i;
    votes.set(key, vote);
  });
  let winner: { value: VerdictValue; count: number; last: number } | undefined;
  for (const vote of votes.values()) {
    if (!winner || vote.count > winner.count || (vote.count === winner.count && vote.last > winner.last)) winner = vote;
  }
  const counting = voters.filter((f) => !winner || f.value === undefined || valueKey(f.value) === valueKey(winner.value));
  const rationales: string[] = [];
  for (const f of [...counting].reverse()) if (f.rationale && !rationales.includes(f.rationale)) rationales.push(f.rationale);
  const seen = [...counting].reverse().find((f) => f.judgeVerdict !== undefined)?.judgeVerdict;
  const out: Resolution = { value: winner?.value, rationale: rationales.length > 0 ? rationales.join('\n') : undefined, feedbackIds: counting.map((f) => f.id) };
  if (seen) out.judgeVerdict = seen;
  return out;
}

function byTime(a: Feedback, b: Feedback): number {
  return Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
