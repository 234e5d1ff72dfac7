import type { Episode, Feedback, Guideline, VerdictValue, JudgedRecord } from '../types.ts';
import type { MemoryState } from '../memory/operations.ts';
import { resolveFeedback } from '../feedback/resolve.ts';
import { contentHash } from '../text/hash.ts';

/** A resolved, labelled record sent to distillation. `key` is the record id. */
export interface DistilExample {
  key: string;
  record: JudgedRecord;
  value?: VerdictValue;
  rationale?: string;
  feedbackIds: string[];
}

/** A distilled guideline that lost sources: revise it from what remains. */
export interface StaleGuideline { guideline: Guideline; remaining: string[] }

/** What an align or forget must do; computed without I/O. */
export interface MemoryPlan {
  feedbackPuts: Feedback[];
  feedbackDeletes: string[];
  /** Feedback ids given again with identical content (nothing to do). */
  unchanged: string[];
  /** Feedback ids that existed with different content. */
  changed: string[];
  episodePuts: Episode[];
  episodeDeletes: string[];
  /** New or changed examples to distil guidelines from. */
  toDistil: DistilExample[];
  /** Guidelines that lost some sources, with the sources that remain. */
  stale: StaleGuideline[];
  /** Guidelines all of whose sources are gone. */
  guidelineDeletes: string[];
  /** Guidelines added as they are, without distillation (memory import). */
  guidelineAdds: Guideline[];
}

/** Hash of the parts of a feedback that matter (not its id or time). */
export function feedbackHash(f: Feedback): string {
  return contentHash({ record: f.record, value: f.value ?? null, rationale: f.rationale ?? null, author: f.author ?? null });
}

/**
 * Plans an alignment: which feedback is new or changed, which episodes change, what to distil,
 * which guidelines went stale. Re-aligning identical feedback plans nothing.
 *
 * @example
 * const plan = planAlign(memory, feedback, (record) => JSON.stringify(record.inputs));
 */
export function planAlign(state: MemoryState, incoming: Feedback[], textOf: (r: JudgedRecord) => string): MemoryPlan {
  const plan = emptyPlan();
  const after = new Map(state.feedback);
  const touched = new Set<string>();
  for (const f of incoming) {
    const old = state.feedback.get(f.id);
    if (old && feedbackHash(old) === feedbackHash(f)) { plan.unchanged.push(f.id); continue; }
    if (old) { plan.changed.push(f.id); touched.add(old.record.id); }
    plan.feedbackPuts.push(f);
    after.set(f.id, f);
    touched.add(f.record.id);
  }
  planEpisodes(state, after, touched, textOf, plan, true);
  planStale(state, new Set(plan.changed), plan);
  return plan;
}

/**
 * Plans forgetting feedback: episodes re-resolve from what remains (or go), guidelines lose those
 * sources and are revised, or removed when none remain. Unknown ids are reported by the caller.
 *
 * @example
 * const plan = planForget(memory, ['fb_1'], textOf);
 */
export function planForget(state: MemoryState, ids: string[], textOf: (r: JudgedRecord) => string): MemoryPlan {
  const plan = emptyPlan();
  const after = new Map(state.feedback);
  const touched = new Set<string>();
  for (const id of ids) {
    const f = state.feedback.get(id);
    if (!f) continue;
    plan.feedbackDeletes.push(id);
    after.delete(id);
    touched.add(f.record.id);
  }
  planEpisodes(state, after, touched, textOf, plan, false);
  planStale(state, new Set(plan.feedbackDeletes), plan);
  return plan;
}

function planEpisodes(state: MemoryState, after: Map<string, Feedback>, touched: Set<string>, textOf: (r: JudgedRecord) => string, plan: MemoryPlan, distil: boolean): void {
  const byRecord = new Map<string, Feedback[]>();
  for (const f of after.values()) {
    if (!touched.has(f.record.id)) continue;
    const list = byRecord.get(f.record.id) ?? [];
    list.push(f);
    byRecord.set(f.record.id, list);
  }
  for (const recordId of [...touched].sort()) {
    const items = byRecord.get(recordId);
    if (!items) { if (state.episodes.has(recordId)) plan.episodeDeletes.push(recordId); continue; }
    const latest = items.reduce((a, b) => (Date.parse(b.createdAt) >= Date.parse(a.createdAt) ? b : a));
    const resolved = resolveFeedback(items);
    const record = latest.record;
    const hash = contentHash({ record, value: resolved.value ?? null, rationale: resolved.rationale ?? null });
    const old = state.episodes.get(recordId);
    const sameSources = old !== undefined && old.feedbackIds.join() === resolved.feedbackIds.join();
    if (old && old.hash === hash && sameSources) continue;
    const episode: Episode = {
      id: recordId, record, value: resolved.value, rationale: resolved.rationale, feedbackIds: resolved.feedbackIds,
      text: old && old.hash === hash ? old.text : textOf(record), hash, createdVersion: state.version + 1,
    };
    plan.episodePuts.push(episode);
    if (distil && (!old || old.hash !== hash)) {
      plan.toDistil.push({ key: recordId, record, value: resolved.value, rationale: resolved.rationale, feedbackIds: resolved.feedbackIds });
    }
  }
}

function planStale(state: MemoryState, lost: Set<string>, plan: MemoryPlan): void {
  if (lost.size === 0) return;
  for (const g of [...state.guidelines.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (g.origin !== 'distilled' || !g.sources.some((s) => lost.has(s))) continue;
    const remaining = g.sources.filter((s) => !lost.has(s));
    if (remaining.length === 0) plan.guidelineDeletes.push(g.id);
    else plan.stale.push({ guideline: g, remaining });
  }
}

function emptyPlan(): MemoryPlan {
  return { feedbackPuts: [], feedbackDeletes: [], unchanged: [], changed: [], episodePuts: [], episodeDeletes: [], toDistil: [], stale: [], guidelineDeletes: [], guidelineAdds: [] };
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: MemoryPlan): boolean {
  return plan.feedbackPuts.length + plan.feedbackDeletes.length + plan.episodePuts.length + plan.episodeDeletes.length + plan.stale.length + plan.guidelineDeletes.length + plan.guidelineAdds.length === 0;
}
