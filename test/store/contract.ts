// The store contract: every MemoryStore (SQLite file, PostgreSQL) must pass exactly these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MemoryStore } from '../../src/store/memory-store.ts';
import type { Episode, Feedback, Guideline } from '../../src/core/types.ts';
import { StoreError } from '../../src/core/errors.ts';
import { applyToState, emptyMemory, FeedbackNotLoaded, hasFeedback, plainEpisode, plainFeedback, type MemoryOperation, type MemoryState } from '../../src/core/memory/operations.ts';

/** A fresh, empty store; `second` opens another connection to the same one (another process's view). */
export interface StoreUnderTest { store: MemoryStore; second(): Promise<MemoryStore> }

export const now = () => new Date('2026-03-01T10:00:00Z');
const feedback: Feedback = { id: 'f1', record: { id: 'r1', inputs: 'q', outputs: 'a' }, value: true, rationale: 'ok', createdAt: '2026-01-01T00:00:00Z' };
const episode: Episode = { id: 'r1', record: feedback.record, value: true, rationale: 'ok', feedbackIds: ['f1'], text: 'q', hash: 'h', createdVersion: 1 };
const guideline: Guideline = { id: 'g1', text: 'Be exact.', sources: ['f1'], origin: 'distilled', pinned: false, createdVersion: 1, updatedVersion: 1 };

function plain(state: MemoryState) {
  return {
    version: state.version,
    feedback: [...state.feedback.values()].map(plainFeedback).sort((a, b) => a.id.localeCompare(b.id)),
    episodes: [...state.episodes.values()].map(plainEpisode).sort((a, b) => a.id.localeCompare(b.id)),
    guidelines: [...state.guidelines.values()].sort((a, b) => a.id.localeCompare(b.id)),
    tombstones: [...state.tombstones.values()].sort((a, b) => a.id.localeCompare(b.id)),
  };
}

