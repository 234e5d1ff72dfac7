import { createRequire } from 'node:module';
import type { EmbeddingModel, LanguageModel } from 'ai';
import type { ChatModel } from './chat-model.ts';
import { aiSdkChatModel } from './ai-sdk-model.ts';
import { openaiChatModel } from './openai-chat-model.ts';
import { ConfigError } from '../core/errors.ts';
import { llamaCppChatModel } from '../local/llama-cpp-model.ts';

/** Options of `resolveModel`. */
export interface ResolveOptions {
  env?: Record<string, string | undefined>;
  /** Base URL for `openai-compatible:<model>` (else `MEMALIGN_BASE_URL`). */
  baseURL?: string;
  fetch?: typeof fetch;
}

export const MODEL_PREFIXES = ['openai', 'anthropic', 'google', 'ollama', 'openai-compatible', 'llama-cpp (a local GGUF path)', 'http(s)://…#model'];

/** The hosted providers, the variable each reads its key from, and the default models detection picks. */
export const PROVIDER_KEYS = [
  { provider: 'openai', variable: 'OPENAI_API_KEY', chat: 'openai:gpt-4.1-mini', embedding: 'openai:text-embedding-3-small' },
  { provider: 'anthropic', variable: 'ANTHROPIC_API_KEY', chat: 'anthropic:claude-haiku-4-5', embedding: undefined },
  { provider: 'google', variable: 'GOOGLE_GENERATIVE_AI_API_KEY', chat: 'google:gemini-2.5-flash', embedding: 'google:gemini-embedding-001' },
] as const;

// Provider packages load on first use, so commands that never call a model start fast.
const load = createRequire(import.meta.url);
const openaiPackage = () => load('@ai-sdk/openai') as typeof import('@ai-sdk/openai');
const anthropicPackage = () => load('@ai-sdk/anthropic') as typeof import('@ai-sdk/anthropic');
const googlePackage = () => load('@ai-sdk/google') as typeof import('@ai-sdk/google');
const compatiblePackage = () => load('@ai-sdk/openai-compatible') as typeof import('@ai-sdk/openai-compatible');

/**
 * The id a model string resolves to (used for pricing, provenance and cassette keys), computed
 * without constructing a provider or needing a key: `http://host/v1#m` → `openai-compatible:m`.
 *
 * @example
 * modelIdOf('http://127.0.0.1:8080/v1#qwen'); // 'openai-compatible:qwen'
 */
