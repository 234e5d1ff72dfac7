import type { ChatModel } from './chat-model.ts';
import { MemalignError } from '../core/errors.ts';

/** Options of `withRetry`. */
export interface RetryOptions {
  /** Extra attempts after the first. Default 2. */
  retries?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

/**
 * Wraps a model so retryable failures (rate limits, 5xx, network) are retried with exponential
 * backoff and full jitter; other errors pass through at once.
 *
 * @example
 * const model = withRetry(resolveModel('openai:gpt-4.1-mini'), { retries: 3 });
 */
export function withRetry(model: ChatModel, options: RetryOptions = {}): ChatModel {
  const run = retrying(options);
  return { id: model.id, generate: (request) => run(() => model.generate(request), request.abortSignal) };
}

/**
 * The retry loop on its own, for any async call.
 *
 * @example
 * const embed = retrying({ retries: 2 }); await embed(() => embedder.embed(texts));
 */
export function retrying(options: RetryOptions = {}): <T>(fn: () => Promise<T>, signal?: AbortSignal) => Promise<T> {
  const retries = options.retries ?? 2;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  return async <T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        const retryable = error instanceof MemalignError ? error.isRetryable : false;
        if (!retryable || attempt >= retries || signal?.aborted) throw error;
        const hinted = (error as { retryAfterMs?: number }).retryAfterMs;
        const delayMs = hinted !== undefined ? Math.min(hinted, max) : Math.round(random() * Math.min(max, base * 2 ** attempt));
        options.onRetry?.({ attempt: attempt + 1, delayMs, error });
        await sleep(delayMs);
      }
    }
  };
}
