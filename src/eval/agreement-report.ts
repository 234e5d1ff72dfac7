import type { JudgeResult, OutputKind, VerdictValue } from '../core/types.ts';
import { kindLabels } from '../core/judge/output-kind.ts';
import { cohensKappa, confusionMatrix, exactMatch, linCcc } from './metrics.ts';

/** One labelled record and what the judge said about it. */
export interface LabelledResult { recordId: string; expected: VerdictValue; result: JudgeResult }

/** How well a judge agrees with the experts. Errors are counted apart, never as (dis)agreement. */
export interface AgreementReport {
  n: number;
  errors: number;
  exactMatch: number | null;
  kappa: number | null;
  /** Numeric judges only. */
  ccc: number | null;
  meanAbsoluteError: number | null;
  confusion: { labels: string[]; matrix: number[][] } | null;
  disagreements: { recordId: string; expected: VerdictValue; predicted: VerdictValue; rationale: string }[];
  errorRecords: { recordId: string; code: string; message: string }[];
}

/**
 * Builds the agreement report of a judge on labelled records.
 *
 * @example
 * const report = agreementReport({ type: 'boolean' }, items);
 */
export function agreementReport(kind: OutputKind, items: LabelledResult[]): AgreementReport {
  const ok = items.filter((i) => i.result.ok) as (LabelledResult & { result: Extract<JudgeResult, { ok: true }> })[];
  const key = (v: VerdictValue) => String(v);
  const expected = ok.map((i) => key(i.expected));
  const predicted = ok.map((i) => key(i.result.value));
  const numeric = kind.type === 'numeric';
  const labels = (kindLabels(kind) ?? [...new Set([...ok.map((i) => i.expected), ...ok.map((i) => i.result.value)])].sort((a, b) => Number(a) - Number(b))).map(key);
  const xs = ok.map((i) => Number(i.expected));
  const ys = ok.map((i) => Number(i.result.value));
  return {
    n: items.length,
    errors: items.length - ok.length,
    exactMatch: exactMatch(expected, predicted),
    kappa: cohensKappa(expected, predicted),
    ccc: numeric ? linCcc(xs, ys) : null,
    meanAbsoluteError: numeric && ok.length > 0 ? xs.reduce((s, x, i) => s + Math.abs(x - ys[i]), 0) / ok.length : null,
    confusion: ok.length > 0 ? { labels, matrix: confusionMatrix(expected, predicted, labels) } : null,
    disagreements: ok.filter((i) => key(i.expected) !== key(i.result.value)).map((i) => ({ recordId: i.recordId, expected: i.expected, predicted: i.result.value, rationale: i.result.rationale })),
    errorRecords: items.filter((i) => !i.result.ok).map((i) => ({ recordId: i.recordId, code: (i.result as Extract<JudgeResult, { ok: false }>).error.code, message: (i.result as Extract<JudgeResult, { ok: false }>).error.message })),
  };
}

/**
 * Renders one or two reports (e.g. unaligned vs aligned) as plain text.
 *
 * @example
 * console.log(formatReport([['aligned', report]]));
 */
export function formatReport(reports: [string, AgreementReport][]): string {
  const pct = (v: number | null) => (v === null ? 'n/a' : `${(v * 100).toFixed(1)} %`);
  const num = (v: number | null) => (v === null ? 'n/a' : v.toFixed(3));
  const rows = [
    ['', ...reports.map(([name]) => name)],
    ['records', ...reports.map(([, r]) => String(r.n))],
    ['errors (not counted)', ...reports.map(([, r]) => String(r.errors))],
    ['exact match', ...reports.map(([, r]) => pct(r.exactMatch))],
    ["Cohen's kappa", ...reports.map(([, r]) => num(r.kappa))],
  ];
  if (reports.some(([, r]) => r.ccc !== null)) rows.push(['CCC', ...reports.map(([, r]) => num(r.ccc))], ['mean abs. error', ...reports.map(([, r]) => num(r.meanAbsoluteError))]);
  const width = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const lines = rows.map((r) => r.map((cell, c) => cell.padEnd(width[c])).join('  '));
  for (const [name, r] of reports) {
    if (!r.confusion) continue;
    const w = Math.max(8, ...r.confusion.labels.map((l) => l.length));
    lines.push('', `${name}: confusion (rows expected, columns judged)`, `${''.padEnd(w)}  ${r.confusion.labels.map((l) => l.padStart(w)).join('  ')}`);
    r.confusion.matrix.forEach((row, i) => lines.push(`${r.confusion!.labels[i].padEnd(w)}  ${row.map((v) => String(v).padStart(w)).join('  ')}`));
  }
  return lines.join('\n');
}
