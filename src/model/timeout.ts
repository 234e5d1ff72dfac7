import type { ChatModel } from './chat-model.ts';
import { ProviderError } from '../core/errors.ts';

/** Default time one model or embedding request may take before it counts as a (retryable) failure. */
export const DEFAULT_TIMEOUT_MS = 120_000;

/**
 * Bounds each call of a model: after `ms` the request is aborted and the call fails with a
 * retryable `ProviderError`, even if the provider ignores the abort. The caller's own signal still
 * cancels at once.
 *
 * @example
 * const model = withRetry(withTimeout(resolveModel('openai:gpt-4.1-mini'), 60_000));
 */
export function withTimeout(model: ChatModel, ms: number = DEFAULT_TIMEOUT_MS): ChatModel {
  return { id: model.id, generate: (request) => bounded(model.id, ms, request.abortSignal, (signal) => model.generate({ ...request, abortSignal: signal })) };
}

/**
 * Runs one call with a deadline and the caller's signal combined; the call sees one signal.
 *
 * @example
 * await bounded('openai:text-embedding-3-small', 30_000, undefined, (signal) => embedMany({ …, abortSignal: signal }));
 */
export async function bounded<T>(what: string, ms: number, outer: AbortSignal | undefined, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (!Number.isFinite(ms) || ms <= 0) return call(outer ?? new AbortController().signal);
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onOuter = () => controller.abort(outer?.reason);
  if (outer?.aborted) controller.abort(outer.reason);
  else outer?.addEventListener('abort', onOuter, { once: true });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new ProviderError(`${what}: the request timed out after ${ms} ms (set timeoutMs / --timeout to allow longer).`, { retryable: true });
      controller.abort(error);
      reject(error);
    }, ms);
  });
  const cancelled = new Promise<never>((_, reject) => {
    if (controller.signal.aborted && !(controller.signal.reason instanceof ProviderError)) reject(abortError(controller.signal.reason));
    controller.signal.addEventListener('abort', () => { if (!(controller.signal.reason instanceof ProviderError)) reject(abortError(controller.signal.reason)); }, { once: true });
  });
  try {
    return await Promise.race([call(controller.signal), deadline, cancelled]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

function abortError(reason: unknown): Error {
  return reason instanceof Error ? reason : new ProviderError('The request was cancelled.', { retryable: false });
}
