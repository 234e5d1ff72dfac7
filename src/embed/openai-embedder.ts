import { normaliseInPlace } from './unit-vector.ts';
import { DEFAULT_EMBED_BATCH, type Embedder } from './embedder.ts';
import { ProviderError } from '../core/errors.ts';
import { httpError, postJson, type JsonAnswer } from '../model/http-json.ts';
import { createLimiter } from '../model/limit.ts';

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

  const post = (input: string[], encoding: 'base64' | 'float', bytes: number): Promise<JsonAnswer> => postJson(url, {
    id: options.id, headers, fetch: options.fetch, limit: bytes,
    body: JSON.stringify({ model: options.model, input, encoding_format: encoding, ...(options.sendDimensions === false ? {} : { dimensions: options.dimension }) }),
    // An answer far larger than its vectors can be (as numbers: ~25 characters each) is refused
    // before it fills memory.
    tooLarge: () => new ProviderError(`${options.id}: the answer from ${url} is larger than ${input.length} vectors of ${options.dimension} dimensions can be; refused.`, { retryable: false }),
  });
  const one = async (input: string[]): Promise<Float32Array[]> => {
    const bytes = input.length * options.dimension * 32 + (1 << 20);
    let res = await post(input, base64 ? 'base64' : 'float', bytes);
    if (base64 && (res.status === 400 || res.status === 422)) {
      if (!/encoding|base64/i.test(res.text)) throw httpError(options.id, options.keyVariable, url, res);
      // This server knows only numbers: ask for them, now and from now on.
      base64 = false;
      res = await post(input, 'float', bytes);
    }
    if (res.status < 200 || res.status >= 300) throw httpError(options.id, options.keyVariable, url, res);
    return vectorsOf(options, url, res.text, input.length);
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
