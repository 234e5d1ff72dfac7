import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveModel } from '../../src/index.ts';
import { openaiChatModel } from '../../src/index.ts';
import { ProviderError } from '../../src/core/errors.ts';
import type { ChatRequest } from '../../src/model/chat-model.ts';

// A scripted chat-completions server on loopback: each request is recorded (body, headers, the
// connection it came on) and answered by `answer`.
async function scripted(answer: (body: Record<string, unknown>, res: ServerResponse) => void, setup?: (server: ReturnType<typeof createServer>) => void) {
  const requests: { body: Record<string, unknown>; headers: IncomingMessage['headers']; socket: Socket }[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      requests.push({ body, headers: req.headers, socket: req.socket });
      answer(body, res);
    });
  });
  server.on('connection', (s) => { sockets.add(s); });
  setup?.(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return { url, requests, connections: () => sockets.size, close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }) };
}
const json = (res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}) => { res.writeHead(status, { 'content-type': 'application/json', ...headers }); res.end(JSON.stringify(value)); };
const completion = (content: unknown, usage = { prompt_tokens: 12, completion_tokens: 5 }) => ({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }], usage });
const schema = { type: 'object', properties: { value: { type: 'boolean' } }, required: ['value'], additionalProperties: false };
const request: ChatRequest = { system: 'You judge.', prompt: 'Is 2+2=4?', schema, schemaName: 'verdict', maxOutputTokens: 256 };

test('a call is one chat-completions request with the schema as response_format; text and usage come back', async () => {
  const server = await scripted((_b, res) => json(res, 200, completion('{"value":true}')));
  try {
    const model = resolveModel(`${server.url}#qwen3`, { env: { MEMALIGN_API_KEY: 'k-123' } });
    assert.equal(model.id, 'openai-compatible:qwen3');
    assert.deepEqual(await model.generate(request), { text: '{"value":true}', inputTokens: 12, outputTokens: 5 });
    const [{ body, headers }] = server.requests;
    assert.deepEqual(body, {
      model: 'qwen3',
      messages: [{ role: 'system', content: 'You judge.' }, { role: 'user', content: 'Is 2+2=4?' }],
      max_tokens: 256, temperature: 0,
      response_format: { type: 'json_schema', json_schema: { schema, strict: true, name: 'verdict' } },
    });
    assert.equal(headers.authorization, 'Bearer k-123');
    assert.equal(headers['content-type'], 'application/json');
    // Calls one after another share one kept-alive connection.
    for (let i = 0; i < 5; i++) await model.generate(request);
    assert.equal(server.connections(), 1);
  } finally {
    await server.close();
  }
});

test('answers in other shapes: content parts are joined, a refusal is the text, missing usage counts 0', async () => {
  let reply: unknown;
  const server = await scripted((_b, res) => (typeof reply === 'string' ? res.end(reply) : json(res, 200, reply)));
  try {
    const model = openaiChatModel({ id: 'x:m', baseURL: server.url, model: 'm' });
    reply = { choices: [{ message: { content: [{ type: 'text', text: '{"value":' }, { type: 'image_url' }, { type: 'text', text: 'false}' }] } }] };
    assert.deepEqual(await model.generate(request), { text: '{"value":false}', inputTokens: 0, outputTokens: 0 });
    reply = { choices: [{ message: { content: null, refusal: 'I cannot help with that.' } }], usage: { prompt_tokens: -3, completion_tokens: 'x' } };
    assert.deepEqual(await model.generate(request), { text: 'I cannot help with that.', inputTokens: 0, outputTokens: 0 });
    for (const [value, why] of [[{ choices: [] }, /no choices/], [{ nope: 1 }, /no choices/], ['{"choices": [', /not JSON/]] as const) {
      reply = value;
      await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && e.isRetryable && why.test(e.message) && e.message.includes(server.url));
    }
  } finally {
    await server.close();
  }
});

