/**
 * The domain vocabulary of memalign (DESIGN.md §4). Pure data: no I/O, no classes.
 */

/** A JSON-compatible value, as found in records and verdicts. */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What a judge returns: a yes/no, one of a set of labels, a number in a range, or a pairwise preference. */
export type OutputKind =
  | { type: 'boolean' }
  | { type: 'categorical'; labels: string[] }
  | { type: 'numeric'; min: number; max: number; integer: boolean }
  | { type: 'pairwise' };

/** A verdict value: boolean for `boolean`, a label for `categorical`, a number for `numeric`, `A`/`B`/`tie` for `pairwise`. */
export type VerdictValue = boolean | string | number;

/** Memory settings of a judge (all have defaults, see `DEFAULT_MEMORY`). */
export interface MemorySettings {
  /** Number of past examples recalled per judged record. */
  k: number;
  /** Use distilled guidelines (semantic memory). Off = the episodic-only ablation. */
  semantic: boolean;
  /** Use retrieved examples (episodic memory). Off = the semantic-only ablation. */
  episodic: boolean;
  /** Record fields that form the retrieval query; empty = every field the template uses. */
  queryFields: string[];
  /** Token budget for guidelines + examples in the judging prompt. */
  workingMemoryTokens: number;
  /** Longest a single record field may be in the prompt, in tokens (longer is truncated and marked). */
  fieldTokens: number;
  /** Minimum fused similarity for a recalled example (0 = no floor). */
  similarityFloor: number;
  /** Maximal-marginal-relevance trade-off in [0, 1]; 1 = pure relevance (no diversity). */
  mmrLambda: number;
  /** Spread the k examples across labels when possible. */
  balanceLabels: boolean;
  /** `similar` (the method) or `random`: k reproducibly random examples (the few-shot baseline). */
  recall: 'similar' | 'random';
}

/** A judge: data, not code (DESIGN.md §4). */
export interface JudgeDefinition {
  name: string;
  /** Template over `{{ inputs }}`, `{{ outputs }}`, `{{ expectations }}` and named record variables. */
  instructions: string;
  output: OutputKind;
  /** Model string such as `openai:gpt-4.1-mini`; optional when a model is passed in code. */
  model?: string;
  /** Model used to distil guidelines; defaults to `model`. */
  distillModel?: string;
  memory: MemorySettings;
}

/** The thing judged. For pairwise judges, `outputs` holds `{ A, B }`. */
export interface JudgedRecord {
  id: string;
  inputs: Json;
  outputs: Json;
  expectations?: Json;
  metadata?: { [key: string]: Json };
  /** Extra named variables the instructions template may reference. */
  [variable: string]: Json | undefined;
}

/** The judge's verdict an expert was shown when giving feedback (from a verdicts file, the app or the API). */
export interface JudgeVerdictSeen {
  value?: VerdictValue;
  rationale?: string;
}

/**
 * An expert's feedback on a record: a value, a rationale, or both.
 *
 * Identity: feedback given without an `id` is identified by (record id, author), so an author's new
 * feedback on a record supersedes their previous one (which moves to history). See docs/concepts.md.
 */
export interface Feedback {
  id: string;
  record: JudgedRecord;
  value?: VerdictValue;
  rationale?: string;
  author?: string;
  /** ISO-8601 time; later feedback wins ties. */
  createdAt: string;
  /** The judge verdict this feedback answers, when the expert reviewed one. */
  judgeVerdict?: JudgeVerdictSeen;
}

export type GuidelineOrigin = 'distilled' | 'manual';

/**
 * A short general rule in semantic memory. Its `id` is independent of its text and never reused.
 * A guideline an expert wrote (`origin: 'manual'`), edited or pinned is the expert's: distillation
 * and revision never rewrite or remove it (see `isExpertOwned`).
 */
export interface Guideline {
  id: string;
  text: string;
  /** Ids of the feedback it was distilled from or that repeated it (empty for new manual guidelines). */
  sources: string[];
  origin: GuidelineOrigin;
  pinned: boolean;
  /** True once an expert rewrote the text. */
  edited?: boolean;
  /** Earlier texts of this guideline: a distilled repeat of any of them merges into it. */
  aliases?: string[];
  /** Memory version at which it was created / last changed. */
  createdVersion: number;
  updatedVersion: number;
}

/** A labelled example in episodic memory: one per record, resolved from its feedback. */
export interface Episode {
  /** Equal to the record id. */
  id: string;
  record: JudgedRecord;
  value?: VerdictValue;
  rationale?: string;
  /** The feedback ids that count towards this episode's resolution (each author's latest, on the winning side). */
  feedbackIds: string[];
  /** The text embedded for retrieval. */
  text: string;
  /** Hash of record + resolved value + rationale: equal hash = unchanged episode. */
  hash: string;
  createdVersion: number;
  /** The judge verdict the experts answered, when known (the latest one given with the feedback). */
  judgeVerdict?: JudgeVerdictSeen;
  /** True when the judge's value differed from the experts': the edge cases that matter most. */
  disagreed?: boolean;
  /** False when it was stored while semantic memory was off (not yet distilled; see `redistil`). */
  distilled?: boolean;
  /**
   * Token counts of the texts a recalled example shows (counted when the episode was stored), so
   * judging need not count them again. Budget estimates only; absent for memories stored before
   * they were kept, and a text without a count is counted when needed.
   */
  tokens?: EpisodeTokens;
}

/** Token counts of an episode's texts as the prompt shows them before any cut (see `Episode.tokens`). */
export interface EpisodeTokens {
  /** By record field name (the field's text: strings as they are, other JSON indented). */
  fields: { [field: string]: number };
  rationale?: number;
  /** The rationale of the judge verdict the experts answered. */
  judgeRationale?: number;
}

/** Token usage and cost of one or more model calls. */
export interface Usage {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  /** US dollars; `null` when the model's price is unknown. */
  costUsd: number | null;
}

/** Why a verdict said what it said. */
export interface Provenance {
  memoryVersion: number;
  guidelineIds: string[];
  episodes: { id: string; score: number }[];
  /** What did not fit the working-memory budget (deterministically chosen). */
  dropped: { guidelineIds: string[]; episodeIds: string[] };
  /** Fields truncated to `fieldTokens`. */
  truncatedFields: string[];
  /** Recalled examples cut to their per-example share of the budget. */
  truncatedExamples: string[];
  /** What the user should know about this working memory (e.g. pinned guidelines over budget). */
  warnings: string[];
}

/** A judge's verdict on one record. */
export interface Verdict {
  ok: true;
  recordId: string;
  value: VerdictValue;
  rationale: string;
  provenance: Provenance;
  usage: Usage;
  latencyMs: number;
  /** True when the first answer was invalid and a repair call fixed it. */
  repaired: boolean;
}

/** A failed judgement: never counted as agreement or disagreement. */
export interface VerdictError {
  ok: false;
  recordId: string;
  error: { code: string; message: string; retryable: boolean };
  usage: Usage;
  latencyMs: number;
}

export type JudgeResult = Verdict | VerdictError;
