import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { openMemalign, aiSdkEmbedder, resolveModel, type MemalignEvent } from '../../src/index.ts';
import { startLoopbackServer } from '../../src/testing/index.ts';

test('a provider warning reaches the user as an explained warning event, once, not as raw SDK output', async () => {
  assert.equal((globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS, undefined);
  const server = await startLoopbackServer();
  try {
    const provider = createOpenAICompatible({ name: 'loopback', baseURL: server.url });
    // The old provider-options key: the AI SDK warns that it is deprecated.
    const embedder = aiSdkEmbedder(provider.embeddingModel('emb'), { id: 'loopback:emb:64', dimension: 64, providerOptions: { 'openai-compatible': { dimensions: 64 } } });
    const events: MemalignEvent[] = [];
    const ma = await openMemalign({ judge: { name: 'w', instructions: 'Is {{ outputs }} right?', output: 'boolean' }, model: resolveModel(`${server.url}#m`), embedder, store: ':memory:', onEvent: (e) => events.push(e) });
    await ma.align(Array.from({ length: 3 }, (_, i) => ({ record: { id: `r${i}`, inputs: `q${i}`, outputs: `a${i}` }, value: true, rationale: `because ${i}` })));
    await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' });
    const warnings = events.filter((e) => e.type === 'warning').map((e) => (e as { message: string }).message);
    assert.equal(warnings.length, 1, `one distinct warning, reported once: ${warnings.join(' | ')}`);
    assert.match(warnings[0], /loopback.embedding \(emb\) says the setting "providerOptions key 'openai-compatible'" is deprecated: Use 'openaiCompatible' instead\.$/);
    assert.equal(typeof (globalThis as { AI_SDK_LOG_WARNINGS?: unknown }).AI_SDK_LOG_WARNINGS, 'function', 'memalign routes the SDK warning log');
    await ma.close();
  } finally {
    await server.close();
  }
});
