import type { JudgeDefinition, MemorySettings, OutputKind } from '../types.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { templateVariables } from './template.ts';

/** Memory defaults: k = 5 as in the method's paper, budgets sized for small fast models. */
export const DEFAULT_MEMORY: MemorySettings = {
  k: 5,
  semantic: true,
  episodic: true,
  queryFields: [],
  workingMemoryTokens: 6000,
  fieldTokens: 1500,
  similarityFloor: 0,
  mmrLambda: 1,
  balanceLabels: false,
  recall: 'similar',
};

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const KINDS = ['boolean', 'categorical', 'numeric', 'pairwise'];

type Path = (string | number)[];
type Obj = { [key: string]: unknown };
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'a list' : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'object' ? 'an object' : String(v));

// Collects every problem (path + message) instead of stopping at the first.
class Checker {
  readonly problems: { path: Path; at: Path; message: string }[] = [];
  fail(path: Path, message: string, at: Path = path): undefined { this.problems.push({ path, at, message }); return undefined; }

  known(obj: Obj, path: Path, keys: string[]): void {
    const extra = Object.keys(obj).filter((k) => !keys.includes(k));
    if (extra.length > 0) this.fail(path, `unknown field${extra.length > 1 ? 's' : ''} ${extra.map((k) => JSON.stringify(k)).join(', ')}: remove or fix the spelling`, [...path, extra[0]]);
  }

  text(v: unknown, path: Path, options: { required?: boolean; trim?: boolean; empty?: string } = {}): string | undefined {
    if (v === undefined) return options.required ? this.fail(path, 'missing: add this field (string)') : undefined;
    if (typeof v !== 'string') return this.fail(path, `expected text, got ${show(v)}`);
    const t = options.trim ? v.trim() : v;
    if (t.length === 0) return this.fail(path, options.empty ?? 'cannot be empty');
    return t;
  }

  number(v: unknown, path: Path, fallback: number | undefined, range: { int?: boolean; min?: number; max?: number } = {}): number | undefined {
    if (v === undefined) return fallback === undefined ? this.fail(path, 'missing: add this field (number)') : fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) return this.fail(path, `expected a number, got ${show(v)}`);
    if (range.int && !Number.isInteger(v)) return this.fail(path, `expected a whole number, got ${v}`);
    if (range.min !== undefined && v < range.min) return this.fail(path, `must be at least ${range.min}, got ${v}`);
    if (range.max !== undefined && v > range.max) return this.fail(path, `must be at most ${range.max}, got ${v}`);
    return v;
  }

  bool(v: unknown, path: Path, fallback: boolean): boolean {
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') { this.fail(path, `expected true or false, got ${show(v)}`); return fallback; }
    return v;
  }
}

function checkOutput(c: Checker, raw: unknown): OutputKind | undefined {
  const path = ['output'];
  if (raw === undefined) return c.fail(path, 'missing: add this field (boolean, categorical, numeric or pairwise)');
  const v = typeof raw === 'string' ? { type: raw } : raw;
  if (!isObj(v) || typeof v.type !== 'string' || !KINDS.includes(v.type)) return c.fail(path, 'output.type must be one of boolean, categorical, numeric, pairwise');
  switch (v.type) {
    case 'boolean': case 'pairwise':
      c.known(v, path, ['type']);
      return { type: v.type };
    case 'categorical': {
      c.known(v, path, ['type', 'labels']);
      const at = [...path, 'labels'];
      if (!Array.isArray(v.labels)) return c.fail(at, v.labels === undefined ? 'missing: add this field (a list of labels)' : `expected a list of labels, got ${show(v.labels)}`);
      const labels = v.labels.map((l, i) => c.text(l, [...at, i], { required: true, trim: true, empty: 'a label cannot be empty' }));
      if (labels.length < 2) return c.fail(at, 'give at least two labels');
      if (labels.some((l) => l === undefined)) return undefined;
      if (new Set(labels).size !== labels.length) return c.fail(at, 'labels must be unique');
      return { type: 'categorical', labels: labels as string[] };
    }
    default: {
      c.known(v, path, ['type', 'min', 'max', 'integer']);
      const min = c.number(v.min, [...path, 'min'], undefined);
      const max = c.number(v.max, [...path, 'max'], undefined);
      const integer = c.bool(v.integer, [...path, 'integer'], true);
      if (min === undefined || max === undefined) return undefined;
      if (min >= max) return c.fail([...path, 'max'], 'min must be less than max');
      return { type: 'numeric', min, max, integer };
    }
  }
}

