import type { OutputKind, VerdictValue } from '../types.ts';
import type { JsonSchema } from '../../model/chat-model.ts';

/** The result of checking a value against an output kind. */
export type ValueCheck = { ok: true; value: VerdictValue } | { ok: false; message: string };

const TRUE_WORDS = new Set(['true', 'yes', 'pass', 'y', '1']);
const FALSE_WORDS = new Set(['false', 'no', 'fail', 'n', '0']);
const PAIRWISE = ['A', 'B', 'tie'] as const;

/**
 * Checks (and gently normalises) a value for an output kind: `"yes"` → `true` for booleans,
 * label case for categorical, `"4"` → `4` for numeric, `"a"` → `"A"` for pairwise.
 *
 * @example
 * checkValue({ type: 'numeric', min: 1, max: 5, integer: true }, '4'); // { ok: true, value: 4 }
 */
export function checkValue(kind: OutputKind, raw: unknown): ValueCheck {
  switch (kind.type) {
    case 'boolean': {
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      const word = String(raw).trim().toLowerCase();
      if (TRUE_WORDS.has(word)) return { ok: true, value: true };
      if (FALSE_WORDS.has(word)) return { ok: true, value: false };
      return { ok: false, message: `expected true or false (or yes/no), got ${show(raw)}` };
    }
    case 'categorical': {
      const text = typeof raw === 'string' || typeof raw === 'number' || typeof raw === 'boolean' ? String(raw).trim() : null;
      const label = text === null ? undefined : kind.labels.find((l) => l === text) ?? kind.labels.find((l) => l.toLowerCase() === text.toLowerCase());
      if (label !== undefined) return { ok: true, value: label };
      return { ok: false, message: `expected one of ${kind.labels.map((l) => JSON.stringify(l)).join(', ')}, got ${show(raw)}` };
    }
    case 'numeric': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return { ok: false, message: `expected a number from ${kind.min} to ${kind.max}, got ${show(raw)}` };
      if (n < kind.min || n > kind.max) return { ok: false, message: `expected a number from ${kind.min} to ${kind.max}, got ${n}` };
      if (kind.integer && !Number.isInteger(n)) return { ok: false, message: `expected a whole number from ${kind.min} to ${kind.max}, got ${n}` };
      return { ok: true, value: n };
    }
    case 'pairwise': {
      const text = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
      const choice = PAIRWISE.find((c) => c.toLowerCase() === text);
      if (choice) return { ok: true, value: choice };
      return { ok: false, message: `expected "A", "B" or "tie", got ${show(raw)}` };
    }
  }
}

/** The labels of a discrete kind (for reports and label balancing); `null` for numeric. */
export function kindLabels(kind: OutputKind): VerdictValue[] | null {
  switch (kind.type) {
    case 'boolean': return [true, false];
    case 'categorical': return [...kind.labels];
    case 'pairwise': return [...PAIRWISE];
    case 'numeric': return null;
  }
}

/** A one-line description of the expected value, used in prompts. */
export function describeKind(kind: OutputKind): string {
  switch (kind.type) {
    case 'boolean': return 'true or false';
    case 'categorical': return `one of ${kind.labels.map((l) => JSON.stringify(l)).join(', ')}`;
    case 'numeric': return `${kind.integer ? 'a whole number' : 'a number'} from ${kind.min} to ${kind.max}`;
    case 'pairwise': return '"A" if output A is better, "B" if output B is better, "tie" if neither is';
  }
}

/**
 * The JSON Schema of a verdict `{ rationale, value }` for structured output. The rationale comes
 * first so the model reasons before it decides.
 *
 * @example
 * verdictSchema({ type: 'pairwise' }).properties.value; // { type: 'string', enum: ['A', 'B', 'tie'] }
 */
export function verdictSchema(kind: OutputKind): JsonSchema & { properties: { rationale: JsonSchema; value: JsonSchema } } {
  return {
    type: 'object',
    properties: { rationale: { type: 'string' }, value: valueSchema(kind) },
    required: ['rationale', 'value'],
    additionalProperties: false,
  };
}

function valueSchema(kind: OutputKind): JsonSchema {
  switch (kind.type) {
    case 'boolean': return { type: 'boolean' };
    case 'categorical': return { type: 'string', enum: [...kind.labels] };
    case 'numeric': return { type: kind.integer ? 'integer' : 'number', minimum: kind.min, maximum: kind.max };
    case 'pairwise': return { type: 'string', enum: [...PAIRWISE] };
  }
}

/** Stable string form of a value, for majority votes and label keys. */
export function valueKey(value: VerdictValue): string {
  return typeof value === 'string' ? `s:${value}` : `${typeof value}:${String(value)}`;
}

function show(raw: unknown): string {
  const text = JSON.stringify(raw) ?? String(raw);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
