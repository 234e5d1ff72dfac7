import type { Episode, Feedback, Guideline, JudgeDefinition, JudgedRecord, JudgeResult } from '../core/types.ts';
import { plainEpisode, plainFeedback, type LogEntry, type MemoryState } from '../core/memory/operations.ts';
import type { ChatModel } from '../model/chat-model.ts';
import type { Embedder } from '../embed/embedder.ts';
import type { LogQuery, MemoryOverview, MemoryStore } from '../store/memory-store.ts';
import type { PriceOverrides } from '../model/pricing.ts';
import { parseJudge, queryFieldsOf } from '../core/judge/definition.ts';
import { parseFeedbackItems, type FeedbackSource, type RecordChange } from '../core/feedback/parse-feedback.ts';
import { checkRecordsAgainstMemory } from '../core/feedback/record-conflicts.ts';
import { planAlign, planForget, isEmptyPlan } from '../core/align/plan.ts';
import { planRedistil } from '../core/align/redistil-plan.ts';
import { NotFoundError } from '../core/errors.ts';
import { contentHash } from '../core/text/hash.ts';
import { openStore } from '../store/open-store.ts';
import { hashedEmbedder } from '../embed/hashed-embedder.ts';
import { cachedEmbedder } from '../embed/cached-embedder.ts';
import { limitedEmbedder } from '../embed/limited-embedder.ts';
import { recordText } from '../recall/query-text.ts';
import { DEFAULT_DISTILL, type DistillSettings } from './distill.ts';
import { LoadedMemory, type MemalignEvent } from './loaded-memory.ts';
import { executePlan, unchangedReport, type MemoryChangeReport } from './apply-plan.ts';
import { judgeRecords, type JudgeManyOptions } from './judging.ts';
import { guidelineEdits, type Edit } from './guideline-edits.ts';
import { judgeModel } from './models.ts';
import { exportMemory, importPlan, type MemoryExport } from './memory-export.ts';
import type { AlignCheckpoint } from './checkpoint.ts';
import { onProviderWarning } from '../model/provider-warnings.ts';

/** Options of `openMemalign`. Only `judge` is required. */
export interface MemalignOptions {
  /** The judge, as plain data or a definition (always validated). */
  judge: JudgeDefinition | unknown;
  /** A store, a `postgres://` URL or an SQLite file path; default `.memalign/memory.db`. */
  store?: MemoryStore | string;
  /** With a file path: create the store when it does not exist (default true). False for read-only use: a missing file is a `not_found` error. */
  createStore?: boolean;
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
  /** Longest one model or embedding request may take, in ms, before it fails (retryably). Default 120 000. */
  timeoutMs?: number;
  prices?: PriceOverrides;
  /** Environment for model strings (API keys); default `process.env`. */
  env?: Record<string, string | undefined>;
  onEvent?: (event: MemalignEvent) => void;
  /** Clock for feedback times; default the system clock. */
  now?: () => Date;
}

/** Options of `align`. */
export interface AlignOptions {
  signal?: AbortSignal;
  /** Where each feedback item came from, so errors name the file and line. */
  sources?: FeedbackSource[];
  /** A record id given again with different content: an error (default) or a new version of the record. */
  recordChange?: RecordChange;
  /** Keeps the model answers of an align that then failed, so a rerun pays only for what failed (see `fileCheckpoint`). */
  checkpoint?: AlignCheckpoint;
  /** Who asked for the change (a user name): the version log's cause names them. */
  by?: string;
}

/** Options of memory edits: who made them, for the version log. */
export interface EditOptions { by?: string }

