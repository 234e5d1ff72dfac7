import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, resolveModel, resolveEmbedder, type Verdict } from '../../src/index.ts';
import { startLoopbackServer, type ChatCompletionRequest } from '../../src/testing/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-int-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const judge = {
  name: 'sql-review',
  instructions: 'Does {{ outputs }} answer {{ inputs }} with the certified data sources?',
  output: { type: 'categorical', labels: ['good', 'bad'] },
};
const feedback = [
  { id: 'f1', record: { id: 'r1', inputs: 'Revenue by region for 2025', outputs: 'SELECT region, sum(x) FROM raw.sales' }, value: 'bad', rationale: 'Revenue must come from the certified view finance.revenue_v, not raw tables.' },
  { id: 'f2', record: { id: 'r2', inputs: 'Active users last week', outputs: 'SELECT count(*) FROM certified.active_users_v' }, value: 'good', rationale: 'Uses the certified active users view.' },
  { id: 'f3', record: { id: 'r3', inputs: 'Revenue by product', outputs: 'SELECT * FROM finance.revenue_v' }, value: 'good' },
];
const bodies = (server: { requests: { path: string; body: unknown }[] }) => server.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body as ChatCompletionRequest);
const userText = (b: ChatCompletionRequest) => b.messages.filter((m) => m.role === 'user').map((m) => m.content).join('\n');

test('align → judge → forget through the real AI SDK provider over HTTP', async () => {
  const server = await startLoopbackServer();
  try {
    const model = resolveModel(`${server.url}#judge-model`);
    const ma = await openMemalign({ judge, model, store: join(dir, 'flow.db'), retries: 0 });

    const aligned = await ma.align(feedback);
    assert.equal(aligned.version, 1);
    assert.equal(aligned.usage.calls, 1);
    assert.ok(aligned.usage.inputTokens > 0, 'usage comes from the server');
    const [distill] = bodies(server);
    assert.equal(distill.model, 'judge-model');
    assert.equal(distill.response_format?.type, 'json_schema');
    assert.equal(distill.response_format?.json_schema?.name, 'guidelines');
    assert.match(userText(distill), /## Existing guidelines\n\(none yet\)/);
    assert.match(userText(distill), /### EXAMPLE e1\n<<<BEGIN OUTPUTS [0-9]{10}>>>/);
    assert.match(userText(distill), /<<<BEGIN EXPERT EXPLANATION [0-9]{10}>>>\nRevenue must come from the certified view/);
    assert.equal(aligned.guidelinesAdded.length, 2);

    server.reset();
    const verdict = await ma.judge({ id: 'new', inputs: 'Revenue by country', outputs: 'SELECT country, sum(x) FROM raw.sales' }) as Verdict;
    assert.equal(verdict.ok, true);
    assert.equal(verdict.value, 'bad', 'the responder follows the closest precedent (r1)');
    assert.equal(verdict.provenance.episodes[0].id, 'r1');
    assert.deepEqual(verdict.provenance.guidelineIds.length, 2);
    const [judgeCall] = bodies(server);
    assert.equal(bodies(server).length, 1);
    assert.equal(judgeCall.response_format?.json_schema?.name, 'verdict');
    assert.deepEqual((judgeCall.response_format?.json_schema?.schema as { properties: unknown }).properties, { rationale: { type: 'string' }, value: { type: 'string', enum: ['good', 'bad'] } });
    const prompt = userText(judgeCall);
    const sections = ['## Instructions', '## How experts judged similar records', '## Guidelines from expert feedback', '## Record to judge'];
    const at = sections.map((s) => prompt.indexOf(s));
    assert.ok(at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])), `sections in order: ${at}`);
    assert.match(prompt, /- Revenue must come from the certified view finance\.revenue_v/);
    assert.match(judgeCall.messages.find((m) => m.role === 'system')!.content as string, /never instructions/);

    server.reset();
    const forgot = await ma.forget(['f1']);
    assert.deepEqual(forgot.guidelinesRemoved.map((g) => g.text), ['Revenue must come from the certified view finance.revenue_v, not raw tables.']);
    assert.equal(bodies(server).length, 0, 'a guideline whose only source is gone is removed without a model call');
    const after = await ma.judge({ id: 'new', inputs: 'Revenue by country', outputs: 'SELECT country, sum(x) FROM raw.sales' }) as Verdict;
    assert.ok(!after.provenance.episodes.some((e) => e.id === 'r1'));
    await ma.close();
  } finally {
    await server.close();
  }
});

test('provider embeddings through the AI SDK are batched and stored with their space', async () => {
  const server = await startLoopbackServer();
  try {
    const embedder = resolveEmbedder(`${server.url}#embed-model`, { dimensions: 64 });
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder, store: join(dir, 'embed.db'), retries: 0 });
    await ma.align(feedback);
    const embedCalls = server.requests.filter((r) => r.path.endsWith('/embeddings'));
    assert.equal(embedCalls.length, 1, 'three new episodes, one embedding request');
    assert.equal((embedCalls[0].body as { dimensions: number }).dimensions, 64);
    server.reset();
    await ma.judgeMany([1, 2, 3, 4].map((i) => ({ id: `q${i}`, inputs: `question ${i}`, outputs: 'x' })));
    assert.equal(server.requests.filter((r) => r.path.endsWith('/embeddings')).length, 1, 'four queries, one embedding request');
    await ma.close();
  } finally {
    await server.close();
  }
});

test('server faults: a 503 is retried; a failing distillation stores nothing', async () => {
  const server = await startLoopbackServer({ faults: [{ endpoint: 'chat', kind: 'status', status: 503, times: 1 }] });
  try {
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), store: join(dir, 'faults.db'), retries: 2, retryDelayMs: 1 });
    const v = await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' });
    assert.equal(v.ok, true);
    assert.equal(server.stats().chat, 2);
    server.setOptions({ faults: [{ endpoint: 'chat', kind: 'status', status: 500 }] });
    await assert.rejects(ma.align(feedback), /nothing was stored/);
    assert.equal((await ma.inspect()).version, 0);
    server.setOptions({ faults: [{ endpoint: 'chat', kind: 'status', status: 401 }] });
    const denied = await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' });
    assert.equal(denied.ok, false);
    assert.match(!denied.ok ? denied.error.message : '', /HTTP 401/);
    await ma.close();
  } finally {
    await server.close();
  }
});
