/** USD per million tokens. */
export interface Price { input: number; output: number }

/** Overrides by exact model id (`openai:gpt-4.1-mini`) or by provider (`ollama:*`). */
export type PriceOverrides = Record<string, Price>;

// List prices of common models (USD per 1M tokens). Local and self-hosted models cost nothing
// here; override for your own accounting.
const PRICES: Record<string, Price> = {
  'openai:gpt-4.1': { input: 2, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, output: 0.4 },
  'openai:gpt-4o': { input: 2.5, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, output: 0.6 },
  'openai:gpt-5': { input: 1.25, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, output: 2 },
  'openai:gpt-5-nano': { input: 0.05, output: 0.4 },
  'openai:text-embedding-3-small': { input: 0.02, output: 0 },
  'openai:text-embedding-3-large': { input: 0.13, output: 0 },
  'anthropic:claude-sonnet-4-5': { input: 3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, output: 5 },
  'anthropic:claude-opus-4-1': { input: 15, output: 75 },
  'ollama:*': { input: 0, output: 0 },
  'llama-cpp:*': { input: 0, output: 0 },
  'mock:*': { input: 0, output: 0 },
};

/**
 * The price of a model, or undefined when unknown.
 *
 * @example
 * priceOf('openai:gpt-4.1-mini'); // { input: 0.4, output: 1.6 }
 */
export function priceOf(modelId: string, overrides?: PriceOverrides): Price | undefined {
  const provider = `${modelId.split(':')[0]}:*`;
  return overrides?.[modelId] ?? overrides?.[provider] ?? PRICES[modelId] ?? PRICES[provider];
}

/**
 * Cost in USD of one call, or null when the model's price is unknown (never a guess).
 *
 * @example
 * costOf('openai:gpt-4.1-mini', 1_000_000, 0); // 0.4
 */
export function costOf(modelId: string, inputTokens: number, outputTokens: number, overrides?: PriceOverrides): number | null {
  const p = priceOf(modelId, overrides);
  if (!p) return null;
  return (inputTokens * p.input + outputTokens * p.output) / 1e6;
}
