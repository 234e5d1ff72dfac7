import type { Episode, EpisodeTokens, Guideline, JudgeDefinition, Usage } from '../core/types.ts';
import type { MemoryPlan } from '../core/align/plan.ts';
import type { MemoryOperation } from '../core/memory/operations.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { dedupGuidelines, type ProposedGuideline } from '../core/align/dedup.ts';
import { guidelineKeys, newGuidelineId } from '../core/memory/guideline-rules.ts';
import { AlignError } from '../core/errors.ts';
import { estimateTokens } from '../core/text/tokens.ts';
import { countEpisodeTokens } from '../core/prompt/episode-tokens.ts';
import { createLimiter, type Limiter } from '../model/limit.ts';
import { DEFAULT_EMBED_BATCH, type Embedder } from '../embed/embedder.ts';
import { planTasks, runTask, type DistillSettings, type TaskResult } from './distill.ts';
import type { LoadedMemory, MemalignEvent } from './loaded-memory.ts';
import { UsageTally } from './usage.ts';
import type { PriceOverrides } from '../model/pricing.ts';
import type { AlignCheckpoint } from './checkpoint.ts';

/** What an align, forget, redistil or import changed in memory. */
export interface MemoryChangeReport {
  /** False when there was nothing to do (no LLM call, no new version). */
  changed: boolean;
  version: number;
  guidelinesAdded: Guideline[];
  guidelinesRevised: { id: string; before: string; after: string }[];
  guidelinesRemoved: Guideline[];
  /** Existing guidelines that new feedback repeated: they gained sources. */
  guidelinesReinforced: string[];
  /** Guidelines an expert deleted that new feedback repeated: they stay deleted. */
  guidelinesSuppressed: string[];
  episodesAdded: string[];
  episodesUpdated: string[];
  episodesRemoved: string[];
  feedbackStored: number;
  feedbackUnchanged: number;
  feedbackRemoved: number;
  /** Feedback that no longer counts (superseded, outvoted, changed or forgotten). */
  feedbackSuperseded: string[];
  duplicatesDropped: number;
  /** LLM calls made (distillation and revision) and their tokens and cost. */
  usage: Usage;
  embeddings: { requests: number; texts: number };
  /** Model calls run one after another on the critical path (rounds of parallel calls). */
  rounds: number;
  /** Model answers taken from the checkpoint of an earlier, failed run instead of a new call. */
  reusedAnswers: number;
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
  checkpoint?: AlignCheckpoint;
}

/**
 * Carries out a plan: distils and revises guidelines (parallel LLM calls) while new episodes are
 * embedded, then commits everything as one transaction. Any failure before the commit leaves
 * memory as it was. Expert-owned guidelines are never rewritten or removed here.
 *
 * @example
 * const report = await executePlan(planAlign(state, feedback, textOf), 'align: 12 feedback', ctx);
 */
