import { ValidationError, type Issue } from '../core/errors.ts';
import { contentHash } from '../core/text/hash.ts';
import type { TableRow } from './read-table.ts';

/** Target fields a column mapping can fill. */
export const MAPPABLE = ['id', 'inputs', 'outputs', 'expectations', 'value', 'rationale', 'author', 'createdAt', 'feedbackId'] as const;
export type Mapping = Partial<Record<(typeof MAPPABLE)[number], string>>;

/**
 * Parses `inputs=question,outputs=answer,value=label,rationale=comment` (source names may be
 * dotted paths into JSON rows).
 *
 * @example
 * parseMapping('inputs=question,value=label'); // { inputs: 'question', value: 'label' }
 */
export function parseMapping(text: string | undefined): Mapping {
  if (!text) return {};
  const out: Mapping = {};
  const issues: Issue[] = [];
  for (const part of text.split(',').map((p) => p.trim()).filter(Boolean)) {
    const [target, source] = part.split('=').map((s) => s?.trim());
    if (!source || !(MAPPABLE as readonly string[]).includes(target)) {
      issues.push({ path: '--map', message: `"${part}" is not TARGET=COLUMN with TARGET one of ${MAPPABLE.join(', ')}` });
      continue;
    }
    out[target as keyof Mapping] = source;
  }
  if (issues.length > 0) throw new ValidationError('column mapping', issues);
  return out;
}

/**
 * Checks that every column a mapping names exists in the rows (dotted paths into JSON rows count
 * if present in at least one row), so a typo is reported instead of silently reading nothing.
 *
 * @example
 * checkMapping(rows, parseMapping('value=label')); // throws: column "label" … is not in the file
 */
export function checkMapping(rows: TableRow[], mapping: Mapping): void {
  const issues: Issue[] = [];
  for (const [target, source] of Object.entries(mapping)) {
    if (rows.some((r) => pick(r.data, source!) !== undefined)) continue;
    const columns = Object.keys(rows[0]?.data ?? {});
    issues.push({ file: rows[0]?.file, line: rows[0]?.line, path: '--map', message: `column "${source}" (from ${target}=${source}) is not in the file; its columns are: ${columns.join(', ')}` });
  }
  if (issues.length > 0) throw new ValidationError('column mapping', issues);
}

function pick(data: { [k: string]: unknown }, path: string): unknown {
  if (path in data) return data[path];
  return path.split('.').reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as { [k: string]: unknown })[k] : undefined), data);
}

function field(row: TableRow, mapping: Mapping, target: keyof Mapping, fallbacks: string[]): unknown {
  const source = mapping[target];
  if (source !== undefined) return pick(row.data, source);
  for (const f of fallbacks) if (row.data[f] !== undefined && row.data[f] !== '') return row.data[f];
  return undefined;
}

/**
 * Turns a row into a record: the row itself when it already has `inputs`/`outputs` (or a `record`
 * object), else the mapped columns. A missing id is derived from the content so re-runs agree.
 *
 * @example
 * rowToRecord({ file: 'r.csv', line: 2, data: { question: 'q', answer: 'a' } }, { inputs: 'question', outputs: 'answer' });
 */
export function rowToRecord(row: TableRow, mapping: Mapping): { [key: string]: unknown } {
  const base = row.data.record && typeof row.data.record === 'object' && !Array.isArray(row.data.record) ? row.data.record as { [k: string]: unknown } : undefined;
  if (base && Object.keys(mapping).length === 0) return withId(base);
  const record: { [key: string]: unknown } = {};
  record.id = field(row, mapping, 'id', ['id', 'record_id', 'recordId']);
  record.inputs = field(row, mapping, 'inputs', ['inputs', 'input', 'question', 'prompt']);
  record.outputs = field(row, mapping, 'outputs', ['outputs', 'output', 'answer', 'response']);
  const expectations = field(row, mapping, 'expectations', ['expectations', 'expected', 'reference']);
  if (expectations !== undefined) record.expectations = expectations;
  if (row.data.metadata && typeof row.data.metadata === 'object') record.metadata = row.data.metadata;
  return withId(record);
}

/**
 * Turns a row into raw feedback for `parseFeedback`: the record plus value, rationale, author, time.
 *
 * @example
 * rowToFeedback(row, parseMapping('inputs=question,outputs=answer,value=label,rationale=comment'));
 */
export function rowToFeedback(row: TableRow, mapping: Mapping): { [key: string]: unknown } {
  const out: { [key: string]: unknown } = { record: rowToRecord(row, mapping) };
  // In the native format the row is the feedback and `record` is nested: its `id` is the feedback's.
  const native = row.data.record !== undefined && typeof row.data.record === 'object' && mapping.feedbackId === undefined;
  const id = native ? row.data.id : field(row, mapping, 'feedbackId', ['feedback_id', 'feedbackId']);
  if (id !== undefined && id !== null && id !== '') out.id = String(id);
  const value = field(row, mapping, 'value', ['value', 'label', 'verdict', 'score']);
  if (value !== undefined && value !== '') out.value = value;
  const rationale = field(row, mapping, 'rationale', ['rationale', 'comment', 'explanation', 'reason']);
  if (rationale !== undefined && rationale !== '') out.rationale = rationale;
  const author = field(row, mapping, 'author', ['author', 'annotator']);
  if (author !== undefined && author !== '') out.author = String(author);
  const createdAt = field(row, mapping, 'createdAt', ['createdAt', 'created_at', 'timestamp']);
  if (createdAt !== undefined && createdAt !== '') out.createdAt = String(createdAt);
  return out;
}

function withId(record: { [key: string]: unknown }): { [key: string]: unknown } {
  if (record.id === undefined || record.id === null || record.id === '') {
    return { ...record, id: `r_${contentHash({ inputs: record.inputs ?? null, outputs: record.outputs ?? null, expectations: record.expectations ?? null })}` };
  }
  return { ...record, id: String(record.id) };
}
