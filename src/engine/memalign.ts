import type { Episode, Feedback, Guideline, JudgeDefinition, JudgedRecord, JudgeResult } from '../core/types.ts';
import { plainEpisode, type LogEntry, type MemoryOperation, type MemoryState } from '../core/memory/operations.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import type { PriceOverrides } from '../model/pricing.ts';
import { parseJudge, queryFieldsOf } from '../core/judge/definition.ts';
import { parseFeedback, parseRecord } from '../core/feedback/parse-feedback.ts';
import { planAlign, planForget, isEmptyPlan } from '../core/align/plan.ts';
import { ConfigError, NotFoundError, ValidationError, type Issue } from '../core/errors.ts';
import { openSqliteStore } from '../store/sqlite/sqlite-store.ts';
import { hashedEmbedder } from '../embed/hashed-embedder.ts';
import { cachedEmbedder } from '../embed/cached-embedder.ts';
import { recordText } from '../recall/query-text.ts';
import { resolveModel } from '../model/resolve-model.ts';
import { withRetry } from '../model/retry.ts';
import { mapLimit } from '../model/limit.ts';
import { DEFAULT_DISTILL, type DistillSettings } from './distill.ts';
import { LoadedMemory, type MemalignEvent } from './loaded-memory.ts';
import { executePlan, guidelineId, unchangedReport, type MemoryChangeReport } from './apply-plan.ts';
import { assembleWorkingMemory, callJudge } from './judge-record.ts';
import { exportMemory, importPlan, type MemoryExport } from './memory-export.ts';

/** Options of `openMemalign`. Only `judge` is required. */
export interface MemalignOptions {
  /** The judge, as a parsed definition or plain data (validated). */
  judge: JudgeDefinition | unknown;
  /** A store or an SQLite file path; default `.memalign/memory.db`. */
  store?: MemoryStore | string;
  /** The judging model: a `ChatModel` or a model string; default `judge.model`. */
  model?: ChatModel | string;
  /** The distillation model; default `judge.distillModel`, else the judging model. */
  distillModel?: ChatModel | string;
  /** Default: the offline hashed n-gram embedder. */
  embedder?: Embedder;
  distill?: Partial<DistillSettings>;
  /** Retries of retryable provider errors per call (exponential backoff). Default 2. */
  retries?: number;
  /** Base backoff delay in ms. Default 500. */
  retryDelayMs?: number;
  prices?: PriceOverrides;
  /** Environment for model strings (API keys); default `process.env`. */
  env?: Record<string, string | undefined>;
  onEvent?: (event: MemalignEvent) => void;
  /** Clock for feedback times; default the system clock. */
  now?: () => Date;
}

/**
 * Opens a judge with its memory: align it on expert feedback, judge records, forget feedback, edit
 * guidelines, export or import memory.
 *
 * @example
 * const ma = await openMemalign({ judge: { name: 'correct', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' }, model: 'openai:gpt-4.1-mini' });
 * await ma.align([{ record: { id: 'r1', inputs: '2+2?', outputs: '5' }, value: false, rationale: 'Arithmetic must be exact.' }]);
 * const verdict = await ma.judge({ id: 'r2', inputs: '3+3?', outputs: '6' });
 * await ma.close();
 */
export async function openMemalign(options: MemalignOptions): Promise<Memalign> {
  const judge = isParsed(options.judge) ? options.judge : parseJudge(options.judge);
  const store = typeof options.store === 'object' ? options.store : openSqliteStore(options.store ?? '.memalign/memory.db');
  const ma = new Memalign(judge, store, options, typeof options.store !== 'object');
  try {
    ma.checkModels();
    await ma.memory.refresh();
  } catch (error) {
    await ma.close();
    throw error;
  }
  return ma;
}

/** A judge with its memory. Create with `openMemalign`. */
export class Memalign {
  /** The judge definition (validated, with defaults filled). */
  readonly definition: JudgeDefinition;
  readonly store: MemoryStore;
  /** @internal */ readonly memory: LoadedMemory;
  private readonly options: MemalignOptions;
  private readonly ownsStore: boolean;
  private readonly embedder: Embedder;
  private readonly settings: DistillSettings;
  private chat?: ChatModel;
  private distiller?: ChatModel;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(judge: JudgeDefinition, store: MemoryStore, options: MemalignOptions, ownsStore: boolean) {
    this.definition = judge;
    this.store = store;
    this.options = options;
    this.ownsStore = ownsStore;
    this.embedder = cachedEmbedder(options.embedder ?? hashedEmbedder());
    this.settings = { ...DEFAULT_DISTILL, ...options.distill };
    this.memory = new LoadedMemory(judge.name, store, this.embedder, options.onEvent ?? (() => {}));
  }

  /** The memory version now in use. */
  get version(): number {
    return this.memory.state?.version ?? 0;
  }

