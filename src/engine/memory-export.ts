import type { Episode, Feedback, Guideline, JudgeDefinition, JudgedRecord } from '../core/types.ts';
import { plainEpisode, plainFeedback, type MemoryState } from '../core/memory/operations.ts';
import { emptyPlan, planAlign, type MemoryPlan } from '../core/align/plan.ts';
import { parseFeedback } from '../core/feedback/parse-feedback.ts';
import { feedbackHash } from '../core/feedback/identity.ts';
import { ValidationError, type Issue } from '../core/errors.ts';
import { stableJson } from '../core/text/hash.ts';

/** The JSON form of a judge's memory. Vectors are not exported: they are recomputed on import. */
export interface MemoryExport {
  format: 'memalign-memory';
  formatVersion: 1;
  judge: string;
  memoryVersion: number;
  exportedAt: string;
  guidelines: Guideline[];
  /** Guidelines an expert deleted (kept so distillation does not bring them back). */
  tombstones?: Guideline[];
  feedback: Feedback[];
  /** Informational: episodes are re-derived from the feedback on import. */
  episodes: Omit<Episode, 'text'>[];
}

const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Exports memory as stable, diffable JSON (sorted by id).
 *
 * @example
 * const json = exportMemory(judge, state); // write with JSON.stringify(json, null, 2)
 */
export function exportMemory(judge: JudgeDefinition, state: MemoryState, now = new Date()): MemoryExport {
  return {
    format: 'memalign-memory', formatVersion: 1, judge: judge.name, memoryVersion: state.version, exportedAt: now.toISOString(),
    guidelines: [...state.guidelines.values()].sort(byId),
    tombstones: [...state.tombstones.values()].sort(byId),
    feedback: [...state.feedback.values()].sort(byId).map(plainFeedback),
    episodes: [...state.episodes.values()].sort(byId).map((e) => { const { text: _text, tokens: _tokens, ...rest } = plainEpisode(e); return rest; }),
  };
}

/**
 * Plans replacing a judge's memory with an export: feedback, guidelines and tombstones exactly as
 * in the file (no distillation: the guidelines come with it), episodes re-derived. Validates the
 * whole file first: the right judge, no duplicate ids, sources that exist. Importing what memory
 * already holds plans nothing.
 *
 * @example
 * const plan = importPlan(judge, state, JSON.parse(text), textOf);
 */
