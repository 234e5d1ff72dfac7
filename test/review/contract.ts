// The review store contract: the SQLite and PostgreSQL review stores must pass exactly these tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReviewStore } from '../../src/review/review-store.ts';
import type { ItemVerdict } from '../../src/review/types.ts';
import type { JudgedRecord } from '../../src/core/types.ts';

/** A fresh review store; `second` opens another connection to the same one (another server's view). */
export interface ReviewStoreUnderTest { reviews: ReviewStore; second(): Promise<ReviewStore>; close(): Promise<void> }

const record = (id: string, outputs = `answer ${id}`): JudgedRecord => ({ id, inputs: `question ${id}`, outputs });
const verdict = (value: boolean): ItemVerdict => ({ value, rationale: 'because', provenance: { memoryVersion: 0, guidelineIds: [], episodes: [], dropped: { guidelineIds: [], episodeIds: [] }, truncatedFields: [], truncatedExamples: [], warnings: [] } });

export function reviewStoreContract(name: string, open: () => Promise<ReviewStoreUnderTest>): void {
  test(`${name}: queues hold items in order; re-adding the same record is a no-op, other content under its id is refused whole`, async () => {
    const t = await open();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'triage', createdBy: 'ann', calibration: 0 });
      await assert.rejects(t.reviews.createQueue({ judge: 'sql', name: 'triage', createdBy: 'bob' }), { code: 'conflict' });
      const first = await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }, { record: record('b') }], 'ann');
      assert.deepEqual(first, { added: ['a', 'b'], unchanged: 0 });
      const again = await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }, { record: record('c') }], 'ann');
      assert.deepEqual(again, { added: ['c'], unchanged: 1 });
      await assert.rejects(t.reviews.addItems(q.id, [{ record: record('d') }, { record: record('a', 'changed') }], 'ann'), (e: Error & { code: string }) => e.code === 'invalid_input' && /\[1\]\.record/.test(e.message));
      const page = await t.reviews.items(q.id, { limit: 2 });
      assert.deepEqual(page.items.map((i) => i.id), ['a', 'b']);
      assert.equal((await t.reviews.items(q.id, { limit: 2, cursor: page.next })).items.map((i) => i.id).join(), 'c');
      assert.equal((await t.reviews.item(q.id, 'b')).state, 'judging');
      assert.equal((await t.reviews.progress(q.id)).total, 3, 'd was not added: the failed add changed nothing');
    } finally { await t.close(); }
  });

  test(`${name}: next() reserves the most needed item; another reviewer gets another; submit is counted once per reviewer and supersedes with history`, async () => {
    const t = await open();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'n', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, ['a', 'b', 'c'].map((id) => ({ record: record(id), verdict: verdict(true) })), 'ann');
      await t.reviews.place(q.id, [{ id: 'c', verdict: verdict(false), memoryVersion: 1, priority: 3, reason: 'disagreement', why: 'w' }]);
      const ann = await t.reviews.next(q.id, 'ann', 60_000);
      assert.equal(ann?.id, 'c', 'the disagreement comes first');
      assert.equal((await t.reviews.next(q.id, 'ann', 60_000))?.id, 'c', 'a live reservation is given back to its holder');
      const bob = await t.reviews.next(q.id, 'bob', 60_000);
      assert.equal(bob?.id, 'a', 'c is reserved by ann');
      const { review } = await t.reviews.submit({ queue: q.id, item: 'c', reviewer: 'ann', value: true, rationale: 'fine' });
      assert.equal(review.revision, 1);
      const second = await t.reviews.submit({ queue: q.id, item: 'c', reviewer: 'ann', value: false, rationale: 'on reflection, no' });
      assert.equal(second.review.revision, 2);
      const item = await t.reviews.item(q.id, 'c');
      assert.equal(item.reviews, 1);
      assert.equal(item.state, 'done');
      assert.deepEqual((await t.reviews.reviews(q.id, 'c')).map((r) => [r.reviewer, r.value]), [['ann', false]]);
      assert.deepEqual((await t.reviews.reviewHistory(q.id, 'c', 'ann')).map((r) => r.value), [true]);
      assert.notEqual((await t.reviews.next(q.id, 'ann', 60_000))?.id, 'c', 'a reviewed item is not offered again');
    } finally { await t.close(); }
  });

  test(`${name}: idempotency keys replay the first answer; a reused key with another body is refused`, async () => {
    const t = await open();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'i', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }], 'ann');
      const one = await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: false, rationale: 'x', idempotencyKey: 'k1' });
      const two = await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: false, rationale: 'x', idempotencyKey: 'k1' });
      assert.equal(two.replayed, true);
      assert.deepEqual(two.review, one.review);
      assert.equal((await t.reviews.reviewHistory(q.id, 'a', 'ann')).length, 0, 'the replay stored nothing');
      await assert.rejects(t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: true, idempotencyKey: 'k1' }), { code: 'idempotency_conflict' });
    } finally { await t.close(); }
  });

  test(`${name}: items needing two reviewers are offered to two at once, blind; assignment limits who may review`, async () => {
    const t = await open();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'o', createdBy: 'ann', reviewers: 2, overlap: 1, calibration: 0 });
      await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }, { record: record('b'), verdict: verdict(true) }], 'ann');
      assert.equal((await t.reviews.item(q.id, 'a')).needed, 2);
      assert.equal((await t.reviews.next(q.id, 'ann', 60_000))?.id, 'a');
      assert.equal((await t.reviews.next(q.id, 'bob', 60_000))?.id, 'a', 'a needs two reviews: bob may take it too');
      assert.equal((await t.reviews.next(q.id, 'cy', 60_000))?.id, 'b', 'two live reservations fill a');
      await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: true });
      assert.equal((await t.reviews.item(q.id, 'a')).state, 'open');
      await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'bob', value: false });
      assert.equal((await t.reviews.item(q.id, 'a')).state, 'done');
      await t.reviews.assign(q.id, ['b'], 'dee', 'ann');
      await assert.rejects(t.reviews.submit({ queue: q.id, item: 'b', reviewer: 'cy', value: true }), { code: 'forbidden' });
      await t.reviews.submit({ queue: q.id, item: 'b', reviewer: 'ann', value: true, override: true });
      assert.equal((await t.reviews.next(q.id, 'eve', 60_000))?.id, undefined, 'b is assigned to dee only');
    } finally { await t.close(); }
  });

  test(`${name}: an expired reservation frees the item; skip hides it from the skipper only`, async () => {
    let clock = Date.parse('2026-03-01T10:00:00Z');
    const t = await open();
    try {
      (t.reviews as unknown as { now: () => Date }).now = () => new Date(clock);
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'e', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }], 'ann');
      assert.equal((await t.reviews.next(q.id, 'ann', 1000))?.id, 'a');
      assert.equal(await t.reviews.next(q.id, 'bob', 1000), undefined);
      clock += 1001;
      assert.equal((await t.reviews.next(q.id, 'bob', 1000))?.id, 'a', 'ann\'s reservation expired');
      await t.reviews.release(q.id, 'a', 'bob', { skip: true });
      assert.equal(await t.reviews.next(q.id, 'bob', 1000), undefined);
      assert.equal((await t.reviews.next(q.id, 'ann', 1000))?.id, 'a');
    } finally { await t.close(); }
  });

  test(`${name}: 20 reviewers racing on one queue from two connections: every item reviewed once, no review lost`, async () => {
    const t = await open();
    const other = await t.second();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'race', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, Array.from({ length: 60 }, (_, i) => ({ record: record(`r${i}`), verdict: verdict(true) })), 'ann');
      const seen: string[] = [];
      await Promise.all(Array.from({ length: 20 }, async (_, w) => {
        const store = w % 2 ? other : t.reviews;
        for (let guard = 0; guard < 100; guard++) {
          const item = await store.next(q.id, `rev${w}`, 60_000);
          if (!item) return;
          seen.push(item.id);
          await store.submit({ queue: q.id, item: item.id, reviewer: `rev${w}`, value: false, idempotencyKey: `${w}-${item.id}` });
        }
      }));
      assert.equal(seen.length, 60);
      assert.equal(new Set(seen).size, 60, 'no item was handed to two reviewers');
      const progress = await t.reviews.progress(q.id);
      assert.equal(progress.done, 60);
      assert.equal(progress.reviews, 60);
    } finally { await other.close(); await t.close(); }
  });

  test(`${name}: accounts, sessions and tokens; a disabled user or changed password ends sessions; text with U+0000 survives`, async () => {
    const t = await open();
    try {
      await t.reviews.addUser('ann', 'admin', 'hash1');
      await assert.rejects(t.reviews.addUser('ann', 'viewer', null), { code: 'conflict' });
      await assert.rejects(t.reviews.addUser('<script>', 'viewer', null), { code: 'invalid_input' });
      await t.reviews.createSession('s1', 'ann', 'csrf1', Date.now() + 60_000);
      assert.equal((await t.reviews.session('s1'))?.account.name, 'ann');
      await t.reviews.addToken('t1', 'ann', 'ci');
      assert.equal((await t.reviews.tokenUser('t1'))?.role, 'admin');
      await t.reviews.updateUser('ann', { passwordHash: 'hash2' });
      assert.equal(await t.reviews.session('s1'), undefined);
      await t.reviews.updateUser('ann', { disabled: true });
      assert.equal(await t.reviews.tokenUser('t1'), undefined);
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'z', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }], 'ann');
      await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: true, rationale: 'nul \u0000 here <b>', expected: 'x\u0000y' });
      const [r] = await t.reviews.reviews(q.id, 'a');
      assert.equal(r.rationale, 'nul \u0000 here <b>');
      assert.equal(r.expected, 'x\u0000y');
      const audit = await t.reviews.auditLog({ limit: 2 });
      assert.deepEqual(audit.items.map((a) => a.action), ['review.submit', 'items.add']);
      assert.ok(audit.next);
    } finally { await t.close(); }
  });

  test(`${name}: unaligned reviews come back until marked; a resubmission after the align stays pending`, async () => {
    const t = await open();
    try {
      const q = await t.reviews.createQueue({ judge: 'sql', name: 'al', createdBy: 'ann', calibration: 0 });
      await t.reviews.addItems(q.id, [{ record: record('a'), verdict: verdict(true) }], 'ann');
      await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: false });
      const pending = await t.reviews.unaligned('sql');
      assert.equal(pending.length, 1);
      assert.equal(pending[0].record.id, 'a');
      await t.reviews.submit({ queue: q.id, item: 'a', reviewer: 'ann', value: true });
      await t.reviews.markAligned(pending.map((p) => p.review), 1, 'ann');
      assert.equal((await t.reviews.unaligned('sql')).length, 1, 'revision 2 was not aligned');
      assert.equal((await t.reviews.unaligned('other')).length, 0);
      // The counts the judge page shows agree with the reviews, calibration ones held out.
      const c = await t.reviews.createQueue({ judge: 'sql', name: 'cal', createdBy: 'ann', calibration: 0.5 });
      const ids = ['k1', 'k2', 'k3', 'k4', 'k5', 'k6', 'k7', 'k8'];
      await t.reviews.addItems(c.id, ids.map((id) => ({ record: record(id), verdict: verdict(true) })), 'ann');
      for (const id of ids) await t.reviews.submit({ queue: c.id, item: id, reviewer: 'ann', value: false });
      const all = await t.reviews.unaligned('sql');
      assert.deepEqual(await t.reviews.unalignedCounts('sql'), { pending: all.filter((u) => !u.calibration).length, heldOut: all.filter((u) => u.calibration).length });
      assert.ok(all.some((u) => u.calibration), 'a calibration queue holds reviews out');
      assert.deepEqual(await t.reviews.unalignedCounts('other'), { pending: 0, heldOut: 0 });
    } finally { await t.close(); }
  });
}
