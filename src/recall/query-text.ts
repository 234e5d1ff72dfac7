import type { Json, JudgedRecord } from '../core/types.ts';

/**
 * The retrieval text of a record: the named fields, flattened to readable text with stable key
 * order. Used for both stored episodes and queries, so both sides speak the same way.
 *
 * @example
 * recordText({ id: 'r', inputs: { q: 'refund?' }, outputs: 'yes' }, ['inputs', 'outputs']); // 'q: refund?\nyes'
 */
export function recordText(record: JudgedRecord, fields: string[]): string {
  const parts: string[] = [];
  for (const f of fields) {
    const text = flatten(record[f] as Json | undefined);
    if (text !== '') parts.push(text);
  }
  return parts.join('\n');
}

function flatten(value: Json | undefined, prefix = ''): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'object') return prefix ? `${prefix}: ${String(value)}` : String(value);
  if (Array.isArray(value)) return value.map((v) => flatten(v, prefix)).filter(Boolean).join('\n');
  return Object.keys(value).sort().map((k) => flatten(value[k], k)).filter(Boolean).join('\n');
}