export async function executePlan(plan: MemoryPlan, cause: string, ctx: ExecuteContext): Promise<MemoryChangeReport> {
  const started = ctx.now();
  const state = ctx.memory.state!;
  // A store that cannot take the commit fails now, before any model call is paid for.
  await ctx.store.checkWritable();
  const tally = new UsageTally(ctx.prices);
  const leaving = new Set([...plan.guidelineDeletes, ...plan.stale.map((s) => s.guideline.id), ...plan.guidelinePurges]);
  const shownToModel = [...state.guidelines.values()].filter((g) => !leaving.has(g.id));
  const semantic = ctx.judge.memory.semantic;
  const toDistil = semantic ? plan.toDistil : [];
  const tasks = planTasks(ctx.judge, toDistil, plan.stale, shownToModel, ctx.settings);
  const tokenCache = new Map<string, number>();
  const tokensOf = (g: Guideline) => { let t = tokenCache.get(g.id); if (t === undefined) { t = estimateTokens(g.text) + 2; tokenCache.set(g.id, t); } return t; };

  // Embedding new episodes does not depend on distillation: its requests (each as large as the
  // embedder allows) and the distillation calls share one limiter of `parallelism` requests, the
  // embedding ones queued first, so the critical path is the distillation rounds (plus at most one).
  const limit = createLimiter(ctx.settings.parallelism);
  const embedding = embedEpisodes(plan.episodePuts, ctx, limit);
  embedding.catch(() => {});
  const counting = countTokens(plan.episodePuts, ctx);
  counting.catch(() => {});
  const llmStart = ctx.now();
  let done = 0;
  let reused = 0;
  if (tasks.length > 0) ctx.onEvent({ type: 'tasks', judge: ctx.judge.name, total: tasks.length, parallelism: ctx.settings.parallelism });
  const results: TaskResult[] = await Promise.all(tasks.map((task) => limit(async () => {
    const taskStart = ctx.now();
    const r = await runTask(task, { judge: ctx.judge, model: ctx.model(), existing: shownToModel, supportById: plan.supportById, settings: ctx.settings, tally, signal: ctx.signal, tokensOf, checkpoint: ctx.checkpoint, onReuse: () => { reused += 1; } });
    ctx.onEvent({ type: 'task', judge: ctx.judge.name, done: ++done, total: tasks.length, ms: ctx.now() - taskStart });
    return r;
  })));
  const llmMs = ctx.now() - llmStart;
  const failed = results.flatMap((r) => (r.ok ? [] : r.feedbackIds));
  if (failed.length > 0) {
    const first = results.find((r) => !r.ok) as { error: unknown };
    const why = first.error instanceof Error ? first.error.message : String(first.error);
    const failedTasks = results.filter((r) => !r.ok).length;
    const kept = ctx.checkpoint ? ` The answers of the ${tasks.length - failedTasks} call(s) that succeeded are kept in the checkpoint: a rerun pays only for the ${failedTasks} that failed.` : '';
    throw new AlignError(`Alignment failed: ${failedTasks} of ${tasks.length} model calls failed after retries (${why}). ${new Set(failed).size} feedback item(s) were not distilled; nothing was stored.${kept} Run align again when the provider is healthy.`, [...new Set(failed)], first.error, { tasks: tasks.length, failedTasks });
  }
  const { vectors: fresh, requests: embedRequests, ms: embedMs } = await embedding;
  const counted = await counting;
  ctx.signal?.throwIfAborted();

  const version = state.version + 1;
  const taken = new Set([...state.guidelines.keys(), ...state.tombstones.keys()]);
  const ops: MemoryOperation[] = [];
  for (const f of plan.feedbackPuts) ops.push({ op: 'feedback.put', feedback: f });
  for (const id of plan.feedbackDeletes) ops.push({ op: 'feedback.delete', id });

  const distilled = new Set(toDistil.map((e) => e.key));
  const planned = new Set(plan.toDistil.map((e) => e.key));
  for (const e of plan.episodePuts) {
    const episode: Episode = { ...e, tokens: e.tokens ?? counted.get(e.id), ...(planned.has(e.id) ? { distilled: distilled.has(e.id) } : {}) };
    ops.push({ op: 'episode.put', episode, vector: fresh.get(e.id) ?? ctx.memory.vectorFor(e) ?? null, embedderId: ctx.embedder.id });
  }
  for (const id of plan.episodeDeletes) ops.push({ op: 'episode.delete', id });

  // New proposals are matched against every live guideline, including those about to be revised
  // or removed: a rule re-derived from new feedback keeps its guideline (and id) alive.
  const proposals: ProposedGuideline[] = results.flatMap((r) => (r.ok && r.kind === 'distill' ? r.proposals : []));
  const purged = new Set(plan.guidelinePurges);
  const live = [...state.guidelines.values()].filter((g) => !purged.has(g.id));
  const dedup = dedupGuidelines(live, proposals, [...state.tombstones.values()]);
  const revived = new Set(dedup.extended.filter((x) => leaving.has(x.id)).map((x) => x.id));

  const removed: Guideline[] = [];
  const revised: MemoryChangeReport['guidelinesRevised'] = [];
  const reinforced: string[] = [];
  const staleById = new Map(plan.stale.map((s) => [s.guideline.id, s]));
  const lost = new Set(plan.lost);
  const keptKeys = new Set(live.filter((g) => !leaving.has(g.id)).flatMap(guidelineKeys));
  for (const r of results) {
    if (!r.ok || r.kind !== 'revise') continue;
    for (const rev of r.revisions) {
      const g = state.guidelines.get(rev.id)!;
      const s = staleById.get(rev.id)!;
      if (revived.has(rev.id)) continue;
      // A revision that now repeats another guideline is merged away rather than kept twice.
      const repeats = rev.text !== null && guidelineKeys({ ...g, text: rev.text, aliases: [] }).some((k) => keptKeys.has(k));
      if (rev.text === null || repeats) { removed.push(g); ops.push({ op: 'guideline.delete', id: g.id }); continue; }
      for (const k of guidelineKeys({ ...g, text: rev.text, aliases: [] })) keptKeys.add(k);
      ops.push({ op: 'guideline.update', id: g.id, changes: { text: rev.text, sources: s.remaining } });
      if (rev.text !== g.text) revised.push({ id: g.id, before: g.text, after: rev.text });
    }
  }
  for (const id of plan.guidelineDeletes) {
    if (revived.has(id)) continue;
    removed.push(state.guidelines.get(id)!);
    ops.push({ op: 'guideline.delete', id });
  }
  for (const id of plan.guidelinePurges) {
    const g = state.guidelines.get(id) ?? state.tombstones.get(id);
    if (g && state.guidelines.has(id)) removed.push(g);
    ops.push({ op: 'guideline.purge', id });
  }
  const extendedIds = new Set(dedup.extended.map((x) => x.id));
  for (const u of plan.sourceUpdates) {
    if (extendedIds.has(u.id)) continue;
    ops.push({ op: 'guideline.update', id: u.id, changes: { sources: u.sources } });
  }
  for (const ext of dedup.extended) {
    // Old sources that no longer count go; what the new feedback cites (even under a reused id) comes in.
    const g = state.guidelines.get(ext.id)!;
    const sources = [...new Set([...g.sources.filter((s) => !lost.has(s)), ...ext.added])];
    ops.push({ op: 'guideline.update', id: ext.id, changes: { sources } });
    reinforced.push(ext.id);
  }
  const added: Guideline[] = [];
  for (const g of plan.guidelineAdds) { ops.push({ op: 'guideline.add', guideline: g }); added.push(g); }
  for (const g of plan.tombstoneAdds) ops.push({ op: 'tombstone.add', guideline: g });
  for (const [n, p] of dedup.added.entries()) {
    const id = newGuidelineId(taken, `${ctx.judge.name}\n${version}\n${n}\n${p.text}`);
    taken.add(id);
    const g: Guideline = { id, text: p.text, sources: p.sources, origin: 'distilled', pinned: false, createdVersion: version, updatedVersion: version };
    added.push(g);
    ops.push({ op: 'guideline.add', guideline: g });
  }

  const forgotten = new Set(plan.feedbackDeletes);
  const storeStart = ctx.now();
  const committed = await ctx.store.commit(ctx.judge.name, state.version, ops, cause);
  ctx.memory.applyCommitted(ops, committed);
  const storeMs = ctx.now() - storeStart;
  return {
    changed: true, version: committed,
    guidelinesAdded: added, guidelinesRevised: revised, guidelinesRemoved: removed, guidelinesReinforced: reinforced, guidelinesSuppressed: dedup.suppressed,
    episodesAdded: plan.episodePuts.filter((e) => !state.episodes.has(e.id)).map((e) => e.id),
    episodesUpdated: plan.episodePuts.filter((e) => state.episodes.has(e.id)).map((e) => e.id),
    episodesRemoved: plan.episodeDeletes,
    feedbackStored: plan.feedbackPuts.length, feedbackUnchanged: plan.unchanged.length, feedbackRemoved: plan.feedbackDeletes.length,
    feedbackSuperseded: plan.lost.filter((id) => !forgotten.has(id)),
    duplicatesDropped: dedup.dropped, usage: tally.usage(), embeddings: { requests: embedRequests, texts: fresh.size },
    rounds: Math.ceil(tasks.length / ctx.settings.parallelism), reusedAnswers: reused,
    timings: { totalMs: ctx.now() - started, llmMs, embedMs, storeMs },
  };
}

