import type { Feedback, VerdictValue } from '../types.ts';
import { valueKey } from '../judge/output-kind.ts';

/** The expert position on one record, resolved from all its feedback. */
export interface Resolution {
  value?: VerdictValue;
  rationale?: string;
  feedbackIds: string[];
}

/**
 * Resolves several feedbacks on one record: the majority value wins, ties go to the most recent;
 * the rationale joins (newest first) the rationales that agree with that value or carry none.
 *
 * @example
 * resolveFeedback([{ id: 'a', value: true, createdAt: '2026-01-01T00:00:00Z', record }, { id: 'b', value: false, createdAt: '2026-01-02T00:00:00Z', record }]).value; // false (tie → most recent)
 */
export function resolveFeedback(items: Feedback[]): Resolution {
  const ordered = [...items].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt) || (a.id < b.id ? -1 : 1));
  const votes = new Map<string, { value: VerdictValue; count: number; last: number }>();
  ordered.forEach((f, i) => {
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
  const rationales: string[] = [];
  for (const f of [...ordered].reverse()) {
    if (!f.rationale) continue;
    if (winner && f.value !== undefined && valueKey(f.value) !== valueKey(winner.value)) continue;
    if (!rationales.includes(f.rationale)) rationales.push(f.rationale);
  }
  return {
    value: winner?.value,
    rationale: rationales.length > 0 ? rationales.join('\n') : undefined,
    feedbackIds: ordered.map((f) => f.id),
  };
}
