import { createRequire } from 'node:module';

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
  return text.length === 0 ? 0 : gpt().countTokens(text);
}

/**
 * Cuts a text to at most `maxTokens` tokens, marking the cut so the model (and the expert) can see
 * that something was left out.
 *
 * @example
 * truncateToTokens('a long text …', 100); // { text, truncated: false }
 */
export function truncateToTokens(text: string, maxTokens: number): { text: string; truncated: boolean } {
  // Cheap exit: a token is at least one character, so a short text always fits.
  if (text.length <= maxTokens) return { text, truncated: false };
  const tokens = gpt().encode(text);
  if (tokens.length <= maxTokens) return { text, truncated: false };
  const kept = gpt().decode(tokens.slice(0, maxTokens));
  return { text: `${kept} […truncated ${tokens.length - maxTokens} tokens]`, truncated: true };
}
