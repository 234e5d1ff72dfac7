import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFeedback } from '../../src/core/feedback/parse-feedback.ts';
import { resolveFeedback } from '../../src/core/feedback/resolve.ts';
import { ValidationError } from '../../src/core/errors.ts';
import type { Feedback } from '../../src/core/types.ts';

const record = { id: 'r1', inputs: 'q', outputs: 'a' };
const fb = (id: string, value: boolean | undefined, at: string, rationale?: string): Feedback => ({ id, record, value, rationale, createdAt: at });

test('majority value wins', () => {
  const r = resolveFeedback([fb('a', true, '2026-01-01T00:00:00Z'), fb('b', true, '2026-01-02T00:00:00Z'), fb('c', false, '2026-01-03T00:00:00Z')]);
  assert.equal(r.value, true);
  assert.deepEqual(r.feedbackIds, ['a', 'b'], 'the outvoted feedback does not count');
});

test('a tie goes to the most recent value', () => {
  assert.equal(resolveFeedback([fb('a', false, '2026-01-02T00:00:00Z'), fb('b', true, '2026-01-01T00:00:00Z')]).value, false);
  assert.equal(resolveFeedback([fb('a', false, '2026-01-01T00:00:00Z'), fb('b', true, '2026-01-02T00:00:00Z')]).value, true);
});

test('rationales that disagree with the resolved value are left out; rationale-only feedback counts', () => {
  const r = resolveFeedback([
    fb('a', true, '2026-01-01T00:00:00Z', 'cites the certified view'),
    fb('b', false, '2026-01-02T00:00:00Z', 'wrong table'),
    fb('c', true, '2026-01-03T00:00:00Z'),
    fb('d', undefined, '2026-01-04T00:00:00Z', 'also concise'),
  ]);
  assert.equal(r.value, true);
  assert.equal(r.rationale, 'also concise\ncites the certified view');
});

test('labels-only and rationale-only feedback are both valid; neither is not', () => {
  const items = parseFeedback([{ record, value: 'no', author: 'ann' }, { record, rationale: 'too long', author: 'bob' }], { type: 'boolean' }, { now: () => new Date('2026-01-01T00:00:00Z') });
  assert.equal(items[0].value, false);
  assert.equal(items[1].value, undefined);
  assert.equal(items[1].createdAt, '2026-01-01T00:00:00.000Z');
  assert.throws(() => parseFeedback([{ record }], { type: 'boolean' }), /feedback needs a value, a rationale, or both/);
});

test('ids are derived from content when missing, so the same feedback keeps the same id', () => {
  const a = parseFeedback([{ record, value: true, rationale: 'x' }], { type: 'boolean' });
  const b = parseFeedback([{ record, value: true, rationale: 'x' }], { type: 'boolean' });
  assert.equal(a[0].id, b[0].id);
  assert.match(a[0].id, /^fb_[0-9a-f]{16}$/);
});

test('all problems are collected with file and line when given', () => {
  try {
    parseFeedback([{ record: { id: 'x' }, value: 'maybe' }, { record, value: 7 }], { type: 'boolean' }, { sources: [{ file: 'f.jsonl', line: 3 }, { file: 'f.jsonl', line: 4 }] });
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    const text = error.issues.map((i) => `${i.line}:${i.path}`).sort();
    assert.deepEqual(text, ['3:record.inputs', '3:record.outputs', '3:value', '4:value']);
    assert.match(error.message, /f\.jsonl:3: value: expected true or false/);
  }
});

test('duplicate ids in one batch are rejected', () => {
  assert.throws(() => parseFeedback([{ id: 'same', record, value: true }, { id: 'same', record, value: false }], { type: 'boolean' }), /duplicate feedback id "same"/);
});
