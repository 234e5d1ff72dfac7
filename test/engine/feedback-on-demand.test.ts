// Judging reads no feedback (at 100 000 items it was a third of opening a large memory); anything
// that needs it (align, forget, inspect, export) reads it when first needed, for the very version
// loaded, so the expert's word is never missing where it counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, openSqliteStore, type MemoryStore } from '../../src/index.ts';
import { hasFeedback } from '../../src/core/memory/operations.ts';
import { mockChatModel } from '../../src/testing/index.ts';

const judge = { name: 'qa', instructions: 'Is {{ outputs }} right for {{ inputs }}?', output: 'boolean' as const };
const item = (i: number, value: boolean, rationale: string) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: `question ${i}`, outputs: `answer ${i}` }, value, rationale });

/** The store, counting feedback reads (whole loads with feedback, and feedback()). */
function counting(store: MemoryStore) {
  const reads = { feedback: 0 };
  const wrapped = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === 'load') return (j: string, o?: { vectors?: boolean; feedback?: boolean }) => { if (o?.feedback !== false) reads.feedback++; return target.load(j, o); };
      if (key === 'feedback') return (j: string) => { reads.feedback++; return target.feedback(j); };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, reads };
}

test('a judging process reads no feedback; its first align reads it and supersedes as always', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memalign-fb-'));
  const path = join(dir, 'memory.db');
  try {
    const writer = await openMemalign({ judge, store: path, model: mockChatModel() });
    await writer.align([item(1, true, 'Right entity.'), item(2, false, 'Wrong year.'), item(3, true, 'Exact.')]);
    await writer.close();

    const { store, reads } = counting(openSqliteStore(path));
    const ma = await openMemalign({ judge, store, model: mockChatModel() });
    const results = await ma.judgeMany([{ id: 'q1', inputs: 'question 1', outputs: 'answer 1' }, { id: 'q2', inputs: 'question 9', outputs: 'x' }]);
    assert.ok(results.every((r) => r.ok));
    assert.equal(reads.feedback, 0);
    assert.equal(hasFeedback(ma.memory.state!), false);

    // Another process changes memory meanwhile: the judge follows without reading feedback.
    const other = await openMemalign({ judge, store: path, model: mockChatModel() });
    await other.align([item(4, false, 'Off topic.')]);
    await other.close();
    await ma.judge({ id: 'q3', inputs: 'question 4', outputs: 'answer 4' });
    assert.equal(reads.feedback, 0);
    assert.equal(ma.memory.version, 2);

    // The expert changes their mind on r2: the align reads feedback once and supersedes f2.
    const report = await ma.align([item(2, true, 'On reflection the year is right.')]);
    assert.equal(reads.feedback, 1);
    assert.deepEqual(report.feedbackSuperseded, ['f2']);
    assert.equal(report.feedbackStored, 1);
    const seen = await ma.inspect();
    assert.deepEqual(seen.feedback.map((f) => f.id).sort(), ['f1', 'f2', 'f3', 'f4']);
    const f2 = seen.feedback.find((f) => f.id === 'f2')!;
    assert.equal(f2.value, true);
    // What users get back are plain objects (spread, keys and JSON all see every field).
    assert.equal(Object.getPrototypeOf(f2), Object.prototype);
    assert.deepEqual(Object.keys({ ...seen.feedback.find((f) => f.id === 'f1')! }).sort(), ['createdAt', 'id', 'rationale', 'record', 'value']);
    assert.deepEqual((await ma.feedbackHistory('f2')).map((f) => f.value), [false]);
    assert.equal(reads.feedback, 1);
    await ma.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a corrupt feedback row: judging still works; align and inspect fail naming the row, and change nothing', async () => {
  const { DatabaseSync } = await import('node:sqlite');
  const dir = mkdtempSync(join(tmpdir(), 'memalign-fb-'));
  const path = join(dir, 'memory.db');
  try {
    const writer = await openMemalign({ judge, store: path, model: mockChatModel() });
    await writer.align([item(1, true, 'Right entity.'), item(2, false, 'Wrong year.')]);
    await writer.close();
    const db = new DatabaseSync(path);
    db.prepare("UPDATE feedback SET data = '{broken' WHERE id = 'f2'").run();
    db.close();

    const ma = await openMemalign({ judge, store: path, model: mockChatModel() });
    assert.equal((await ma.judge({ id: 'q1', inputs: 'question 1', outputs: 'answer 1' })).ok, true);
    const corrupt = /memory\.db is corrupt: row "f2" of table feedback cannot be read .*Restore it from a backup/;
    await assert.rejects(ma.align([item(3, true, 'Exact.')]), corrupt);
    await assert.rejects(ma.inspect(), corrupt);
    assert.equal(ma.memory.version, 1);
    assert.equal((await ma.overview()).feedback, 2);
    await ma.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
