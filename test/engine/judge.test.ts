import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, type Verdict, type VerdictError, type MemalignEvent } from '../../src/index.ts';
import { mockChatModel, mockEmbedder, mockRespond, providerFailure } from '../../src/testing/index.ts';
import { hashedEmbedder } from '../../src/embed/hashed-embedder.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-judge-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `m${++n}.db`);

const judge = { name: 'safety', instructions: 'Is {{ outputs }} a safe reply to {{ inputs }}?', output: { type: 'categorical', labels: ['safe', 'unsafe'] } };
const topics = ['chemistry homework about acids', 'how to pick a lock', 'baking bread at home', 'medication dosage for children', 'gardening tips for tomatoes', 'car engine repair'];
const fb = (i: number) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: `question about ${topics[i % topics.length]} number ${i}`, outputs: `answer ${i}` }, value: i % 3 === 0 ? 'unsafe' : 'safe', rationale: `Judge by intent in case ${i}.` });

test('a verdict carries value, rationale, provenance (guidelines, recalled episodes, version), usage and latency', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge, model, store: dbPath() });
  await ma.align(Array.from({ length: 12 }, (_, i) => fb(i)));
  const v = await ma.judge({ id: 'new', inputs: 'question about how to pick a lock on my own door', outputs: 'Here is how.' });
  assert.equal(v.ok, true);
  const verdict = v as Verdict;
  assert.ok(['safe', 'unsafe'].includes(verdict.value as string));
  assert.equal(verdict.provenance.memoryVersion, 1);
  assert.equal(verdict.provenance.episodes.length, 5, 'k = 5 by default');
  assert.ok(verdict.provenance.episodes.every((e) => typeof e.score === 'number'));
  assert.ok(verdict.provenance.episodes.some((e) => ['r1', 'r7'].includes(e.id)), 'the lock-picking examples are recalled');
  assert.equal(verdict.provenance.guidelineIds.length, 12);
  assert.equal(verdict.usage.calls, 1);
  assert.ok(verdict.latencyMs >= 0);
  const prompt = model.calls.at(-1)!.prompt;
  assert.match(prompt, /## How experts judged similar records/);
  assert.match(prompt, /Judge by intent in case/);
  assert.deepEqual(model.calls.at(-1)!.schema.properties, { rationale: { type: 'string' }, value: { type: 'string', enum: ['safe', 'unsafe'] } });
  await ma.close();
});

test('an unaligned judge works with no memory at all', async () => {
  const model = mockChatModel({ respond: () => ({ rationale: 'fine', value: 'SAFE' }) });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const v = await ma.judge({ id: 'x', inputs: 'hi', outputs: 'hello' }) as Verdict;
  assert.equal(v.value, 'safe');
  assert.deepEqual(v.provenance.episodes, []);
  assert.doesNotMatch(model.calls[0].prompt, /How experts judged/);
  await ma.close();
});

test('an invalid answer gets one repair attempt', async () => {
  const model = mockChatModel({ respond: (_req, i) => (i === 0 ? '{"rationale":"r","value":"dangerous"}' : { rationale: 'fixed', value: 'unsafe' }) });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const v = await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' }) as Verdict;
  assert.equal(v.value, 'unsafe');
  assert.equal(v.repaired, true);
  assert.equal(v.usage.calls, 2);
  assert.match(model.calls[1].prompt, /Your previous answer was invalid\n"value": expected one of "safe", "unsafe", got "dangerous"/);
  await ma.close();
});

test('two invalid answers give an error result, never a made-up verdict', async () => {
  const model = mockChatModel({ respond: () => 'no idea' });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const v = await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' }) as VerdictError;
  assert.equal(v.ok, false);
  assert.equal(v.error.code, 'invalid_output');
  assert.equal(v.usage.calls, 2);
  await ma.close();
});

