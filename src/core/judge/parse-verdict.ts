import type { OutputKind, VerdictValue } from '../types.ts';
import { checkValue } from './output-kind.ts';

/** A parsed model answer, or why it is not a valid verdict. */
export type ParsedVerdict = { ok: true; value: VerdictValue; rationale: string } | { ok: false; problem: string };

/**
 * Reads a model's answer as a verdict: tolerates code fences and text around the JSON object, and
 * normalises the value for the output kind; anything else is reported, never guessed.
 *
 * @example
 * parseVerdict('```json\n{"rationale":"ok","value":"yes"}\n```', { type: 'boolean' }); // { ok: true, value: true, rationale: 'ok' }
 */
export function parseVerdict(text: string, kind: OutputKind): ParsedVerdict {
  const json = parseJsonObject(text);
  if (json === undefined) return { ok: false, problem: 'The answer was not a JSON object.' };
  if (!('value' in json)) return { ok: false, problem: 'The JSON object has no "value" field.' };
  const checked = checkValue(kind, json.value);
  if (!checked.ok) return { ok: false, problem: `"value": ${checked.message}.` };
  const rationale = typeof json.rationale === 'string' ? json.rationale : '';
  return { ok: true, value: checked.value, rationale };
}

/**
 * Parses the first JSON object in a text (plain, fenced, or surrounded by prose).
 *
 * @example
 * parseJsonObject('Sure! {"a": 1}'); // { a: 1 }
 */
export function parseJsonObject(text: string): { [key: string]: unknown } | undefined {
  const attempts = [text.trim()];
  const fenced = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fenced) attempts.push(fenced[1].trim());
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start >= 0 && end > start) attempts.push(text.slice(start, end + 1));
  for (const attempt of attempts) {
    try {
      const value: unknown = JSON.parse(attempt);
      if (value && typeof value === 'object' && !Array.isArray(value)) return value as { [key: string]: unknown };
    } catch { /* try the next form */ }
  }
  return undefined;
}
