import type { LanguageModel } from 'ai';
import type { ChatModel, ChatRequest, ChatResponse } from './chat-model.ts';
import { ProviderError } from '../core/errors.ts';
import { routeProviderWarnings } from './provider-warnings.ts';

/** Options of `aiSdkChatModel`. */
export interface AiSdkChatModelOptions {
  /** `provider:model` used for pricing and provenance; default from the model object. */
  id?: string;
  /** The SDK's own retries; default 0 because memalign's `withRetry` does retries. */
  maxRetries?: number;
  temperature?: number;
  /** Environment variable holding the key, named in 401/403 messages. */
  keyVariable?: string;
}

/**
 * Adapts any Vercel AI SDK language model to memalign's `ChatModel`: structured output through
 * the provider's JSON-schema mode, raw text returned for the core to validate and repair.
 *
 * @example
 * import { createOpenAI } from '@ai-sdk/openai';
 * const model = aiSdkChatModel(createOpenAI().chat('gpt-4.1-mini'), { id: 'openai:gpt-4.1-mini' });
 */
export function aiSdkChatModel(model: LanguageModel, options: AiSdkChatModelOptions = {}): ChatModel {
  const id = options.id ?? (typeof model === 'string' ? model : `${model.provider.split('.')[0]}:${model.modelId}`);
  return {
    id,
    async generate(request: ChatRequest): Promise<ChatResponse> {
      // The AI SDK loads with the first call, so commands that never call a model start fast.
      routeProviderWarnings();
      const { generateText, jsonSchema, Output, NoObjectGeneratedError } = await import('ai');
      try {
        const result = await generateText({
          model,
          system: request.system,
          prompt: request.prompt,
          output: Output.object({ schema: jsonSchema(request.schema), name: request.schemaName }),
          maxOutputTokens: request.maxOutputTokens,
          temperature: options.temperature ?? 0,
          maxRetries: options.maxRetries ?? 0,
          abortSignal: request.abortSignal,
        });
        return { text: result.text, inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 };
      } catch (error) {
        // The model answered but not with a parseable object: hand the text to the core, which repairs.
        if (NoObjectGeneratedError.isInstance(error)) {
          return { text: error.text ?? '', inputTokens: error.usage?.inputTokens ?? 0, outputTokens: error.usage?.outputTokens ?? 0 };
        }
        throw toProviderError(error, id, options.keyVariable);
      }
    },
  };
}

// The AI SDK's APICallError, recognised by its documented name and fields (the SDK loads lazily).
interface ApiCallErrorLike { name: string; message: string; url: string; statusCode?: number; isRetryable: boolean; responseHeaders?: Record<string, string> }
function isApiCallError(error: unknown): error is ApiCallErrorLike {
  return typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AI_APICallError' && typeof (error as { url?: unknown }).url === 'string';
}

/**
 * Maps an AI SDK or network error to a `ProviderError` that says what happened and what to do.
 *
 * @example
 * try { … } catch (e) { throw toProviderError(e, 'openai:gpt-4.1-mini', 'OPENAI_API_KEY'); }
 */
export function toProviderError(error: unknown, id: string, keyVariable?: string): ProviderError {
  if (error instanceof ProviderError) return error;
  if (isApiCallError(error)) {
    const status = error.statusCode;
    const auth = status === 401 || status === 403;
    const hint = auth ? ` Check ${keyVariable ?? 'the API key'}: it is missing, wrong or lacks access.`
      : status === 429 ? ' Rate limited: lower the concurrency or retry later.'
      : status === 404 ? ' Check the model name and the base URL.' : '';
    const retryAfter = Number(error.responseHeaders?.['retry-after']);
    const e = new ProviderError(`${id}: HTTP ${status ?? '?'} from ${error.url}: ${error.message}.${hint}`, { cause: error, retryable: error.isRetryable || status === 429 || (status !== undefined && status >= 500), status });
    if (Number.isFinite(retryAfter)) Object.assign(e, { retryAfterMs: retryAfter * 1000 });
    return e;
  }
  const name = (error as Error)?.name ?? '';
  if (name === 'AbortError' || name === 'TimeoutError') return new ProviderError(`${id}: the call was aborted (${(error as Error).message}).`, { cause: error, retryable: name === 'TimeoutError' });
  return new ProviderError(`${id}: ${(error as Error)?.message ?? String(error)}`, { cause: error, retryable: true });
}