// Vectors for the episodes whose text is new; unchanged texts keep their stored vector. A
// provider's requests of `maxBatch` texts go out in parallel through the align's limiter. A local
// embedder computes on this thread: in slices, each after the event loop had its turn, so it runs
// while the distillation requests are in flight instead of delaying the first of them.
async function embedEpisodes(episodes: Episode[], ctx: ExecuteContext, limit: Limiter): Promise<{ vectors: Map<string, Float32Array>; requests: number; ms: number }> {
  const start = ctx.now();
  const need = episodes.filter((e) => !ctx.memory.vectorFor(e));
  const vectors = new Map<string, Float32Array>();
  const size = ctx.embedder.local ? LOCAL_EMBED_SLICE : Math.max(1, ctx.embedder.maxBatch ?? DEFAULT_EMBED_BATCH);
  const chunks: Episode[][] = [];
  for (let i = 0; i < need.length; i += size) chunks.push(need.slice(i, i + size));
  if (ctx.embedder.local) {
    for (const chunk of chunks) {
      await new Promise((resolve) => setImmediate(resolve));
      ctx.signal?.throwIfAborted();
      const out = await ctx.embedder.embed(chunk.map((e) => e.text));
      chunk.forEach((e, j) => vectors.set(e.id, out[j]));
    }
  } else {
    await Promise.all(chunks.map(async (chunk) => {
      const out = await limit(() => ctx.embedder.embed(chunk.map((e) => e.text)));
      chunk.forEach((e, j) => vectors.set(e.id, out[j]));
    }));
  }
  if (need.length > 0) ctx.onEvent({ type: 'embed', judge: ctx.judge.name, count: need.length });
  return { vectors, requests: ctx.embedder.local ? 0 : chunks.length, ms: ctx.now() - start };
}

