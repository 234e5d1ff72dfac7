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
    if (options.fetch || !(target.protocol in agents) || proxied()) return await viaFetch(url, options);
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

// The variables fetch reads (with NODE_USE_ENV_PROXY=1): from this process's environment, as fetch does.
function proxied(): boolean {
  const env = process.env;
  return Boolean(env.HTTPS_PROXY || env.https_proxy || env.HTTP_PROXY || env.http_proxy);
}

// An answer's body, read up to a limit: past it a successful answer is refused (`tooLarge`), an
// error answer is cut (enough of its message to show). One reader for both transports.
class Body {
  private readonly chunks: Uint8Array[] = [];
  private size = 0;
  private readonly ok: boolean;
  private readonly limit: number;
  private readonly tooLarge: () => ProviderError;
  constructor(ok: boolean, options: PostJsonOptions) {
    this.ok = ok;
    this.limit = ok ? options.limit : ERROR_BYTES;
    this.tooLarge = options.tooLarge;
  }
  /** Takes a chunk; false when the body is complete (cut) and reading should stop. Throws when too large. */
  add(chunk: Uint8Array): boolean {
    if (this.size + chunk.byteLength <= this.limit) {
      this.chunks.push(chunk);
      this.size += chunk.byteLength;
      return true;
    }
    if (this.ok) throw this.tooLarge();
    this.chunks.push(chunk.subarray(0, this.limit - this.size));
    this.size = this.limit;
    return false;
  }
  text(): string { return Buffer.concat(this.chunks, this.size).toString('utf8'); }
}

function viaNode(target: URL, options: PostJsonOptions, retryStale: boolean): Promise<JsonAnswer> {
  return new Promise<JsonAnswer>((resolve, reject) => {
    const payload = Buffer.from(options.body, 'utf8');
    const client = target.protocol === 'https:' ? https : http;
    const req = client.request(target, {
      method: 'POST', agent: agents[target.protocol as keyof typeof agents], signal: options.signal,
      headers: { ...options.headers, 'content-length': String(payload.length) },
    }, (res) => {
      const status = res.statusCode ?? 0;
      const body = new Body(status >= 200 && status < 300, options);
      let settled = false;
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      const done = () => { if (!settled) { settled = true; resolve({ status, headers, text: body.text() }); } };
      const fail = (error: unknown) => { if (!settled) { settled = true; reject(error); } };
      res.on('data', (chunk: Buffer) => {
        if (settled) return;
        try {
          if (body.add(chunk)) return;
          done();
        } catch (error) {
          fail(error);
        }
        res.destroy();
      });
      res.on('end', done);
      res.on('error', fail);
      res.on('close', () => fail(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })));
    });
    req.on('error', (error: Error & { code?: string }) => {
      // A kept-alive socket the server closed just as it was reused: the documented race of
      // keep-alive. The request never reached the server, so it is sent once more on a new one.
      if (retryStale && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !options.signal?.aborted) viaNode(target, options, false).then(resolve, reject);
      else reject(error);
    });
    req.end(payload);
  });
}

async function viaFetch(url: string, options: PostJsonOptions): Promise<JsonAnswer> {
  const res = await (options.fetch ?? fetch)(url, { method: 'POST', headers: options.headers, body: options.body, signal: options.signal });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => { headers[k] = v; });
  const body = new Body(res.ok, options);
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      let more: boolean;
      try { more = body.add(value); } catch (error) { await reader.cancel().catch(() => {}); throw error; }
      if (!more) { await reader.cancel().catch(() => {}); break; }
    }
  }
  return { status: res.status, headers, text: body.text() };
}