  /**
   * Aligns the judge on expert feedback: stores examples, distils guidelines, re-derives what
   * changed feedback invalidated. Unchanged feedback is a no-op. All or nothing.
   */
  align(feedback: (Feedback | unknown)[], options: { signal?: AbortSignal } = {}): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const items = parseFeedback(feedback, this.definition.output, { now: this.options.now });
      const state = await this.memory.refresh();
      const plan = planAlign(state, items, (r) => this.textOf(r));
      if (isEmptyPlan(plan)) return unchangedReport(state.version, plan.unchanged.length);
      return executePlan(plan, `align: ${plan.feedbackPuts.length} feedback (${plan.changed.length} changed)`, this.context(options.signal));
    });
  }

  /** Forgets feedback: its episodes go, and guidelines it supported are revised or removed. */
  forget(feedbackIds: string[], options: { signal?: AbortSignal } = {}): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const state = await this.memory.refresh();
      const unknown = feedbackIds.filter((id) => !state.feedback.has(id));
      if (unknown.length > 0) throw new NotFoundError(`No feedback with id ${unknown.map((i) => `"${i}"`).join(', ')} in the memory of judge "${this.definition.name}"; nothing was forgotten. List feedback ids with inspect().`);
      const plan = planForget(state, feedbackIds, (r) => this.textOf(r));
      if (isEmptyPlan(plan)) return unchangedReport(state.version, 0);
      return executePlan(plan, `forget: ${feedbackIds.length} feedback`, this.context(options.signal));
    });
  }

  /** Judges one record with the current memory. Never throws for provider or output failures: see `ok`. */
  async judge(record: JudgedRecord | unknown, options: { signal?: AbortSignal } = {}): Promise<JudgeResult> {
    const [result] = await this.judgeMany([record], { concurrency: 1, signal: options.signal });
    return result;
  }

  /**
   * Judges many records: query embeddings in batches, model calls with bounded concurrency,
   * results in input order. `onResult` sees each result as it completes.
   */
  async judgeMany(records: (JudgedRecord | unknown)[], options: { concurrency?: number; signal?: AbortSignal; onResult?: (r: JudgeResult, index: number) => void } = {}): Promise<JudgeResult[]> {
    const parsed = validateRecords(records);
    const state = await this.memory.refresh();
    const index = this.memory.index;
    const texts = parsed.map((r) => recordText(r, queryFieldsOf(this.definition)));
    const useRecall = this.definition.memory.episodic && this.definition.memory.k > 0 && (index?.size ?? 0) > 0;
    const vectors: (Float32Array | null)[] = new Array(parsed.length).fill(null);
    if (useRecall) {
      for (let i = 0; i < texts.length; i += 256) {
        const batch = await this.embedder.embed(texts.slice(i, i + 256));
        batch.forEach((v, j) => { vectors[i + j] = v; });
      }
    }
    const model = this.chatModel();
    const now = () => performance.now();
    return mapLimit(parsed, options.concurrency ?? 8, async (record, i) => {
      const started = now();
      const wm = assembleWorkingMemory(this.definition, state, index, record, { text: texts[i], vector: vectors[i] });
      const result = await callJudge(this.definition, model, record.id, wm, { started, now, prices: this.options.prices, signal: options.signal });
      options.onResult?.(result, i);
      return result;
    });
  }

  /** The judge's memory: version, guidelines (ranked), episodes and feedback (without vectors). */
  async inspect(): Promise<{ version: number; guidelines: Guideline[]; episodes: Episode[]; feedback: Feedback[] }> {
    const s = await this.memory.refresh();
    return { version: s.version, guidelines: [...s.guidelines.values()], episodes: [...s.episodes.values()].map(plainEpisode), feedback: [...s.feedback.values()] };
  }

  /** Adds a guideline written by an expert (origin `manual`). */
  addGuideline(text: string, options: { pinned?: boolean } = {}): Promise<Guideline> {
    return this.edit(async (state) => {
      const clean = requireText(text);
      const id = guidelineId(this.definition.name, clean);
      if (state.guidelines.has(id)) throw new ValidationError('guideline', [{ path: 'text', message: `the same guideline already exists as ${id}` }]);
      const g: Guideline = { id, text: clean, sources: [], origin: 'manual', pinned: options.pinned ?? false, createdVersion: state.version + 1, updatedVersion: state.version + 1 };
      return { ops: [{ op: 'guideline.add', guideline: g }], cause: 'edit: add guideline', result: g };
    });
  }

  /** Rewrites a guideline. An expert's edit makes it `manual`: it will not be re-distilled over. */
  editGuideline(id: string, text: string): Promise<Guideline> {
    return this.edit(async (state) => {
      const g = this.guideline(state.guidelines, id);
      const clean = requireText(text);
      const next: Guideline = { ...g, text: clean, origin: 'manual', updatedVersion: state.version + 1 };
      return { ops: [{ op: 'guideline.delete', id }, { op: 'guideline.add', guideline: next }], cause: `edit: rewrite guideline ${id}`, result: next };
    });
  }

  /** Pins (never dropped by the budget) or unpins a guideline. */
  pinGuideline(id: string, pinned = true): Promise<Guideline> {
    return this.edit(async (state) => {
      const g = this.guideline(state.guidelines, id);
      return { ops: [{ op: 'guideline.update', id, changes: { pinned } }], cause: `edit: ${pinned ? 'pin' : 'unpin'} guideline ${id}`, result: { ...g, pinned, updatedVersion: state.version + 1 } };
    });
  }

  /** Deletes a guideline (its feedback and episodes stay). */
  deleteGuideline(id: string): Promise<Guideline> {
    return this.edit(async (state) => {
      const g = this.guideline(state.guidelines, id);
      return { ops: [{ op: 'guideline.delete', id }], cause: `edit: delete guideline ${id}`, result: g };
    });
  }

  /** The memory's change log, oldest first. */
  log(options?: { limit?: number; sinceVersion?: number }): Promise<LogEntry[]> {
    return this.store.log(this.definition.name, options);
  }

  /** Memory as reviewable, diffable JSON (no vectors: they are recomputed on import). */
  async export(): Promise<MemoryExport> {
    return exportMemory(this.definition, await this.memory.refresh());
  }

  /** Replaces this judge's memory with an export's content, as one new version. */
  import(data: unknown): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const state = await this.memory.refresh();
      const plan = importPlan(this.definition, state, data, (r) => this.textOf(r));
      return executePlan(plan, 'import', this.context());
    });
  }

  /** Closes the store if this instance opened it. */
  async close(): Promise<void> {
    await this.queue.catch(() => {});
    if (this.ownsStore) await this.store.close();
  }

  private textOf(record: JudgedRecord): string {
    return recordText(record, queryFieldsOf(this.definition));
  }

  private guideline(all: Map<string, Guideline>, id: string): Guideline {
    const g = all.get(id);
    if (!g) throw new NotFoundError(`No guideline "${id}" in the memory of judge "${this.definition.name}". List guidelines with inspect().`);
    return g;
  }

  private edit<T>(make: (state: MemoryState) => Promise<{ ops: MemoryOperation[]; cause: string; result: T }>): Promise<T> {
    return this.exclusive(async () => {
      const state = await this.memory.refresh();
      const { ops, cause, result } = await make(state);
      const version = await this.store.commit(this.definition.name, state.version, ops, cause);
      this.memory.applyCommitted(ops, version);
      return result;
    });
  }

  // Memory changes from one instance run one at a time; judging is not blocked by them.
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  /** Resolves the configured models now, so a missing key or bad model string fails at open. */
  checkModels(): void {
    if (this.options.model ?? this.definition.model) this.chatModel();
    if (this.options.distillModel ?? this.definition.distillModel) this.distillModel();
  }

  private chatModel(): ChatModel {
    this.chat ??= this.resolve(this.options.model ?? this.definition.model, 'model');
    return this.chat;
  }

  private distillModel(): ChatModel {
    const spec = this.options.distillModel ?? this.definition.distillModel;
    this.distiller ??= spec ? this.resolve(spec, 'distillModel') : this.chatModel();
    return this.distiller;
  }

  private resolve(spec: ChatModel | string | undefined, field: string): ChatModel {
    if (spec === undefined) throw new ConfigError(`Judge "${this.definition.name}" has no model: set "${field}" in the judge file (e.g. "openai:gpt-4.1-mini") or pass { ${field} } to openMemalign.`);
    const model = typeof spec === 'string' ? resolveModel(spec, { env: this.options.env }) : spec;
    return withRetry(model, { retries: this.options.retries ?? 2, baseDelayMs: this.options.retryDelayMs ?? 500 });
  }

  private context(signal?: AbortSignal) {
    return {
      judge: this.definition, store: this.store, memory: this.memory, model: () => this.distillModel(), embedder: this.embedder,
      settings: this.settings, prices: this.options.prices, onEvent: this.options.onEvent ?? (() => {}), now: () => performance.now(), signal,
    };
  }
}

function isParsed(judge: unknown): judge is JudgeDefinition {
  const j = judge as JudgeDefinition;
  return typeof j === 'object' && j !== null && typeof j.memory === 'object' && j.memory !== null && typeof j.memory.k === 'number' && typeof j.output === 'object';
}

function validateRecords(records: unknown[]): JudgedRecord[] {
  const issues: Issue[] = [];
  const out: JudgedRecord[] = [];
  records.forEach((r, i) => {
    const rec = parseRecord(r, (path, message) => issues.push({ path: `[${i}]${path ? `.${path}` : ''}`, message }));
    if (rec) out.push(rec);
  });
  if (issues.length > 0) throw new ValidationError('records', issues);
  return out;
}

function requireText(text: string): string {
  if (typeof text !== 'string' || text.trim() === '') throw new ValidationError('guideline', [{ path: 'text', message: 'write the guideline text' }]);
  return text.trim().replace(/\s+/g, ' ');
}
