import type { JudgeDefinition, JudgedRecord, JudgeResult } from '../core/types.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { PriceOverrides } from '../model/pricing.ts';
import { queryFieldsOf } from '../core/judge/definition.ts';
import { parseRecord } from '../core/feedback/parse-feedback.ts';
import { MemalignError, ValidationError, type Issue } from '../core/errors.ts';
import { recordText } from '../recall/query-text.ts';
import { mapLimit } from '../model/limit.ts';
import { assembleWorkingMemory, callJudge } from './judge-record.ts';
import { queryBatcher } from './query-batcher.ts';
import { yieldIfBusy } from './event-loop.ts';
import type { LoadedMemory, MemalignEvent } from './loaded-memory.ts';

/** Options of `judgeMany`. */
export interface JudgeManyOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onResult?: (r: JudgeResult, index: number) => void;
}

/**
 * Judges records with at most `concurrency` model calls in flight, results in input order. Query
 * embeddings are pipelined ahead of the model calls: a provider embedder's are micro-batched
 * (`queryBatcher`) for the next records while the current ones are judged, so model-call slots
 * never wait for them after the first request; the lexical half of recall is done while a
 * record's vector is on its way (and redone if memory changed meanwhile). Each verdict takes the
 * memory as it stands when its turn comes — one whole version, recalled and assembled
 * synchronously from one snapshot — and names that version. A failed query embedding is that
 * record's error result.
 *
 * @example
 * const results = await judgeRecords({ judge, memory, embedder, model }, records, { concurrency: 8 });
 */
export async function judgeRecords(
  ctx: { judge: JudgeDefinition; memory: LoadedMemory; embedder: Embedder; model: ChatModel; prices?: PriceOverrides; onEvent: (e: MemalignEvent) => void },
  records: unknown[], options: JudgeManyOptions = {},
): Promise<JudgeResult[]> {
  const parsed = validateRecords(records, ctx.judge);
  // Judging reads no feedback: a memory first loaded here is read without it.
  await ctx.memory.ready({ feedback: false });
  const m = ctx.judge.memory;
  const concurrency = options.concurrency ?? 8;
  const texts = parsed.map((r) => recordText(r, queryFieldsOf(ctx.judge)));
  const useRecall = m.episodic && m.k > 0 && m.recall === 'similar' && (ctx.memory.index?.size ?? 0) > 0;
  const batcher = useRecall && !ctx.embedder.local ? queryBatcher(ctx.embedder) : undefined;
  const vectors: (Promise<Float32Array | null> | undefined)[] = new Array(parsed.length);
  const vectorOf = (i: number): Promise<Float32Array | null> => {
    if (!useRecall) return Promise.resolve(null);
    if (!vectors[i]) {
      vectors[i] = batcher ? batcher.embed(texts[i]) : ctx.embedder.embed([texts[i]]).then((v) => v[0]);
      vectors[i].catch(() => {});
    }
    return vectors[i];
  };
  // Each record asks for its own vector and those of the next 2 × concurrency records, so the
  // embedding requests run ahead of the model calls. Tasks start in input order and look only
  // forward, so a vector let go after use is never asked for again.
  const lookahead = 2 * concurrency;
  const now = () => performance.now();
  const warned = new Set<string>();
  return mapLimit(parsed, concurrency, async (record, i) => {
    const started = now();
    for (let j = i; j < Math.min(parsed.length, i + lookahead + 1); j++) vectorOf(j);
    let vector: Float32Array | null;
    // The lexical half of recall needs no vector: done while a provider embeds the query (it is
    // used only if memory has not changed by the time the vector is here).
    const lexical = batcher ? ctx.memory.snapshot().index?.lexical(texts[i], m.k) : undefined;
    try {
      options.signal?.throwIfAborted();
      vector = await vectorOf(i);
    } catch (error) {
      const result = embeddingFailure(record.id, error, now() - started);
      options.onResult?.(result, i);
      return result;
    } finally {
      vectors[i] = undefined;
    }
    // Timers, sockets and signals get their turn even when nothing here waits for I/O.
    const pause = yieldIfBusy();
    if (pause) await pause;
    const { state, index } = ctx.memory.snapshot();
    const wm = assembleWorkingMemory(ctx.judge, state, index, record, { text: texts[i], vector: index && vector?.length === index.dimension ? vector : null, lexical });
    for (const w of wm.provenance.warnings) if (!warned.has(w)) { warned.add(w); ctx.onEvent({ type: 'warning', judge: ctx.judge.name, message: w }); }
    const result = await callJudge(ctx.judge, ctx.model, record.id, wm, { started, now, prices: ctx.prices, signal: options.signal });
    options.onResult?.(result, i);
    return result;
  });
}

// A record whose query could not be embedded gets an error result, like a failed model call.
function embeddingFailure(recordId: string, error: unknown, ms: number): JudgeResult {
  const e = error instanceof MemalignError ? error : new MemalignError('provider_error', (error as Error)?.message ?? String(error), { retryable: true });
  return { ok: false, recordId, error: { code: e.code, message: `Could not embed the record for recall: ${e.message}`, retryable: e.isRetryable }, usage: { calls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 }, latencyMs: Math.round(ms * 1000) / 1000 };
}

/**
 * Validates records for a judge, collecting every problem (pairwise judges need both answers).
 *
 * @example
 * validateRecords([{ id: 'r1', inputs: 'q', outputs: 'a' }], judge);
 */
export function validateRecords(records: unknown[], judge: JudgeDefinition): JudgedRecord[] {
  const issues: Issue[] = [];
  const out: JudgedRecord[] = [];
  records.forEach((r, i) => {
    const rec = parseRecord(r, (path, message) => issues.push({ path: `[${i}]${path ? `.${path}` : ''}`, message }), judge.output);
    if (rec) out.push(rec);
  });
  if (issues.length > 0) throw new ValidationError('records', issues);
  return out;
}
