import type { ChatModel, ChatRequest, ChatResponse } from './chat-model.ts';
import { ProviderError } from '../core/errors.ts';
import { VERSION } from '../version.ts';
import { httpError, postJson } from './http-json.ts';

/** Options of `openaiChatModel`. */
export interface OpenAIChatModelOptions {
  /** `provider:model`, for pricing and provenance, e.g. `openai-compatible:qwen3`. */
  id: string;
  /** Base URL up to the version, e.g. `http://127.0.0.1:8080/v1`. */
  baseURL: string;
  model: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** The variable the key comes from, named in an authentication error. */
  keyVariable?: string;
  /** Default 0. */
  temperature?: number;
  /** Ask for constrained decoding to the schema (`strict`, default true). */
  strictJsonSchema?: boolean;
  /** Most bytes of an answer read (default 8 MiB); a larger one is refused. */
  maxAnswerBytes?: number;
  fetch?: typeof fetch;
}

interface Message { content?: unknown; refusal?: unknown }
interface Completion { choices?: { message?: Message }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } }

/**
 * A chat model for the chat-completions endpoint of the servers that copy OpenAI's API (vLLM,
 * llama.cpp, Ollama, LM Studio, hosted gateways): one POST per call, the JSON schema sent as
 * `response_format`, the answer's text and token usage returned for the core to validate. The
 * request is the one the AI SDK's OpenAI-compatible provider sends for the same call, at a tenth
 * of its CPU per call (decision 0006), which is what a worker judging hundreds of records a
 * second runs out of first.
 *
 * @example
 * const model = openaiChatModel({ id: 'openai-compatible:qwen3', baseURL: 'http://127.0.0.1:8080/v1', model: 'qwen3' });
 */
export function openaiChatModel(options: OpenAIChatModelOptions): ChatModel {
  const url = `${options.baseURL.replace(/\/+$/, '')}/chat/completions`;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': `memalign/${VERSION}` };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  const limit = options.maxAnswerBytes ?? 8 * 1024 * 1024;
  const bad = (why: string) => new ProviderError(`${options.id}: the answer from ${url} is not a chat completion (${why}).`, { retryable: true });
  return {
    id: options.id,
    async generate(request: ChatRequest): Promise<ChatResponse> {
      const body = JSON.stringify({
        model: options.model,
        messages: [...(request.system ? [{ role: 'system', content: request.system }] : []), { role: 'user', content: request.prompt }],
        max_tokens: request.maxOutputTokens,
        temperature: options.temperature ?? 0,
        response_format: { type: 'json_schema', json_schema: { schema: request.schema, strict: options.strictJsonSchema ?? true, name: request.schemaName } },
      });
      const answer = await postJson(url, {
        id: options.id, headers, body, signal: request.abortSignal, fetch: options.fetch, limit,
        tooLarge: () => new ProviderError(`${options.id}: the answer from ${url} is larger than ${limit} bytes; refused.`, { retryable: false }),
      });
      if (answer.status < 200 || answer.status >= 300) throw httpError(options.id, options.keyVariable, url, answer);
      let parsed: Completion;
      try { parsed = JSON.parse(answer.text) as Completion; } catch { throw bad('not JSON'); }
      const message = Array.isArray(parsed?.choices) ? parsed.choices[0]?.message : undefined;
      if (!message || typeof message !== 'object') throw bad('no choices');
      return { text: textOf(message), inputTokens: count(parsed.usage?.prompt_tokens), outputTokens: count(parsed.usage?.completion_tokens) };
    },
  };
}

// The assistant's text: a string, or the text parts of a list; a refusal when there is no text
// (the core then fails to read a verdict from it and says so, with the text).
function textOf(message: Message): string {
  const c = message.content;
  const text = typeof c === 'string' ? c
    : Array.isArray(c) ? c.map((p: { type?: unknown; text?: unknown }) => (p && p.type === 'text' && typeof p.text === 'string' ? p.text : '')).join('')
    : '';
  return text || (typeof message.refusal === 'string' ? message.refusal : '');
}

function count(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
}
