/**
 * The small model interface the core depends on (DESIGN.md §8.2). Vendor SDKs live in adapters
 * (`ai-sdk-model.ts`); retry, rate limiting and recording wrap this interface.
 */

/** A JSON Schema object (draft 7 subset) sent to the provider for structured output. */
export type JsonSchema = { [key: string]: unknown };

export interface ChatRequest {
  system: string;
  prompt: string;
  /** Structured output: the provider is asked to answer with JSON matching this schema. */
  schema: JsonSchema;
  schemaName: string;
  maxOutputTokens?: number;
  abortSignal?: AbortSignal;
}

export interface ChatResponse {
  /** The raw text the model produced (validated and repaired by the caller). */
  text: string;
  inputTokens: number;
  outputTokens: number;
}

/**
 * A chat model that answers with JSON text.
 *
 * @example
 * const model: ChatModel = { id: 'mock:m', async generate() { return { text: '{}', inputTokens: 1, outputTokens: 1 }; } };
 */
export interface ChatModel {
  /** `provider:model`, used for pricing and provenance. */
  readonly id: string;
  generate(request: ChatRequest): Promise<ChatResponse>;
}
