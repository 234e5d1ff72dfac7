import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { createBatch, batchStatus, batchResults, cancelBatch, retryBatch, deleteBatch } from '../../src/batch/batches.ts';
import { startJobEngine } from '../../src/batch/job-engine.ts';
import { runWorker } from '../../src/batch/worker.ts';
import { openMemalign } from '../../src/engine/memalign.ts';
import { mockChatModel, providerFailure } from '../../src/testing/mock-model.ts';
import { ValidationError } from '../../src/core/errors.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

const server = usePostgres();
const judge = { name: 'exact', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };
const records = (n: number, tag = 'r') => Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, inputs: `What is ${i}+${i}?`, outputs: String(2 * i) }));
let n = 0;
async function fresh(): Promise<PostgresStore> {
  return openPostgresStore(server().url, { schema: `batch_${++n}` });
}

test('batch: two workers judge every record exactly once, results in input order, each naming its memory version', { skip: pgSkip }, async () => {
  const store = await fresh();
  const ma = await openMemalign({ judge, store, model: mockChatModel() });
  await ma.align([{ record: { id: 'seed', inputs: 'What is 2+2?', outputs: '5' }, value: false, rationale: 'Arithmetic must be exact.' }]);
  const boss = await startJobEngine(store);
  const batch = await createBatch(store, boss, { judge, model: 'mock:model', records: records(40) });
  assert.equal((await batchStatus(store, batch.id)).remaining, 40);
  // Slow enough that one worker cannot drain the batch (fetching ahead) before the other starts.
  const model = mockChatModel({ latencyMs: 30 });
  const [a, b] = await Promise.all([0, 1].map((w) => runWorker({ store, name: `w${w}`, concurrency: 4, model, exitWhenIdleMs: 300 })));
  assert.equal(a.verdicts + b.verdicts, 40);
  assert.ok(a.verdicts > 0 && b.verdicts > 0, 'both workers took part');
  assert.equal(model.calls.length, 40, 'no record was judged twice');
  const lines = [];
  for await (const line of batchResults(store, batch.id, { pageSize: 7 })) lines.push(line);
  assert.deepEqual(lines.map((l) => l.record.id), records(40).map((r) => r.id));
  assert.ok(lines.every((l) => l.result?.ok && l.memoryVersion === 1 && l.result.provenance.memoryVersion === 1));
  const status = await batchStatus(store, batch.id);
  assert.equal(status.state, 'done');
  assert.deepEqual({ judged: status.judged, failed: status.failed, versions: status.versions }, { judged: 40, failed: 0, versions: { 1: 40 } });
  assert.deepEqual(Object.keys(status.workers).sort(), ['w0', 'w1']);
  await boss.stop({ graceful: false });
  await ma.close();
  await store.close();
});

