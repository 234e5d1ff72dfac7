import type { Episode, Feedback, Guideline, JudgeDefinition, JudgedRecord } from '../core/types.ts';
import { plainEpisode, type MemoryState } from '../core/memory/operations.ts';
import type { MemoryPlan } from '../core/align/plan.ts';
import { parseFeedback } from '../core/feedback/parse-feedback.ts';
import { planAlign } from '../core/align/plan.ts';
import { ValidationError, type Issue } from '../core/errors.ts';

/** The JSON form of a judge's memory. Vectors are not exported: they are recomputed on import. */
export interface MemoryExport {
  format: 'memalign-memory';
  formatVersion: 1;
  judge: string;
  memoryVersion: number;
  exportedAt: string;
  guidelines: Guideline[];
  feedback: Feedback[];
  /** Informational: episodes are re-derived from the feedback on import. */
  episodes: Omit<Episode, 'text'>[];
}

/**
 * Exports memory as stable, diffable JSON (sorted by id).
 *
 * @example
 * const json = exportMemory(judge, state); // write with JSON.stringify(json, null, 2)
 */
export function exportMemory(judge: JudgeDefinition, state: MemoryState, now = new Date()): MemoryExport {
  const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    format: 'memalign-memory', formatVersion: 1, judge: judge.name, memoryVersion: state.version, exportedAt: now.toISOString(),
    guidelines: [...state.guidelines.values()].sort(byId),
    feedback: [...state.feedback.values()].sort(byId),
    episodes: [...state.episodes.values()].sort(byId).map((e) => { const { text: _text, ...rest } = plainEpisode(e); return rest; }),
  };
}

/**
 * Plans replacing a judge's memory with an export: feedback and guidelines exactly as in the file
 * (no distillation: the guidelines come with it), episodes re-derived. Validates the whole file first.
 *
 * @example
 * const plan = importPlan(judge, state, JSON.parse(text), textOf);
 */
export function importPlan(judge: JudgeDefinition, state: MemoryState, data: unknown, textOf: (r: JudgedRecord) => string): MemoryPlan {
  const issues: Issue[] = [];
  const d = data as Partial<MemoryExport>;
  if (!d || typeof d !== 'object' || d.format !== 'memalign-memory') issues.push({ path: 'format', message: 'not a memalign memory export (expected "format": "memalign-memory")' });
  else if (d.formatVersion !== 1) issues.push({ path: 'formatVersion', message: `unsupported format version ${JSON.stringify(d.formatVersion)}; this memalign reads version 1` });
  if (issues.length > 0) throw new ValidationError('memory export', issues);
  if (!Array.isArray(d.feedback)) issues.push({ path: 'feedback', message: 'must be a list' });
  if (!Array.isArray(d.guidelines)) issues.push({ path: 'guidelines', message: 'must be a list' });
  if (issues.length > 0) throw new ValidationError('memory export', issues);
  let feedback: Feedback[] = [];
  try {
    feedback = parseFeedback(d.feedback!, judge.output);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues.map((i) => ({ ...i, path: `feedback${i.path}` })));
  }
  const feedbackIds = new Set(feedback.map((f) => f.id));
  const guidelines: Guideline[] = [];
  (d.guidelines as unknown[]).forEach((raw, i) => {
    const g = raw as Partial<Guideline>;
    const at = (p: string, m: string) => issues.push({ path: `guidelines[${i}].${p}`, message: m });
    if (!g || typeof g !== 'object') return at('', 'must be an object');
    if (typeof g.id !== 'string' || g.id === '') at('id', 'missing');
    if (typeof g.text !== 'string' || g.text.trim() === '') at('text', 'missing');
    if (g.origin !== 'distilled' && g.origin !== 'manual') at('origin', 'must be "distilled" or "manual"');
    const sources = Array.isArray(g.sources) ? g.sources.filter((s): s is string => typeof s === 'string') : [];
    for (const s of sources) if (!feedbackIds.has(s)) at('sources', `refers to feedback "${s}", which the file does not contain`);
    guidelines.push({ id: g.id!, text: g.text!, sources, origin: g.origin!, pinned: g.pinned === true, createdVersion: state.version + 1, updatedVersion: state.version + 1 });
  });
  if (issues.length > 0) throw new ValidationError('memory export', issues);

  // Start from empty: everything in the current memory goes, then the file's content comes in.
  const empty: MemoryState = { version: state.version, feedback: new Map(), episodes: new Map(), guidelines: new Map() };
  const plan = planAlign(empty, feedback, textOf);
  const keepEpisodes = new Set(plan.episodePuts.map((e) => e.id));
  return {
    ...plan,
    toDistil: [],
    feedbackDeletes: [...state.feedback.keys()].filter((id) => !feedbackIds.has(id)),
    episodeDeletes: [...state.episodes.keys()].filter((id) => !keepEpisodes.has(id)),
    guidelineDeletes: [...state.guidelines.keys()],
    guidelineAdds: guidelines,
  };
}
