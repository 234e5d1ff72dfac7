import { hash } from 'node:crypto';
import type { Json } from '../types.ts';

/**
 * JSON with object keys sorted, so equal content always serialises (and hashes) the same.
 *
 * @example
 * stableJson({ b: 1, a: 2 }); // '{"a":2,"b":1}'
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value as Json));
}

function sortKeys(value: Json | undefined): Json | undefined {
  if (Array.isArray(value)) return value.map((v) => sortKeys(v) ?? null);
  // As JSON.stringify does: an object that says how it serialises (a lazily parsed row) is hashed as that.
  if (value && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') return sortKeys((value as unknown as { toJSON(): Json }).toJSON());
  if (value && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const v = sortKeys(value[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  return value;
}

/**
 * A short content hash (hex of SHA-256) of any JSON-like value.
 *
 * @example
 * contentHash({ a: 1 }).length; // 16
 */
export function contentHash(value: unknown, length = 16): string {
  // One-shot hashing: a third of createHash's cost per call (hashes are taken per record, often).
  return hash('sha256', typeof value === 'string' ? value : stableJson(value), 'hex').slice(0, length);
}

/**
 * Normalises a guideline for duplicate detection: case, whitespace and punctuation do not count.
 *
 * @example
 * normaliseText('Prefer  certified views!'); // 'prefer certified views'
 */
export function normaliseText(text: string): string {
  return text.toLowerCase().replace(/[\p{P}\p{S}]+/gu, ' ').replace(/\s+/g, ' ').trim();
}