test('batch: retryable failures are retried with backoff; the last attempt and permanent failures are kept with their error; retry re-queues them', { skip: pgSkip }, async () => {
  const store = await fresh();
  const boss = await startJobEngine(store);
  const batch = await createBatch(store, boss, { judge, model: 'mock:model', records: records(6), maxAttempts: 2 });
  const attempts = new Map<string, number>();
  const flaky = mockChatModel({
    respond: (req) => {
      const id = /What is (\d+)\+/.exec(req.prompt)?.[1] ?? '';
      attempts.set(id, (attempts.get(id) ?? 0) + 1);
      if (id === '0' && attempts.get(id) === 1) throw providerFailure(); // recovers on its second attempt
      if (id === '1') throw providerFailure(); // always down
      if (id === '2') throw providerFailure('Bad request (HTTP 400)', false); // permanent
      return { rationale: 'ok', value: true };
    },
  });
  const report = await runWorker({ store, concurrency: 6, model: flaky, exitWhenIdleMs: 6000, env: {} });
  const status = await batchStatus(store, batch.id);
  assert.deepEqual({ judged: status.judged, failed: status.failed, remaining: status.remaining, state: status.state }, { judged: 4, failed: 2, remaining: 0, state: 'done' });
  assert.equal(report.retries, 1, 'r1 went back to the engine once (r0 recovered on the library\'s own retry)');
  assert.equal(attempts.get('1'), 6, 'two attempts of three calls each');
  const results = new Map<string, unknown>();
  for await (const l of batchResults(store, batch.id)) results.set(l.record.id, l.result);
  assert.match(JSON.stringify(results.get('r1')), /503/);
  assert.match(JSON.stringify(results.get('r2')), /HTTP 400/);
  assert.equal(attempts.get('2'), 1, 'a permanent failure is not retried');
  assert.equal(await retryBatch(store, boss, batch.id), 2);
  assert.equal((await batchStatus(store, batch.id)).remaining, 2);
  await runWorker({ store, concurrency: 2, model: mockChatModel(), exitWhenIdleMs: 300 });
  const after = await batchStatus(store, batch.id);
  assert.deepEqual({ judged: after.judged, failed: after.failed }, { judged: 6, failed: 0 });
  await deleteBatch(store, boss, batch.id);
  await assert.rejects(batchStatus(store, batch.id), /There is no batch/);
  await boss.stop({ graceful: false });
  await store.close();
});

test('batch: a pinned batch judges with the memory of its creation, whatever aligns meanwhile; cancel stops the rest', { skip: pgSkip }, async () => {
  const store = await fresh();
  const ma = await openMemalign({ judge, store, model: mockChatModel() });
  await ma.align([{ record: { id: 'seed', inputs: 'What is 2+2?', outputs: '5' }, value: false, rationale: 'Arithmetic must be exact.' }]);
  const boss = await startJobEngine(store);
  const pinned = await createBatch(store, boss, { judge, model: 'mock:model', records: records(5, 'p'), pin: true });
  assert.equal(pinned.pinnedVersion, 1);
  await ma.align([{ record: { id: 'seed2', inputs: 'What is 3+3?', outputs: '7' }, value: false, rationale: 'Check sums twice.' }]);
  assert.equal(ma.version, 2);
  await runWorker({ store, concurrency: 2, model: mockChatModel(), exitWhenIdleMs: 300 });
  const versions = [];
  for await (const l of batchResults(store, pinned.id)) versions.push(l.result?.ok && l.result.provenance.memoryVersion);
  assert.deepEqual(versions, [1, 1, 1, 1, 1]);

  const later = await createBatch(store, boss, { judge, model: 'mock:model', records: records(20, 'c') });
  const cancelled = await cancelBatch(store, boss, later.id);
  assert.equal(cancelled.state, 'cancelled');
  const model = mockChatModel();
  await runWorker({ store, concurrency: 2, model, exitWhenIdleMs: 300 });
  assert.equal(model.calls.length, 0, 'nothing of a cancelled batch is judged');
  await deleteBatch(store, boss, pinned.id);
  await boss.stop({ graceful: false });
  await ma.close();
  await store.close();
});

test('batch: bad records are refused with every problem named, and nothing is queued', { skip: pgSkip }, async () => {
  const store = await fresh();
  const boss = await startJobEngine(store);
  await assert.rejects(createBatch(store, boss, { judge, model: 'm', records: [{ id: 'a', inputs: 'x', outputs: 'y' }, { inputs: 'x' }, { id: 'a', inputs: 'x', outputs: 'z' }] }),
    (e: unknown) => e instanceof ValidationError && e.issues.some((i) => i.path === 'records[1].id') && e.issues.some((i) => i.path === 'records[2].id' && /appears twice/.test(i.message)));
  await assert.rejects(createBatch(store, boss, { judge, model: 'm', records: [] }), /at least one record/);
  const model = mockChatModel();
  await runWorker({ store, concurrency: 2, model, exitWhenIdleMs: 200 });
  assert.equal(model.calls.length, 0);
  await boss.stop({ graceful: false });
  await store.close();
});