export function storeContract(name: string, open: () => Promise<StoreUnderTest>): void {
  test(`${name}: memory round-trips with vectors, per judge, seen from another connection`, async () => {
    const { store, second } = await open();
    const vector = new Float32Array([0.6, 0.8, 0]);
    const v = await store.commit('j', 0, [
      { op: 'feedback.put', feedback }, { op: 'episode.put', episode, vector, embedderId: 'e:3' }, { op: 'guideline.add', guideline },
    ], 'align: test');
    assert.equal(v, 1);
    const other = await second();
    const { state, vectors } = await other.load('j');
    assert.equal(state.version, 1);
    assert.deepEqual(plainFeedback(state.feedback.get('f1')!), feedback);
    assert.deepEqual(JSON.parse(JSON.stringify(state.feedback.get('f1'))), feedback);
    assert.deepEqual(plainEpisode(state.episodes.get('r1')!), episode);
    assert.deepEqual(JSON.parse(JSON.stringify(state.episodes.get('r1'))), episode);
    assert.deepEqual(state.guidelines.get('g1'), guideline);
    assert.deepEqual([...vectors.get('r1')!.vector], [...vector]);
    assert.equal(vectors.get('r1')!.embedderId, 'e:3');
    assert.equal(vectors.get('r1')!.label, 'true');
    assert.equal((await other.load('other')).state.version, 0);
    assert.deepEqual(await other.judges(), ['j']);
    assert.deepEqual((await other.log('j')).map((l) => [l.version, l.op, l.target, l.cause, l.at]), [
      [1, 'feedback.put', 'f1', 'align: test', '2026-03-01T10:00:00.000Z'],
      [1, 'episode.put', 'r1', 'align: test', '2026-03-01T10:00:00.000Z'],
      [1, 'guideline.add', 'g1', 'align: test', '2026-03-01T10:00:00.000Z'],
    ]);
    const light = await other.load('j', { vectors: false });
    assert.equal(light.vectors.size, 0);
    assert.equal(light.state.episodes.size, 1);
    const vs = await other.vectors('j');
    assert.equal(vs.version, 1);
    assert.deepEqual([...vs.vectors.get('r1')!.vector], [...vector]);
    assert.deepEqual(await other.vectors('none'), { version: 0, vectors: new Map() });
    // Read without feedback (judging): any use of it fails loudly; feedback() reads it with its version.
    const judging = await other.load('j', { vectors: false, feedback: false });
    assert.ok(judging.state.feedback instanceof FeedbackNotLoaded && !hasFeedback(judging.state));
    assert.throws(() => judging.state.feedback.get('f1'), /read without its feedback/);
    assert.throws(() => [...judging.state.feedback.values()], /read without its feedback/);
    assert.equal(judging.state.episodes.size, 1);
    const fb = await other.feedback('j');
    assert.equal(fb.version, 1);
    assert.deepEqual([...fb.feedback.values()].map(plainFeedback), [feedback]);
    assert.deepEqual(await other.feedback('none'), { version: 0, feedback: new Map() });
    await other.close();
    await store.close();
  });

  test(`${name}: a stale expected version is refused and changes nothing`, async () => {
    const { store } = await open();
    await store.commit('j', 0, [{ op: 'guideline.add', guideline }], 'one');
    await assert.rejects(store.commit('j', 0, [{ op: 'guideline.delete', id: 'g1' }], 'two'), (e: unknown) => e instanceof StoreError && e.code === 'store_conflict' && e.isRetryable && /changed meanwhile/.test(e.message));
    await assert.rejects(store.commit('fresh', 3, [{ op: 'guideline.add', guideline }], 'x'), (e: unknown) => e instanceof StoreError && e.code === 'store_conflict');
    const { state } = await store.load('j');
    assert.equal(state.version, 1);
    assert.ok(state.guidelines.has('g1'));
    assert.equal(await store.currentVersion('fresh'), 0);
    await store.close();
  });

  test(`${name}: a failing operation rolls the whole commit back`, async () => {
    const { store } = await open();
    await assert.rejects(store.commit('j', 0, [{ op: 'guideline.add', guideline }, { op: 'guideline.update', id: 'missing', changes: { pinned: true } }], 'bad'), StoreError);
    const { state } = await store.load('j');
    assert.equal(state.version, 0);
    assert.equal(state.guidelines.size, 0);
    assert.deepEqual(await store.log('j'), []);
    assert.deepEqual(await store.judges(), []);
    await store.close();
  });

  test(`${name}: two writers from two connections: one commits, the other gets a conflict, nothing is torn`, async () => {
    const { store, second } = await open();
    await store.commit('j', 0, [{ op: 'guideline.add', guideline }], 'base');
    const other = await second();
    const results = await Promise.allSettled([
      store.commit('j', 1, [{ op: 'guideline.add', guideline: { ...guideline, id: 'ga', text: 'A' } }, { op: 'feedback.put', feedback: { ...feedback, id: 'fa' } }], 'a'),
      other.commit('j', 1, [{ op: 'guideline.add', guideline: { ...guideline, id: 'gb', text: 'B' } }, { op: 'feedback.put', feedback: { ...feedback, id: 'fb' } }], 'b'),
    ]);
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
    const failed = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    assert.equal((failed.reason as StoreError).code, 'store_conflict');
    const { state } = await other.load('j');
    assert.equal(state.version, 2);
    const won = results[0].status === 'fulfilled' ? 'a' : 'b';
    assert.deepEqual([...state.guidelines.keys()].sort(), ['g1', `g${won}`]);
    assert.deepEqual([...state.feedback.keys()], [`f${won}`]);
    // Two first commits of a new judge at once: the same.
    const first = await Promise.allSettled([store.commit('new', 0, [{ op: 'guideline.add', guideline }], 'a'), other.commit('new', 0, [{ op: 'guideline.add', guideline }], 'b')]);
    assert.equal(first.filter((r) => r.status === 'fulfilled').length, 1);
    assert.equal(((first.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason as StoreError).code, 'store_conflict');
    assert.equal(await other.currentVersion('new'), 1);
    await other.close();
    await store.close();
  });

  test(`${name}: superseded feedback keeps its history; tombstones, restore and purge`, async () => {
    const { store } = await open();
    await store.commit('j', 0, [{ op: 'feedback.put', feedback }, { op: 'guideline.add', guideline }], 'one');
    const changed = { ...feedback, value: false, rationale: 'no' };
    await store.commit('j', 1, [{ op: 'feedback.put', feedback: changed }], 'two');
    await store.commit('j', 2, [{ op: 'feedback.put', feedback: changed }], 'same again');
    assert.deepEqual(await store.feedbackHistory('j', 'f1'), [{ version: 2, feedback }]);
    await store.commit('j', 3, [{ op: 'guideline.delete', id: 'g1', tombstone: true }], 'expert delete');
    let { state } = await store.load('j');
    assert.equal(state.guidelines.size, 0);
    assert.equal(state.tombstones.get('g1')!.updatedVersion, 4);
    await store.commit('j', 4, [{ op: 'guideline.restore', id: 'g1' }], 'restore');
    ({ state } = await store.load('j'));
    assert.equal(state.guidelines.get('g1')!.updatedVersion, 5);
    assert.equal(state.tombstones.size, 0);
    await assert.rejects(store.commit('j', 5, [{ op: 'guideline.restore', id: 'g1' }], 'again'), /nothing to restore/);
    await store.commit('j', 5, [{ op: 'guideline.update', id: 'g1', changes: { pinned: true, text: 'Be exact, always.' } }], 'pin');
    ({ state } = await store.load('j'));
    assert.deepEqual(state.guidelines.get('g1'), { ...guideline, pinned: true, text: 'Be exact, always.', updatedVersion: 6 });
    await store.commit('j', 6, [{ op: 'guideline.purge', id: 'g1' }, { op: 'feedback.delete', id: 'f1' }], 'purge');
    ({ state } = await store.load('j'));
    assert.equal(state.guidelines.size + state.tombstones.size + state.feedback.size, 0);
    const log = await store.log('j', { sinceVersion: 5 });
    assert.deepEqual(log.map((l) => [l.version, l.op]), [[6, 'guideline.update'], [7, 'guideline.purge'], [7, 'feedback.delete']]);
    assert.deepEqual((await store.log('j', { limit: 1 })).map((l) => l.op), ['feedback.delete']);
    // One version's entries, whatever came after it.
    assert.deepEqual((await store.log('j', { sinceVersion: 5, untilVersion: 6, limit: Number.MAX_SAFE_INTEGER })).map((l) => [l.version, l.op]), [[6, 'guideline.update']]);
    assert.deepEqual((await store.log('j', { sinceVersion: 5, untilVersion: 1e20 })).map((l) => l.version), [6, 7, 7]);
    await store.close();
  });

  test(`${name}: overview counts without loading; putVectors replaces vectors without a new version`, async () => {
    const { store } = await open();
    await store.commit('j', 0, [
      { op: 'feedback.put', feedback }, { op: 'episode.put', episode, vector: new Float32Array([1, 0]), embedderId: 'old:2' },
      { op: 'episode.put', episode: { ...episode, id: 'r2', value: undefined }, vector: null, embedderId: null },
      { op: 'guideline.add', guideline }, { op: 'tombstone.add', guideline: { ...guideline, id: 'g0' } },
    ], 'align');
    const o = await store.overview('j');
    assert.deepEqual({ ...o, guidelines: o.guidelines.map((g) => g.id), tombstones: o.tombstones.map((g) => g.id) }, { version: 1, guidelines: ['g1'], tombstones: ['g0'], episodes: 2, feedback: 1 });
    await store.putVectors('j', [{ id: 'r1', vector: new Float32Array([0, 1]), embedderId: 'new:2' }, { id: 'r2', vector: new Float32Array([1, 1]), embedderId: 'new:2' }]);
    const { state, vectors } = await store.load('j');
    assert.equal(state.version, 1);
    assert.equal(vectors.get('r1')!.embedderId, 'new:2');
    assert.deepEqual([...vectors.get('r2')!.vector], [1, 1]);
    assert.equal(vectors.get('r2')!.label, undefined);
    assert.equal(await store.currentVersion('j'), 1);
    assert.deepEqual(await store.overview('none'), { version: 0, guidelines: [], tombstones: [], episodes: 0, feedback: 0 });
    await store.close();
  });

  test(`${name}: a saved recall index round-trips, never moves memory on, and never replaces a newer one`, async () => {
    const { store, second } = await open();
    assert.equal(await store.recallIndex('j'), undefined);
    const parts = (n: number) => [new Uint8Array([n, 1, 2, 3]), new Uint8Array(9000).fill(n)];
    // No index for a version the memory has not reached.
    assert.equal(await store.putRecallIndex('j', { version: 1, embedderId: 'e:2', parts: parts(1) }), false);
    await store.commit('j', 0, [{ op: 'feedback.put', feedback }], 'one');
    await store.commit('j', 1, [{ op: 'guideline.add', guideline }], 'two');
    const log = await store.log('j');
    assert.equal(await store.putRecallIndex('j', { version: 2, embedderId: 'e:2', parts: parts(2) }), true);
    const other = await second();
    const read = await other.recallIndex('j');
    assert.deepEqual({ ...read, parts: read!.parts.map((p) => [...p]) }, { version: 2, embedderId: 'e:2', parts: parts(2).map((p) => [...p]) });
    assert.equal(await store.putRecallIndex('j', { version: 1, embedderId: 'other:2', parts: parts(1) }), false);
    assert.equal((await other.recallIndex('j'))!.version, 2);
    // Derived data only: the version, the log and the memory are untouched.
    assert.equal(await store.currentVersion('j'), 2);
    assert.deepEqual(await store.log('j'), log);
    assert.equal(await other.recallIndex('k'), undefined);
    await other.close();
    await store.close();
  });

  test(`${name}: changes since a version bring a loaded memory to the current one`, async () => {
    const { store, second } = await open();
    await store.commit('j', 0, [
      { op: 'feedback.put', feedback }, { op: 'episode.put', episode, vector: new Float32Array([1, 0]), embedderId: 'e:2' },
      { op: 'guideline.add', guideline }, { op: 'guideline.add', guideline: { ...guideline, id: 'g2' } },
    ], 'one');
    const other = await second();
    const base = (await other.load('j')).state;
    const f2 = { ...feedback, id: 'f2', record: { id: 'r2', inputs: 'q2', outputs: 'b' } };
    await store.commit('j', 1, [
      { op: 'feedback.put', feedback: f2 }, { op: 'episode.put', episode: { ...episode, id: 'r2', text: 'q2', feedbackIds: ['f2'] }, vector: new Float32Array([0, 1]), embedderId: 'e:2' },
      { op: 'guideline.delete', id: 'g1', tombstone: true },
    ], 'two');
    await store.commit('j', 2, [{ op: 'episode.delete', id: 'r1' }, { op: 'feedback.delete', id: 'f1' }, { op: 'guideline.update', id: 'g2', changes: { text: 'New.' } }], 'three');
    const { version, ops } = await other.changes('j', base.version);
    assert.equal(version, 3);
    const put = ops.find((o) => o.op === 'episode.put' && o.episode.id === 'r2');
    assert.ok(put && put.op === 'episode.put' && put.vector && [...put.vector].join() === '0,1' && put.embedderId === 'e:2');
    const caughtUp = applyToState(base, ops, version);
    assert.deepEqual(plain(caughtUp), plain((await other.load('j')).state));
    assert.deepEqual((await other.changes('j', 3)).ops, []);
    assert.deepEqual(plain(applyToState(emptyMemory(), (await other.changes('j', 0)).ops, 3)), plain((await other.load('j')).state));
    await other.close();
    await store.close();
  });

  test(`${name}: many feedback and episodes in one commit, including the same id twice (last wins)`, async () => {
    const { store } = await open();
    const ops: MemoryOperation[] = Array.from({ length: 500 }, (_, i) => [
      { op: 'feedback.put' as const, feedback: { ...feedback, id: `f${i}`, record: { id: `r${i}`, inputs: `q${i}`, outputs: 'a' } } },
      { op: 'episode.put' as const, episode: { ...episode, id: `r${i}`, text: `q${i}` }, vector: new Float32Array([i, 1]), embedderId: 'e:2' },
    ]).flat();
    ops.push({ op: 'feedback.put', feedback: { ...feedback, id: 'f0', rationale: 'second word' } });
    await store.commit('j', 0, ops, 'bulk');
    const { state, vectors } = await store.load('j');
    assert.equal(state.feedback.size, 500);
    assert.equal(state.episodes.size, 500);
    assert.equal(state.feedback.get('f0')!.rationale, 'second word');
    assert.deepEqual([...vectors.get('r499')!.vector], [499, 1]);
    assert.equal((await store.log('j', { limit: 5000 })).length, 1001);
    // Paging back through a log longer than one read: every entry once, newest page first.
    const seen: number[] = [];
    let before: number | undefined;
    for (let page = 0; page < 10; page++) {
      const entries = await store.log('j', { limit: 300, beforeSeq: before });
      if (entries.length === 0) break;
      assert.ok(entries.length <= 300);
      seen.push(...entries.map((e) => e.seq).reverse());
      before = entries[0].seq;
    }
    assert.equal(seen.length, 1001);
    assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
    assert.equal(new Set(seen).size, 1001);
    assert.deepEqual(await store.log('j', { beforeSeq: 1e20 }), await store.log('j'), 'a bound past any seq reads to the newest');
    assert.deepEqual(await store.log('j', { beforeSeq: 0 }), []);
    await store.checkWritable();
    await store.close();
  });

  test(`${name}: names, ids and texts are data, never SQL, and any character survives (even U+0000)`, async () => {
    const { store } = await open();
    const judge = `x'); DROP TABLE judges; --\u0000`;
    const g = { ...guideline, id: `g'"; DELETE FROM guidelines; --`, text: 'Ünïcödé ✓ \u0000 nul, "quoted"' };
    const rec = { id: 'r\u0000\u0001', inputs: 'a\u0000b', outputs: '\u0001starts odd' };
    const f = { ...feedback, id: '\u0001f', record: rec };
    const e = { ...episode, id: rec.id, record: rec, text: '\u0001x\u0000y', feedbackIds: [f.id] };
    await store.commit(judge, 0, [{ op: 'guideline.add', guideline: g }, { op: 'feedback.put', feedback: f }, { op: 'episode.put', episode: e, vector: new Float32Array([1]), embedderId: 'e:1' }], `cause with 'quotes' \u0000`);
    assert.deepEqual(await store.judges(), [judge]);
    const { state, vectors } = await store.load(judge);
    assert.deepEqual(state.guidelines.get(g.id), g);
    assert.deepEqual(plainFeedback(state.feedback.get(f.id)!), f);
    assert.deepEqual(plainEpisode(state.episodes.get(e.id)!), e);
    assert.ok(vectors.has(e.id));
    assert.deepEqual((await store.log(judge)).map((l) => [l.target, l.cause]), [[g.id, `cause with 'quotes' \u0000`], [f.id, `cause with 'quotes' \u0000`], [e.id, `cause with 'quotes' \u0000`]]);
    const { ops } = await store.changes(judge, 0);
    assert.deepEqual(ops.filter((o) => o.op === 'episode.put').map((o) => o.op === 'episode.put' && o.episode.text), [e.text]);
    assert.equal(await store.currentVersion(judge), 1);
    await store.close();
  });
}
