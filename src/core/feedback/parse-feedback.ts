import type { Feedback, JudgedRecord, JudgeVerdictSeen, OutputKind, Json } from '../types.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { checkValue } from '../judge/output-kind.ts';
import { defaultFeedbackId, feedbackHash, recordContentKey } from './identity.ts';

/** Where a feedback item came from, so problems name the file and line. */
/** Where a feedback item came from: file and line, and for a JSON array the element index. */
export interface FeedbackSource { file?: string; line?: number; element?: number }

/** What to do when a record id comes back with different content: refuse (default), or treat it as a new version of the record. */
export type RecordChange = 'error' | 'new-version';

/** Options of `parseFeedback`. */
export interface ParseFeedbackOptions {
  sources?: FeedbackSource[];
  now?: () => Date;
  recordChange?: RecordChange;
}

/**
 * Validates feedback given as plain data against a judge's output kind, collecting every problem.
 *
 * - Missing ids are derived from (record id, author): an author's later feedback on a record
 *   supersedes their earlier one. Within one batch, the latest such item is kept.
 * - Identical items repeated in a batch are kept once; two different items under one explicit id
 *   are an error.
 * - One record id with two different contents is an error naming both items, unless
 *   `recordChange: 'new-version'`.
 * - Missing times come from `now`.
 *
 * @example
 * const items = parseFeedback([{ record: { id: 'r1', inputs: 'q', outputs: 'a' }, value: true, rationale: 'cites the source' }], { type: 'boolean' });
 */
export function parseFeedback(data: unknown[], kind: OutputKind, options: ParseFeedbackOptions = {}): Feedback[] {
  return parseFeedbackItems(data, kind, options).map((k) => k.feedback);
}

/**
 * `parseFeedback`, keeping for each item the position it came from in `data` (duplicates collapse,
 * so positions are what lets later checks name the right file and line).
 *
 * @example
 * parseFeedbackItems(rows, kind, { sources }).map((k) => sources[k.index]);
 */
export function parseFeedbackItems(data: unknown[], kind: OutputKind, options: ParseFeedbackOptions = {}): { feedback: Feedback; index: number }[] {
  const issues: Issue[] = [];
  const now = options.now ?? (() => new Date());
  const parsed: { f: Feedback; i: number; explicit: boolean }[] = [];
  data.forEach((item, i) => {
    const at = locator(issues, options.sources, i);
    if (!isObject(item)) return at('', 'each feedback must be an object with "record" and "value" and/or "rationale"');
    const record = parseRecord(item.record, (p, m) => at(p ? `record.${p}` : 'record', m), kind);
    const hasValue = item.value !== undefined && item.value !== null && item.value !== '';
    let value: Feedback['value'];
    if (hasValue) {
      const checked = checkValue(kind, item.value);
      if (checked.ok) value = checked.value;
      else at('value', checked.message);
    }
    const rationale = item.rationale === undefined || item.rationale === null ? undefined : item.rationale;
    if (rationale !== undefined && typeof rationale !== 'string') at('rationale', 'must be text');
    const hasRationale = typeof rationale === 'string' && rationale.trim() !== '';
    if (!hasValue && !hasRationale) at('value', 'feedback needs a value, a rationale, or both');
    for (const key of ['id', 'author', 'createdAt'] as const) {
      if (item[key] !== undefined && item[key] !== null && typeof item[key] !== 'string') at(key, 'must be text');
    }
    let createdAt = typeof item.createdAt === 'string' ? item.createdAt : now().toISOString();
    if (Number.isNaN(Date.parse(createdAt))) { at('createdAt', 'must be an ISO-8601 time such as 2026-01-31T12:00:00Z'); createdAt = now().toISOString(); }
    const judgeVerdict = parseJudgeVerdict(item.judgeVerdict, kind, (p, m) => at(`judgeVerdict${p ? `.${p}` : ''}`, m));
    if (!record) return;
    const author = typeof item.author === 'string' && item.author.trim() !== '' ? item.author.trim() : undefined;
    const explicit = typeof item.id === 'string' && item.id.trim() !== '';
    const id = explicit ? (item.id as string).trim() : defaultFeedbackId(record.id, author);
    const f: Feedback = { id, record, value, rationale: hasRationale ? (rationale as string).trim() : undefined, author, createdAt };
    if (judgeVerdict) f.judgeVerdict = judgeVerdict;
    parsed.push({ f, i, explicit });
  });

  // One id, one item: identical repeats collapse; a derived id keeps its latest item.
  const byId = new Map<string, { f: Feedback; i: number; explicit: boolean }>();
  for (const p of parsed) {
    const prev = byId.get(p.f.id);
    if (!prev) { byId.set(p.f.id, p); continue; }
    if (feedbackHash(prev.f) === feedbackHash(p.f)) continue;
    if (p.explicit) {
      locator(issues, options.sources, p.i)('id', `duplicate feedback id "${p.f.id}" with different content (also at ${where(options.sources, prev.i)}): give each feedback its own id`);
      continue;
    }
    if (Date.parse(p.f.createdAt) >= Date.parse(prev.f.createdAt)) byId.set(p.f.id, p);
  }
  const kept = [...byId.values()].sort((a, b) => a.i - b.i);

  if ((options.recordChange ?? 'error') === 'error') {
    const firstContent = new Map<string, { key: string; i: number }>();
    for (const p of kept) {
      const key = recordContentKey(p.f.record);
      const first = firstContent.get(p.f.record.id);
      if (!first) firstContent.set(p.f.record.id, { key, i: p.i });
      else if (first.key !== key) {
        locator(issues, options.sources, p.i)('record', `record "${p.f.record.id}" has different content from the record with the same id at ${where(options.sources, first.i)}: give the changed record a new id, or pass recordChange "new-version" (--new-record-version) to replace it`);
      }
    }
  }
  if (issues.length > 0) throw new ValidationError('feedback', issues);
  return kept.map((p) => ({ feedback: p.f, index: p.i }));
}

