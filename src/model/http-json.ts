import http from 'node:http';
import https from 'node:https';
import { ProviderError } from '../core/errors.ts';
import { toProviderError } from './ai-sdk-model.ts';

// The POST-JSON-read-JSON round trip of the provider clients memalign speaks the wire protocol
// of itself (OpenAI's chat completions and embeddings, and the servers that copy them).
//
// It goes through node:http(s) on keep-alive agents rather than `fetch`: for one small call on
// loopback, fetch (undici, with web streams and the fetch spec's steps) costs about 0.15 ms of CPU
// where node:http costs a few hundredths (see decision 0006), and a worker making hundreds of
// calls a second spends that on the machine the judging needs. `fetch` is still used when one is
// passed (cassettes, tests) or when a proxy variable is set, since node:http does not read them.

/** Of an error answer, what is read (its message is shown, cut to 500 characters). */
const ERROR_BYTES = 64 * 1024;

const agents = {
  'http:': new http.Agent({ keepAlive: true, scheduling: 'lifo' }),
  'https:': new https.Agent({ keepAlive: true, scheduling: 'lifo' }),
};

/** Options of `postJson`. */
export interface PostJsonOptions {
  /** The model or embedder id, named in errors. */
  id: string;
  headers: Record<string, string>;
  body: string;
  signal?: AbortSignal;
  /** Most bytes of a successful answer read; past it `tooLarge()` is thrown. */
  limit: number;
  tooLarge: () => ProviderError;
  fetch?: typeof fetch;
  env?: Record<string, string | undefined>;
}

/** An answer: its status, headers (lower-case names) and body text (an error body cut to 64 KiB). */
export interface JsonAnswer { status: number; headers: Record<string, string>; text: string }

/**
 * POSTs a JSON body and reads the answer as text, within a size limit. An unreachable server is a
 * retryable `ProviderError` naming the URL; an aborted call rejects with the signal's reason.
 *
 * @example
 * const a = await postJson(url, { id: 'x:m', headers: { 'content-type': 'application/json' }, body: '{}', limit: 1 << 20, tooLarge: () => new ProviderError('too large') });
 */
export async function postJson(url: string, options: PostJsonOptions): Promise<JsonAnswer> {
  const target = new URL(url);
  try {
    if (options.fetch || !(target.protocol in agents) || proxied(options.env ?? process.env)) return await viaFetch(url, options);
    return await viaNode(target, options, true);
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : error;
    if (error instanceof ProviderError) throw error;
    const e = error as { code?: string; message?: string; cause?: { code?: string; message?: string } };
    throw new ProviderError(`${options.id}: cannot reach ${url} (${e.cause?.code ?? e.code ?? e.cause?.message ?? e.message}). Check that the server is running and the base URL is right.`, { cause: error, retryable: true });
  }
}

/**
 * An error answer as a `ProviderError`, with the wording and retry rules of the AI SDK's errors
 * (`toProviderError`): the server's own message, a hint for 401/403/404/429, `retry-after` kept.
 *
 * @example
 * if (answer.status !== 200) throw httpError('x:m', 'MEMALIGN_API_KEY', url, answer);
 */
export function httpError(id: string, keyVariable: string | undefined, url: string, answer: JsonAnswer): ProviderError {
  let message = answer.text.slice(0, 500);
  try {
    const parsed = JSON.parse(answer.text) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof m === 'string') message = m;
  } catch { /* not JSON: the text itself */ }
  const status = answer.status;
  // Redirects are not followed (a POST would lose its body on most of them): say where to point.
  if (status >= 300 && status < 400 && answer.headers.location) message = `the server redirects to ${answer.headers.location}; use that address as the base URL`;
  const error = Object.assign(new Error(message || http.STATUS_CODES[status] || 'error'), {
    name: 'AI_APICallError', url, statusCode: status, responseHeaders: answer.headers,
    isRetryable: status === 408 || status === 409 || status === 429 || status >= 500,
  });
  return toProviderError(error, id, keyVariable);
}

function proxied(env: Record<string, string | undefined>): boolean {
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

function viaNode(target: URL, options: PostJsonOptions, retryStale: boolean): Promise<JsonAnswer> {
  return new Promise<JsonAnswer>((resolve, reject) => {
    const body = Buffer.from(options.body, 'utf8');
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, {
      method: 'POST', agent: agents[target.protocol as keyof typeof agents], signal: options.signal,
      headers: { ...options.headers, 'content-length': String(body.length) },
    }, (res) => {
      const status = res.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      const limit = ok ? options.limit : ERROR_BYTES;
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const done = () => { if (!settled) { settled = true; resolve({ status, headers, text: Buffer.concat(chunks, size).toString('utf8') }); } };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        if (size + chunk.length > limit) {
          if (ok) { settled = true; reject(options.tooLarge()); res.destroy(); return; }
          chunks.push(chunk.subarray(0, limit - size));
          size = limit;
          done();
          res.destroy();
          return;
        }
        chunks.push(chunk);
        size += chunk.length;
      });
      res.on('end', done);
      res.on('error', (error) => { if (!settled) { settled = true; reject(error); } });
      res.on('close', () => { if (!settled) { settled = true; reject(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })); } });
    });
    req.on('error', (error: Error & { code?: string }) => {
      // A kept-alive socket the server closed just as it was reused: the documented race of
      // keep-alive. The request never reached the server, so it is sent once more on a new one.
      if (retryStale && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !options.signal?.aborted) viaNode(target, options, false).then(resolve, reject);
      else reject(error);
    });
    req.end(body);
  });
}

async function viaFetch(url: string, options: PostJsonOptions): Promise<JsonAnswer> {
  const res = await (options.fetch ?? fetch)(url, { method: 'POST', headers: options.headers, body: options.body, signal: options.signal });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  const limit = res.ok ? options.limit : ERROR_BYTES;
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (size + value.byteLength > limit) {
        await reader.cancel().catch(() => {});
        if (res.ok) throw options.tooLarge();
        chunks.push(value.subarray(0, limit - size));
        size = limit;
        break;
      }
      size += value.byteLength;
      chunks.push(value);
    }
  }
  return { status: res.status, headers, text: Buffer.concat(chunks, size).toString('utf8') };
}
