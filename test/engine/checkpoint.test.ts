import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, fileCheckpoint, AlignError } from '../../src/index.ts';
import { mockChatModel, mockRespond, providerFailure } from '../../src/testing/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-ckpt-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const judge = { name: 'ck', instructions: 'Is {{ outputs }} right for {{ inputs }}?', output: 'boolean' };
const feedback = Array.from({ length: 12 }, (_, i) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: `q${i}`, outputs: `a${i}` }, value: i % 2 === 0, rationale: `Rule number ${i} holds.` }));

test('a failed align keeps the answers it paid for outside memory: the rerun pays only for the failed batch', async () => {
  let failing = true;
  const model = mockChatModel({
    respond: (req) => {
      if (failing && req.prompt.includes('Rule number 5 holds.')) throw providerFailure('boom', false);
      return mockRespond(req);
    },
  });
  const store = join(dir, 'ck.db');
  const checkpoint = fileCheckpoint(join(dir, 'ck.checkpoint.jsonl'));
  const ma = await openMemalign({ judge, model, store, retries: 0, distill: { maxBatchItems: 4 } });
  const error = await ma.align(feedback, { checkpoint }).catch((e: unknown) => e);
  assert.ok(error instanceof AlignError, String(error));
  const failedPrompt = model.calls.find((c) => c.prompt.includes('Rule number 5 holds.'))!.prompt;
  const inFailedBatch = feedback.filter((f) => failedPrompt.includes(f.rationale)).map((f) => f.id).sort();
  assert.equal(inFailedBatch.length, 4);
  assert.deepEqual(error.feedbackIds.sort(), inFailedBatch, 'the ids of the batch that was not distilled');
  assert.deepEqual(error.tasks, { tasks: 3, failedTasks: 1 });
  assert.match(error.message, /kept in the checkpoint: a rerun pays only for the 1 that failed/);
  assert.equal(ma.version, 0, 'memory did not change');
  assert.equal(checkpoint.size, 2);
  assert.equal(model.calls.length, 3);

  failing = false;
  const again = fileCheckpoint(join(dir, 'ck.checkpoint.jsonl'));
  const report = await ma.align(feedback, { checkpoint: again });
  assert.equal(model.calls.length, 4, 'one new call: the batch that had failed');
  assert.equal(report.usage.calls, 1);
  assert.equal(report.reusedAnswers, 2);
  assert.equal(report.guidelinesAdded.length, 12, 'every batch contributed, reused or not');
  again.clear();
  assert.ok(!existsSync(join(dir, 'ck.checkpoint.jsonl')));
  await ma.close();
});

test('a checkpoint answer for other memory is never used: the request differs, so it is asked anew', async () => {
  const model = mockChatModel();
  const checkpoint = fileCheckpoint(join(dir, 'other.checkpoint.jsonl'));
  const ma = await openMemalign({ judge, model, store: join(dir, 'other.db') });
  await ma.align(feedback.slice(0, 2), { checkpoint });
  const report = await ma.align(feedback.slice(2, 4), { checkpoint });
  assert.equal(report.reusedAnswers, 0);
  assert.equal(report.usage.calls, 1);
  await ma.close();
});

test('a store another process keeps locked fails before any model call', async () => {
  const { DatabaseSync } = await import('node:sqlite');
  const { openSqliteStore } = await import('../../src/index.ts');
  const model = mockChatModel();
  const path = join(dir, 'locked.db');
  const ma = await openMemalign({ judge, model, store: openSqliteStore(path, { busyTimeoutMs: 50 }) });
  const other = new DatabaseSync(path);
  other.exec('BEGIN IMMEDIATE');
  try {
    await assert.rejects(ma.align(feedback.slice(0, 2)), (e: Error & { code?: string }) => e.code === 'store_error' && /cannot be written/.test(e.message));
    assert.equal(model.calls.length, 0, 'no distillation call was paid for');
  } finally {
    other.exec('ROLLBACK');
    other.close();
  }
  assert.equal((await ma.align(feedback.slice(0, 2))).version, 1, 'it works once the lock is gone');
  await ma.close();
});

test('a read-only store fails before any model call', { skip: process.getuid?.() === 0 ? 'root can write read-only files' : false }, async () => {
  const { chmodSync } = await import('node:fs');
  const model = mockChatModel();
  const store = join(dir, 'ro', 'ro.db');
  const ma0 = await openMemalign({ judge, model, store });
  await ma0.align(feedback.slice(0, 1));
  await ma0.close();
  chmodSync(join(dir, 'ro'), 0o555);
  chmodSync(store, 0o444);
  try {
    const ma = await openMemalign({ judge, model, store });
    const before = model.calls.length;
    await assert.rejects(ma.align(feedback.slice(1, 3)), /cannot be written/);
    assert.equal(model.calls.length, before, 'no distillation call was paid for');
    await ma.close();
  } finally {
    chmodSync(join(dir, 'ro'), 0o755);
    chmodSync(store, 0o644);
  }
});
