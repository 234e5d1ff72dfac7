import { normaliseInPlace } from './unit-vector.ts';
import { DEFAULT_EMBED_BATCH, type Embedder } from './embedder.ts';
import { ProviderError } from '../core/errors.ts';
import { toProviderError } from '../model/ai-sdk-model.ts';
import { createLimiter } from '../model/limit.ts';

// Of an error answer, what is read (its message is shown, cut to 500 characters).
const ERROR_BYTES = 64 * 1024;

/** Options of `openaiEmbedder`. */
export interface OpenAIEmbedderOptions {
  /** Stable id of the vector space, e.g. `openai:text-embedding-3-small:512`. */
  id: string;
  /** Base URL up to the version, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8080/v1`. */
  baseURL: string;
  model: string;
  dimension: number;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** The variable the key comes from, named in an authentication error. */
  keyVariable?: string;
  /** Inputs per request (default 2 048, OpenAI's limit); more are split and sent in parallel. */
  maxBatch?: number;
  /** Requests of one `embed` call in flight at once (default 4). */
  parallel?: number;
  /** Ask the server for this many dimensions (`dimensions`), as OpenAI's v3 models allow (default true). */
  sendDimensions?: boolean;
  fetch?: typeof fetch;
}

/**
 * An embedder for OpenAI's `/embeddings` endpoint and the servers that copy it (vLLM, llama.cpp,
 * Ollama, LM Studio…). It asks for the vectors as base64 (little-endian float32), as OpenAI's own
 * SDKs do: a response of 2 048 × 512 vectors is then 5.6 MB of base64 that decodes in a few
 * milliseconds, instead of about 10 MB of decimal numbers that the AI SDK (which always asks for
 * floats) parses and validates number by number, about 0.1 s of the main thread per request,
 * while an align's distillation calls wait for it. A server that ignores the format and answers
 * numbers is read as well; one that rejects it is asked for numbers from then on. Vectors are
 * L2-normalised and their dimension checked.
 *
 * @example
 * const e = openaiEmbedder({ id: 'openai:text-embedding-3-small:512', baseURL: 'https://api.openai.com/v1', model: 'text-embedding-3-small', dimension: 512, apiKey: process.env.OPENAI_API_KEY });
 */
