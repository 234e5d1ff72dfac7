import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import type { Episode, Feedback, Guideline } from '../../src/core/types.ts';
import { StoreError } from '../../src/core/errors.ts';
import { plainEpisode } from '../../src/core/memory/operations.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-store-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const now = () => new Date('2026-03-01T10:00:00Z');

const feedback: Feedback = { id: 'f1', record: { id: 'r1', inputs: 'q', outputs: 'a' }, value: true, rationale: 'ok', createdAt: '2026-01-01T00:00:00Z' };
const episode: Episode = { id: 'r1', record: feedback.record, value: true, rationale: 'ok', feedbackIds: ['f1'], text: 'q', hash: 'h', createdVersion: 1 };
const guideline: Guideline = { id: 'g1', text: 'Be exact.', sources: ['f1'], origin: 'distilled', pinned: false, createdVersion: 1, updatedVersion: 1 };

test('a new file is created, and memory round-trips with vectors, per judge', async () => {
  const path = join(dir, 'nested', 'a.db');
  const store = openSqliteStore(path, { now });
  const vector = new Float32Array([0.6, 0.8, 0]);
  const v = await store.commit('j', 0, [
    { op: 'feedback.put', feedback }, { op: 'episode.put', episode, vector, embedderId: 'e:3' }, { op: 'guideline.add', guideline },
  ], 'align: test');
  assert.equal(v, 1);
  await store.close();
  const again = openSqliteStore(path, { now });
  const { state, vectors } = await again.load('j');
  assert.equal(state.version, 1);
  assert.deepEqual(state.feedback.get('f1'), feedback);
  assert.deepEqual(plainEpisode(state.episodes.get('r1')!), episode);
  assert.deepEqual(JSON.parse(JSON.stringify(state.episodes.get('r1'))), episode);
  assert.deepEqual(state.guidelines.get('g1'), guideline);
  assert.deepEqual([...vectors.get('r1')!.vector], [...vector]);
  assert.equal(vectors.get('r1')!.embedderId, 'e:3');
  assert.equal((await again.load('other')).state.version, 0);
  assert.deepEqual(await again.judges(), ['j']);
  const log = await again.log('j');
  assert.deepEqual(log.map((l) => [l.version, l.op, l.target, l.cause, l.at]), [
    [1, 'feedback.put', 'f1', 'align: test', '2026-03-01T10:00:00.000Z'],
    [1, 'episode.put', 'r1', 'align: test', '2026-03-01T10:00:00.000Z'],
    [1, 'guideline.add', 'g1', 'align: test', '2026-03-01T10:00:00.000Z'],
  ]);
  await again.close();
});

test('a stale expected version is refused and changes nothing', async () => {
  const store = openSqliteStore(join(dir, 'b.db'), { now });
  await store.commit('j', 0, [{ op: 'guideline.add', guideline }], 'one');
  await assert.rejects(store.commit('j', 0, [{ op: 'guideline.delete', id: 'g1' }], 'two'), (e: unknown) => e instanceof StoreError && e.code === 'store_conflict' && /changed meanwhile/.test(e.message));
  const { state } = await store.load('j');
  assert.equal(state.version, 1);
  assert.ok(state.guidelines.has('g1'));
  await store.close();
});

test('a failing operation rolls the whole commit back', async () => {
  const store = openSqliteStore(join(dir, 'c.db'), { now });
  await assert.rejects(store.commit('j', 0, [{ op: 'guideline.add', guideline }, { op: 'guideline.update', id: 'missing', changes: { pinned: true } }], 'bad'), StoreError);
  const { state } = await store.load('j');
  assert.equal(state.version, 0);
  assert.equal(state.guidelines.size, 0);
  assert.deepEqual(await store.log('j'), []);
  await store.close();
});

test('a file from a newer memalign is refused with a clear message', async () => {
  const path = join(dir, 'd.db');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA user_version = 99');
  db.close();
  assert.throws(() => openSqliteStore(path), /written by a newer memalign \(schema 99/);
});

test('a file that is not SQLite is refused with the path in the message', async () => {
  const path = join(dir, 'e.db');
  (await import('node:fs')).writeFileSync(path, 'this is not a database, just text that is long enough to fill a header page '.repeat(20));
  assert.throws(() => openSqliteStore(path), (e: unknown) => e instanceof StoreError && e.message.includes(path));
});

test('putVectors replaces vectors without a new version', async () => {
  const store = openSqliteStore(join(dir, 'f.db'), { now });
  await store.commit('j', 0, [{ op: 'episode.put', episode, vector: new Float32Array([1, 0]), embedderId: 'old:2' }], 'align');
  await store.putVectors('j', [{ id: 'r1', vector: new Float32Array([0, 1]), embedderId: 'new:2' }]);
  const { state, vectors } = await store.load('j');
  assert.equal(state.version, 1);
  assert.equal(vectors.get('r1')!.embedderId, 'new:2');
  assert.equal(await store.currentVersion('j'), 1);
  await store.close();
});