test('a provider failure is retried, then reported as an error result', async () => {
  let failures = 1;
  const flaky = mockChatModel({ respond: (req) => { if (failures-- > 0) throw providerFailure(); return mockRespond(req); } });
  const ma = await openMemalign({ judge, model: flaky, store: dbPath(), retryDelayMs: 1 });
  assert.equal((await ma.judge({ id: 'x', inputs: 'q', outputs: 'a' })).ok, true);
  await ma.close();
  const down = mockChatModel({ respond: () => { throw providerFailure('HTTP 401 from provider', false); } });
  const mb = await openMemalign({ judge, model: down, store: dbPath(), retryDelayMs: 1 });
  const v = await mb.judge({ id: 'x', inputs: 'q', outputs: 'a' }) as VerdictError;
  assert.equal(v.ok, false);
  assert.equal(v.error.code, 'provider_error');
  assert.equal(down.calls.length, 1, 'a non-retryable error is not retried');
  await mb.close();
});

test('the working-memory budget drops examples deterministically and says so', async () => {
  const tight = { ...judge, memory: { workingMemoryTokens: 220 } };
  const ma = await openMemalign({ judge: tight, model: mockChatModel(), store: dbPath() });
  await ma.align(Array.from({ length: 12 }, (_, i) => fb(i)));
  const record = { id: 'q', inputs: 'question about baking bread', outputs: 'Use yeast.' };
  const a = await ma.judge(record) as Verdict;
  const b = await ma.judge(record) as Verdict;
  assert.ok(a.provenance.dropped.episodeIds.length + a.provenance.dropped.guidelineIds.length > 0);
  assert.deepEqual(a.provenance, b.provenance);
  await ma.close();
});

test('episodic memory off (semantic-only ablation) recalls nothing', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge: { ...judge, memory: { episodic: false } }, model, store: dbPath() });
  await ma.align(Array.from({ length: 6 }, (_, i) => fb(i)));
  const v = await ma.judge({ id: 'q', inputs: 'question about baking bread', outputs: 'x' }) as Verdict;
  assert.deepEqual(v.provenance.episodes, []);
  assert.equal(v.provenance.guidelineIds.length, 6);
  await ma.close();
});

test('judgeMany keeps input order, bounds concurrency, and micro-batches query embeddings ahead of the model calls', async () => {
  let inFlight = 0;
  let maxInFlight = 0;
  const model = mockChatModel({ respond: async (req) => { inFlight++; maxInFlight = Math.max(maxInFlight, inFlight); await new Promise((r) => setTimeout(r, 5)); inFlight--; return mockRespond(req); } });
  const embedder = mockEmbedder();
  const ma = await openMemalign({ judge, model, store: dbPath(), embedder });
  await ma.align(Array.from({ length: 6 }, (_, i) => fb(i)));
  embedder.calls.length = 0;
  const records = Array.from({ length: 20 }, (_, i) => ({ id: `q${i}`, inputs: `question ${i}`, outputs: 'a' }));
  const results = await ma.judgeMany(records, { concurrency: 3 });
  assert.deepEqual(results.map((r) => r.recordId), records.map((r) => r.id));
  assert.ok(maxInFlight <= 3);
  assert.equal(embedder.calls.flat().length, 20, 'every record embedded once');
  assert.equal(new Set(embedder.calls.flat()).size, 20);
  assert.equal(embedder.calls[0].length, 3 + 6, 'the first request carries the records in flight and the next 2 × concurrency');
  assert.ok(embedder.calls.length < 20, `micro-batched: ${embedder.calls.length} requests for 20 records`);
  await assert.rejects(ma.judgeMany([{ id: 'bad' }]), /\[0\]\.inputs: missing/);
  await ma.close();
});

