import type { JudgeDefinition, JudgedRecord, JudgeResult } from '../core/types.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { PriceOverrides } from '../model/pricing.ts';
import { queryFieldsOf } from '../core/judge/definition.ts';
import { parseRecord } from '../core/feedback/parse-feedback.ts';
import { ValidationError, type Issue } from '../core/errors.ts';
import { recordText } from '../recall/query-text.ts';
import { mapLimit } from '../model/limit.ts';
import { assembleWorkingMemory, callJudge } from './judge-record.ts';
import type { LoadedMemory, MemalignEvent } from './loaded-memory.ts';

/** Options of `judgeMany`. */
export interface JudgeManyOptions {
  concurrency?: number;
  signal?: AbortSignal;
  onResult?: (r: JudgeResult, index: number) => void;
}

/**
 * Judges records: query embeddings in batches, model calls with bounded concurrency, results in
 * input order. Each verdict takes the memory as it stands when its turn comes — one whole version,
 * recalled and assembled synchronously from one snapshot — and names that version.
 *
 * @example
 * const results = await judgeRecords({ judge, memory, embedder, model }, records, { concurrency: 8 });
 */
export async function judgeRecords(
  ctx: { judge: JudgeDefinition; memory: LoadedMemory; embedder: Embedder; model: ChatModel; prices?: PriceOverrides; onEvent: (e: MemalignEvent) => void },
  records: unknown[], options: JudgeManyOptions = {},
): Promise<JudgeResult[]> {
  const parsed = validateRecords(records, ctx.judge);
  await ctx.memory.ready();
  const m = ctx.judge.memory;
  const texts = parsed.map((r) => recordText(r, queryFieldsOf(ctx.judge)));
  const useRecall = m.episodic && m.k > 0 && m.recall === 'similar';
  const vectors: (Float32Array | null)[] = new Array(parsed.length).fill(null);
  if (useRecall && (ctx.memory.index?.size ?? 0) > 0) {
    for (let i = 0; i < texts.length; i += 256) {
      options.signal?.throwIfAborted();
      const batch = await ctx.embedder.embed(texts.slice(i, i + 256));
      batch.forEach((v, j) => { vectors[i + j] = v; });
    }
  }
  const now = () => performance.now();
  const warned = new Set<string>();
  return mapLimit(parsed, options.concurrency ?? 8, async (record, i) => {
    const started = now();
    const { state, index } = ctx.memory.snapshot();
    const wm = assembleWorkingMemory(ctx.judge, state, index, record, { text: texts[i], vector: index && vectors[i]?.length === index.dimension ? vectors[i] : null });
    for (const w of wm.provenance.warnings) if (!warned.has(w)) { warned.add(w); ctx.onEvent({ type: 'warning', judge: ctx.judge.name, message: w }); }
    const result = await callJudge(ctx.judge, ctx.model, record.id, wm, { started, now, prices: ctx.prices, signal: options.signal });
    options.onResult?.(result, i);
    return result;
  });
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
