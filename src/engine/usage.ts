import type { Usage } from '../core/types.ts';
import { costOf, type PriceOverrides } from '../model/pricing.ts';

/**
 * Adds up calls, tokens and cost over several model calls (possibly of different models).
 *
 * @example
 * const meter = new UsageTally(); meter.add('openai:gpt-4.1-mini', 1200, 80); meter.usage();
 */
export class UsageTally {
  private calls = 0;
  private inputTokens = 0;
  private outputTokens = 0;
  private cost: number | null = 0;
  private readonly prices?: PriceOverrides;

  constructor(prices?: PriceOverrides) {
    this.prices = prices;
  }

  add(modelId: string, inputTokens: number, outputTokens: number): void {
    this.calls += 1;
    this.inputTokens += inputTokens;
    this.outputTokens += outputTokens;
    const c = costOf(modelId, inputTokens, outputTokens, this.prices);
    this.cost = c === null || this.cost === null ? null : this.cost + c;
  }

  usage(): Usage {
    return { calls: this.calls, inputTokens: this.inputTokens, outputTokens: this.outputTokens, costUsd: this.cost === null ? null : round(this.cost) };
  }
}

/** Sums usages. */
export function sumUsage(items: Usage[]): Usage {
  let cost: number | null = 0;
  const out = { calls: 0, inputTokens: 0, outputTokens: 0 };
  for (const u of items) {
    out.calls += u.calls;
    out.inputTokens += u.inputTokens;
    out.outputTokens += u.outputTokens;
    cost = cost === null || u.costUsd === null ? null : cost + u.costUsd;
  }
  return { ...out, costUsd: cost === null ? null : round(cost) };
}

function round(n: number): number {
  return Math.round(n * 1e8) / 1e8;
}