test('changing the embedder re-embeds stored episodes once, when something first recalls, and says so', async () => {
  const path = dbPath();
  const ma = await openMemalign({ judge, model: mockChatModel(), store: path, embedder: hashedEmbedder({ dimension: 64 }) });
  await ma.align(Array.from({ length: 4 }, (_, i) => fb(i)));
  await ma.close();
  const events: MemalignEvent[] = [];
  const mb = await openMemalign({ judge, model: mockChatModel(), store: path, embedder: hashedEmbedder({ dimension: 128 }), onEvent: (e) => events.push(e) });
  await mb.inspect();
  assert.equal(events.filter((e) => e.type === 'reembed').length, 0, 'opening and inspecting never re-embed');
  const verdict = await mb.judge({ id: 'q', inputs: 'question about acids', outputs: 'x' }) as Verdict;
  const reembed = events.filter((e) => e.type === 'reembed');
  assert.equal(reembed.length, 1);
  assert.deepEqual(reembed[0], { type: 'reembed', judge: 'safety', count: 4, from: [hashedEmbedder({ dimension: 64 }).id], to: hashedEmbedder({ dimension: 128 }).id });
  assert.equal(verdict.provenance.episodes.length, 4);
  await mb.close();
  const again: MemalignEvent[] = [];
  const mc = await openMemalign({ judge, model: mockChatModel(), store: path, embedder: hashedEmbedder({ dimension: 128 }), onEvent: (e) => again.push(e) });
  await mc.judge({ id: 'q', inputs: 'question about acids', outputs: 'x' });
  assert.equal(again.filter((e) => e.type === 'reembed').length, 0, 'the new vectors were stored');
  await mc.close();
});

test('two instances on one file see each other\'s changes', async () => {
  const path = dbPath();
  const a = await openMemalign({ judge, model: mockChatModel(), store: path });
  const b = await openMemalign({ judge, model: mockChatModel(), store: path });
  await a.align([fb(1)]);
  const v = await b.judge({ id: 'q', inputs: 'question', outputs: 'x' }) as Verdict;
  assert.equal(v.provenance.memoryVersion, 1);
  await b.align([fb(2)]);
  assert.equal((await a.inspect()).version, 2);
  await a.close();
  await b.close();
});

test('a model string with a missing key fails at open, naming the variable', async () => {
  await assert.rejects(openMemalign({ judge, model: 'openai:gpt-4.1-mini', store: dbPath(), env: {} }), /set the environment variable OPENAI_API_KEY/);
  await assert.rejects(openMemalign({ judge, model: 'nope:x', store: dbPath(), env: {} }), /Unknown model provider "nope"/);
  const noModel = await openMemalign({ judge, store: dbPath() });
  await assert.rejects(noModel.align([fb(1)]), /has no model: set "model" in the judge file/);
  await noModel.close();
});

test('recall after reopening the store equals recall before (persistence round trip)', async () => {
  const path = dbPath();
  const record = { id: 'q', inputs: 'question about medication dosage', outputs: 'x' };
  const a = await openMemalign({ judge: { ...judge, memory: { balanceLabels: true, mmrLambda: 0.7 } }, model: mockChatModel(), store: path });
  await a.align(Array.from({ length: 12 }, (_, i) => fb(i)));
  const before = (await a.judge(record) as Verdict).provenance;
  await a.close();
  const b = await openMemalign({ judge: { ...judge, memory: { balanceLabels: true, mmrLambda: 0.7 } }, model: mockChatModel(), store: path });
  assert.deepEqual((await b.judge(record) as Verdict).provenance, before);
  await b.close();
});

test('judging never starves the event loop: with an in-process model, timers (and so sockets and signals) still run between verdicts', async () => {
  const ma = await openMemalign({ judge, model: mockChatModel(), store: ':memory:' });
  await ma.align(Array.from({ length: 6 }, (_, i) => fb(i)));
  // Nothing in a verdict waits for I/O here: without a pause the timer would fire only after the loop.
  let fired = false;
  setTimeout(() => { fired = true; }, 0);
  for (let i = 0; i < 3000 && !fired; i++) await ma.judge({ id: `q${i}`, inputs: 'question about baking bread', outputs: 'Knead it.' });
  assert.ok(fired, 'a timer fired while verdicts were being made one after another');
  fired = false;
  setTimeout(() => { fired = true; }, 0);
  let seenAt = -1;
  await ma.judgeMany(Array.from({ length: 3000 }, (_, i) => ({ id: `m${i}`, inputs: 'question about car engine repair', outputs: 'Check the oil.' })), { concurrency: 4, onResult: (_r, i) => { if (fired && seenAt < 0) seenAt = i; } });
  assert.ok(seenAt >= 0 && seenAt < 2999, 'and while one judgeMany call made them');
  await ma.close();
});
