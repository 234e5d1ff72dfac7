import type { Guideline, JudgeDefinition } from '../core/types.ts';
import type { DistilExample, StaleGuideline } from '../core/align/plan.ts';
import type { ProposedGuideline } from '../core/align/dedup.ts';
import type { ChatModel, ChatRequest } from '../model/chat-model.ts';
import { requestKey } from '../model/cassette.ts';
import type { AlignCheckpoint } from './checkpoint.ts';
import { packBatches } from '../core/align/batches.ts';
import { utf8Length } from '../core/text/utf8.ts';
import { DISTILL_SCHEMA, distillPrompt } from '../core/prompt/distill-prompt.ts';
import { revisePrompt, reviseSchema } from '../core/prompt/revise-prompt.ts';
import { parseJsonObject } from '../core/judge/parse-verdict.ts';
import { estimateTokens } from '../core/text/tokens.ts';
import { renderRecord } from '../core/prompt/render-record.ts';
import { recordFields } from '../core/prompt/distill-prompt.ts';
import { MemalignError } from '../core/errors.ts';
import { relevantGuidelines } from '../core/align/relevant-guidelines.ts';
import type { UsageTally } from './usage.ts';

/** Distillation settings (defaults follow the reference: ≤ 50 records a batch, 8 in parallel). */
export interface DistillSettings {
  maxBatchItems: number;
  /** Token budget of one distillation prompt (examples + existing guidelines). */
  maxBatchTokens: number;
  parallelism: number;
  /** Extra attempts for a batch whose answer is invalid or whose call failed. */
  retries: number;
  /** Longest a record field may be in a distillation prompt. */
  fieldTokens: number;
  maxOutputTokens: number;
  /** Share of `maxBatchTokens` that existing guidelines may take in a distillation prompt (the most relevant first). */
  guidelineShare: number;
}

export const DEFAULT_DISTILL: DistillSettings = { maxBatchItems: 50, maxBatchTokens: 60_000, parallelism: 8, retries: 2, fieldTokens: 400, maxOutputTokens: 4000, guidelineShare: 0.25 };

/** One unit of LLM work in an alignment: a batch to distil or a group of guidelines to revise. */
export type AlignTask =
  | { kind: 'distill'; examples: DistilExample[] }
  | { kind: 'revise'; stale: StaleGuideline[] };

/** What a task produced, or which feedback it failed to process. */
export type TaskResult =
  | { ok: true; kind: 'distill'; proposals: ProposedGuideline[] }
  | { ok: true; kind: 'revise'; revisions: { id: string; text: string | null }[] }
  | { ok: false; feedbackIds: string[]; error: unknown };

/**
 * Packs the examples to distil into batches under the item and token limits. The token estimate
 * covers the rendered fields (cut to `fieldTokens`) and the expert's words.
 *
 * @example
 * const tasks = planTasks(judge, examples, stale, existing, DEFAULT_DISTILL);
 */
export function planTasks(judge: JudgeDefinition, examples: DistilExample[], stale: StaleGuideline[], existing: Guideline[], settings: DistillSettings): AlignTask[] {
  const fields = recordFields(judge);
  const guidelineTokens = Math.min(estimateTokens(existing.map((g) => g.text).join('\n')), guidelineBudget(settings));
  const overhead = guidelineTokens + estimateTokens(judge.instructions) + 400;
  const budget = Math.max(1000, settings.maxBatchTokens - overhead);
  // Rendered once per example: bounded first, counted exactly only where the bound cannot decide.
  const texts = new Map<DistilExample, string>();
  const rendered = (ex: DistilExample) => {
    let t = texts.get(ex);
    if (t === undefined) { t = renderRecord(ex.record, fields, { maxTokens: settings.fieldTokens }).text; texts.set(ex, t); }
    return t;
  };
  const tokensOf = (ex: DistilExample) => estimateTokens(rendered(ex)) + estimateTokens(ex.rationale ?? '') + 20;
  // Bytes bound tokens from above: most batches are full by item count long before any budget.
  const boundOf = (ex: DistilExample) => utf8Length(rendered(ex)) + utf8Length(ex.rationale ?? '') + 20;
  const tasks: AlignTask[] = packBatches(examples, tokensOf, { maxItems: settings.maxBatchItems, maxTokens: budget }, boundOf)
    .map((batch) => ({ kind: 'distill' as const, examples: batch }));
  // Stale guidelines are revised 20 to a call: small prompts, answers that stay well-formed.
  for (let i = 0; i < stale.length; i += 20) tasks.push({ kind: 'revise', stale: stale.slice(i, i + 20) });
  return tasks;
}

/**
 * Runs one task against the model, retrying invalid answers and failed calls up to
 * `settings.retries` more times. Never throws: a failure is returned with the feedback it covers.
 *
 * @example
 * const result = await runTask(task, { judge, model, existing, examplesById, settings, tally });
 */