/**
 * Validates one record: an `id`, `inputs` and `outputs` are required; a pairwise judge's outputs
 * must hold both answers, `{ "A": …, "B": … }`.
 *
 * @example
 * parseRecord({ id: 'r1', inputs: 'q', outputs: 'a' }, (path, msg) => { throw new Error(msg); });
 */
export function parseRecord(data: unknown, fail: (path: string, message: string) => void, kind?: OutputKind): JudgedRecord | undefined {
  if (!isObject(data)) { fail('', 'must be an object with "id", "inputs" and "outputs"'); return undefined; }
  let ok = true;
  if (typeof data.id !== 'string' && typeof data.id !== 'number') { fail('id', 'missing: give the record an "id" (text or number)'); ok = false; }
  if (typeof data.id === 'string' && data.id.trim() === '') { fail('id', 'must not be empty'); ok = false; }
  for (const key of ['inputs', 'outputs'] as const) {
    if (data[key] === undefined || data[key] === null) { fail(key, `missing: add "${key}" to the record`); ok = false; }
  }
  if (ok && kind?.type === 'pairwise') {
    const o = data.outputs;
    const has = (k: string) => isObject(o) && o[k] !== undefined && o[k] !== null && o[k] !== '';
    if (!has('A') || !has('B')) { fail('outputs', 'a pairwise judge compares two answers: give outputs as {"A": …, "B": …}; both "A" and "B" must be present'); ok = false; }
  }
  if (data.metadata !== undefined && !isObject(data.metadata)) { fail('metadata', 'must be an object'); ok = false; }
  if (!ok) return undefined;
  return { ...(data as { [k: string]: Json }), id: String(data.id) } as JudgedRecord;
}

function parseJudgeVerdict(raw: unknown, kind: OutputKind, fail: (path: string, message: string) => void): JudgeVerdictSeen | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) { fail('', 'must be an object {"value": …, "rationale": …} (the verdict the expert reviewed)'); return undefined; }
  const out: JudgeVerdictSeen = {};
  if (raw.value !== undefined && raw.value !== null) {
    const checked = checkValue(kind, raw.value);
    if (checked.ok) out.value = checked.value;
    else fail('value', checked.message);
  }
  if (raw.rationale !== undefined && raw.rationale !== null) {
    if (typeof raw.rationale === 'string') out.rationale = raw.rationale;
    else fail('rationale', 'must be text');
  }
  return out.value === undefined && out.rationale === undefined ? undefined : out;
}

function locator(issues: Issue[], sources: FeedbackSource[] | undefined, i: number) {
  const src = sources?.[i] ?? {};
  return (path: string, message: string) => {
    issues.push({ file: src.file, line: src.line, path: src.line === undefined || src.element !== undefined ? `[${src.element ?? i}]${path ? `.${path}` : ''}` : path, message });
  };
}

function where(sources: FeedbackSource[] | undefined, i: number): string {
  const src = sources?.[i];
  if (src?.line !== undefined) return `${src.file ? `${src.file}:` : 'line '}${src.line}${src.element !== undefined ? ` [${src.element}]` : ''}`;
  return `[${i}]`;
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
