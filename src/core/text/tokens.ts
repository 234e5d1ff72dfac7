import { createRequire } from 'node:module';
import { utf8Length } from './utf8.ts';

// The tokenizer's tables are large (~200 ms and ~75 MB to load): loaded on first use, so
// commands that never measure text start fast.
let tokenizer: typeof import('gpt-tokenizer') | undefined;
const gpt = () => (tokenizer ??= createRequire(import.meta.url)('gpt-tokenizer') as typeof import('gpt-tokenizer'));

/**
 * Token estimates for budgets (o200k encoding, as the current OpenAI models use). Real cost comes
 * from the provider's reported usage; these numbers only decide what fits.
 *
 * @example
 * estimateTokens('hello world'); // 2
 */
export function estimateTokens(text: string): number {
  if (text.length === 0) return 0;
  // The same texts (recalled examples, guidelines) are measured verdict after verdict: remember them.
  let n = counts.get(text);
  if (n === undefined) { n = gpt().countTokens(text); remember(counts, text, n); }
  return n;
}

/** A text's token count, not remembered: for texts counted once (episodes as they are stored). */
export function countTokens(text: string): number {
  return text.length === 0 ? 0 : gpt().countTokens(text);
}

// Small bounded memo tables (least recently inserted goes first); pure functions of their keys.
// Only texts up to MEMO_CHARS are kept, so judging huge records never fills memory with them.
const MAX_MEMO = 20_000;
const MEMO_CHARS = 16_384;
const counts = new Map<string, number>();
const cuts = new Map<string, { text: string; truncated: boolean; tokens: number }>();
function remember<V>(table: Map<string, V>, key: string, value: V): void {
  if (key.length > MEMO_CHARS) return;
  if (table.size >= MAX_MEMO) table.delete(table.keys().next().value!);
  table.set(key, value);
}

/**
 * Cuts a text to at most `maxTokens` tokens, marking the cut so the model (and the expert) can see
 * that something was left out. `knownTokens`, the text's count kept from earlier (a store's row),
 * spares counting when it is plausible (a whole number no token-length limit contradicts);
 * otherwise the text is counted.
 * `tokens` is the result's count when it came for free: the text's own count, or for a cut text
 * the tokens kept plus the mark's (an estimate: a cut prefix may re-read a token differently).
 *
 * @example
 * truncateToTokens('a long text …', 100); // { text, truncated: false }
 */
export function truncateToTokens(text: string, maxTokens: number, knownTokens?: number): { text: string; truncated: boolean; tokens?: number } {
  const known = knownCount(knownTokens, text);
  // Cheap exits: the text's count is known, or a token covers at least one byte of UTF-8 (up to
  // three per UTF-16 unit), so a short text always fits.
  if (known !== undefined && known <= maxTokens) return { text, truncated: false, tokens: known };
  if (text.length * 3 <= maxTokens || (text.length <= maxTokens && utf8Length(text) <= maxTokens)) return { text, truncated: false };
  const key = `${maxTokens}\u0000${text}`;
  const remembered = cuts.get(key);
  if (remembered) return remembered;
  const tokens = gpt().encode(text);
  let cut: { text: string; truncated: boolean; tokens: number };
  if (tokens.length <= maxTokens) cut = { text, truncated: false, tokens: tokens.length };
  else {
    const mark = ` […truncated ${tokens.length - maxTokens} tokens]`;
    cut = { text: `${gpt().decode(tokens.slice(0, maxTokens))}${mark}`, truncated: true, tokens: maxTokens + estimateTokens(mark) };
  }
  remember(cuts, key, cut);
  return cut;
}

// A token count kept from earlier, when it can be trusted: a whole number no smaller than the
// text could be, since no token is longer than 128 characters. A damaged count makes the text be
// counted again rather than pass uncut.
function knownCount(n: unknown, text: string): number | undefined {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) return undefined;
  return n * MAX_CHARS_PER_TOKEN >= text.length ? n : undefined;
}

// Twice the longest token of the o200k vocabulary (128 characters: a run of spaces).
const MAX_CHARS_PER_TOKEN = 256;
