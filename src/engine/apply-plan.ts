import type { Feedback, Guideline, JudgeDefinition, Usage } from '../core/types.ts';
import type { DistilExample, MemoryPlan } from '../core/align/plan.ts';
import type { MemoryOperation } from '../core/memory/operations.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { dedupGuidelines, type ProposedGuideline } from '../core/align/dedup.ts';
import { resolveFeedback } from '../core/feedback/resolve.ts';
import { contentHash, normaliseText } from '../core/text/hash.ts';
import { AlignError } from '../core/errors.ts';
import { mapLimit } from '../model/limit.ts';
import { planTasks, runTask, type DistillSettings } from './distill.ts';
import type { LoadedMemory, MemalignEvent } from './loaded-memory.ts';
import { UsageTally } from './usage.ts';
import type { PriceOverrides } from '../model/pricing.ts';

/** What an align or forget changed in memory. */
export interface MemoryChangeReport {
  /** False when there was nothing to do (no LLM call, no new version). */
  changed: boolean;
  version: number;
  guidelinesAdded: Guideline[];
  guidelinesRevised: { id: string; before: string; after: string }[];
  guidelinesRemoved: Guideline[];
  /** Existing guidelines that new feedback repeated: they gained sources. */
  guidelinesReinforced: string[];
  episodesAdded: string[];
  episodesUpdated: string[];
  episodesRemoved: string[];
  feedbackStored: number;
  feedbackUnchanged: number;
  feedbackRemoved: number;
  duplicatesDropped: number;
  /** LLM calls made (distillation and revision) and their tokens and cost. */
  usage: Usage;
  embeddings: { requests: number; texts: number };
  /** Model calls run one after another on the critical path (rounds of parallel calls). */
  rounds: number;
  timings: { totalMs: number; llmMs: number; embedMs: number; storeMs: number };
}

/** Everything `executePlan` needs. */
export interface ExecuteContext {
  judge: JudgeDefinition;
  store: MemoryStore;
  memory: LoadedMemory;
  model: () => ChatModel;
  embedder: Embedder;
  settings: DistillSettings;
  prices?: PriceOverrides;
  onEvent: (e: MemalignEvent) => void;
  now: () => number;
  signal?: AbortSignal;
}

/**
 * Carries out a plan: distils and revises guidelines (parallel LLM calls), embeds new episodes,
 * then commits everything as one transaction. Any failure before the commit leaves memory as it was.
 *
 * @example
 * const report = await executePlan(planAlign(state, feedback, textOf), 'align: 12 feedback', ctx);
 */
