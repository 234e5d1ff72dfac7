import type { Feedback, JudgedRecord, OutputKind, Json } from '../types.ts';
import { ValidationError, type Issue } from '../errors.ts';
import { checkValue } from '../judge/output-kind.ts';
import { contentHash } from '../text/hash.ts';

/** Where a feedback item came from, so problems name the file and line. */
export interface FeedbackSource { file?: string; line?: number }

/**
 * Validates feedback given as plain data against a judge's output kind, collecting every problem.
 * Missing ids are derived from the content; missing times come from `now`.
 *
 * @example
 * const items = parseFeedback([{ record: { id: 'r1', inputs: 'q', outputs: 'a' }, value: true, rationale: 'cites the source' }], { type: 'boolean' });
 */
export function parseFeedback(
  data: unknown[],
  kind: OutputKind,
  options: { sources?: FeedbackSource[]; now?: () => Date } = {},
): Feedback[] {
  const issues: Issue[] = [];
  const out: Feedback[] = [];
  const now = options.now ?? (() => new Date());
  const seen = new Map<string, number>();
  data.forEach((item, i) => {
    const src = options.sources?.[i] ?? {};
    const at = (path: string, message: string) => issues.push({ file: src.file, line: src.line, path: src.line === undefined ? `[${i}]${path ? `.${path}` : ''}` : path, message });
    if (!isObject(item)) return at('', 'each feedback must be an object with "record" and "value" and/or "rationale"');
    const record = parseRecord(item.record, (p, m) => at(p ? `record.${p}` : 'record', m));
    let value: Feedback['value'];
    if (item.value !== undefined && item.value !== null && item.value !== '') {
      const checked = checkValue(kind, item.value);
      if (checked.ok) value = checked.value;
      else at('value', checked.message);
    }
    const rationale = item.rationale === undefined || item.rationale === null ? undefined : item.rationale;
    if (rationale !== undefined && typeof rationale !== 'string') at('rationale', 'must be text');
    const hasRationale = typeof rationale === 'string' && rationale.trim() !== '';
    if (value === undefined && !hasRationale && !(item.value !== undefined && item.value !== null && item.value !== '')) {
      at('value', 'feedback needs a value, a rationale, or both');
    }
    for (const key of ['id', 'author', 'createdAt'] as const) {
      if (item[key] !== undefined && typeof item[key] !== 'string') at(key, 'must be text');
    }
    let createdAt = typeof item.createdAt === 'string' ? item.createdAt : now().toISOString();
    if (Number.isNaN(Date.parse(createdAt))) { at('createdAt', 'must be an ISO-8601 time such as 2026-01-31T12:00:00Z'); createdAt = now().toISOString(); }
    if (!record) return;
    const author = typeof item.author === 'string' ? item.author : undefined;
    const id = typeof item.id === 'string' && item.id !== '' ? item.id
      : `fb_${contentHash({ record: record.id, author: author ?? null, value: value ?? null, rationale: hasRationale ? rationale : null })}`;
    const previous = seen.get(id);
    if (previous !== undefined) at('id', `duplicate feedback id "${id}" (also at item ${previous + 1}): give each feedback its own id`);
    seen.set(id, i);
    out.push({ id, record, value, rationale: hasRationale ? (rationale as string).trim() : undefined, author, createdAt });
  });
  if (issues.length > 0) throw new ValidationError('feedback', issues);
  return out;
}

/**
 * Validates one record: an `id`, `inputs` and `outputs` are required.
 *
 * @example
 * parseRecord({ id: 'r1', inputs: 'q', outputs: 'a' }, (path, msg) => { throw new Error(msg); });
 */
export function parseRecord(data: unknown, fail: (path: string, message: string) => void): JudgedRecord | undefined {
  if (!isObject(data)) { fail('', 'must be an object with "id", "inputs" and "outputs"'); return undefined; }
  let ok = true;
  if (typeof data.id !== 'string' && typeof data.id !== 'number') { fail('id', 'missing: give the record an "id" (text or number)'); ok = false; }
  if (typeof data.id === 'string' && data.id.trim() === '') { fail('id', 'must not be empty'); ok = false; }
  for (const key of ['inputs', 'outputs'] as const) {
    if (data[key] === undefined || data[key] === null) { fail(key, `missing: add "${key}" to the record`); ok = false; }
  }
  if (data.metadata !== undefined && !isObject(data.metadata)) { fail('metadata', 'must be an object'); ok = false; }
  if (!ok) return undefined;
  return { ...(data as { [k: string]: Json }), id: String(data.id) } as JudgedRecord;
}

function isObject(v: unknown): v is { [key: string]: unknown } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
