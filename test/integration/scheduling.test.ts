import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openMemalign, resolveModel, resolveEmbedder } from '../../src/index.ts';
import { startLoopbackServer, type RecordedRequest } from '../../src/testing/index.ts';

// Request scheduling, asserted on what the loopback server saw (request counts and start/end
// times), never on wall time alone.

const judge = { name: 'sched', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };
const feedback = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: `question number ${i} about topic ${i % 17}`, outputs: `answer ${i}` }, value: i % 2 === 0, rationale: `Rule ${i % 40}: answers must match the facts of topic ${i % 17}.` }));
const chats = (rs: RecordedRequest[]) => rs.filter((r) => r.path.endsWith('/chat/completions'));
const embeds = (rs: RecordedRequest[]) => rs.filter((r) => r.path.endsWith('/embeddings'));
const inputsOf = (r: RecordedRequest) => ((r.body as { input: string[] }).input);

test('align: provider embeddings go out as few large requests, in parallel with distillation, under one limiter', async () => {
  const L = 400;
  const server = await startLoopbackServer({ latency: { fixedMs: L, embeddingMs: L } });
  try {
    const embedder = resolveEmbedder(`${server.url}#emb`, { dimensions: 64, maxBatch: 100 });
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder, store: ':memory:', retries: 0, distill: { maxBatchItems: 25, parallelism: 8 } });
    const report = await ma.align(feedback(250));
    const c = chats(server.requests);
    const e = embeds(server.requests);
    assert.equal(c.length, 10, '250 feedback in batches of 25');
    assert.equal(e.length, 3, '250 texts in requests of at most 100');
    assert.deepEqual(e.map((r) => inputsOf(r).length).sort((a, b) => a - b), [50, 100, 100]);
    assert.equal(report.embeddings.requests, 3);
    // The embedding requests start with the first distillation calls, not after them.
    const firstChatEnd = Math.min(...c.map((r) => r.endedAt!));
    assert.ok(e.every((r) => r.startedAt < firstChatEnd), 'every embedding request started before any distillation call returned');
    // One limiter of 8: never more than 8 requests in flight, and 13 requests fit in 2 rounds.
    assert.ok(server.stats().maxInFlight <= 8, `in flight: ${server.stats().maxInFlight}`);
    const all = [...c, ...e];
    const t0 = Math.min(...all.map((r) => r.startedAt));
    const t1 = Math.max(...all.map((r) => r.endedAt!));
    // (Own work between rounds is small against L; a loaded test machine may add a little.)
    const rounds = (t1 - t0) / L;
    assert.ok(rounds < Math.ceil((c.length + e.length) / 8) + 1, `critical path ${rounds.toFixed(2)} rounds`);
    await ma.close();
  } finally {
    await server.close();
  }
});

test('judging: query embeddings are micro-batched ahead of the model calls, which never wait for them after the first round', async () => {
  const L = 300;
  const server = await startLoopbackServer({ latency: { fixedMs: L, embeddingMs: L } });
  try {
    const embedder = resolveEmbedder(`${server.url}#emb`, { dimensions: 64 });
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder, store: ':memory:', retries: 0 });
    await ma.align(feedback(40));
    server.reset();
    const C = 4;
    const N = 24;
    const started = performance.now();
    const results = await ma.judgeMany(Array.from({ length: N }, (_, i) => ({ id: `q${i}`, inputs: `question number ${i + 3} about topic ${i % 17}`, outputs: `reply-${i}-end` })), { concurrency: C });
    assert.ok(results.every((r) => r.ok));
    const c = chats(server.requests).sort((a, b) => a.startedAt - b.startedAt);
    const e = embeds(server.requests).sort((a, b) => a.startedAt - b.startedAt);
    assert.equal(c.length, N);
    assert.equal(e.map(inputsOf).flat().length, N, 'every query embedded once');
    assert.ok(e.length <= Math.ceil(N / C), `${e.length} embedding requests for ${N} verdicts`);
    // The first request goes at once (no waiting window) and carries the records in flight plus the lookahead.
    assert.ok(e[0].startedAt - started < 50, `first embedding request after ${(e[0].startedAt - started).toFixed(0)} ms`);
    assert.equal(inputsOf(e[0]).length, C + 2 * C);
    // One embedding request at a time, each starting as soon as the previous returned.
    for (let i = 1; i < e.length; i++) assert.ok(e[i].startedAt >= e[i - 1].endedAt! - 5, 'embedding requests do not overlap');
    // Model calls never wait for embeddings after the first round: the k-th model call (k ≥ C)
    // takes the slot the (k − C)-th to finish frees, and its query vector was there by then.
    const recordOf = (r: RecordedRequest) => Number(/reply-(\d+)-end/.exec(JSON.stringify(r.body))![1]);
    const embeddedAt = new Map<number, number>();
    for (const r of e) for (const text of inputsOf(r)) embeddedAt.set(Number(/reply-(\d+)-end/.exec(text)![1]), r.endedAt!);
    const ends = c.map((r) => r.endedAt!).sort((a, b) => a - b);
    const slack = L / 4;
    c.forEach((r, k) => {
      if (k < C) return;
      assert.ok(embeddedAt.get(recordOf(r))! <= ends[k - C] + slack, `record ${recordOf(r)} waited for its embedding`);
    });
    // So the run takes the ideal number of rounds plus the one embedding round.
    const rounds = (Math.max(...c.map((r) => r.endedAt!)) - e[0].startedAt) / L;
    // (A loaded test machine adds its own work between rounds: allow up to one round of it.)
    assert.ok(rounds < N / C + 1 + 1, `${rounds.toFixed(2)} rounds`);
    await ma.close();
  } finally {
    await server.close();
  }
});

test('a sequential verdict costs two request rounds with a provider embedder and one with the offline embedder', async () => {
  const L = 100;
  const server = await startLoopbackServer({ latency: { fixedMs: L, embeddingMs: L } });
  try {
    for (const [embedder, expected] of [[resolveEmbedder(`${server.url}#emb`, { dimensions: 64 }), 2], [undefined, 1]] as const) {
      const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder, store: ':memory:', retries: 0 });
      await ma.align(feedback(10));
      server.reset();
      await ma.judge({ id: 'x', inputs: 'question number 3 about topic 3', outputs: 'answer' });
      const rs = server.requests;
      assert.equal(rs.length, expected, `${embedder ? 'provider' : 'offline'} embedder: ${rs.map((r) => r.path).join(', ')}`);
      if (expected === 2) assert.ok(chats(rs)[0].startedAt >= embeds(rs)[0].endedAt! - 5, 'the model call follows the query embedding');
      await ma.close();
    }
  } finally {
    await server.close();
  }
});