export async function executePlan(plan: MemoryPlan, cause: string, ctx: ExecuteContext): Promise<MemoryChangeReport> {
  const started = ctx.now();
  const state = ctx.memory.state!;
  const tally = new UsageTally(ctx.prices);
  const gone = new Set([...plan.guidelineDeletes, ...plan.stale.map((s) => s.guideline.id)]);
  const existing = [...state.guidelines.values()].filter((g) => !gone.has(g.id));
  const toDistil = ctx.judge.memory.semantic ? plan.toDistil : [];
  const examplesById = remainingExamples(plan, state.feedback);
  const tasks = planTasks(ctx.judge, toDistil, plan.stale, existing, ctx.settings);

  const llmStart = ctx.now();
  let done = 0;
  const results = tasks.length === 0 ? [] : await mapLimit(tasks, ctx.settings.parallelism, async (task) => {
    const r = await runTask(task, { judge: ctx.judge, model: ctx.model(), existing, examplesById, settings: ctx.settings, tally, signal: ctx.signal });
    ctx.onEvent({ type: 'task', judge: ctx.judge.name, done: ++done, total: tasks.length });
    return r;
  });
  const llmMs = ctx.now() - llmStart;
  const failed = results.flatMap((r) => (r.ok ? [] : r.feedbackIds));
  if (failed.length > 0) {
    const first = results.find((r) => !r.ok) as { error: unknown };
    const why = first.error instanceof Error ? first.error.message : String(first.error);
    throw new AlignError(`Alignment failed: ${results.filter((r) => !r.ok).length} of ${tasks.length} model calls failed after retries (${why}). ${failed.length} feedback item(s) were not distilled; nothing was stored. Run align again when the provider is healthy.`, [...new Set(failed)], first.error);
  }

  const proposals: ProposedGuideline[] = results.flatMap((r) => (r.ok && r.kind === 'distill' ? r.proposals : []));
  const dedup = dedupGuidelines(existing, proposals);
  const version = state.version + 1;
  const ops: MemoryOperation[] = [];
  for (const f of plan.feedbackPuts) ops.push({ op: 'feedback.put', feedback: f });
  for (const id of plan.feedbackDeletes) ops.push({ op: 'feedback.delete', id });

  const embedStart = ctx.now();
  const needVectors = plan.episodePuts.filter((e) => !ctx.memory.vectorFor(e));
  const fresh = new Map<string, Float32Array>();
  let embedRequests = 0;
  for (let i = 0; i < needVectors.length; i += 256) {
    const chunk = needVectors.slice(i, i + 256);
    const vectors = await ctx.embedder.embed(chunk.map((e) => e.text));
    embedRequests += 1;
    chunk.forEach((e, j) => fresh.set(e.id, vectors[j]));
  }
  if (needVectors.length > 0) ctx.onEvent({ type: 'embed', judge: ctx.judge.name, count: needVectors.length });
  const embedMs = ctx.now() - embedStart;

  for (const e of plan.episodePuts) ops.push({ op: 'episode.put', episode: e, vector: fresh.get(e.id) ?? ctx.memory.vectorFor(e) ?? null, embedderId: ctx.embedder.id });
  for (const id of plan.episodeDeletes) ops.push({ op: 'episode.delete', id });

  const removed: Guideline[] = plan.guidelineDeletes.map((id) => state.guidelines.get(id)!);
  const revised: MemoryChangeReport['guidelinesRevised'] = [];
  const keptTexts = new Set(existing.map((g) => normaliseText(g.text)));
  for (const r of results) {
    if (!r.ok || r.kind !== 'revise') continue;
    for (const rev of r.revisions) {
      const g = state.guidelines.get(rev.id)!;
      const stale = plan.stale.find((s) => s.guideline.id === rev.id)!;
      // A revision that now repeats another guideline is merged away rather than kept twice.
      if (rev.text === null || keptTexts.has(normaliseText(rev.text))) { removed.push(g); ops.push({ op: 'guideline.delete', id: g.id }); continue; }
      keptTexts.add(normaliseText(rev.text));
      ops.push({ op: 'guideline.update', id: g.id, changes: { text: rev.text, sources: stale.remaining } });
      revised.push({ id: g.id, before: g.text, after: rev.text });
    }
  }
  for (const id of plan.guidelineDeletes) ops.push({ op: 'guideline.delete', id });
  for (const ext of dedup.extended) ops.push({ op: 'guideline.update', id: ext.id, changes: { sources: ext.sources } });
  const added: Guideline[] = [...plan.guidelineAdds];
  for (const g of plan.guidelineAdds) ops.push({ op: 'guideline.add', guideline: g });
  for (const p of dedup.added) {
    if (keptTexts.has(normaliseText(p.text))) continue;
    const id = guidelineId(ctx.judge.name, p.text);
    // The same rule re-derived from new feedback as a guideline that went stale: it replaces that
    // guideline (the add comes after its revision or removal) and keeps the sources that remain.
    const stale = plan.stale.find((x) => x.guideline.id === id);
    const sources = [...new Set([...(stale?.remaining ?? []), ...p.sources])];
    const g: Guideline = { id, text: p.text, sources, origin: 'distilled', pinned: false, createdVersion: version, updatedVersion: version };
    for (const list of [revised, removed]) { const i = list.findIndex((x) => x.id === id); if (i >= 0) list.splice(i, 1); }
    added.push(g);
    ops.push({ op: 'guideline.add', guideline: g });
  }

  const storeStart = ctx.now();
  const committed = await ctx.store.commit(ctx.judge.name, state.version, ops, cause);
  ctx.memory.applyCommitted(ops, committed);
  const storeMs = ctx.now() - storeStart;
  return {
    changed: true, version: committed,
    guidelinesAdded: added, guidelinesRevised: revised, guidelinesRemoved: removed, guidelinesReinforced: dedup.extended.map((e) => e.id),
    episodesAdded: plan.episodePuts.filter((e) => !state.episodes.has(e.id)).map((e) => e.id),
    episodesUpdated: plan.episodePuts.filter((e) => state.episodes.has(e.id)).map((e) => e.id),
    episodesRemoved: plan.episodeDeletes,
    feedbackStored: plan.feedbackPuts.length, feedbackUnchanged: plan.unchanged.length, feedbackRemoved: plan.feedbackDeletes.length,
    duplicatesDropped: dedup.dropped, usage: tally.usage(), embeddings: { requests: embedRequests, texts: needVectors.length },
    rounds: Math.ceil(tasks.length / ctx.settings.parallelism),
    timings: { totalMs: ctx.now() - started, llmMs, embedMs, storeMs },
  };
}

/** A report for a call that had nothing to do. */
export function unchangedReport(version: number, unchanged: number): MemoryChangeReport {
  return {
    changed: false, version, guidelinesAdded: [], guidelinesRevised: [], guidelinesRemoved: [], guidelinesReinforced: [],
    episodesAdded: [], episodesUpdated: [], episodesRemoved: [], feedbackStored: 0, feedbackUnchanged: unchanged, feedbackRemoved: 0,
    duplicatesDropped: 0, usage: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }, embeddings: { requests: 0, texts: 0 }, rounds: 0,
    timings: { totalMs: 0, llmMs: 0, embedMs: 0, storeMs: 0 },
  };
}

/** A guideline's id: derived from its judge and normalised text, so the same rule keeps one id. */
export function guidelineId(judge: string, text: string): string {
  return `g_${contentHash(`${judge}\n${normaliseText(text)}`, 12)}`;
}

// The feedback that remains after the plan, as resolved examples keyed by feedback id (for revisions).
function remainingExamples(plan: MemoryPlan, feedback: Map<string, Feedback>): Map<string, DistilExample> {
  const out = new Map<string, DistilExample>();
  if (plan.stale.length === 0) return out;
  const changed = new Set([...plan.changed, ...plan.feedbackDeletes]);
  const needed = new Set(plan.stale.flatMap((s) => s.remaining));
  const byRecord = new Map<string, Feedback[]>();
  for (const f of feedback.values()) {
    if (changed.has(f.id)) continue;
    const list = byRecord.get(f.record.id) ?? [];
    list.push(f);
    byRecord.set(f.record.id, list);
  }
  for (const [recordId, items] of byRecord) {
    if (!items.some((f) => needed.has(f.id))) continue;
    const r = resolveFeedback(items);
    const ex: DistilExample = { key: recordId, record: items[items.length - 1].record, value: r.value, rationale: r.rationale, feedbackIds: r.feedbackIds };
    for (const f of items) out.set(f.id, ex);
  }
  return out;
}
