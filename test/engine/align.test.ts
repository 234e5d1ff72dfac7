import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, AlignError, type ChatRequest } from '../../src/index.ts';
import { mockChatModel, mockRespond, providerFailure } from '../../src/testing/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-align-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const dbPath = () => join(dir, `m${++n}.db`);

const judge = { name: 'sql', instructions: 'Does {{ outputs }} answer {{ inputs }} using the right tables?', output: 'boolean' };
const fb = (i: number, value = i % 2 === 0, rationale: string | undefined = `Rule number ${i} matters.`) =>
  ({ id: `f${i}`, record: { id: `r${i}`, inputs: `question ${i} about revenue`, outputs: `SELECT * FROM t${i}` }, value, rationale, createdAt: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}Z` });
const calls = (model: { calls: ChatRequest[] }, name: string) => model.calls.filter((c) => c.schemaName === name).length;

test('align stores episodes, distils guidelines with their sources, and bumps the version once', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const report = await ma.align([fb(1), fb(2), fb(3, true, '')]);
  assert.equal(report.changed, true);
  assert.equal(report.version, 1);
  assert.deepEqual(report.episodesAdded.sort(), ['r1', 'r2', 'r3']);
  assert.deepEqual(report.guidelinesAdded.map((g) => [g.text, g.sources]), [['Rule number 1 matters.', ['f1']], ['Rule number 2 matters.', ['f2']]]);
  assert.equal(report.usage.calls, 1);
  assert.equal(report.rounds, 1);
  const mem = await ma.inspect();
  assert.equal(mem.version, 1);
  assert.equal(mem.feedback.length, 3);
  assert.equal(mem.guidelines.length, 2);
  await ma.close();
});

test('re-aligning unchanged feedback makes no LLM call and no new version', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge, model, store: dbPath() });
  await ma.align([fb(1), fb(2)]);
  const before = model.calls.length;
  const again = await ma.align([fb(1), fb(2)]);
  assert.equal(again.changed, false);
  assert.equal(again.version, 1);
  assert.equal(again.feedbackUnchanged, 2);
  assert.equal(model.calls.length, before);
  await ma.close();
});

test('changed feedback replaces its episode and re-derives the guidelines it supported', async () => {
  const model = mockChatModel({
    respond: (req) => {
      if (req.schemaName === 'guidelines' && req.prompt.includes('question 1 ') && req.prompt.includes('question 2 ')) {
        return { guidelines: [{ text: 'Use certified views.', sources: ['e1', 'e2'] }] };
      }
      if (req.schemaName === 'revisions') return { revisions: [{ id: [...req.prompt.matchAll(/## GUIDELINE (\S+)/g)][0][1], keep: true, text: 'Use certified views for revenue.' }] };
      return mockRespond(req);
    },
  });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const first = await ma.align([fb(1), fb(2)]);
  const g = first.guidelinesAdded[0];
  assert.deepEqual(g.sources, ['f1', 'f2']);
  const changed = await ma.align([fb(1, false, 'Actually raw tables are fine here.')]);
  assert.deepEqual(changed.episodesUpdated, ['r1']);
  assert.deepEqual(changed.guidelinesRevised, [{ id: g.id, before: 'Use certified views.', after: 'Use certified views for revenue.' }]);
  const revisionCall = model.calls.find((c) => c.schemaName === 'revisions')!;
  assert.match(revisionCall.prompt, /question 2 /);
  assert.doesNotMatch(revisionCall.prompt, /question 1 /, 'the changed feedback no longer supports the old guideline');
  const mem = await ma.inspect();
  const revised = mem.guidelines.find((x) => x.id === g.id)!;
  assert.deepEqual(revised.sources, ['f2']);
  assert.ok(mem.guidelines.some((x) => x.text === 'Actually raw tables are fine here.'));
  assert.equal(mem.episodes.find((e) => e.id === 'r1')!.value, false);
  await ma.close();
});

test('feedback is packed into batches of at most 50 under the token budget: one call per batch', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const report = await ma.align(Array.from({ length: 120 }, (_, i) => fb(i + 1)));
  assert.equal(calls(model, 'guidelines'), 3);
  assert.equal(report.usage.calls, 3);
  assert.equal(report.rounds, 1, 'three batches run in one parallel round (parallelism 8)');
  for (const c of model.calls) assert.ok((c.prompt.match(/### EXAMPLE/g) ?? []).length <= 50);
  await ma.close();

  const small = mockChatModel();
  const tight = await openMemalign({ judge, model: small, store: dbPath(), distill: { maxBatchTokens: 1500, parallelism: 2 } });
  const r2 = await tight.align(Array.from({ length: 40 }, (_, i) => fb(i + 1)));
  assert.ok(calls(small, 'guidelines') > 1);
  assert.equal(r2.rounds, Math.ceil(calls(small, 'guidelines') / 2));
  await tight.close();
});

test('parallel batches that propose the same guideline keep one, with merged sources', async () => {
  const model = mockChatModel({ respond: (req) => (req.schemaName === 'guidelines' ? { guidelines: [{ text: 'Prefer certified views!', sources: ['e1'] }] } : mockRespond(req)) });
  const ma = await openMemalign({ judge, model, store: dbPath(), distill: { maxBatchItems: 2 } });
  const report = await ma.align([fb(1), fb(2), fb(3), fb(4)]);
  assert.equal(calls(model, 'guidelines'), 2);
  assert.equal(report.guidelinesAdded.length, 1);
  assert.deepEqual(report.guidelinesAdded[0].sources, ['f1', 'f3']);
  assert.equal(report.duplicatesDropped, 1);
  await ma.close();
});

test('a batch that keeps failing fails the whole align, names the feedback, and stores nothing', async () => {
  const model = mockChatModel({ respond: (req) => { if (req.prompt.includes('question 3 ')) throw providerFailure(); return mockRespond(req); } });
  const path = dbPath();
  const ma = await openMemalign({ judge, model, store: path, distill: { maxBatchItems: 2, retries: 2 }, retries: 0 });
  await ma.align([fb(10)]);
  await assert.rejects(ma.align([fb(1), fb(2), fb(3), fb(4)]), (e: unknown) => {
    assert.ok(e instanceof AlignError);
    assert.deepEqual(e.feedbackIds.sort(), ['f3', 'f4']);
    assert.match(e.message, /nothing was stored/);
    return true;
  });
  assert.equal(model.calls.filter((c) => c.prompt.includes('question 3 ')).length, 3, 'one call and two retries');
  const mem = await ma.inspect();
  assert.equal(mem.version, 1);
  assert.deepEqual(mem.feedback.map((f) => f.id), ['f10']);
  await ma.close();
});

test('an invalid distillation answer is retried, then succeeds', async () => {
  let bad = 1;
  const model = mockChatModel({ respond: (req) => (req.schemaName === 'guidelines' && bad-- > 0 ? 'I think the rule is…' : mockRespond(req)) });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const report = await ma.align([fb(1)]);
  assert.equal(report.guidelinesAdded.length, 1);
  assert.equal(report.usage.calls, 2);
  await ma.close();
});

test('forget removes episodes, drops guidelines left without sources and revises the rest', async () => {
  const model = mockChatModel({
    respond: (req) => {
      if (req.schemaName === 'guidelines') return { guidelines: [{ text: 'Shared rule.', sources: ['e1', 'e2'] }, { text: 'Only one.', sources: ['e1'] }] };
      return mockRespond(req);
    },
  });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  await ma.align([fb(1), fb(2)]);
  const report = await ma.forget(['f1']);
  assert.deepEqual(report.episodesRemoved, ['r1']);
  assert.deepEqual(report.guidelinesRemoved.map((g) => g.text), ['Only one.']);
  assert.equal(calls(model, 'revisions'), 1);
  const mem = await ma.inspect();
  assert.deepEqual(mem.guidelines.map((g) => [g.text, g.sources]), [['Shared rule.', ['f2']]]);
  assert.deepEqual(mem.feedback.map((f) => f.id), ['f2']);
  await assert.rejects(ma.forget(['nope']), /No feedback with id "nope"/);
  const log = await ma.log();
  assert.ok(log.some((l) => l.cause.startsWith('forget') && l.op === 'guideline.delete'));
  await ma.close();
});

test('semantic memory off (episodic-only ablation) makes no distillation call', async () => {
  const model = mockChatModel();
  const ma = await openMemalign({ judge: { ...judge, memory: { semantic: false } }, model, store: dbPath() });
  const r = await ma.align([fb(1), fb(2)]);
  assert.equal(r.usage.calls, 0);
  assert.equal(r.episodesAdded.length, 2);
  await ma.close();
});

test('memory exports to JSON and imports into a fresh store as one version', async () => {
  const ma = await openMemalign({ judge, model: mockChatModel(), store: dbPath() });
  await ma.align([fb(1), fb(2)]);
  await ma.addGuideline('Pinned business rule.', { pinned: true });
  const exported = await ma.export();
  assert.equal(exported.format, 'memalign-memory');
  const other = await openMemalign({ judge, model: mockChatModel(), store: dbPath() });
  await other.align([fb(7)]);
  const report = await other.import(JSON.parse(JSON.stringify(exported)));
  assert.equal(report.usage.calls, 0, 'import does not distil: guidelines come with the file');
  const a = await ma.inspect();
  const b = await other.inspect();
  assert.deepEqual(b.guidelines.map((g) => [g.id, g.text, g.sources, g.pinned]).sort(), a.guidelines.map((g) => [g.id, g.text, g.sources, g.pinned]).sort());
  assert.deepEqual(b.feedback.map((f) => f.id).sort(), ['f1', 'f2']);
  assert.deepEqual(b.episodes.map((e) => e.id).sort(), ['r1', 'r2']);
  await assert.rejects(other.import({ format: 'nope' }), /not a memalign memory export/);
  await ma.close();
  await other.close();
});

test('experts add, edit, pin and delete guidelines; every change is logged with its version', async () => {
  const ma = await openMemalign({ judge, model: mockChatModel(), store: dbPath() });
  await ma.align([fb(1)]);
  const added = await ma.addGuideline('Never trust raw tables.');
  assert.equal(added.origin, 'manual');
  const distilled = (await ma.inspect()).guidelines.find((g) => g.origin === 'distilled')!;
  const edited = await ma.editGuideline(distilled.id, 'Rule one, refined by an expert.');
  assert.equal(edited.edited, true, 'an expert edit is not re-distilled over');
  assert.equal(edited.id, distilled.id, 'a guideline keeps its id when its text changes');
  assert.deepEqual(edited.sources, ['f1']);
  assert.equal((await ma.pinGuideline(added.id)).pinned, true);
  await ma.deleteGuideline(added.id);
  await assert.rejects(ma.deleteGuideline('g_missing'), /No guideline "g_missing"/);
  await assert.rejects(ma.addGuideline('   '), /write the guideline text/);
  const log = await ma.log();
  assert.deepEqual(log.filter((l) => l.cause.startsWith('edit')).map((l) => [l.version, l.op]), [
    [2, 'guideline.add'], [3, 'guideline.update'], [4, 'guideline.update'], [5, 'guideline.delete'],
  ]);
  // forgetting the feedback behind an expert-edited guideline keeps it: the expert owns it now
  await ma.forget(['f1']);
  assert.ok((await ma.inspect()).guidelines.some((g) => g.text === 'Rule one, refined by an expert.'));
  await ma.close();
});

test('a rule re-derived from changed feedback keeps its stale guideline alive instead of duplicating it', async () => {
  const model = mockChatModel({
    respond: (req) => {
      if (req.schemaName === 'guidelines') return { guidelines: [{ text: 'Use certified views.', sources: req.prompt.includes('question 2 ') ? ['e1', 'e2'] : ['e1'] }] };
      if (req.schemaName === 'revisions') return { revisions: [{ id: [...req.prompt.matchAll(/## GUIDELINE (\S+)/g)][0][1], keep: true, text: 'Use certified views for revenue.' }] };
      return mockRespond(req);
    },
  });
  const ma = await openMemalign({ judge, model, store: dbPath() });
  const first = await ma.align([fb(1), fb(2)]);
  const id = first.guidelinesAdded[0].id;
  const second = await ma.align([fb(1, false, 'Changed, but the rule stands.')]);
  assert.deepEqual(second.guidelinesRevised, []);
  assert.deepEqual(second.guidelinesAdded, []);
  assert.deepEqual(second.guidelinesReinforced, [id]);
  const mem = await ma.inspect();
  assert.deepEqual(mem.guidelines.map((g) => [g.id, g.text, g.sources]), [[id, 'Use certified views.', ['f2', 'f1']]]);
  await ma.close();
});
