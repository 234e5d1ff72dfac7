import type { OutputKind, VerdictValue } from '../types.ts';
import { checkValue } from './output-kind.ts';

/** A parsed model answer, or why it is not a valid verdict. */
export type ParsedVerdict = { ok: true; value: VerdictValue; rationale: string } | { ok: false; problem: string };

const VERDICT_KEYS = new Set(['rationale', 'value']);

/**
 * Reads a model's answer as a verdict. The answer must be the verdict schema's JSON object and
 * nothing else (one surrounding code fence is tolerated): prose that merely quotes such an object
 * (which a judged record could have planted) is not a verdict. The value is normalised for the
 * output kind; anything else is reported, never guessed.
 *
 * @example
 * parseVerdict('```json\n{"rationale":"ok","value":"yes"}\n```', { type: 'boolean' }); // { ok: true, value: true, rationale: 'ok' }
 */
export function parseVerdict(text: string, kind: OutputKind): ParsedVerdict {
  const json = parseJsonObject(text);
  if (json === undefined) return { ok: false, problem: 'The answer was not only a JSON object: answer with the JSON object alone, no text before or after it.' };
  if (!('value' in json)) return { ok: false, problem: 'The JSON object has no "value" field.' };
  const extra = Object.keys(json).filter((k) => !VERDICT_KEYS.has(k));
  if (extra.length > 0) return { ok: false, problem: `The JSON object has fields the verdict does not have (${extra.map((k) => `"${k}"`).join(', ')}): use only "rationale" and "value".` };
  if ('rationale' in json && typeof json.rationale !== 'string') return { ok: false, problem: '"rationale" must be a string.' };
  const checked = checkValue(kind, json.value);
  if (!checked.ok) return { ok: false, problem: `"value": ${checked.message}.` };
  return { ok: true, value: checked.value, rationale: (json.rationale as string | undefined) ?? '' };
}

/**
 * Parses an answer that is exactly one JSON object, bare or inside one code fence. Text around
 * the object makes it no answer at all.
 *
 * @example
 * parseJsonObject('```json\n{"a": 1}\n```'); // { a: 1 }
 * parseJsonObject('Sure! {"a": 1}'); // undefined
 */
export function parseJsonObject(text: string): { [key: string]: unknown } | undefined {
  let body = text.trim();
  const fenced = /^```[a-zA-Z]*[ \t]*\r?\n([\s\S]*?)\r?\n?```$/.exec(body);
  if (fenced) body = fenced[1].trim();
  if (!body.startsWith('{') || !body.endsWith('}')) return undefined;
  try {
    const value: unknown = JSON.parse(body);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as { [key: string]: unknown };
  } catch { /* not JSON */ }
  return undefined;
}
