import type { JudgeDefinition, JudgedRecord, JudgeResult, Provenance } from '../core/types.ts';
import type { MemoryState } from '../core/memory/operations.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { EpisodeIndex, LexicalHits } from '../recall/episode-index.ts';
import { judgePrompt, renderExample, repairPrompt } from '../core/prompt/judge-prompt.ts';
import { rankGuidelines, selectWorkingMemory } from '../core/prompt/working-memory.ts';
import { verdictSchema } from '../core/judge/output-kind.ts';
import { parseVerdict } from '../core/judge/parse-verdict.ts';
import { estimateTokens } from '../core/text/tokens.ts';
import { contentHash } from '../core/text/hash.ts';
import { InvalidOutputError, MemalignError } from '../core/errors.ts';
import { UsageTally } from './usage.ts';
import type { PriceOverrides } from '../model/pricing.ts';

/** The working memory assembled for one record, before the model is called. */
export interface WorkingMemory {
  system: string;
  prompt: string;
  provenance: Provenance;
}

/**
 * Assembles the working memory for a record: recalled examples (given the query vector), the
 * guidelines, both cut to the budget deterministically, and the prompt. No I/O.
 *
 * @example
 * const wm = assembleWorkingMemory(judge, state, index, record, { text, vector });
 */
export function assembleWorkingMemory(judge: JudgeDefinition, state: MemoryState, index: EpisodeIndex | undefined, record: JudgedRecord, query: { text: string; vector: Float32Array | null; lexical?: LexicalHits }): WorkingMemory {
  const m = judge.memory;
  const hits = !m.episodic || m.k <= 0 || !index || index.size === 0 ? []
    : m.recall === 'random' ? randomEpisodes(state, record.id, m.k)
    : index.search(query, { k: m.k, floor: m.similarityFloor, mmrLambda: m.mmrLambda, balanceLabels: m.balanceLabels });
  // Each example gets an equal share of the examples' half of the budget.
  const exampleTokens = Math.max(48, Math.floor(m.workingMemoryTokens / 2 / Math.max(1, m.k)));
  const truncatedExamples: string[] = [];
  const recalled = hits.flatMap((h, i) => {
    const episode = state.episodes.get(h.id);
    if (!episode) return [];
    const rendered = renderExample(judge, episode, i + 1, exampleTokens);
    if (rendered.truncated) truncatedExamples.push(episode.id);
    // Measured only if the budget needs it (see selectWorkingMemory), from the episode's kept counts.
    return [{ episode, score: h.score, text: rendered.text, measure: rendered.tokens }];
  });
  const guidelines = m.semantic ? rankedGuidelines(state) : [];
  const sel = selectWorkingMemory(guidelines, recalled, { budget: m.workingMemoryTokens, tokens: estimateTokens });
  const warnings: string[] = [];
  if (sel.pinnedTokens > m.workingMemoryTokens) {
    warnings.push(`The pinned guidelines take ${sel.pinnedTokens} tokens and alone exceed the working-memory budget of ${m.workingMemoryTokens} tokens; they all went in, and ${sel.droppedEpisodes.length} example(s) and ${sel.droppedGuidelines.length} other guideline(s) were left out. Unpin some guidelines or raise memory.workingMemoryTokens.`);
  }
  // The budget keeps a prefix of the recalled examples, so their numbers (1..n) stay right.
  const examples = sel.episodes.map((r) => r.text);
  const kept = new Set(sel.episodes.map((r) => r.episode.id));
  const { system, prompt, truncated } = judgePrompt(judge, record, sel.guidelines, examples);
  return {
    system, prompt,
    provenance: {
      memoryVersion: state.version,
      guidelineIds: sel.guidelines.map((g) => g.id),
      episodes: sel.episodes.map((r) => ({ id: r.episode.id, score: round(r.score) })),
      dropped: { guidelineIds: sel.droppedGuidelines, episodeIds: sel.droppedEpisodes },
      truncatedFields: truncated,
      truncatedExamples: truncatedExamples.filter((id) => kept.has(id)),
      warnings,
    },
  };
}

// Guidelines ranked once per memory version (each version has its own guidelines map), not per verdict.
const ranked = new WeakMap<MemoryState['guidelines'], ReturnType<typeof rankGuidelines>>();
function rankedGuidelines(state: MemoryState) {
  let r = ranked.get(state.guidelines);
  if (!r) { r = rankGuidelines(state.guidelines.values()); ranked.set(state.guidelines, r); }
  return r;
}

/**
 * Asks the model for a verdict on an assembled working memory. An invalid answer gets one repair
 * attempt; a provider failure or a second invalid answer is an error result, never a made-up verdict.
 *
 * @example
 * const result = await callJudge(judge, model, record.id, wm, { started: performance.now() });
 */
export async function callJudge(judge: JudgeDefinition, model: ChatModel, recordId: string, wm: WorkingMemory, options: { started: number; now: () => number; prices?: PriceOverrides; maxOutputTokens?: number; signal?: AbortSignal }): Promise<JudgeResult> {
  const tally = new UsageTally(options.prices);
  const schema = verdictSchema(judge.output);
  const ask = async (prompt: string) => {
    const res = await model.generate({ system: wm.system, prompt, schema, schemaName: 'verdict', maxOutputTokens: options.maxOutputTokens ?? 1500, abortSignal: options.signal });
    tally.add(model.id, res.inputTokens, res.outputTokens);
    return res.text;
  };
  try {
    const first = await ask(wm.prompt);
    let parsed = parseVerdict(first, judge.output);
    let repaired = false;
    if (!parsed.ok) {
      const problem = parsed.problem;
      const second = await ask(repairPrompt(wm.prompt, first, problem, judge));
      parsed = parseVerdict(second, judge.output);
      repaired = true;
      if (!parsed.ok) throw new InvalidOutputError(`The model's answer was not a valid verdict, even after one repair attempt: ${parsed.problem}`, second);
    }
    return { ok: true, recordId, value: parsed.value, rationale: parsed.rationale, provenance: wm.provenance, usage: tally.usage(), latencyMs: round(options.now() - options.started), repaired };
  } catch (error) {
    const e = error instanceof MemalignError ? error : new MemalignError('unexpected_error', (error as Error)?.message ?? String(error));
    return { ok: false, recordId, error: { code: e.code, message: e.message, retryable: e.isRetryable }, usage: tally.usage(), latencyMs: round(options.now() - options.started) };
  }
}

// The few-shot baseline: k episodes in an order fixed by hashing (record, episode), so a rerun
// picks the same "random" examples.
function randomEpisodes(state: MemoryState, recordId: string, k: number): { id: string; score: number }[] {
  return [...state.episodes.keys()].map((id) => ({ id, key: contentHash(`${recordId}\n${id}`, 8) }))
    .sort((a, b) => (a.key < b.key ? -1 : 1)).slice(0, k).map(({ id }) => ({ id, score: 0 }));
}

function round(n: number): number {
  return Math.round(n * 1000) / 1000;
}
