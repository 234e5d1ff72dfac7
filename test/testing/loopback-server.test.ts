import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateText, streamText, embedMany, Output, jsonSchema } from 'ai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { startLoopbackServer, instanceOfSchema } from '../../src/testing/index.ts';

const schema = { type: 'object', properties: { label: { type: 'string', enum: ['x', 'y'] }, n: { type: 'integer', minimum: 2, maximum: 9 } }, required: ['label', 'n'], additionalProperties: false };

test('structured output through the real provider package, with usage', async () => {
  const server = await startLoopbackServer();
  try {
    const p = createOpenAICompatible({ name: 'loop', baseURL: server.url, supportsStructuredOutputs: true, includeUsage: true });
    const r = await generateText({ model: p.chatModel('m'), output: Output.object({ schema: jsonSchema(schema) }), prompt: 'hi', maxRetries: 0 });
    assert.deepEqual(r.output, { label: 'x', n: 2 });
    assert.ok((r.usage.inputTokens ?? 0) > 0);
    const body = server.requests[0].body as { response_format: { type: string; json_schema: { schema: unknown } } };
    assert.equal(body.response_format.type, 'json_schema');
    assert.deepEqual(body.response_format.json_schema.schema, schema);
    const streamed = streamText({ model: p.chatModel('m'), prompt: 'hi', maxRetries: 0 });
    assert.equal(await streamed.text, 'This is the loopback server.');
  } finally {
    await server.close();
  }
});

test('embeddings: requested dimension, deterministic, base64 or float', async () => {
  const server = await startLoopbackServer();
  try {
    const p = createOpenAICompatible({ name: 'loop', baseURL: server.url });
    const { embeddings } = await embedMany({ model: p.embeddingModel('e'), values: ['a b', 'a b', 'zzz'], maxRetries: 0, providerOptions: { loop: { dimensions: 32 } } });
    assert.equal(embeddings[0].length, 32);
    assert.deepEqual(embeddings[0], embeddings[1]);
    const res = await fetch(`${server.url}/embeddings`, { method: 'POST', body: JSON.stringify({ input: 'a b', dimensions: 32, encoding_format: 'base64' }) });
    const b64 = ((await res.json()) as { data: { embedding: string }[] }).data[0].embedding;
    const bytes = Buffer.from(b64, 'base64');
    const decoded = Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
    assert.deepEqual(decoded.map((x) => x.toFixed(5)), embeddings[0].map((x) => x.toFixed(5)));
  } finally {
    await server.close();
  }
});

test('embeddings computed on worker threads (embedThreads) are the same vectors, in input order', async () => {
  const inline = await startLoopbackServer();
  const threaded = await startLoopbackServer({ embedThreads: 2 });
  try {
    const input = Array.from({ length: 301 }, (_, i) => `text ${i} about ${i % 7} things`);
    const ask = async (url: string) => {
      const res = await fetch(`${url}/embeddings`, { method: 'POST', body: JSON.stringify({ input, dimensions: 48, encoding_format: 'base64' }) });
      return ((await res.json()) as { data: { index: number; embedding: string }[] }).data;
    };
    const [a, b] = await Promise.all([ask(inline.url), ask(threaded.url)]);
    assert.equal(b.length, 301);
    assert.deepEqual(b, a);
  } finally {
    await inline.close();
    await threaded.close();
  }
});

test('faults: status with times, malformed, hang until abort, disconnect; close() never hangs', async () => {
  const server = await startLoopbackServer({ faults: [{ kind: 'status', status: 500, times: 2 }] });
  const post = (signal?: AbortSignal) => fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }), signal });
  try {
    assert.equal((await post()).status, 500);
    assert.equal((await post()).status, 500);
    assert.equal((await post()).status, 200);
    server.setOptions({ faults: [{ kind: 'malformed' }] });
    const body = (await (await post()).json()) as { choices: { message: { content: string } }[] };
    assert.throws(() => JSON.parse(body.choices[0].message.content));
    server.setOptions({ faults: [{ kind: 'hang' }] });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(post(ac.signal), /abort/i);
    server.setOptions({ faults: [{ kind: 'disconnect' }] });
    await assert.rejects(post(), /fetch failed|socket|terminated/i);
    server.setOptions({ faults: [{ kind: 'hang' }] });
    void post().catch(() => {});
    await new Promise((r) => setTimeout(r, 50));
  } finally {
    await server.close();
  }
  assert.equal((await (async () => 'closed')()), 'closed');
});

test('latency is simulated per request and requests run concurrently', async () => {
  const server = await startLoopbackServer({ latency: { fixedMs: 150 } });
  try {
    const post = () => fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) }).then((r) => r.json());
    await Promise.all([post(), post(), post(), post()]);
    assert.equal(server.stats().maxInFlight, 4);
    assert.equal(server.stats().simulatedWaitMs, 600);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
    assert.equal((await fetch(`${server.url}/chat/completions`, { method: 'POST', body: '{bad' })).status, 400);
  } finally {
    await server.close();
  }
});

test('schema instances honour refs, enums, bounds and nesting', () => {
  const s = { $defs: { item: { type: 'object', properties: { k: { const: 7 }, xs: { type: 'array', items: { type: 'number', minimum: -3 }, minItems: 2 } } } }, type: 'object', properties: { a: { $ref: '#/$defs/item' }, b: { type: ['null', 'string'], minLength: 10 }, c: { anyOf: [{ type: 'null' }, { type: 'boolean' }] } } };
  assert.deepEqual(instanceOfSchema(s), { a: { k: 7, xs: [-3, -3] }, b: 'loopbackxx', c: true });
});

test('the request log reads out over HTTP (timings on one clock, no bodies) and resets', async () => {
  const server = await startLoopbackServer({ latency: { fixedMs: 20, embeddingMs: 40 } });
  try {
    const origin = server.url.replace(/\/v1$/, '');
    const before = performance.timeOrigin + performance.now();
    await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'x' }] }) }).then((r) => r.json());
    await fetch(`${server.url}/embeddings`, { method: 'POST', body: JSON.stringify({ model: 'e', input: ['a', 'b'] }) }).then((r) => r.json());
    const log = (await (await fetch(`${origin}/__loopback/requests`)).json()) as { requests: { path: string; startedAt: number; endedAt: number; body?: unknown }[]; stats: { chat: number; embeddings: number } };
    assert.deepEqual(log.requests.map((r) => r.path), ['/v1/chat/completions', '/v1/embeddings']);
    assert.deepEqual([log.stats.chat, log.stats.embeddings], [1, 1]);
    for (const r of log.requests) {
      assert.equal(r.body, undefined);
      // Epoch milliseconds: comparable with this process's clock.
      assert.ok(r.startedAt >= before - 5 && r.endedAt > r.startedAt);
    }
    // An embedding response is built within its latency, not after it.
    const emb = log.requests[1];
    assert.ok(emb.endedAt - emb.startedAt >= 35);
    assert.equal((await fetch(`${origin}/__loopback/reset`, { method: 'POST' })).status, 200);
    assert.deepEqual(((await (await fetch(`${origin}/__loopback/requests`)).json()) as { requests: unknown[] }).requests, []);
    assert.equal(server.requests.length, 0);
    assert.equal((await fetch(`${origin}/__loopback/nope`)).status, 404);
  } finally {
    await server.close();
  }
});
