import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAlign, planForget, isEmptyPlan } from '../../src/core/align/plan.ts';
import { applyToState, emptyMemory, type MemoryState } from '../../src/core/memory/operations.ts';
import type { Feedback, Guideline } from '../../src/core/types.ts';

const textOf = (r: { inputs: unknown }) => String(r.inputs);
const fb = (id: string, recordId: string, value: boolean, rationale?: string, at = '2026-01-01T00:00:00Z'): Feedback =>
  ({ id, record: { id: recordId, inputs: `q ${recordId}`, outputs: 'a' }, value, rationale, createdAt: at });

function stateAfter(feedback: Feedback[], guidelines: Guideline[] = []): MemoryState {
  const plan = planAlign(emptyMemory(), feedback, textOf);
  return applyToState(emptyMemory(), [
    ...plan.feedbackPuts.map((f) => ({ op: 'feedback.put' as const, feedback: f })),
    ...plan.episodePuts.map((e) => ({ op: 'episode.put' as const, episode: e, vector: null, embedderId: null })),
    ...guidelines.map((g) => ({ op: 'guideline.add' as const, guideline: g })),
  ], 1);
}
const g = (id: string, sources: string[], origin: 'distilled' | 'manual' = 'distilled'): Guideline => ({ id, text: id, sources, origin, pinned: false, createdVersion: 1, updatedVersion: 1 });

test('new feedback becomes episodes and is distilled', () => {
  const plan = planAlign(emptyMemory(), [fb('f1', 'r1', true, 'why'), fb('f2', 'r2', false)], textOf);
  assert.equal(plan.feedbackPuts.length, 2);
  assert.deepEqual(plan.episodePuts.map((e) => e.id), ['r1', 'r2']);
  assert.deepEqual(plan.toDistil.map((e) => e.key), ['r1', 'r2']);
  assert.equal(plan.episodePuts[0].text, 'q r1');
});

test('re-aligning unchanged feedback plans nothing', () => {
  const items = [fb('f1', 'r1', true, 'why'), fb('f2', 'r2', false)];
  const plan = planAlign(stateAfter(items), items, textOf);
  assert.ok(isEmptyPlan(plan));
  assert.deepEqual(plan.unchanged, ['f1', 'f2']);
});

test('changed feedback replaces its episode and makes the guidelines it supported stale', () => {
  const state = stateAfter([fb('f1', 'r1', true, 'why'), fb('f2', 'r2', true, 'other')], [g('g1', ['f1', 'f2']), g('g2', ['f1']), g('g3', ['f2']), g('m1', ['f1'], 'manual')]);
  const plan = planAlign(state, [fb('f1', 'r1', false, 'changed my mind')], textOf);
  assert.deepEqual(plan.changed, ['f1']);
  assert.deepEqual(plan.episodePuts.map((e) => [e.id, e.value]), [['r1', false]]);
  assert.deepEqual(plan.toDistil.map((e) => e.key), ['r1']);
  assert.deepEqual(plan.stale.map((s) => [s.guideline.id, s.remaining]), [['g1', ['f2']]]);
  assert.deepEqual(plan.guidelineDeletes, ['g2']);
});

test('forgetting removes episodes with no feedback left and re-resolves the others', () => {
  const state = stateAfter([fb('f1', 'r1', true), fb('f2', 'r2', true), fb('f3', 'r2', false, 'no', '2026-01-02T00:00:00Z')], [g('g1', ['f1']), g('g2', ['f1', 'f3'])]);
  assert.equal(state.episodes.get('r2')!.value, false);
  const plan = planForget(state, ['f1', 'f3'], textOf);
  assert.deepEqual(plan.episodeDeletes, ['r1']);
  assert.deepEqual(plan.episodePuts.map((e) => [e.id, e.value, e.feedbackIds]), [['r2', true, ['f2']]]);
  assert.deepEqual(plan.guidelineDeletes.sort(), ['g1', 'g2']);
  assert.deepEqual(plan.toDistil.map((e) => e.key), ['r2'], 'the record now resolves to the once-outvoted value: distil it');
});

test('a second feedback on a record changes its resolution', () => {
  const state = stateAfter([fb('f1', 'r1', true)]);
  const plan = planAlign(state, [fb('f2', 'r1', false, 'wrong', '2026-01-05T00:00:00Z')], textOf);
  assert.equal(plan.episodePuts[0].value, false);
  assert.deepEqual(plan.episodePuts[0].feedbackIds, ['f2'], 'the tie goes to the most recent; the outvoted f1 no longer counts');
  assert.deepEqual(plan.lost, ['f1']);
});
