import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { ValidationError, type Issue } from '../core/errors.ts';
import { parseCsv } from './csv.ts';

/** One input row: its data and where it came from. */
/** One row of an input file: where it is (line; for a JSON array also the element index) and its data. */
export interface TableRow { file: string; line: number; element?: number; data: { [key: string]: unknown } }

/**
 * An issue about a row, located by file and line, and for JSON arrays by element (`[3].value`).
 *
 * @example
 * issues.push(rowIssue(row, 'value', 'expected one of "good", "bad"'));
 */
export function rowIssue(row: Pick<TableRow, 'file' | 'line' | 'element'>, path: string, message: string): Issue {
  return { file: row.file, line: row.line, path: row.element === undefined ? path : `[${row.element}]${path ? `.${path}` : ''}`, message };
}

/** Longest a single field may be (characters) before a file is refused: protects memory and prompts. */
export const MAX_FIELD_CHARS = 1_000_000;

/**
 * Reads a JSONL, JSON (array) or CSV file into rows, checking encoding and shape; every problem is
 * reported with file and line, and nothing is returned unless the whole file is valid.
 *
 * @example
 * const rows = await readTable('feedback.csv');
 */
export async function readTable(file: string): Promise<TableRow[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    throw new ValidationError(`input file ${file}`, [{ file, path: '', message: `cannot read the file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path` }]);
  }
  return parseTable(decodeUtf8(bytes, file), file);
}

/**
 * `readTable` for text already in memory (an upload): the format comes from the file name's
 * extension (`.csv`, `.json`, else JSONL), and every problem names the file and line.
 *
 * @example
 * const rows = parseTable('{"id":"r1","inputs":"q","outputs":"a"}\n', 'records.jsonl');
 */
export function parseTable(text: string, file: string): TableRow[] {
  const kind = extname(file).toLowerCase();
  const { rows, issues } = kind === '.csv' ? csvRows(text, file) : kind === '.json' ? jsonRows(text, file) : jsonlRows(text, file);
  for (const row of rows) checkSizes(row.data, row, issues);
  if (issues.length === 0 && rows.length === 0) issues.push({ file, path: '', message: 'the file has no rows: add at least one' });
  if (issues.length > 0) throw new ValidationError(`input file ${file}`, issues);
  return rows;
}

function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const line = bytes.subarray(0, bad).toString('latin1').split('\n').length;
    throw new ValidationError(`input file ${file}`, [{ file, line, path: '', message: `invalid UTF-8 at byte ${bad}: save the file as UTF-8` }]);
  }
}

function firstInvalidUtf8(bytes: Buffer): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const len = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (len === 0) return i;
    for (let j = 1; j < len; j++) if (i + j >= bytes.length || (bytes[i + j] & 0xc0) !== 0x80) return i;
    i += len;
  }
  return i;
}

function jsonlRows(text: string, file: string): { rows: TableRow[]; issues: Issue[] } {
  const rows: TableRow[] = [];
  const issues: Issue[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '') return;
    try {
      const data: unknown = JSON.parse(trimmed);
      if (!data || typeof data !== 'object' || Array.isArray(data)) issues.push({ file, line, path: '', message: 'each line must be a JSON object ({...})' });
      else rows.push({ file, line, data: data as TableRow['data'] });
    } catch (error) {
      issues.push({ file, line, path: '', message: `not valid JSON (${(error as Error).message.replace(/^Unexpected/, 'unexpected')}): each line must be one complete JSON object` });
    }
  });
  return { rows, issues };
}

function jsonRows(text: string, file: string): { rows: TableRow[]; issues: Issue[] } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { rows: [], issues: [{ file, path: '', message: `not valid JSON (${(error as Error).message}): expected an array of objects` }] };
  }
  if (!Array.isArray(data)) return { rows: [], issues: [{ file, path: '', message: 'expected a JSON array of objects (or use .jsonl, one object per line)' }] };
  const issues: Issue[] = [];
  const rows: TableRow[] = [];
  const lines = elementLines(text);
  data.forEach((d, i) => {
    const row = { file, line: lines[i] ?? 1, element: i };
    if (!d || typeof d !== 'object' || Array.isArray(d)) issues.push(rowIssue(row, '', 'each element must be a JSON object ({...})'));
    else rows.push({ ...row, data: d as TableRow['data'] });
  });
  return { rows, issues };
}

// The line each top-level element of a (valid) JSON array starts on.
function elementLines(text: string): number[] {
  const out: number[] = [];
  let line = 1;
  let depth = 0;
  let inString = false;
  let expecting = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line += 1;
    if (inString) {
      if (c === '\\') i += 1;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n' || c === '\uFEFF') continue;
    if (depth === 1 && expecting && c !== ']') { out.push(line); expecting = false; }
    if (c === '"') inString = true;
    else if (c === '[' || c === '{') { depth += 1; if (depth === 1) expecting = true; }
    else if (c === ']' || c === '}') depth -= 1;
    else if (c === ',' && depth === 1) expecting = true;
  }
  return out;
}

function csvRows(text: string, file: string): { rows: TableRow[]; issues: Issue[] } {
  const parsed = parseCsv(text, file);
  const issues = [...parsed.issues];
  const [header, ...body] = parsed.rows;
  if (!header) return { rows: [], issues };
  const names = header.cells.map((c) => c.trim());
  names.forEach((n, i) => {
    if (n === '') issues.push({ file, line: header.line, path: `column ${i + 1}`, message: 'empty column name in the header row' });
    else if (names.indexOf(n) !== i) issues.push({ file, line: header.line, path: n, message: `column "${n}" appears twice in the header` });
  });
  const rows: TableRow[] = [];
  for (const r of body) {
    if (r.cells.length !== names.length) {
      issues.push({ file, line: r.line, path: '', message: `${r.cells.length} fields but the header has ${names.length}: check commas and quoting` });
      continue;
    }
    const data: TableRow['data'] = {};
    names.forEach((n, i) => { data[n] = r.cells[i]; });
    rows.push({ file, line: r.line, data });
  }
  return { rows, issues };
}

function checkSizes(value: unknown, row: TableRow, issues: Issue[], path = ''): void {
  if (typeof value === 'string' && value.length > MAX_FIELD_CHARS) {
    issues.push(rowIssue(row, path, `field is ${value.length} characters, over the ${MAX_FIELD_CHARS} limit: shorten it`));
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkSizes(v, row, issues, path ? `${path}.${k}` : k);
  }
}