export function openaiEmbedder(options: OpenAIEmbedderOptions): Embedder {
  const maxBatch = Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_EMBED_BATCH));
  const limit = createLimiter(options.parallel ?? 4);
  const url = `${options.baseURL.replace(/\/+$/, '')}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let base64 = true;

  const post = async (input: string[], encoding: 'base64' | 'float'): Promise<Response> => {
    const body = JSON.stringify({ model: options.model, input, encoding_format: encoding, ...(options.sendDimensions === false ? {} : { dimensions: options.dimension }) });
    try {
      return await (options.fetch ?? fetch)(url, { method: 'POST', headers, body });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new ProviderError(`${options.id}: cannot reach ${url} (${cause?.code ?? cause?.message ?? (error as Error).message}). Check that the server is running and the base URL is right.`, { cause: error, retryable: true });
    }
  };
  const one = async (input: string[]): Promise<Float32Array[]> => {
    let res = await post(input, base64 ? 'base64' : 'float');
    if (base64 && (res.status === 400 || res.status === 422)) {
      const text = await bodyText(res, ERROR_BYTES);
      if (!/encoding|base64/i.test(text)) throw httpError(options, url, res, text);
      // This server knows only numbers: ask for them, now and from now on.
      base64 = false;
      res = await post(input, 'float');
    }
    if (!res.ok) throw httpError(options, url, res, await bodyText(res, ERROR_BYTES));
    // An answer far larger than its vectors can be (as numbers: ~25 characters each) is refused
    // before it fills memory.
    const text = await bodyText(res, input.length * options.dimension * 32 + (1 << 20), () => new ProviderError(`${options.id}: the answer from ${url} is larger than ${input.length} vectors of ${options.dimension} dimensions can be; refused.`, { retryable: false }));
    return vectorsOf(options, url, text, input.length);
  };
  return {
    id: options.id,
    dimension: options.dimension,
    maxBatch,
    async embed(texts: string[]): Promise<Float32Array[]> {
      if (texts.length === 0) return [];
      if (texts.length <= maxBatch) return one(texts);
      const chunks: string[][] = [];
      for (let i = 0; i < texts.length; i += maxBatch) chunks.push(texts.slice(i, i + maxBatch));
      return (await Promise.all(chunks.map((c) => limit(() => one(c))))).flat();
    },
  };
}

// The body as text, reading at most `limit` bytes: past it, `tooLarge` is thrown, or without
// one the text read so far is the answer (enough of an error message to show).
async function bodyText(res: Response, limit: number, tooLarge?: () => Error): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size + value.byteLength > limit) {
      await reader.cancel().catch(() => {});
      if (tooLarge) throw tooLarge();
      chunks.push(value.subarray(0, limit - size));
      size = limit;
      break;
    }
    size += value.byteLength;
    chunks.push(value);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

// An error answer, with the same wording and retry rules as the AI SDK's errors (toProviderError).
function httpError(options: OpenAIEmbedderOptions, url: string, res: Response, text: string): ProviderError {
  let message = text.slice(0, 500);
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof m === 'string') message = m;
  } catch { /* not JSON: the text itself */ }
  const status = res.status;
  const error = Object.assign(new Error(message || res.statusText), {
    name: 'AI_APICallError', url, statusCode: status, responseHeaders: Object.fromEntries(res.headers),
    isRetryable: status === 408 || status === 409 || status === 429 || status >= 500,
  });
  return toProviderError(error, options.id, options.keyVariable);
}

// The vectors of a response, in input order, from base64 or from numbers.
function vectorsOf(options: OpenAIEmbedderOptions, url: string, text: string, count: number): Float32Array[] {
  const bad = (why: string) => new ProviderError(`${options.id}: the answer from ${url} is not an embeddings response (${why}).`, { retryable: false });
  let parsed: { data?: unknown };
  try { parsed = JSON.parse(text) as { data?: unknown }; } catch { throw bad('not JSON'); }
  if (!Array.isArray(parsed.data)) throw bad('no "data" list');
  if (parsed.data.length !== count) throw bad(`${parsed.data.length} vectors for ${count} inputs`);
  const out = new Array<Float32Array>(count);
  parsed.data.forEach((item: { index?: unknown; embedding?: unknown }, i) => {
    const at = typeof item?.index === 'number' && Number.isInteger(item.index) && item.index >= 0 && item.index < count ? item.index : i;
    const v = typeof item?.embedding === 'string' ? fromBase64(item.embedding) : Array.isArray(item?.embedding) ? fromNumbers(item.embedding) : undefined;
    if (!v) throw bad(`item ${i} has no embedding`);
    if (v.length !== options.dimension) {
      throw new ProviderError(`${options.id}: the provider returned ${v.length}-dimensional vectors, but ${options.dimension} were configured. Set the embedder dimension to ${v.length} or choose a model that supports ${options.dimension}.`);
    }
    if (out[at]) throw bad(`index ${at} appears twice`);
    if (!Number.isFinite(normaliseInPlace(v))) throw new ProviderError(`${options.id}: the provider returned a vector with a non-finite component`, { retryable: false });
    out[at] = v;
  });
  return out;
}

function fromBase64(s: string): Float32Array | undefined {
  const bytes = Buffer.from(s, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  // Copied into a buffer of its own: aligned, and not a view that keeps the whole response alive.
  const v = new Float32Array(bytes.length / 4);
  new Uint8Array(v.buffer).set(bytes);
  return v;
}

function fromNumbers(values: unknown[]): Float32Array | undefined {
  const v = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    if (typeof x !== 'number') return undefined;
    v[i] = x;
  }
  return v;
}