function checkMemory(c: Checker, raw: unknown): MemorySettings {
  const path = ['memory'];
  const d = DEFAULT_MEMORY;
  if (raw === undefined) return { ...d, queryFields: [] };
  if (!isObj(raw)) { c.fail(path, `expected memory settings (an object), got ${show(raw)}`); return { ...d, queryFields: [] }; }
  c.known(raw, path, Object.keys(d));
  const at = (k: string) => [...path, k];
  let queryFields: string[] = [];
  if (raw.queryFields !== undefined) {
    if (!Array.isArray(raw.queryFields)) c.fail(at('queryFields'), `expected a list of field names, got ${show(raw.queryFields)}`);
    else queryFields = raw.queryFields.map((f, i) => c.text(f, [...at('queryFields'), i], { required: true })).filter((f): f is string => f !== undefined);
  }
  let recall = d.recall;
  if (raw.recall !== undefined) {
    if (raw.recall === 'similar' || raw.recall === 'random') recall = raw.recall;
    else c.fail(at('recall'), `expected "similar" or "random", got ${show(raw.recall)}`);
  }
  return {
    k: c.number(raw.k, at('k'), d.k, { int: true, min: 0, max: 100 }) ?? d.k,
    semantic: c.bool(raw.semantic, at('semantic'), d.semantic),
    episodic: c.bool(raw.episodic, at('episodic'), d.episodic),
    queryFields,
    workingMemoryTokens: c.number(raw.workingMemoryTokens, at('workingMemoryTokens'), d.workingMemoryTokens, { int: true, min: 100 }) ?? d.workingMemoryTokens,
    fieldTokens: c.number(raw.fieldTokens, at('fieldTokens'), d.fieldTokens, { int: true, min: 16 }) ?? d.fieldTokens,
    similarityFloor: c.number(raw.similarityFloor, at('similarityFloor'), d.similarityFloor, { min: 0, max: 1 }) ?? d.similarityFloor,
    mmrLambda: c.number(raw.mmrLambda, at('mmrLambda'), d.mmrLambda, { min: 0, max: 1 }) ?? d.mmrLambda,
    balanceLabels: c.bool(raw.balanceLabels, at('balanceLabels'), d.balanceLabels),
    recall,
  };
}

/**
 * Validates a judge definition given as plain data (from YAML, JSON or code), fills defaults, and
 * reports every problem with its path. `locate` maps a path to a line for file-based input.
 *
 * @example
 * const judge = parseJudge({ name: 'correct', instructions: 'Is {{ outputs }} correct for {{ inputs }}?', output: 'boolean' });
 */
export function parseJudge(data: unknown, source: { file?: string; locate?: (path: (string | number)[]) => number | undefined } = {}): JudgeDefinition {
  const c = new Checker();
  const what = `judge definition${source.file ? ` in ${source.file}` : ''}`;
  const issue = (p: { path: Path; at: Path; message: string }): Issue => ({ file: source.file, line: source.locate?.(p.at), path: formatPath(p.path), message: p.message });
  if (!isObj(data)) throw new ValidationError(what, [{ file: source.file, path: '', message: `a judge is an object with name, instructions and output; got ${show(data)}` }]);
  c.known(data, [], ['name', 'instructions', 'output', 'model', 'distillModel', 'memory']);
  const name = c.text(data.name, ['name'], { required: true });
  if (name !== undefined && !NAME.test(name)) c.fail(['name'], 'use 1–64 letters, digits, "_", "-" or "." (no spaces), starting with a letter or digit');
  const instructions = c.text(data.instructions, ['instructions'], { required: true, trim: true, empty: 'write the instructions the judge follows' });
  const output = checkOutput(c, data.output);
  const model = c.text(data.model, ['model']);
  const distillModel = c.text(data.distillModel, ['distillModel']);
  const memory = checkMemory(c, data.memory);
  if (instructions !== undefined && !templateVariables(instructions).some((v) => v === 'inputs' || v === 'outputs')) {
    c.fail(['instructions'], 'the template must use {{ inputs }} or {{ outputs }} so the judge sees the record');
  }
  if (c.problems.length > 0) throw new ValidationError(what, c.problems.map(issue));
  const judge: JudgeDefinition = { name: name!, instructions: instructions!, output: output!, memory };
  if (model !== undefined) judge.model = model;
  if (distillModel !== undefined) judge.distillModel = distillModel;
  return judge;
}

/** The record fields that form the retrieval query: the configured ones, else every template variable. */
export function queryFieldsOf(judge: JudgeDefinition): string[] {
  return judge.memory.queryFields.length > 0 ? judge.memory.queryFields : templateVariables(judge.instructions);
}

function formatPath(path: (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}
