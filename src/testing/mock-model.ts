import type { ChatModel, ChatRequest, ChatResponse } from '../model/chat-model.ts';
import { ProviderError } from '../core/errors.ts';
import { mockRespond } from './mock-responder.ts';

/** Options of `mockChatModel`. */
export interface MockChatModelOptions {
  id?: string;
  /** Produces the answer text (or a value to JSON-encode); default `mockRespond`. Throw to simulate a failure. */
  respond?: (request: ChatRequest, callIndex: number) => string | object | Promise<string | object>;
  /** Simulated latency per call in ms (real timers). */
  latencyMs?: number;
}

/** A `ChatModel` for tests, with the calls it received. */
export interface MockChatModel extends ChatModel {
  readonly calls: ChatRequest[];
}

/**
 * A scripted chat model for tests: no network, deterministic, records every request.
 *
 * @example
 * const model = mockChatModel({ respond: () => ({ rationale: 'ok', value: true }) });
 * const ma = await openMemalign({ judge, model, store: ':memory:' });
 */
export function mockChatModel(options: MockChatModelOptions = {}): MockChatModel {
  const calls: ChatRequest[] = [];
  return {
    id: options.id ?? 'mock:model',
    calls,
    async generate(request: ChatRequest): Promise<ChatResponse> {
      const index = calls.length;
      calls.push(request);
      if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
      const out = await (options.respond ?? mockRespond)(request, index);
      const text = typeof out === 'string' ? out : JSON.stringify(out);
      return { text, inputTokens: Math.ceil((request.system.length + request.prompt.length) / 4), outputTokens: Math.ceil(text.length / 4) };
    },
  };
}

/**
 * A provider failure to throw from a mock `respond` (retryable like an HTTP 503 by default).
 *
 * @example
 * mockChatModel({ respond: () => { throw providerFailure(); } });
 */
export function providerFailure(message = 'Simulated provider failure (HTTP 503)', retryable = true): ProviderError {
  return new ProviderError(message, { retryable, status: retryable ? 503 : 400 });
}
