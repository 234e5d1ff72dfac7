import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { modelCacheDir } from './local-model.ts';
import { PROVIDER_KEYS } from '../index.ts';

/** A model found without configuration, and why it was chosen. */
export interface DetectedModel { model: string; why: string }

/**
 * Zero-config model discovery, in order: an OpenAI, Anthropic or Google key, a local GGUF file
 * (MEMALIGN_LOCAL_MODEL, then the download cache), an Ollama server on localhost with a model.
 *
 * @example
 * const found = await detectModel(process.env); // { model: 'openai:gpt-4.1-mini', why: 'OPENAI_API_KEY is set' }
 */
export async function detectModel(env: Record<string, string | undefined>, fetchFn: typeof fetch = fetch): Promise<DetectedModel | undefined> {
  for (const p of PROVIDER_KEYS) if (env[p.variable]) return { model: p.chat, why: `${p.variable} is set` };
  if (env.MEMALIGN_LOCAL_MODEL && existsSync(env.MEMALIGN_LOCAL_MODEL)) return { model: `llama-cpp:${env.MEMALIGN_LOCAL_MODEL}`, why: 'MEMALIGN_LOCAL_MODEL points at a GGUF file' };
  const cached = cachedModels(env);
  if (cached.length > 0) return { model: `llama-cpp:${cached[0]}`, why: 'a local model was downloaded with "memalign model pull"' };
  const ollama = await ollamaModels(env, fetchFn);
  if (ollama.length > 0) return { model: `ollama:${ollama[0]}`, why: 'an Ollama server answers on localhost' };
  return undefined;
}

/**
 * The models a local Ollama server offers (empty when none answers within 500 ms).
 *
 * @example
 * await ollamaModels(process.env); // ['qwen3:8b']
 */
export async function ollamaModels(env: Record<string, string | undefined>, fetchFn: typeof fetch = fetch): Promise<string[]> {
  const host = (env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').replace(/\/+$/, '').replace(/\/v1$/, '');
  const base = /^https?:\/\//.test(host) ? host : `http://${host}`;
  if (!/^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(base)) return [];
  try {
    const res = await fetchFn(`${base}/api/tags`, { signal: AbortSignal.timeout(500) });
    if (!res.ok) return [];
    const body = (await res.json()) as { models?: { name?: string }[] };
    return (body.models ?? []).map((m) => m.name).filter((n): n is string => typeof n === 'string');
  } catch {
    return [];
  }
}

/** GGUF files in the model cache, newest name first. */
export function cachedModels(env: Record<string, string | undefined>): string[] {
  const dir = modelCacheDir(env);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.gguf')).sort().map((f) => join(dir, f));
}