export function modelIdOf(spec: string): string {
  const url = /^(https?:\/\/[^#\s]+)#(.+)$/.exec(spec);
  return url ? `openai-compatible:${url[2]}` : spec;
}

/** A provider's language and embedding model factories, resolved from a model string. */
export interface ResolvedProvider {
  id: string;
  keyVariable?: string;
  language: () => LanguageModel;
  embedding: () => EmbeddingModel;
  /** The chat model memalign calls itself, speaking the provider's wire protocol (OpenAI-compatible servers); else the AI SDK's `language()`. */
  chat?: () => ChatModel;
  /** For OpenAI and the servers that copy its API: where its `/embeddings` endpoint is (memalign calls it itself, asking for base64). */
  openaiWire?: { baseURL: string; model: string; apiKey?: string; keyVariable?: string; fetch?: typeof fetch };
}

/**
 * Resolves a model string to a provider: `openai:gpt-4.1-mini`, `anthropic:claude-sonnet-4-5`,
 * `google:gemini-2.5-flash`, `ollama:qwen3:8b`, `openai-compatible:<model>` (base URL from options or `MEMALIGN_BASE_URL`), or
 * `http://host:port/v1#model`. A missing key fails here, naming the variable to set.
 *
 * @example
 * const p = resolveProvider('ollama:qwen3:8b');
 */
export function resolveProvider(spec: string, options: ResolveOptions = {}): ResolvedProvider {
  const env = options.env ?? process.env;
  const fetchFn = options.fetch;
  const url = /^(https?:\/\/[^#\s]+)#(.+)$/.exec(spec);
  if (url) return compatible(modelIdOf(spec), url[1], url[2], env.MEMALIGN_API_KEY, fetchFn);
  const colon = spec.indexOf(':');
  const provider = colon < 0 ? '' : spec.slice(0, colon);
  const name = colon < 0 ? '' : spec.slice(colon + 1);
  if (!name) throw new ConfigError(`Model "${spec}" is not of the form provider:model. Use one of: ${MODEL_PREFIXES.join(', ')} (e.g. openai:gpt-4.1-mini).`);
  switch (provider) {
    case 'openai': {
      const apiKey = requireKey(env, 'OPENAI_API_KEY', spec);
      const p = openaiPackage().createOpenAI({ apiKey, baseURL: env.OPENAI_BASE_URL, fetch: fetchFn });
      return {
        id: spec, keyVariable: 'OPENAI_API_KEY', language: () => p.chat(name), embedding: () => p.embedding(name),
        openaiWire: { baseURL: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1', model: name, apiKey, keyVariable: 'OPENAI_API_KEY', fetch: fetchFn },
      };
    }
    case 'anthropic': {
      const apiKey = requireKey(env, 'ANTHROPIC_API_KEY', spec);
      const p = anthropicPackage().createAnthropic({ apiKey, baseURL: env.ANTHROPIC_BASE_URL, fetch: fetchFn });
      return {
        id: spec, keyVariable: 'ANTHROPIC_API_KEY', language: () => p.languageModel(name),
        embedding: () => { throw new ConfigError('Anthropic has no embedding models: choose another embedder (e.g. the offline default).'); },
      };
    }
    case 'google': {
      // Gemini through the AI SDK's Google provider, for chat and embeddings.
      const apiKey = requireKey(env, 'GOOGLE_GENERATIVE_AI_API_KEY', spec);
      const p = googlePackage().createGoogle({ apiKey, baseURL: env.GOOGLE_BASE_URL, fetch: fetchFn });
      return { id: spec, keyVariable: 'GOOGLE_GENERATIVE_AI_API_KEY', language: () => p.languageModel(name), embedding: () => p.embedding(name) };
    }
    case 'ollama': {
      const host = (env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
      const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
      return compatible(spec, base.endsWith('/v1') ? base : `${base}/v1`, name, undefined, fetchFn);
    }
    case 'openai-compatible': {
      const base = options.baseURL ?? env.MEMALIGN_BASE_URL;
      if (!base) throw new ConfigError(`Model "${spec}" needs a base URL: set MEMALIGN_BASE_URL (e.g. http://127.0.0.1:8080/v1) or write the model as http://host:port/v1#${name}.`);
      return compatible(spec, base, name, env.MEMALIGN_API_KEY, fetchFn);
    }
    default:
      throw new ConfigError(`Unknown model provider "${provider}" in "${spec}". Supported: ${MODEL_PREFIXES.join(', ')}.`);
  }
}

/**
 * Resolves a model string to a memalign `ChatModel` (see `resolveProvider` for the forms).
 *
 * @example
 * const model = resolveModel('openai:gpt-4.1-mini'); // needs OPENAI_API_KEY
 */
export function resolveModel(spec: string, options: ResolveOptions = {}): ChatModel {
  if (spec.startsWith('llama-cpp:')) {
    const threads = Number((options.env ?? process.env).MEMALIGN_LLAMA_THREADS) || undefined;
    return llamaCppChatModel({ modelPath: spec.slice('llama-cpp:'.length), threads });
  }
  const p = resolveProvider(spec, options);
  return p.chat ? p.chat() : aiSdkChatModel(p.language(), { id: p.id, keyVariable: p.keyVariable });
}

function compatible(id: string, baseURL: string, model: string, apiKey: string | undefined, fetchFn?: typeof fetch): ResolvedProvider {
  const keyVariable = apiKey ? 'MEMALIGN_API_KEY' : undefined;
  // The AI SDK objects load only when asked for; memalign's own calls go through the wire clients.
  // Without supportsStructuredOutputs the JSON schema is not sent to the server.
  const sdk = () => compatiblePackage().createOpenAICompatible({ name: id.split(':')[0], baseURL, apiKey, fetch: fetchFn, supportsStructuredOutputs: true, includeUsage: true });
  return {
    id, language: () => sdk().chatModel(model), embedding: () => sdk().embeddingModel(model),
    chat: () => openaiChatModel({ id, baseURL, model, apiKey, keyVariable, fetch: fetchFn }),
    openaiWire: { baseURL, model, apiKey, keyVariable, fetch: fetchFn },
  };
}

function requireKey(env: Record<string, string | undefined>, variable: string, spec: string): string {
  const key = env[variable];
  if (!key) throw new ConfigError(`Model "${spec}" needs an API key: set the environment variable ${variable} (export ${variable}=...), or choose another model.`);
  return key;
}
