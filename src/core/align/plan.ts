import type { Episode, Feedback, Guideline, VerdictValue, JudgedRecord, JudgeVerdictSeen } from '../types.ts';
import type { MemoryState } from '../memory/operations.ts';
import { resolveFeedback, type Resolution } from '../feedback/resolve.ts';
import { feedbackHash } from '../feedback/identity.ts';
import { isExpertOwned } from '../memory/guideline-rules.ts';
import { contentHash } from '../text/hash.ts';

export { feedbackHash } from '../feedback/identity.ts';

/** A resolved, labelled record sent to distillation. `key` is the record id. */
export interface DistilExample {
  key: string;
  record: JudgedRecord;
  value?: VerdictValue;
  rationale?: string;
  feedbackIds: string[];
  judgeVerdict?: JudgeVerdictSeen;
}

/** A distilled guideline that lost sources: revise it from what remains. */
export interface StaleGuideline { guideline: Guideline; remaining: string[] }

/** What an align, forget, redistil or import must do; computed without I/O. */
export interface MemoryPlan {
  feedbackPuts: Feedback[];
  feedbackDeletes: string[];
  /** Feedback ids given again with identical content (nothing to do). */
  unchanged: string[];
  /** Feedback ids that existed with different content (superseded: the old content goes to history). */
  changed: string[];
  episodePuts: Episode[];
  episodeDeletes: string[];
  /** New or changed examples to distil guidelines from. */
  toDistil: DistilExample[];
  /** Distilled guidelines that lost some sources, with the sources that remain: revise them. */
  stale: StaleGuideline[];
  /** Distilled guidelines all of whose sources no longer count. */
  guidelineDeletes: string[];
  /** Expert-owned guidelines that lost sources: only their source lists change, never their text. */
  sourceUpdates: { id: string; sources: string[] }[];
  /** Guidelines added as they are, without distillation (memory import). */
  guidelineAdds: Guideline[];
  /** Tombstones added as they are (memory import). */
  tombstoneAdds: Guideline[];
  /** Guidelines and tombstones removed outright, with no revision (memory import, redistil all). */
  guidelinePurges: string[];
  /** Feedback ids that counted before and no longer do (changed, superseded, outvoted, forgotten). */
  lost: string[];
  /** The remaining support of stale guidelines: resolved examples keyed by feedback id, after the change. */
  supportById: Map<string, DistilExample>;
}

/**
 * Plans an alignment: which feedback is new or changed, which episodes change, what to distil,
 * and which guidelines cite feedback that no longer counts. Re-aligning identical feedback plans nothing.
 *
 * @example
 * const plan = planAlign(memory, feedback, (record) => JSON.stringify(record.inputs));
 */
export function planAlign(state: MemoryState, incoming: Feedback[], textOf: (r: JudgedRecord) => string): MemoryPlan {
  const puts: Feedback[] = [];
  const unchanged: string[] = [];
  const changed: string[] = [];
  for (const f of incoming) {
    const old = state.feedback.get(f.id);
    if (old && feedbackHash(old) === feedbackHash(f)) { unchanged.push(f.id); continue; }
    if (old) changed.push(f.id);
    puts.push(f);
  }
  return planChange(state, { puts, deletes: [], unchanged, changed }, textOf);
}

/**
 * Plans forgetting feedback: episodes re-resolve from what remains (or go), guidelines lose those
 * sources and are revised, or removed when none remain. Unknown ids are reported by the caller.
 *
 * @example
 * const plan = planForget(memory, ['fb_1'], textOf);
 */
export function planForget(state: MemoryState, ids: string[], textOf: (r: JudgedRecord) => string): MemoryPlan {
  return planChange(state, { puts: [], deletes: ids.filter((id) => state.feedback.has(id)), unchanged: [], changed: [] }, textOf);
}

/**
 * The one planner behind align and forget. For every record the change touches, it resolves the
 * record before and after; feedback that counted before and does not after is `lost`, and every
 * guideline citing lost feedback is revised from its remaining support, removed, or (if an
 * expert owns it) only loses those sources.
 */
export function planChange(state: MemoryState, change: { puts: Feedback[]; deletes: string[]; unchanged: string[]; changed: string[] }, textOf: (r: JudgedRecord) => string): MemoryPlan {
  const plan = emptyPlan();
  plan.feedbackPuts = change.puts;
  plan.feedbackDeletes = change.deletes;
  plan.unchanged = change.unchanged;
  plan.changed = change.changed;
  const after = new Map(state.feedback);
  const touched = new Set<string>();
  for (const id of change.deletes) { const f = state.feedback.get(id); if (f) { touched.add(f.record.id); after.delete(id); } }
  for (const f of change.puts) {
    const old = state.feedback.get(f.id);
    if (old) touched.add(old.record.id);
    touched.add(f.record.id);
    after.set(f.id, f);
  }
  const before = groupByRecord(state.feedback, touched);
  const afterByRecord = groupByRecord(after, touched);
  const lost = new Set<string>([...change.deletes, ...change.changed]);
  for (const recordId of [...touched].sort()) {
    const was = before.get(recordId) ? resolveFeedback(before.get(recordId)!) : undefined;
    const items = afterByRecord.get(recordId);
    const now = items ? resolveFeedback(items) : undefined;
    const stillCounting = new Set(now?.feedbackIds ?? []);
    for (const id of was?.feedbackIds ?? []) if (!stillCounting.has(id)) lost.add(id);
    if (!items || !now) { if (state.episodes.has(recordId)) plan.episodeDeletes.push(recordId); continue; }
    planEpisode(state, recordId, latest(items).record, now, textOf, plan);
  }
  plan.lost = [...lost].sort();
  planGuidelines(state, lost, after, plan);
  return plan;
}