// The token counts kept with new episodes (Episode.tokens), so judging need not count recalled
// examples again: counted while the distillation and embedding requests are in flight, in slices
// of at most SLICE_MS, each after the event loop had its turn, so an answer that arrives is
// handled (and the next request sent) without waiting for the counting (about 20 ms of CPU per
// 1 000 short records).
async function countTokens(episodes: Episode[], ctx: ExecuteContext): Promise<Map<string, EpisodeTokens>> {
  const out = new Map<string, EpisodeTokens>();
  const need = episodes.filter((e) => !e.tokens);
  let i = 0;
  while (i < need.length) {
    await new Promise((resolve) => setImmediate(resolve));
    ctx.signal?.throwIfAborted();
    const until = performance.now() + SLICE_MS;
    do { out.set(need[i].id, countEpisodeTokens(need[i])); i++; } while (i < need.length && performance.now() < until);
  }
  return out;
}
const SLICE_MS = 2;

/** Texts a local embedder computes between two turns of the event loop (about 30 ms with the hashed embedder). */
const LOCAL_EMBED_SLICE = 500;

/** A report for a call that had nothing to do. */
export function unchangedReport(version: number, unchanged: number): MemoryChangeReport {
  return {
    changed: false, version, guidelinesAdded: [], guidelinesRevised: [], guidelinesRemoved: [], guidelinesReinforced: [], guidelinesSuppressed: [],
    episodesAdded: [], episodesUpdated: [], episodesRemoved: [], feedbackStored: 0, feedbackUnchanged: unchanged, feedbackRemoved: 0, feedbackSuperseded: [],
    duplicatesDropped: 0, usage: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }, embeddings: { requests: 0, texts: 0 }, rounds: 0, reusedAnswers: 0,
    timings: { totalMs: 0, llmMs: 0, embedMs: 0, storeMs: 0 },
  };
}
