import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { mockRespond } from './mock-responder.ts';
import { instanceOfSchema } from './schema-instance.ts';
import { embedText } from '../embed/hashed-embedder.ts';
import { embedPool } from './embed-pool.ts';

// Inputs of an embedding request computed between two turns of the event loop.
const EMBED_SLICE = 128;

/** An OpenAI chat-completions request body (the parts the server reads). */
export interface ChatCompletionRequest {
  model: string;
  messages: { role: string; content: string | { type: string; text?: string }[] }[];
  response_format?: { type: string; json_schema?: { name?: string; schema?: { [k: string]: unknown }; strict?: boolean } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  max_completion_tokens?: number;
  [key: string]: unknown;
}

/** A fault injected into matching requests. */
export interface Fault {
  endpoint?: 'chat' | 'embeddings';
  match?: (body: unknown) => boolean;
  /** `status`: an HTTP error; `malformed`: 200 with non-JSON content; `hang`: never answers; `disconnect`: drops the socket. */
  kind: 'status' | 'malformed' | 'hang' | 'disconnect';
  status?: number;
  retryAfter?: number;
  /** How many matching requests it affects (default: all). */
  times?: number;
}

export interface LoopbackOptions {
  port?: number;
  /** Produces the assistant content for a chat request (objects are JSON-encoded). Default: memalign-aware responder. */
  respond?: (request: ChatCompletionRequest) => string | object | Promise<string | object>;
  latency?: { fixedMs?: number; perOutputTokenMs?: number; embeddingMs?: number };
  faults?: Fault[];
  /** Default embedding dimension when the request gives none. */
  dimension?: number;
  /**
   * Worker threads that compute embedding vectors (default 0: on the server's own thread). A
   * benchmark sets it so that large requests arriving together are computed side by side, as a
   * provider computes them, instead of one after another on one core.
   */
  embedThreads?: number;
}

export interface RecordedRequest { path: string; body: unknown; headers: IncomingMessage['headers']; fault?: Fault['kind']; startedAt: number; endedAt?: number }

export interface LoopbackServer {
  /** Base URL ending in `/v1`. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  stats(): { chat: number; embeddings: number; maxInFlight: number; simulatedWaitMs: number };
  setOptions(options: Partial<LoopbackOptions>): void;
  reset(): void;
  close(): Promise<void>;
}

/**
 * Starts an OpenAI-compatible server on 127.0.0.1 for tests, benchmarks and demos: chat
 * completions (JSON-schema structured output, streaming or not), embeddings (float or base64),
 * simulated latency and injectable faults. Requests are served concurrently and recorded.
 *
 * @example
 * const server = await startLoopbackServer({ latency: { fixedMs: 200 } });
 * const ma = await openMemalign({ judge, model: `${server.url}#demo` });
 */
export async function startLoopbackServer(initial: LoopbackOptions = {}): Promise<LoopbackServer> {
  let options: LoopbackOptions = { ...initial };
  const requests: RecordedRequest[] = [];
  const faultUses = new Map<Fault, number>();
  const sockets = new Set<Socket>();
  const hanging = new Set<ServerResponse>();
  let inFlight = 0;
  let maxInFlight = 0;
  let simulatedWaitMs = 0;
  const counts = { chat: 0, embeddings: 0 };
  const pool = initial.embedThreads ? embedPool(initial.embedThreads) : undefined;

  const server = createServer(async (req, res) => {
    if ((req.url ?? '').startsWith('/__loopback/')) return control(req, res);
    const record: RecordedRequest = { path: req.url ?? '', body: undefined, headers: req.headers, startedAt: performance.now() };
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => { inFlight -= 1; record.endedAt = performance.now(); hanging.delete(res); });
    try {
      const path = (req.url ?? '').replace(/\?.*$/, '');
      if (req.method === 'GET' && path.endsWith('/models')) return json(res, 200, { object: 'list', data: [{ id: 'loopback', object: 'model', owned_by: 'memalign' }] });
      const endpoint = path.endsWith('/chat/completions') ? 'chat' : path.endsWith('/embeddings') ? 'embeddings' : null;
      if (req.method !== 'POST' || !endpoint) return error(res, 404, `No route ${req.method} ${path}`, 'not_found');
      let body: unknown;
      try { body = JSON.parse(await readBody(req)); } catch { return error(res, 400, 'The request body is not valid JSON.', 'invalid_request_error'); }
      record.body = body;
      requests.push(record);
      counts[endpoint] += 1;
      const fault = (options.faults ?? []).find((f) => (!f.endpoint || f.endpoint === endpoint) && (!f.match || f.match(body)) && (f.times === undefined || (faultUses.get(f) ?? 0) < f.times));
      if (fault) {
        faultUses.set(fault, (faultUses.get(fault) ?? 0) + 1);
        record.fault = fault.kind;
        if (fault.kind === 'hang') { hanging.add(res); return; }
        if (fault.kind === 'disconnect') { req.socket.destroy(); return; }
        if (fault.kind === 'status') {
          if (fault.retryAfter !== undefined) res.setHeader('retry-after', String(fault.retryAfter));
          return error(res, fault.status ?? 500, `Injected fault: HTTP ${fault.status ?? 500}`, 'server_error');
        }
      }
      if (endpoint === 'embeddings') return await embeddings(res, body as { input: string | string[]; dimensions?: number; encoding_format?: string; model?: string });
      return await chat(res, body as ChatCompletionRequest, fault?.kind === 'malformed');
    } catch (e) {
      if (!res.headersSent) error(res, 500, (e as Error).message, 'server_error');
    }
  });
  server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });

  // The request log over HTTP, for a benchmark that runs the server in its own process (see
  // loopback-cli.ts): GET /__loopback/requests (timings as epoch ms, no bodies), POST /__loopback/reset.
  function control(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').replace(/\?.*$/, '');
    if (req.method === 'GET' && path === '/__loopback/requests') {
      // Times as epoch ms (performance.timeOrigin + now): comparable across processes on one machine.
      const at = (t: number | undefined) => (t === undefined ? undefined : performance.timeOrigin + t);
      return json(res, 200, { requests: requests.map((r) => ({ path: r.path, fault: r.fault, startedAt: at(r.startedAt), endedAt: at(r.endedAt) })), stats: { ...counts, maxInFlight, simulatedWaitMs } });
    }
    if (req.method === 'POST' && path === '/__loopback/reset') { reset(); return json(res, 200, { ok: true }); }
    return error(res, 404, `No route ${req.method} ${path}`, 'not_found');
  }
  function reset(): void { requests.length = 0; counts.chat = 0; counts.embeddings = 0; maxInFlight = 0; simulatedWaitMs = 0; faultUses.clear(); }

  async function wait(ms: number): Promise<void> {
    if (ms <= 0) return;
    simulatedWaitMs += ms;
    await new Promise((r) => setTimeout(r, ms));
  }

  async function chat(res: ServerResponse, body: ChatCompletionRequest, malformed: boolean): Promise<void> {
    const content = malformed ? 'Sorry, I cannot answer in JSON {' : await answer(body);
    const promptTokens = Math.ceil(body.messages.map((m) => textOf(m.content)).join('\n').length / 4);
    const completionTokens = Math.ceil(content.length / 4);
    await wait((options.latency?.fixedMs ?? 0) + (options.latency?.perOutputTokenMs ?? 0) * completionTokens);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const base = { id: `chatcmpl-${requests.length}`, created: Math.floor(Date.now() / 1000), model: body.model };
    if (!body.stream) {
      return json(res, 200, { ...base, object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const chunk = (delta: object, finish: string | null, extra: object = {}) => res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`);
    chunk({ role: 'assistant', content: '' }, null);
    for (let i = 0; i < content.length; i += 16) chunk({ content: content.slice(i, i + 16) }, null);
    chunk({}, 'stop');
    if (body.stream_options?.include_usage) res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [], usage })}\n\n`);
    res.end('data: [DONE]\n\n');
  }

  async function answer(body: ChatCompletionRequest): Promise<string> {
    if (options.respond) {
      const out = await options.respond(body);
      return typeof out === 'string' ? out : JSON.stringify(out);
    }
    const schema = body.response_format?.json_schema?.schema;
    const name = body.response_format?.json_schema?.name ?? '';
    const prompt = body.messages.filter((m) => m.role === 'user').map((m) => textOf(m.content)).join('\n');
    if (schema && ['verdict', 'guidelines', 'revisions'].includes(name)) return mockRespond({ prompt, schema, schemaName: name });
    if (schema) return JSON.stringify(instanceOfSchema(schema));
    const system = body.messages.filter((m) => m.role === 'system').map((m) => textOf(m.content)).join('\n');
    if (system.includes('wire key: `')) return fieldLines(system);
    return 'This is the loopback server.';
  }

  async function embeddings(res: ServerResponse, body: { input: string | string[]; dimensions?: number; encoding_format?: string; model?: string }): Promise<void> {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const dimension = body.dimensions ?? options.dimension ?? 512;
    // The response is computed on arrival and sent when the latency is up: a large request's
    // own cost (2 048 vectors take this server 60–80 ms) overlaps its latency, as a provider's
    // compute does, instead of adding to it. It is computed in slices, with the event loop let
    // through in between, so requests that arrive meanwhile are read (and timed) when they
    // arrive and computed alongside, not queued behind this one.
    const arrived = performance.now();
    const texts = inputs.map(String);
    const flat = pool ? await pool.embed(texts, dimension) : undefined;
    const data: { object: 'embedding'; index: number; embedding: string | number[] }[] = [];
    for (let index = 0; index < texts.length; index++) {
      if (index > 0 && index % EMBED_SLICE === 0) await new Promise((r) => setImmediate(r));
      const v = flat ? flat.subarray(index * dimension, (index + 1) * dimension) : embedText(texts[index], dimension);
      const embedding = body.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
      data.push({ object: 'embedding', index, embedding });
    }
    const tokens = Math.ceil(inputs.join(' ').length / 4);
    const payload = JSON.stringify({ object: 'list', data, model: body.model ?? 'loopback-embed', usage: { prompt_tokens: tokens, total_tokens: tokens } });
    await wait((options.latency?.embeddingMs ?? 0) - (performance.now() - arrived));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(payload);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    stats: () => ({ ...counts, maxInFlight, simulatedWaitMs }),
    setOptions: (partial) => { options = { ...options, ...partial }; if (partial.faults) faultUses.clear(); },
    reset,
    close: () => new Promise<void>((resolve) => {
      for (const res of hanging) res.destroy();
      for (const s of sockets) s.destroy();
      server.close(() => { if (pool) void pool.close().then(() => resolve()); else resolve(); });
    }),
  };
}

// Clients that ask for "field: value" lines (ax describes each output as "Name (wire key: `key`): …")
// get one line per output field: the first allowed value of a class, a number, true, or text.
function fieldLines(system: string): string {
  const outputs = system.split(/<output_fields>/)[1]?.split(/<\/output_fields>/)[0] ?? system;
  return [...outputs.matchAll(/wire key: `(\w+)`\)?:?([^\n]*)/g)].map(([, key, rest]) => {
    const allowed = /Allowed values: ([^\n]+)/.exec(rest)?.[1]?.split(',')[0]?.trim();
    const value = allowed ?? (/number/i.test(rest) ? '3' : /boolean/i.test(rest) ? 'true' : 'loopback answer');
    return `${key}: ${value}`;
  }).join('\n') || 'loopback answer';
}

function textOf(content: ChatCompletionRequest['messages'][number]['content']): string {
  return typeof content === 'string' ? content : content.map((p) => p.text ?? '').join('');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function error(res: ServerResponse, status: number, message: string, type: string): void {
  json(res, status, { error: { message, type, param: null, code: null } });
}