function planEpisode(state: MemoryState, recordId: string, record: JudgedRecord, resolved: Resolution, textOf: (r: JudgedRecord) => string, plan: MemoryPlan): void {
  const hash = contentHash({ record, value: resolved.value ?? null, rationale: resolved.rationale ?? null });
  const old = state.episodes.get(recordId);
  const sameSources = old !== undefined && old.feedbackIds.join() === resolved.feedbackIds.join();
  const sameVerdict = old !== undefined && contentHash(old.judgeVerdict ?? null) === contentHash(resolved.judgeVerdict ?? null);
  if (old && old.hash === hash && sameSources && sameVerdict) return;
  const episode: Episode = {
    id: recordId, record, value: resolved.value, rationale: resolved.rationale, feedbackIds: resolved.feedbackIds,
    text: old && old.hash === hash ? old.text : textOf(record), hash, createdVersion: state.version + 1,
    distilled: old && old.hash === hash ? old.distilled : true,
  };
  // Token counts are of the texts, so an unchanged episode keeps its own (new ones are counted by executePlan).
  if (old && old.hash === hash && old.tokens && old.judgeVerdict?.rationale === resolved.judgeVerdict?.rationale) episode.tokens = old.tokens;
  if (resolved.judgeVerdict) {
    episode.judgeVerdict = resolved.judgeVerdict;
    if (resolved.judgeVerdict.value !== undefined && resolved.value !== undefined) episode.disagreed = JSON.stringify(resolved.judgeVerdict.value) !== JSON.stringify(resolved.value);
  }
  plan.episodePuts.push(episode);
  if (!old || old.hash !== hash) plan.toDistil.push(exampleOf(recordId, record, resolved));
}

function planGuidelines(state: MemoryState, lost: Set<string>, after: Map<string, Feedback>, plan: MemoryPlan): void {
  if (lost.size === 0) return;
  for (const g of [...state.guidelines.values()].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    if (!g.sources.some((s) => lost.has(s))) continue;
    const remaining = g.sources.filter((s) => !lost.has(s));
    if (isExpertOwned(g)) plan.sourceUpdates.push({ id: g.id, sources: remaining });
    else if (remaining.length === 0) plan.guidelineDeletes.push(g.id);
    else plan.stale.push({ guideline: g, remaining });
  }
  plan.supportById = supportOf(plan.stale.flatMap((s) => s.remaining), after);
}

// The remaining support of stale guidelines, resolved as the records stand after the change.
function supportOf(ids: string[], after: Map<string, Feedback>): Map<string, DistilExample> {
  const out = new Map<string, DistilExample>();
  if (ids.length === 0) return out;
  const records = new Set<string>();
  for (const id of ids) { const f = after.get(id); if (f) records.add(f.record.id); }
  for (const [recordId, items] of groupByRecord(after, records)) {
    const r = resolveFeedback(items);
    const ex = exampleOf(recordId, latest(items).record, r);
    for (const id of r.feedbackIds) out.set(id, ex);
  }
  return out;
}

function exampleOf(recordId: string, record: JudgedRecord, r: Resolution): DistilExample {
  const ex: DistilExample = { key: recordId, record, value: r.value, rationale: r.rationale, feedbackIds: r.feedbackIds };
  if (r.judgeVerdict) ex.judgeVerdict = r.judgeVerdict;
  return ex;
}

function groupByRecord(feedback: Map<string, Feedback>, records: Set<string>): Map<string, Feedback[]> {
  const out = new Map<string, Feedback[]>();
  for (const f of feedback.values()) {
    if (!records.has(f.record.id)) continue;
    const list = out.get(f.record.id) ?? [];
    list.push(f);
    out.set(f.record.id, list);
  }
  return out;
}

function latest(items: Feedback[]): Feedback {
  return items.reduce((a, b) => (Date.parse(b.createdAt) > Date.parse(a.createdAt) || (Date.parse(b.createdAt) === Date.parse(a.createdAt) && b.id > a.id) ? b : a));
}

/** A plan that changes nothing. */
export function emptyPlan(): MemoryPlan {
  return {
    feedbackPuts: [], feedbackDeletes: [], unchanged: [], changed: [], episodePuts: [], episodeDeletes: [], toDistil: [], stale: [],
    guidelineDeletes: [], sourceUpdates: [], guidelineAdds: [], tombstoneAdds: [], guidelinePurges: [], lost: [], supportById: new Map(),
  };
}

/** True when the plan changes nothing. */
export function isEmptyPlan(plan: MemoryPlan): boolean {
  return plan.feedbackPuts.length + plan.feedbackDeletes.length + plan.episodePuts.length + plan.episodeDeletes.length + plan.stale.length
    + plan.guidelineDeletes.length + plan.sourceUpdates.length + plan.guidelineAdds.length + plan.tombstoneAdds.length + plan.guidelinePurges.length + plan.toDistil.length === 0;
}
