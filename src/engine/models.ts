import type { ChatModel } from '../model/chat-model.ts';
import { ConfigError } from '../core/errors.ts';
import { resolveModel } from '../model/resolve-model.ts';
import { withRetry } from '../model/retry.ts';
import { withTimeout, DEFAULT_TIMEOUT_MS } from '../model/timeout.ts';

/** How models are resolved and wrapped for one judge. */
export interface ModelSettings {
  judge: string;
  retries?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
}

/**
 * Resolves a model string (or takes a `ChatModel`) and wraps it: every attempt bounded by the
 * timeout, retryable failures retried with backoff.
 *
 * @example
 * const model = judgeModel('openai:gpt-4.1-mini', 'model', { judge: 'sql' });
 */
export function judgeModel(spec: ChatModel | string | undefined, field: string, settings: ModelSettings): ChatModel {
  if (spec === undefined) throw new ConfigError(`Judge "${settings.judge}" has no model: set "${field}" in the judge file (e.g. "openai:gpt-4.1-mini") or pass { ${field} } to openMemalign.`);
  const model = typeof spec === 'string' ? resolveModel(spec, { env: settings.env }) : spec;
  return withRetry(withTimeout(model, settings.timeoutMs ?? DEFAULT_TIMEOUT_MS), { retries: settings.retries ?? 2, baseDelayMs: settings.retryDelayMs ?? 500 });
}
