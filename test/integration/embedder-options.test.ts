import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveEmbedder } from '../../src/index.ts';
import { startLoopbackServer } from '../../src/testing/index.ts';

test('an OpenAI-compatible embedder sends the requested dimension, quietly (no deprecation warning)', async () => {
  const server = await startLoopbackServer();
  const warnings: unknown[] = [];
  // The AI SDK's documented hook for its warning log: everything it would print comes here.
  const g = globalThis as { AI_SDK_LOG_WARNINGS?: unknown };
  const before = g.AI_SDK_LOG_WARNINGS;
  g.AI_SDK_LOG_WARNINGS = (o: { warnings: unknown[] }) => { warnings.push(...o.warnings); };
  try {
    for (const spec of [`${server.url}#emb`, 'openai-compatible:emb']) {
      server.reset();
      const e = resolveEmbedder(spec, { dimensions: 64, env: { MEMALIGN_BASE_URL: server.url } });
      const [v] = await e.embed(['certified revenue view']);
      assert.equal(v.length, 64);
      const body = server.requests.find((r) => r.path.endsWith('/embeddings'))!.body as { dimensions?: number };
      assert.equal(body.dimensions, 64, `${spec}: the dimension reaches the server`);
    }
  } finally {
    g.AI_SDK_LOG_WARNINGS = before;
    await server.close();
  }
  assert.deepEqual(warnings, [], 'no library warning reaches the terminal');
});