export function importPlan(judge: JudgeDefinition, state: MemoryState, data: unknown, textOf: (r: JudgedRecord) => string): MemoryPlan {
  const issues: Issue[] = [];
  const d = data as Partial<MemoryExport>;
  if (!d || typeof d !== 'object' || d.format !== 'memalign-memory') issues.push({ path: 'format', message: 'not a memalign memory export (expected "format": "memalign-memory")' });
  else if (d.formatVersion !== 1) issues.push({ path: 'formatVersion', message: `unsupported format version ${JSON.stringify(d.formatVersion)}; this memalign reads version 1` });
  else if (d.judge !== judge.name) issues.push({ path: 'judge', message: `this is an export of judge ${JSON.stringify(d.judge)}, not of "${judge.name}": import it into that judge, or change "judge" in the file if you mean to copy its memory` });
  if (issues.length > 0) throw new ValidationError('memory export', issues);
  if (!Array.isArray(d.feedback)) issues.push({ path: 'feedback', message: 'must be a list' });
  if (!Array.isArray(d.guidelines)) issues.push({ path: 'guidelines', message: 'must be a list' });
  if (d.tombstones !== undefined && !Array.isArray(d.tombstones)) issues.push({ path: 'tombstones', message: 'must be a list' });
  if (issues.length > 0) throw new ValidationError('memory export', issues);
  const seenFeedback = new Map<string, number>();
  (d.feedback as unknown[]).forEach((f, i) => {
    const id = (f as { id?: unknown })?.id;
    if (typeof id !== 'string' || id === '') { issues.push({ path: `feedback[${i}].id`, message: 'missing: every exported feedback has an id' }); return; }
    if (seenFeedback.has(id)) issues.push({ path: `feedback[${i}].id`, message: `duplicate feedback id "${id}" (also feedback[${seenFeedback.get(id)}])` });
    seenFeedback.set(id, i);
  });
  let feedback: Feedback[] = [];
  try {
    feedback = parseFeedback(d.feedback!, judge.output, { recordChange: 'new-version' });
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    issues.push(...error.issues.map((i) => ({ ...i, path: `feedback${i.path}` })));
  }
  const feedbackIds = new Set(feedback.map((f) => f.id));
  const seenGuideline = new Map<string, string>();
  const readGuidelines = (list: unknown[], where: string): Guideline[] => list.map((raw, i) => {
    const g = raw as Partial<Guideline>;
    const at = (p: string, m: string) => issues.push({ path: `${where}[${i}]${p ? `.${p}` : ''}`, message: m });
    if (!g || typeof g !== 'object') { at('', 'must be an object'); return undefined; }
    if (typeof g.id !== 'string' || g.id === '') at('id', 'missing');
    else if (seenGuideline.has(g.id)) at('id', `duplicate guideline id "${g.id}" (also ${seenGuideline.get(g.id)})`);
    else seenGuideline.set(g.id, `${where}[${i}]`);
    if (typeof g.text !== 'string' || g.text.trim() === '') at('text', 'missing');
    if (g.origin !== 'distilled' && g.origin !== 'manual') at('origin', 'must be "distilled" or "manual"');
    const sources = Array.isArray(g.sources) ? g.sources.filter((s): s is string => typeof s === 'string') : [];
    for (const s of sources) if (!feedbackIds.has(s)) at('sources', `refers to feedback "${s}", which the file does not contain`);
    const out: Guideline = { id: g.id!, text: g.text!, sources, origin: g.origin!, pinned: g.pinned === true, createdVersion: state.version + 1, updatedVersion: state.version + 1 };
    if (g.edited === true) out.edited = true;
    if (Array.isArray(g.aliases)) out.aliases = g.aliases.filter((a): a is string => typeof a === 'string');
    return out;
  }).filter((g): g is Guideline => g !== undefined);
  const guidelines = readGuidelines(d.guidelines as unknown[], 'guidelines');
  const tombstones = readGuidelines((d.tombstones ?? []) as unknown[], 'tombstones');
  if (issues.length > 0) throw new ValidationError('memory export', issues);

  if (sameContent(state, feedback, guidelines, tombstones)) return emptyPlan();
  // Start from empty: everything in the current memory goes, then the file's content comes in.
  const empty: MemoryState = { version: state.version, feedback: new Map(), episodes: new Map(), guidelines: new Map(), tombstones: new Map() };
  const plan = planAlign(empty, feedback, textOf);
  const keepEpisodes = new Set(plan.episodePuts.map((e) => e.id));
  return {
    ...plan,
    toDistil: [],
    feedbackDeletes: [...state.feedback.keys()].filter((id) => !feedbackIds.has(id)),
    episodeDeletes: [...state.episodes.keys()].filter((id) => !keepEpisodes.has(id)),
    guidelinePurges: [...new Set([...state.guidelines.keys(), ...state.tombstones.keys()])],
    guidelineAdds: guidelines,
    tombstoneAdds: tombstones,
  };
}

// True when memory already holds exactly the file's feedback, guidelines and tombstones.
function sameContent(state: MemoryState, feedback: Feedback[], guidelines: Guideline[], tombstones: Guideline[]): boolean {
  if (state.feedback.size !== feedback.length || state.guidelines.size !== guidelines.length || state.tombstones.size !== tombstones.length) return false;
  for (const f of feedback) { const s = state.feedback.get(f.id); if (!s || feedbackHash(s) !== feedbackHash(f)) return false; }
  const key = (g: Guideline) => stableJson({ t: g.text, s: [...g.sources].sort(), o: g.origin, p: g.pinned, e: g.edited ?? false, a: g.aliases ?? [] });
  for (const g of guidelines) { const s = state.guidelines.get(g.id); if (!s || key(s) !== key(g)) return false; }
  for (const g of tombstones) { const s = state.tombstones.get(g.id); if (!s || key(s) !== key(g)) return false; }
  return true;
}
