import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveModel, resolveEmbedder } from '../../src/index.ts';

// `google:` model strings go through the AI SDK's Google provider; a stand-in for the Gemini API
// on 127.0.0.1 checks what actually reaches it (key header, schema, embedding dimension).

test('google: chat and embeddings reach the Gemini API with the key, the schema and the dimension', async () => {
  const seen: { url: string; key: string | undefined; body: { [k: string]: unknown } }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      seen.push({ url: req.url!, key: req.headers['x-goog-api-key'] as string | undefined, body: JSON.parse(body) });
      res.setHeader('content-type', 'application/json');
      if (req.url!.includes(':batchEmbedContents')) res.end(JSON.stringify({ embeddings: [{ values: [1, 0, 0] }, { values: [0, 1, 0] }] }));
      else res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: '{"rationale":"fine","value":true}' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 7, candidatesTokenCount: 4 } }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const env = { GOOGLE_GENERATIVE_AI_API_KEY: 'test-key', GOOGLE_BASE_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1beta` };
    const model = resolveModel('google:gemini-2.5-flash', { env });
    assert.equal(model.id, 'google:gemini-2.5-flash');
    const answer = await model.generate({ system: 'sys', prompt: 'p', schema: { type: 'object', properties: { rationale: { type: 'string' }, value: { type: 'boolean' } }, required: ['rationale', 'value'] }, schemaName: 'verdict' });
    assert.deepEqual(answer, { text: '{"rationale":"fine","value":true}', inputTokens: 7, outputTokens: 4 });
    const embedder = resolveEmbedder('google:gemini-embedding-001', { env, dimensions: 3 });
    const vectors = await embedder.embed(['a', 'b']);
    assert.deepEqual(vectors.map((v) => [...v]), [[1, 0, 0], [0, 1, 0]]);
    assert.match(seen[0].url, /\/models\/gemini-2\.5-flash:generateContent$/);
    assert.equal(seen[0].key, 'test-key');
    assert.equal((seen[0].body.generationConfig as { responseMimeType: string }).responseMimeType, 'application/json');
    assert.match(seen[1].url, /\/models\/gemini-embedding-001:batchEmbedContents$/);
    assert.deepEqual((seen[1].body.requests as { outputDimensionality: number }[]).map((r) => r.outputDimensionality), [3, 3], 'the requested dimension reaches the server');
  } finally {
    server.close();
  }
});

test('google: without a key is a configuration error naming the variable', () => {
  assert.throws(() => resolveModel('google:gemini-2.5-flash', { env: {} }), (e: Error & { code?: string }) => e.code === 'config_error' && /GOOGLE_GENERATIVE_AI_API_KEY/.test(e.message));
  assert.throws(() => resolveEmbedder('google:gemini-embedding-001', { env: {} }), /GOOGLE_GENERATIVE_AI_API_KEY/);
});