test('errors name the status, the server message and the key, keep retry-after, say where a redirect points, and are retryable only when a retry can help', async () => {
  let status = 401;
  const server = await scripted((_b, res) => json(res, status, { error: { message: 'Invalid key' } }, status === 429 ? { 'retry-after': '7' } : {}));
  try {
    const model = resolveModel(`${server.url}#m`, { env: { MEMALIGN_API_KEY: 'wrong' } });
    await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && !e.isRetryable && /HTTP 401 .*Invalid key.*MEMALIGN_API_KEY/.test(e.message));
    status = 429;
    await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && e.isRetryable && (e as { retryAfterMs?: number }).retryAfterMs === 7000 && /Rate limited/.test(e.message));
    status = 503;
    await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && e.isRetryable && e.status === 503);
    status = 400;
    await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && !e.isRetryable);
  } finally {
    await server.close();
  }
  const moved = await scripted((_b, res) => { res.writeHead(308, { location: 'https://llm.example.com/v1/chat/completions' }); res.end(); });
  try {
    await assert.rejects(openaiChatModel({ id: 'x:m', baseURL: moved.url, model: 'm' }).generate(request), (e: unknown) => e instanceof ProviderError && !e.isRetryable && /HTTP 308 .*redirects to https:\/\/llm\.example\.com\/v1\/chat\/completions; use that address as the base URL/.test(e.message));
  } finally {
    await moved.close();
  }
  const gone = await scripted(() => {});
  await gone.close();
  await assert.rejects(openaiChatModel({ id: 'x:m', baseURL: gone.url, model: 'm' }).generate(request), (e: unknown) => e instanceof ProviderError && e.isRetryable && /cannot reach .*ECONNREFUSED.*base URL/.test(e.message));
});

test('an answer larger than the limit is refused without reading it all; an abort ends the call at once', async () => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const server = await scripted((body, res) => {
    if (body.model === 'hang') return; // never answers
    json(res, 200, completion(big));
  });
  try {
    const model = openaiChatModel({ id: 'x:m', baseURL: server.url, model: 'm', maxAnswerBytes: 1024 * 1024 });
    await assert.rejects(model.generate(request), (e: unknown) => e instanceof ProviderError && !e.isRetryable && /larger than 1048576 bytes/.test(e.message));
    const hang = openaiChatModel({ id: 'x:hang', baseURL: server.url, model: 'hang' });
    const controller = new AbortController();
    const reason = new ProviderError('stopped by the test', { retryable: false });
    const call = hang.generate({ ...request, abortSignal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(call, (e: unknown) => e === reason);
  } finally {
    await server.close();
  }
});

test('a kept-alive connection the server closed meanwhile is replaced without failing the call', async () => {
  // The server drops idle connections after 1 ms: every call after a pause finds its socket gone.
  const server = await scripted((_b, res) => json(res, 200, completion('{"value":true}')), (s) => { s.keepAliveTimeout = 1; });
  try {
    const model = openaiChatModel({ id: 'x:m', baseURL: server.url, model: 'm' });
    for (let i = 0; i < 20; i++) {
      assert.equal((await model.generate(request)).text, '{"value":true}');
      await new Promise((r) => setTimeout(r, i % 2 === 0 ? 0 : 5));
    }
    assert.equal(server.requests.length, 20);
  } finally {
    await server.close();
  }
});

test('an injected fetch (cassettes, tests) carries the same request', async () => {
  const server = await scripted((_b, res) => json(res, 200, completion('{"value":true}')));
  try {
    const seen: string[] = [];
    const model = resolveModel(`${server.url}#m`, { fetch: (input, init) => { seen.push(String(input)); return fetch(input, init); } });
    assert.equal((await model.generate(request)).text, '{"value":true}');
    assert.deepEqual(seen, [`${server.url}/chat/completions`]);
    assert.equal(server.requests[0].body.model, 'm');
  } finally {
    await server.close();
  }
});