/** A log cause with the actor, when known. */
function byWhom(cause: string, by: string | undefined): string {
  const who = by?.replace(/[\u0000-\u001f\u007f]/g, ' ').trim().slice(0, 200);
  return who ? `${cause} (by ${who})` : cause;
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
  // Always validated: a definition that merely looks parsed may carry anything.
  const judge = parseJudge(options.judge);
  const store = typeof options.store === 'object' ? options.store : await openStore(options.store ?? '.memalign/memory.db', { create: options.createStore });
  const ma = new Memalign(judge, store, options, typeof options.store !== 'object');
  try {
    ma.checkModels();
    // Only the version is read now: memory loads when something needs it (reading a log or an
    // overview never loads 100 000 episodes).
    await ma.memory.peek();
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
  private readonly stopWarnings: () => void;

  constructor(judge: JudgeDefinition, store: MemoryStore, options: MemalignOptions, ownsStore: boolean) {
    this.definition = judge;
    this.store = store;
    this.options = options;
    this.ownsStore = ownsStore;
    this.embedder = cachedEmbedder(limitedEmbedder(options.embedder ?? hashedEmbedder(), { timeoutMs: options.timeoutMs }));
    this.settings = { ...DEFAULT_DISTILL, ...options.distill };
    this.memory = new LoadedMemory(judge.name, store, this.embedder, options.onEvent ?? (() => {}));
    // Provider warnings (settings a provider ignored or deprecated) become this judge's warning events.
    this.stopWarnings = onProviderWarning((message) => options.onEvent?.({ type: 'warning', judge: judge.name, message }));
  }

  /**
   * What a verdict depends on besides memory and the record: the judge definition and the judging
   * model. A verdict made under another key is stale (e.g. for resuming a judge run).
   */
  judgeKey(): string {
    return contentHash({ definition: this.definition, model: this.chatModel().id }, 16);
  }

  /** The memory version now in use. */
  get version(): number {
    return this.memory.version;
  }

  /**
   * Aligns the judge on expert feedback: stores examples, distils guidelines, revises or removes
   * the guidelines of feedback that no longer counts. Unchanged feedback is a no-op. All or nothing.
   */
  align(feedback: (Feedback | unknown)[], options: AlignOptions = {}): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const parsed = parseFeedbackItems(feedback, this.definition.output, { now: this.options.now, sources: options.sources, recordChange: options.recordChange });
      const items = parsed.map((p) => p.feedback);
      const state = await this.memory.ready();
      checkRecordsAgainstMemory(state, items, { recordChange: options.recordChange, sources: options.sources && parsed.map((p) => options.sources![p.index] ?? {}) });
      const plan = planAlign(state, items, (r) => this.textOf(r));
      if (isEmptyPlan(plan)) return unchangedReport(state.version, plan.unchanged.length);
      return executePlan(plan, byWhom(`align: ${plan.feedbackPuts.length} feedback (${plan.feedbackPuts.length - plan.changed.length} new, ${plan.changed.length} changed)`, options.by), { ...this.context(options.signal), checkpoint: options.checkpoint });
    });
  }

  /** Forgets feedback: its episodes go, and guidelines it supported are revised or removed. */
  forget(feedbackIds: string[], options: { signal?: AbortSignal; by?: string } = {}): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const state = await this.memory.ready();
      const unknown = feedbackIds.filter((id) => !state.feedback.has(id));
      if (unknown.length > 0) throw new NotFoundError(`No feedback with id ${unknown.map((i) => `"${i}"`).join(', ')} in the memory of judge "${this.definition.name}"; nothing was forgotten. List feedback ids with inspect().`);
      const plan = planForget(state, feedbackIds, (r) => this.textOf(r));
      if (isEmptyPlan(plan)) return unchangedReport(state.version, 0);
      return executePlan(plan, byWhom(`forget: ${feedbackIds.length} feedback`, options.by), this.context(options.signal));
    });
  }

  /**
   * Distils guidelines from episodes aligned while semantic memory was off; with `all`, re-distils
   * every episode (after a model change), replacing all distilled guidelines. One new version.
   */
  redistil(options: { all?: boolean; signal?: AbortSignal; checkpoint?: AlignCheckpoint } = {}): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const state = await this.memory.ready();
      const plan = planRedistil(state, { all: options.all });
      if (!this.definition.memory.semantic || isEmptyPlan(plan)) return unchangedReport(state.version, 0);
      return executePlan(plan, options.all ? 'redistil: all episodes' : `redistil: ${plan.toDistil.length} undistilled episode(s)`, { ...this.context(options.signal), checkpoint: options.checkpoint });
    });
  }

  /** Judges one record with the current memory. Never throws for provider or output failures: see `ok`. */
  async judge(record: JudgedRecord | unknown, options: { signal?: AbortSignal } = {}): Promise<JudgeResult> {
    const [result] = await this.judgeMany([record], { concurrency: 1, signal: options.signal });
    return result;
  }

  /**
   * Judges many records: query embeddings in batches, model calls with bounded concurrency,
   * results in input order; each verdict uses one whole memory version and names it.
   */
  judgeMany(records: (JudgedRecord | unknown)[], options: JudgeManyOptions = {}): Promise<JudgeResult[]> {
    return judgeRecords({ judge: this.definition, memory: this.memory, embedder: this.embedder, model: this.chatModel(), prices: this.options.prices, onEvent: this.options.onEvent ?? (() => {}) }, records, options);
  }

  /** Version, guidelines, tombstones and how many episodes and feedback the memory holds, read without loading the episodes. */
  overview(): Promise<MemoryOverview> {
    return this.store.overview(this.definition.name);
  }

  /** The judge's memory: version, guidelines, tombstones (deleted by experts), episodes and feedback (without vectors). */
  async inspect(): Promise<{ version: number; guidelines: Guideline[]; tombstones: Guideline[]; episodes: Episode[]; feedback: Feedback[] }> {
    const s = await this.memory.refresh();
    return { version: s.version, guidelines: [...s.guidelines.values()], tombstones: [...s.tombstones.values()], episodes: [...s.episodes.values()].map(plainEpisode), feedback: [...s.feedback.values()].map(plainFeedback) };
  }

  /** What a feedback said before it was superseded, oldest first. */
  async feedbackHistory(feedbackId: string): Promise<Feedback[]> {
    return (await this.store.feedbackHistory(this.definition.name, feedbackId)).map((h) => h.feedback);
  }

  /** Adds a guideline written by an expert (origin `manual`). */
  addGuideline(text: string, options: { pinned?: boolean } & EditOptions = {}): Promise<Guideline> {
    return this.edit((s) => guidelineEdits.add(s, this.definition.name, text, options), options);
  }

  /** Rewrites a guideline; it becomes the expert's and will not be re-distilled over. */
  editGuideline(id: string, text: string, options: EditOptions = {}): Promise<Guideline> {
    return this.edit((s) => guidelineEdits.edit(s, this.definition.name, id, text), options);
  }

  /** Pins (always in the prompt, never rewritten by distillation) or unpins a guideline. */
  pinGuideline(id: string, pinned = true, options: EditOptions = {}): Promise<Guideline> {
    return this.edit((s) => guidelineEdits.pin(s, this.definition.name, id, pinned), options);
  }

  /** Deletes a guideline, leaving a tombstone so new feedback cannot bring it back (its feedback and episodes stay). */
  deleteGuideline(id: string, options: EditOptions = {}): Promise<Guideline> {
    return this.edit((s) => guidelineEdits.delete(s, this.definition.name, id), options);
  }

  /** Restores a guideline an expert deleted. */
  restoreGuideline(id: string, options: EditOptions = {}): Promise<Guideline> {
    return this.edit((s) => guidelineEdits.restore(s, this.definition.name, id), options);
  }

  /** The memory's change log, oldest first (see `LogQuery`: the latest `limit` entries, optionally before a `seq`). */
  log(options?: LogQuery): Promise<LogEntry[]> {
    return this.store.log(this.definition.name, options);
  }

  /** Memory as reviewable, diffable JSON (no vectors: they are recomputed on import). */
  async export(): Promise<MemoryExport> {
    return exportMemory(this.definition, await this.memory.refresh());
  }

  /** Replaces this judge's memory with an export's content, as one new version (none if it already holds it). */
  import(data: unknown): Promise<MemoryChangeReport> {
    return this.exclusive(async () => {
      const state = await this.memory.ready();
      const plan = importPlan(this.definition, state, data, (r) => this.textOf(r));
      if (isEmptyPlan(plan)) return unchangedReport(state.version, state.feedback.size);
      return executePlan(plan, 'import', this.context());
    });
  }

  /** Closes the store if this instance opened it. */
  async close(): Promise<void> {
    await this.queue.catch(() => {});
    this.stopWarnings();
    if (this.ownsStore) await this.store.close();
  }

  private textOf(record: JudgedRecord): string {
    return recordText(record, queryFieldsOf(this.definition));
  }

  private edit<T>(make: (state: MemoryState) => Edit<T>, options: EditOptions): Promise<T> {
    return this.exclusive(async () => {
      const state = await this.memory.refresh();
      const { ops, cause, result } = make(state);
      const version = await this.store.commit(this.definition.name, state.version, ops, byWhom(cause, options.by));
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
    this.chat ??= judgeModel(this.options.model ?? this.definition.model, 'model', this.modelSettings());
    return this.chat;
  }

  private distillModel(): ChatModel {
    const spec = this.options.distillModel ?? this.definition.distillModel;
    this.distiller ??= spec ? judgeModel(spec, 'distillModel', this.modelSettings()) : this.chatModel();
    return this.distiller;
  }

  private modelSettings() {
    return { judge: this.definition.name, retries: this.options.retries, retryDelayMs: this.options.retryDelayMs, timeoutMs: this.options.timeoutMs, env: this.options.env };
  }

  private context(signal?: AbortSignal) {
    return {
      judge: this.definition, store: this.store, memory: this.memory, model: () => this.distillModel(), embedder: this.embedder,
      settings: this.settings, prices: this.options.prices, onEvent: this.options.onEvent ?? (() => {}), now: () => performance.now(), signal,
    };
  }
}
