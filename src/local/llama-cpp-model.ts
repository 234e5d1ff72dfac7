import { basename } from 'node:path';
import type { ChatModel, ChatRequest, ChatResponse, JsonSchema } from '../model/chat-model.ts';
import { ProviderError, MemalignError } from '../core/errors.ts';
import { loadLlamaModel, llamaRuntime, type LlamaModel } from './llama-runtime.ts';

/** Options of the local model. */
export interface LlamaCppModelOptions {
  modelPath: string;
  /** Context window; default min(8192, the model's training context). */
  contextSize?: number;
  /** CPU threads; default 1 (the machines we test on have 2 cores; raise it on yours). */
  threads?: number;
  /** Longest a free-text field (e.g. a rationale) may be, in characters: keeps small models from rambling. */
  maxStringLength?: number;
}

/**
 * A local GGUF model through node-llama-cpp: the model's chat template, and output constrained to
 * the request's JSON schema by a grammar, so the answer is always well-formed JSON. Calls run one at
 * a time on one context sequence.
 *
 * @example
 * const model = llamaCppChatModel({ modelPath: 'models/qwen2.5-1.5b-instruct-q4_k_m.gguf', threads: 4 });
 */
export function llamaCppChatModel(options: LlamaCppModelOptions): ChatModel {
  let state: Promise<{ model: LlamaModel; sequence: Awaited<ReturnType<Awaited<ReturnType<LlamaModel['createContext']>>['getSequence']>> }> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const init = () => (state ??= (async () => {
    const model = await loadLlamaModel(options.modelPath);
    const context = await model.createContext({ contextSize: options.contextSize ?? Math.min(8192, model.trainContextSize), threads: options.threads ?? 1 });
    return { model, sequence: context.getSequence() };
  })());
  const id = `llama-cpp:${basename(options.modelPath)}`;
  return {
    id,
    generate(request: ChatRequest): Promise<ChatResponse> {
      const run = queue.then(async () => {
        const { mod, llama } = await llamaRuntime();
        const { model, sequence } = await init();
        try {
          await sequence.clearHistory();
          const grammar = await llama.createGrammarForJsonSchema(boundStrings(request.schema, options.maxStringLength ?? 800) as never);
          const session = new mod.LlamaChatSession({ contextSequence: sequence, systemPrompt: request.system, autoDisposeSequence: false });
          const text = await session.prompt(request.prompt, { grammar, maxTokens: request.maxOutputTokens, signal: request.abortSignal, temperature: 0 });
          session.dispose({ disposeSequence: false });
          return { text, inputTokens: model.tokenize(`${request.system}\n${request.prompt}`).length, outputTokens: model.tokenize(text).length };
        } catch (error) {
          if (error instanceof MemalignError) throw error;
          throw new ProviderError(`${id}: local generation failed: ${(error as Error).message}`, { cause: error, retryable: false });
        }
      });
      queue = run.catch(() => {});
      return run;
    },
  };
}

/** Adds a maxLength to free-text string fields that have none (enums and consts are left alone). */
function boundStrings(schema: JsonSchema, max: number): JsonSchema {
  if (Array.isArray(schema)) return schema.map((s) => boundStrings(s as JsonSchema, max)) as unknown as JsonSchema;
  if (!schema || typeof schema !== 'object') return schema;
  const out: JsonSchema = {};
  for (const [k, v] of Object.entries(schema)) out[k] = v && typeof v === 'object' ? boundStrings(v as JsonSchema, max) : v;
  if (out.type === 'string' && out.enum === undefined && out.const === undefined && out.maxLength === undefined) out.maxLength = max;
  return out;
}
