import { ValidationError } from '../index.ts';

/**
 * A whole-number flag value, checked: `--limit abc`, `--limit -1`, `-c 0` are errors naming the
 * flag and the accepted range, never silently read as NaN or 0.
 *
 * @example
 * intFlag('--concurrency', '8', { min: 1, max: 256 }); // 8
 */
export function intFlag(flag: string, raw: string, range: { min: number; max?: number; example?: number }): number {
  const n = /^\s*[+]?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < range.min || (range.max !== undefined && n > range.max)) {
    const accepted = range.max === undefined ? `a whole number of at least ${range.min}` : `a whole number from ${range.min} to ${range.max}`;
    throw new ValidationError('options', [{ path: flag, message: `"${raw}" is not ${accepted} (e.g. ${flag} ${range.example ?? Math.max(range.min, Math.min(range.max ?? 8, 8))})` }]);
  }
  return n;
}
