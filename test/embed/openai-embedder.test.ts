import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolveEmbedder } from '../../src/index.ts';
import { openaiEmbedder } from '../../src/embed/openai-embedder.ts';
import { ProviderError } from '../../src/core/errors.ts';
import { startLoopbackServer } from '../../src/testing/index.ts';

// A scripted OpenAI-style server on loopback: each request's JSON body is recorded and answered by `answer`.
async function scripted(answer: (body: { input: string[]; encoding_format?: string; dimensions?: number }, res: ServerResponse) => void) {
  const bodies: { input: string[]; encoding_format?: string; dimensions?: number; authorization?: string }[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      const body = JSON.parse(raw);
      bodies.push({ ...body, authorization: req.headers.authorization });
      answer(body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/v1`, bodies, close: () => new Promise<void>((r) => server.close(() => r())) };
}
const json = (res: ServerResponse, status: number, value: unknown) => { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(value)); };
const floats = (input: string[], d: number) => input.map((t, index) => ({ index, embedding: Array.from({ length: d }, (_, j) => ((t.length + 1) * (j + 1)) % 7 - 3) }));

test('provider embeddings travel as base64 and decode to the same unit vectors as numbers would', async () => {
  const server = await startLoopbackServer();
  try {
    const e = resolveEmbedder(`${server.url}#emb`, { dimensions: 64 });
    const texts = ['certified revenue view', 'a refund for damaged goods', 'Ünïcödé 日本語 🎉'];
    const vectors = await e.embed(texts);
    const body = server.requests.find((r) => r.path.endsWith('/embeddings'))!.body as { encoding_format?: string; dimensions?: number };
    assert.equal(body.encoding_format, 'base64');
    assert.equal(body.dimensions, 64, 'the requested dimension reaches the server');
    // The same server asked for numbers answers the same vectors.
    const res = await fetch(`${server.url}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'emb', input: texts, dimensions: 64, encoding_format: 'float' }) });
    const asNumbers = ((await res.json()) as { data: { embedding: number[] }[] }).data.map((d) => d.embedding);
    vectors.forEach((v, i) => {
      assert.equal(v.length, 64);
      const norm = Math.hypot(...v);
      assert.ok(Math.abs(norm - 1) < 1e-5, 'unit length');
      const other = Math.hypot(...asNumbers[i]);
      v.forEach((x, j) => assert.ok(Math.abs(x - asNumbers[i][j] / other) < 1e-6));
    });
  } finally {
    await server.close();
  }
});

test('a server that ignores the format and answers numbers is read; answers in any index order land in input order', async () => {
  const server = await scripted((body, res) => json(res, 200, { data: floats(body.input, 8).reverse() }));
  try {
    const e = openaiEmbedder({ id: 'x:8', baseURL: server.url, model: 'm', dimension: 8, apiKey: 'secret' });
    const [a, b] = await e.embed(['a', 'bbbb']);
    const expected = (t: string) => { const raw = floats([t], 8)[0].embedding; const n = Math.hypot(...raw); return raw.map((x) => x / n); };
    assert.deepEqual(Array.from(a).map((x) => x.toFixed(5)), expected('a').map((x) => x.toFixed(5)));
    assert.deepEqual(Array.from(b).map((x) => x.toFixed(5)), expected('bbbb').map((x) => x.toFixed(5)));
    assert.equal(server.bodies[0].authorization, 'Bearer secret');
  } finally {
    await server.close();
  }
});

test('a server that rejects base64 is asked for numbers, then and from then on', async () => {
  const server = await scripted((body, res) => {
    if (body.encoding_format === 'base64') return json(res, 400, { error: { message: "encoding_format 'base64' is not supported" } });
    json(res, 200, { data: floats(body.input, 4) });
  });
  try {
    const e = openaiEmbedder({ id: 'x:4', baseURL: server.url, model: 'm', dimension: 4 });
    assert.equal((await e.embed(['one'])).length, 1);
    assert.equal((await e.embed(['two', 'three'])).length, 2);
    assert.deepEqual(server.bodies.map((b) => b.encoding_format), ['base64', 'float', 'float']);
  } finally {
    await server.close();
  }
});

test('errors say what happened, name the key, and are retryable only when a retry can help', async () => {
  let status = 401;
  const server = await scripted((_body, res) => json(res, status, { error: { message: 'Incorrect API key provided' } }));
  try {
    const e = resolveEmbedder('openai:text-embedding-3-small', { dimensions: 8, env: { OPENAI_API_KEY: 'sk-wrong', OPENAI_BASE_URL: server.url } });
    await assert.rejects(e.embed(['a']), (error: unknown) => {
      assert.ok(error instanceof ProviderError);
      assert.match(error.message, /HTTP 401 .*Incorrect API key provided.*OPENAI_API_KEY/);
      assert.equal(error.isRetryable, false);
      return true;
    });
    for (const s of [429, 503]) {
      status = s;
      await assert.rejects(e.embed(['a']), (error: unknown) => error instanceof ProviderError && error.isRetryable && error.message.includes(`HTTP ${s}`));
    }
    status = 400;
    await assert.rejects(e.embed(['a']), (error: unknown) => error instanceof ProviderError && !error.isRetryable);
    assert.ok(server.bodies.every((b) => b.encoding_format === 'base64'), 'an unrelated 400 does not switch the format');
  } finally {
    await server.close();
  }
  // A port nothing listens on any more.
  const closed = await scripted(() => {});
  await closed.close();
  const gone = openaiEmbedder({ id: 'x:8', baseURL: closed.url, model: 'm', dimension: 8 });
  await assert.rejects(gone.embed(['a']), (error: unknown) => error instanceof ProviderError && error.isRetryable && /cannot reach .*ECONNREFUSED/.test(error.message));
});

test('answers that are not embeddings of the configured shape are refused clearly', async () => {
  let reply: unknown = {};
  const server = await scripted((_body, res) => json(res, 200, reply));
  try {
    const e = openaiEmbedder({ id: 'x:8', baseURL: server.url, model: 'm', dimension: 8 });
    const cases: [unknown, RegExp][] = [
      [{ data: floats(['a'], 16) }, /returned 16-dimensional vectors, but 8 were configured/],
      [{ data: [] }, /0 vectors for 1 inputs/],
      [{ nope: true }, /no "data" list/],
      [{ data: [{ index: 0, embedding: 'abc' }] }, /item 0 has no embedding/],
      [{ data: [{ index: 0, embedding: ['1', 2, 3, 4, 5, 6, 7, 8] }] }, /item 0 has no embedding/],
    ];
    for (const [value, message] of cases) {
      reply = value;
      await assert.rejects(e.embed(['a']), (error: unknown) => error instanceof ProviderError && message.test(error.message));
    }
    reply = { data: [{ index: 0, embedding: floats(['a'], 8)[0].embedding }, { index: 0, embedding: floats(['b'], 8)[0].embedding }] };
    await assert.rejects(e.embed(['a', 'b']), /index 0 appears twice/);
    // A hostile or broken server's endless answer is cut off, not read into memory.
    reply = { data: floats(['a'], 8), padding: 'x'.repeat(2 << 20) };
    await assert.rejects(e.embed(['a']), /larger than 1 vectors of 8 dimensions can be; refused/);
  } finally {
    await server.close();
  }
});
