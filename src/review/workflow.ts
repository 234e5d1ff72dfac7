import type { Feedback, JudgedRecord, JudgeResult, VerdictValue } from '../core/types.ts';
import type { MemoryState } from '../core/memory/operations.ts';
import type { Memalign } from '../engine/memalign.ts';
import type { MemoryChangeReport } from '../engine/apply-plan.ts';
import { defaultFeedbackId } from '../core/feedback/identity.ts';
import { cohensKappa, exactMatch, linCcc } from '../eval/metrics.ts';
import type { Placement, ReviewStore } from './review-store.ts';
import type { Evaluation, ItemVerdict, QueueItem, Review } from './types.ts';
import { placeOf } from './priority.ts';

/** Progress of judging or re-judging queue items. */
export interface JudgeProgress { done: number; total: number }

/**
 * Judges queue items with the judge's current memory and places each in its queue (disagreements
 * and low-confidence verdicts first). A failed judgement leaves the item `failed` with its error,
 * to be retried; items are placed as they finish, so reviewers can start before the last verdict.
 *
 * @example
 * await judgeItems(ma, reviews, queue.id, items, { concurrency: 8 });
 */
export async function judgeItems(ma: Memalign, reviews: ReviewStore, queueId: string, items: QueueItem[], options: { concurrency?: number; chunk?: number; onProgress?: (p: JudgeProgress) => void; signal?: AbortSignal } = {}): Promise<JudgeProgress> {
  const concurrency = options.concurrency ?? 4;
  // Chunks of several rounds of model calls; a chunk is placed while the next one is judged.
  const chunk = Math.max(1, options.chunk ?? concurrency * 4);
  let done = 0;
  let placing: Promise<void> = Promise.resolve();
  for (let i = 0; i < items.length; i += chunk) {
    options.signal?.throwIfAborted();
    const part = items.slice(i, i + chunk);
    const results = await ma.judgeMany(part.map((it) => it.record), { concurrency, signal: options.signal });
    await placing;
    placing = (async () => {
      await reviews.place(queueId, await placements(ma, part, results));
      done += part.length;
      options.onProgress?.({ done, total: items.length });
    })();
  }
  await placing;
  return { done, total: items.length };
}

async function placements(ma: Memalign, items: QueueItem[], results: JudgeResult[]): Promise<Placement[]> {
  const state = await ma.memory.refresh();
  return items.map((item, i) => {
    const r = results[i];
    if (!r.ok) return { id: item.id, verdict: item.verdict, memoryVersion: item.memoryVersion, priority: 0, reason: 'pending', why: `Judging failed: ${r.error.message}`, error: r.error.message };
    return placementOf(ma, state, item, { value: r.value, rationale: r.rationale, provenance: r.provenance });
  });
}

/**
 * Where an item with this verdict goes in its queue, from the memory the verdict was made with:
 * the experts' values for its record and the values of the precedents it recalled.
 *
 * @example
 * await reviews.place(queue.id, [placementOf(ma, await ma.memory.refresh(), item, item.verdict!)]);
 */
export function placementOf(ma: Memalign, state: MemoryState, item: QueueItem, verdict: ItemVerdict): Placement {
  const feedbackValues = feedbackValuesOf(state.feedback).get(item.id) ?? [];
  const precedentValues = verdict.provenance.episodes.map((e) => state.episodes.get(e.id)?.value).filter((v): v is VerdictValue => v !== undefined);
  return { id: item.id, verdict, memoryVersion: verdict.provenance.memoryVersion, ...placeOf({ kind: ma.definition.output, verdict, feedbackValues, precedentValues, calibration: item.calibration, needed: item.needed }) };
}

// Expert values per record id, indexed once per feedback map (each memory version has its own),
// not scanned per placed item: a queue of 10 000 items on a memory of 100 000 feedback stays linear.
const valuesByRecord = new WeakMap<Map<string, Feedback>, Map<string, VerdictValue[]>>();
export function feedbackValuesOf(feedback: Map<string, Feedback>): Map<string, VerdictValue[]> {
  let index = valuesByRecord.get(feedback);
  if (!index) {
    index = new Map();
    for (const f of feedback.values()) {
      if (f.value === undefined) continue;
      const list = index.get(f.record.id);
      if (list) list.push(f.value); else index.set(f.record.id, [f.value]);
    }
    valuesByRecord.set(feedback, index);
  }
  return index;
}

/** The feedback a review becomes: the reviewer is the author, so their resubmission supersedes it. */
export function reviewFeedback(review: Review, record: JudgedRecord): Feedback {
  const rationale = [review.rationale, review.expected ? `Expected answer: ${review.expected}` : undefined].filter(Boolean).join('\n\n');
  return {
    id: defaultFeedbackId(record.id, review.reviewer), record, author: review.reviewer, createdAt: review.createdAt,
    ...(review.value !== undefined ? { value: review.value } : {}), ...(rationale ? { rationale } : {}),
    ...(review.verdictSeen ? { judgeVerdict: review.verdictSeen } : {}),
  };
}

/** What `alignReviews` did. */
export interface AlignOutcome {
  report: MemoryChangeReport;
  /** Reviews aligned into memory. */
  aligned: number;
  /** Reviews of calibration items, kept out of memory to measure agreement honestly. */
  heldOut: number;
  /** Items whose verdict changed with the new memory. */
  flips: { queue: string; item: string; before: VerdictValue | null; after: VerdictValue }[];
  rejudged: number;
  before: Evaluation | null;
  after: Evaluation | null;
}