export async function runTask(task: AlignTask, ctx: {
  judge: JudgeDefinition; model: ChatModel; existing: Guideline[]; supportById: Map<string, DistilExample>;
  settings: DistillSettings; tally: UsageTally; signal?: AbortSignal; tokensOf: (g: Guideline) => number;
  checkpoint?: AlignCheckpoint; onReuse?: () => void;
}): Promise<TaskResult> {
  // An answer kept from an earlier, failed align of the same request is used instead of a new call.
  const ask = async (request: ChatRequest, read: (text: string) => void) => {
    const key = ctx.checkpoint && requestKey(ctx.model.id, request);
    const kept = key ? ctx.checkpoint!.get(key) : undefined;
    if (kept !== undefined) {
      try { read(kept); ctx.onReuse?.(); return; } catch { /* not readable any more: ask again */ }
    }
    const res = await ctx.model.generate(request);
    ctx.tally.add(ctx.model.id, res.inputTokens, res.outputTokens);
    read(res.text);
    if (key) ctx.checkpoint!.put(key, res.text);
  };
  const feedbackIds = task.kind === 'distill' ? task.examples.flatMap((e) => e.feedbackIds) : task.stale.flatMap((s) => s.remaining);
  let lastError: unknown;
  for (let attempt = 0; attempt <= ctx.settings.retries; attempt++) {
    try {
      if (task.kind === 'distill') {
        const batchText = task.examples.map((e) => `${JSON.stringify(e.record)} ${e.rationale ?? ''}`).join('\n');
        const { shown, omitted } = relevantGuidelines(ctx.existing, batchText, guidelineBudget(ctx.settings), ctx.tokensOf);
        const { system, prompt, ids } = distillPrompt(ctx.judge, shown, task.examples, { fieldTokens: ctx.settings.fieldTokens, omitted });
        let proposals: ProposedGuideline[] = [];
        await ask({ system, prompt, schema: DISTILL_SCHEMA, schemaName: 'guidelines', maxOutputTokens: ctx.settings.maxOutputTokens, abortSignal: ctx.signal }, (text) => { proposals = readProposals(text, ids, task.examples); });
        return { ok: true, kind: 'distill', proposals };
      }
      const ids = task.stale.map((s) => s.guideline.id);
      const { system, prompt } = revisePrompt(ctx.judge, task.stale, ctx.supportById, { fieldTokens: ctx.settings.fieldTokens });
      let revisions: { id: string; text: string | null }[] = [];
      await ask({ system, prompt, schema: reviseSchema(ids), schemaName: 'revisions', maxOutputTokens: ctx.settings.maxOutputTokens, abortSignal: ctx.signal }, (text) => { revisions = readRevisions(text, ids); });
      return { ok: true, kind: 'revise', revisions };
    } catch (error) {
      lastError = error;
      if (error instanceof MemalignError && error.code === 'provider_error' && !error.isRetryable) break;
      if (ctx.signal?.aborted) break;
    }
  }
  return { ok: false, feedbackIds, error: lastError };
}

/** Tokens existing guidelines may take in one distillation prompt. */
export function guidelineBudget(settings: DistillSettings): number {
  return Math.max(500, Math.floor(settings.maxBatchTokens * settings.guidelineShare));
}

function readProposals(text: string, ids: string[], examples: DistilExample[]): ProposedGuideline[] {
  const json = parseJsonObject(text);
  if (!json || !Array.isArray(json.guidelines)) throw new MemalignError('invalid_output', 'The distillation answer was not {"guidelines": [...]}.');
  const byId = new Map(ids.map((id, i) => [id.toLowerCase(), examples[i]]));
  const out: ProposedGuideline[] = [];
  for (const item of json.guidelines as unknown[]) {
    if (!item || typeof item !== 'object') continue;
    const { text: t, sources } = item as { text?: unknown; sources?: unknown };
    if (typeof t !== 'string' || t.trim() === '') continue;
    const cited = Array.isArray(sources) ? sources.map((s) => byId.get(String(s).trim().replace(/^example\s+/i, '').toLowerCase())).filter((e) => e !== undefined) : [];
    // A guideline citing no known example is attributed to the whole batch: provenance stays
    // conservative, so forgetting any of that feedback revisits it.
    const from = cited.length > 0 ? cited : examples;
    out.push({ text: t.trim(), sources: [...new Set(from.flatMap((e) => e.feedbackIds))] });
  }
  return out;
}

function readRevisions(text: string, ids: string[]): { id: string; text: string | null }[] {
  const json = parseJsonObject(text);
  if (!json || !Array.isArray(json.revisions)) throw new MemalignError('invalid_output', 'The revision answer was not {"revisions": [...]}.');
  const answers = new Map<string, string | null>();
  for (const item of json.revisions as unknown[]) {
    const r = item as { id?: unknown; keep?: unknown; text?: unknown };
    if (typeof r?.id !== 'string' || !ids.includes(r.id)) continue;
    answers.set(r.id, r.keep === true && typeof r.text === 'string' && r.text.trim() !== '' ? r.text.trim() : null);
  }
  // A guideline the model did not answer for is removed: no stale advice survives by omission.
  return ids.map((id) => ({ id, text: answers.get(id) ?? null }));
}
