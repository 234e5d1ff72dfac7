import type { JudgeResult, JudgedRecord } from '../index.ts';

/** The first line of a verdicts CSV. */
export const CSV_HEADER = ['id', 'value', 'rationale', 'error', 'memory_version', 'guidelines', 'episodes', 'input_tokens', 'output_tokens', 'cost_usd', 'latency_ms'];

/**
 * Verdict lines as CSV (RFC 4180 quoting): record id, value, rationale, error, provenance, usage.
 *
 * @example
 * writeFileSync('verdicts.csv', toCsv(lines));
 */
export function toCsv(lines: { record: JudgedRecord; result: JudgeResult }[]): string {
  const header = CSV_HEADER;
  const rows = lines.map(({ result: r }) => [
    r.recordId, r.ok ? String(r.value) : '', r.ok ? r.rationale : '', r.ok ? '' : `${r.error.code}: ${r.error.message}`,
    r.ok ? String(r.provenance.memoryVersion) : '', r.ok ? r.provenance.guidelineIds.join(' ') : '', r.ok ? r.provenance.episodes.map((e) => e.id).join(' ') : '',
    String(r.usage.inputTokens), String(r.usage.outputTokens), r.usage.costUsd === null ? '' : String(r.usage.costUsd), String(r.latencyMs),
  ]);
  return [header, ...rows].map((row) => row.map(quote).join(',')).join('\r\n') + '\r\n';
}

function quote(cell: string): string {
  return /[",\r\n]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