/**
 * Aligns a judge on its queues' new reviews (calibration items held out), marks them aligned,
 * re-judges the calibration sample, the reviewed items and the open items (up to `rejudgeLimit`),
 * and measures judge↔human agreement before and after. Memory changes in one transaction (the
 * library's align); a failure leaves memory and reviews as they were.
 *
 * @example
 * const outcome = await alignReviews(ma, reviews, { by: 'ann' });
 */
export async function alignReviews(ma: Memalign, reviews: ReviewStore, options: { by: string; rejudgeLimit?: number; concurrency?: number; onProgress?: (stage: string, p: JudgeProgress) => void; signal?: AbortSignal }): Promise<AlignOutcome> {
  const judge = ma.definition.name;
  const pending = await reviews.unaligned(judge);
  const learn = pending.filter((p) => !p.calibration);
  const feedback = learn.map((p) => reviewFeedback(p.review, p.record));
  const report = await ma.align(feedback, { by: options.by, signal: options.signal });
  if (learn.length) await reviews.markAligned(learn.map((p) => p.review), report.version, options.by);
  const queues = await reviews.queues(judge);
  const targets: { queue: string; item: QueueItem; human: VerdictValue | undefined }[] = [];
  for (const q of queues) {
    const byItem = new Map<string, Review[]>();
    for (const r of await reviews.queueReviews(q.id)) byItem.set(r.item, [...(byItem.get(r.item) ?? []), r]);
    for (const item of await reviews.allItems(q.id, ['open', 'done'])) {
      targets.push({ queue: q.id, item, human: consensus(ma, byItem.get(item.id) ?? []) });
    }
  }
  // Most telling first: held-out calibration items with a human value, other reviewed items, then open ones.
  const rank = (t: (typeof targets)[number]) => (t.item.calibration && t.human !== undefined ? 0 : t.human !== undefined ? 1 : 2);
  targets.sort((a, b) => rank(a) - rank(b));
  const chosen = targets.filter((t) => t.item.memoryVersion !== report.version).slice(0, options.rejudgeLimit ?? 200);
  const flips: AlignOutcome['flips'] = [];
  const beforeValues = new Map(chosen.map((t) => [`${t.queue}\n${t.item.id}`, t.item.verdict?.value ?? null]));
  let done = 0;
  for (const q of queues) {
    const mine = chosen.filter((t) => t.queue === q.id).map((t) => t.item);
    if (mine.length === 0) continue;
    await judgeItems(ma, reviews, q.id, mine, { concurrency: options.concurrency, signal: options.signal, onProgress: (p) => options.onProgress?.('rejudge', { done: done + p.done, total: chosen.length }) });
    done += mine.length;
    for (const item of mine) {
      const now = await reviews.item(q.id, item.id);
      const before = beforeValues.get(`${q.id}\n${item.id}`) ?? null;
      if (now.verdict && before !== now.verdict.value) flips.push({ queue: q.id, item: item.id, before, after: now.verdict.value });
    }
  }
  const labelled = chosen.filter((t) => t.human !== undefined);
  const at = new Date().toISOString();
  const previous = (await reviews.evaluations(judge)).at(-1);
  const beforeEval = labelled.length ? evaluation(ma, judge, previous?.version ?? report.version - 1, at, labelled.map((t) => [t.human!, beforeValues.get(`${t.queue}\n${t.item.id}`) ?? null]), 0) : null;
  const afterPairs: [VerdictValue, VerdictValue | null][] = [];
  for (const t of labelled) afterPairs.push([t.human!, (await reviews.item(t.queue, t.item.id)).verdict?.value ?? null]);
  const afterEval = labelled.length ? evaluation(ma, judge, report.version, at, afterPairs, flips.length) : null;
  if (beforeEval && !previous) await reviews.addEvaluation(beforeEval);
  if (afterEval && report.changed) await reviews.addEvaluation(afterEval);
  return { report, aligned: learn.length, heldOut: pending.length - learn.length, flips, rejudged: chosen.length, before: previous ?? beforeEval, after: afterEval };
}

/** The experts' value for an item: the most given one (numeric: the mean); undefined without one. */
export function consensus(ma: Memalign, item: Review[]): VerdictValue | undefined {
  const values = item.map((r) => r.value).filter((v): v is VerdictValue => v !== undefined);
  if (values.length === 0) return undefined;
  if (ma.definition.output.type === 'numeric') return values.reduce((a: number, b) => a + (b as number), 0) / values.length;
  const counts = new Map<VerdictValue, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

function evaluation(ma: Memalign, judge: string, version: number, at: string, pairs: [VerdictValue, VerdictValue | null][], flipped: number): Evaluation {
  const usable = pairs.filter((p): p is [VerdictValue, VerdictValue] => p[1] !== null);
  const numeric = ma.definition.output.type === 'numeric';
  return {
    judge, version, at, n: usable.length, metric: numeric ? 'ccc' : 'kappa', flipped,
    accuracy: numeric ? null : exactMatch(usable.map((p) => p[0]), usable.map((p) => p[1])),
    agreement: numeric ? linCcc(usable.map((p) => p[0] as number), usable.map((p) => p[1] as number)) : cohensKappa(usable.map((p) => p[0]), usable.map((p) => p[1])),
  };
}
