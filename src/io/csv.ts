import type { Issue } from '../core/errors.ts';

/** One parsed CSV row with the 1-based line it starts on. */
export interface CsvRow { line: number; cells: string[] }

/**
 * Parses RFC 4180 CSV: quoted fields with `""` escapes and embedded newlines, CRLF or LF, a
 * trailing newline or not. Unterminated quotes and stray quotes are reported with their line.
 *
 * @example
 * parseCsv('a,b\n"x, y","say ""hi"""\n').rows; // [{ line: 1, cells: ['a','b'] }, { line: 2, cells: ['x, y', 'say "hi"'] }]
 */
export function parseCsv(text: string, file?: string): { rows: CsvRow[]; issues: Issue[] } {
  const rows: CsvRow[] = [];
  const issues: Issue[] = [];
  let cells: string[] = [];
  let cell = '';
  let line = 1;
  let rowLine = 1;
  let i = 0;
  let quoted = false;
  let wasQuoted = false;
  const endCell = () => { cells.push(cell); cell = ''; wasQuoted = false; };
  const endRow = () => {
    endCell();
    if (!(cells.length === 1 && cells[0] === '' )) rows.push({ line: rowLine, cells });
    cells = [];
  };
  while (i < text.length) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i += 2; continue; }
        quoted = false; i += 1; continue;
      }
      if (c === '\n') line += 1;
      cell += c; i += 1; continue;
    }
    if (c === '"') {
      if (cell === '' && !wasQuoted) { quoted = true; wasQuoted = true; i += 1; continue; }
      issues.push({ file, line, path: `column ${cells.length + 1}`, message: 'a quote inside an unquoted field: wrap the field in double quotes and double the quotes inside ("")' });
      cell += c; i += 1; continue;
    }
    if (c === ',') { endCell(); i += 1; continue; }
    if (c === '\r' && text[i + 1] === '\n') { i += 1; continue; }
    if (c === '\n') { endRow(); line += 1; rowLine = line; i += 1; continue; }
    if (wasQuoted) {
      issues.push({ file, line, path: `column ${cells.length + 1}`, message: 'text after a closing quote: put the whole field inside the quotes' });
    }
    cell += c; i += 1;
  }
  if (quoted) issues.push({ file, line: rowLine, path: `column ${cells.length + 1}`, message: 'a quoted field is never closed: add the closing double quote' });
  else if (cell !== '' || cells.length > 0) endRow();
  return { rows, issues };
}