test('batch: a requests-per-minute limit holds across workers together, measured on the model\'s request times', { skip: pgSkip }, async () => {
  const store = await fresh();
  const boss = await startJobEngine(store);
  await createBatch(store, boss, { judge, model: 'mock:model', records: records(24) });
  const starts: number[] = [];
  const model = mockChatModel({ respond: (req) => { starts.push(performance.now()); return { rationale: 'ok', value: true }; } });
  // 600 a minute = one every 100 ms, shared by three workers that could each do 4 at once.
  const reports = await Promise.all([0, 1, 2].map((w) => runWorker({ store, name: `w${w}`, concurrency: 4, model, requestsPerMinute: 600, exitWhenIdleMs: 800 })));
  assert.equal(reports.reduce((a, r) => a + r.verdicts, 0), 24);
  starts.sort((a, b) => a - b);
  // Any 6 consecutive requests span at least 5 intervals (a little slack for timer jitter).
  for (let i = 0; i + 5 < starts.length; i++) assert.ok(starts[i + 5] - starts[i] >= 5 * 100 - 40, `requests ${i}..${i + 5} within ${(starts[i + 5] - starts[i]).toFixed(0)} ms`);
  const { sharedRateLimit } = await import('../../src/batch/rate-limit.ts');
  // A burst lets that many through at once after a quiet spell, then spaces the rest.
  const burst = sharedRateLimit(store, 'test:burst', { perMinute: 600, burst: 5 });
  const t0 = performance.now();
  for (let i = 0; i < 5; i++) await burst.acquire();
  assert.ok(performance.now() - t0 < 80, 'the burst passed at once');
  await burst.acquire();
  assert.ok(performance.now() - t0 >= 60, 'the sixth waited for its slot');
  assert.throws(() => sharedRateLimit(store, 'x', { perMinute: 0 }), { code: 'invalid_input' });
  await boss.stop({ graceful: false });
  await store.close();
});

test('batch: queueing tells the planner how many jobs wait; a worker holds half its concurrency ahead but never runs more model calls than its concurrency', { skip: pgSkip }, async () => {
  const store = await fresh();
  const boss = await startJobEngine(store);
  await createBatch(store, boss, { judge, model: 'mock:model', records: records(300) });
  // Without fresh statistics pg-boss's fetch reads and sorts every queued job to hand out a few.
  const queue = await boss.getQueue('memalign-judge');
  const table = `${store.schema}_jobs.${queue!.table}`;
  const planned = (await store.pool.query(`SELECT reltuples FROM pg_class WHERE oid = $1::regclass`, [table])).rows[0] as { reltuples: number };
  assert.ok(Number(planned.reltuples) >= 300, `the planner counts ${planned.reltuples} jobs`);
  // A model held shut: the worker fills its slots and its buffer, then waits.
  const inner = mockChatModel();
  let open!: () => void;
  const gate = new Promise<void>((r) => { open = r; });
  let now = 0;
  let most = 0;
  const model = { id: inner.id, async generate(r: Parameters<typeof inner.generate>[0]) { most = Math.max(most, ++now); await gate; try { return await inner.generate(r); } finally { now -= 1; } } };
  const worker = runWorker({ store, concurrency: 8, model, exitWhenIdleMs: 300 });
  const active = async () => (await store.pool.query(`SELECT count(*)::int AS n FROM ${table} WHERE state = 'active'`)).rows[0].n as number;
  for (let i = 0; i < 200 && (now < 8 || (await active()) < 12); i++) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(now, 8, 'eight model calls at once');
  assert.equal(await active(), 12, 'eight running and four fetched ahead, with their records');
  open();
  const report = await worker;
  assert.equal(report.verdicts, 300);
  assert.equal(most, 8, 'never more than eight at once');
  assert.equal(inner.calls.length, 300, 'each record judged once');
  await boss.stop({ graceful: false });
  await store.close();
});
