// Review queues, submissions and alignment through the API, in process, with the scripted model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mockChatModel, providerFailure } from '../../src/testing/index.ts';
import { judged, records, testServer, verdictLine } from '../fixtures/server.ts';


test('records are judged on arrival and placed by need; a bad record anywhere adds nothing and names its position and field', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    const bad = await ann('POST', `/api/queues/${q.id}/items`, { records: [...records(2), { id: 'x', inputs: 'q' }, 'not a record'] });
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.json.error.issues.map((i: { path: string }) => i.path), ['records[2].outputs', 'records[3]']);
    assert.equal((await ann('GET', `/api/queues/${q.id}`)).json.progress.total, 0);
    const added = await ann('POST', `/api/queues/${q.id}/items`, { records: records(6) });
    assert.equal(added.json.added, 6);
    assert.ok(added.json.job);
    await judged(t.reviews, q.id);
    const items = (await ann('GET', `/api/queues/${q.id}/items`)).json.items;
    assert.equal(items.length, 6);
    assert.ok(items.every((i: { state: string; verdict: unknown }) => i.state === 'open' && i.verdict));
    const again = await ann('POST', `/api/queues/${q.id}/items`, { records: records(3) });
    assert.deepEqual([again.json.added, again.json.unchanged, again.json.job], [0, 3, null], 're-adding is a no-op, no model call');
  } finally { await t.close(); }
});

test('a disagreement with existing feedback comes first, with the reason in words', async () => {
  const t = await testServer();
  try {
    await t.ma.align([{ record: { id: 'old', inputs: 'question old', outputs: 'answer old' }, value: false, rationale: 'Answers must name the table.', author: 'ann' }]);
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { verdicts: [verdictLine('a', true), verdictLine('old', true), verdictLine('b', true)] });
    const items = (await ann('GET', `/api/queues/${q.id}/items`)).json.items;
    assert.equal(items[0].id, 'old');
    assert.equal(items[0].reason, 'disagreement');
    assert.match(items[0].why, /judge says true, but expert feedback on this record says false/);
  } finally { await t.close(); }
});

test('submitting: the value is checked against the judge\'s kind, a retry with the same idempotency key is stored once, a resubmission supersedes with history', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { verdicts: [verdictLine('a', true)] });
    const rita = await t.as('rita');
    const wrong = await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: 'maybe', rationale: 'x'.repeat(20_001) });
    assert.equal(wrong.status, 400);
    assert.deepEqual(wrong.json.error.issues.map((i: { path: string }) => i.path), ['value', 'rationale']);
    assert.equal((await rita('POST', `/api/queues/${q.id}/items/a/reviews`, {})).json.error.issues[0].path, 'value');
    const key = { 'idempotency-key': 'k-1' };
    const first = await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: 'no', rationale: 'Counts events, not users.' }, key);
    assert.equal(first.json.review.value, false, '"no" is read as false for a boolean judge');
    const retry = await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: 'no', rationale: 'Counts events, not users.' }, key);
    assert.equal(retry.json.replayed, true);
    assert.equal((await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: true }, key)).status, 422);
    await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: true, rationale: 'On reflection it is fine.' });
    assert.deepEqual((await t.reviews.reviewHistory(q.id, 'a', 'rita')).map((r) => r.value), [false]);
    assert.equal((await t.reviews.item(q.id, 'a')).reviews, 1);
  } finally { await t.close(); }
});

test('two reviewers on one item: both reviews kept, blind to each other; concurrent submissions of one reviewer keep one review and the other in history', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'pair', reviewers: 2, overlap: 1, calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { verdicts: [verdictLine('a', true)] });
    const rita = await t.as('rita');
    const rob = await t.as('rob');
    assert.equal((await rita('POST', `/api/queues/${q.id}/next`)).json.item.id, 'a');
    assert.equal((await rob('POST', `/api/queues/${q.id}/next`)).json.item.id, 'a');
    await Promise.all([rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: false, rationale: 'r1' }), rob('POST', `/api/queues/${q.id}/items/a/reviews`, { value: true, rationale: 'b1' })]);
    const seenByRita = (await rita('GET', `/api/queues/${q.id}/items/a`)).json;
    assert.equal(seenByRita.mine.reviewer, 'rita');
    assert.deepEqual(seenByRita.others, [], 'reviewers are blind to each other');
    assert.deepEqual((await ann('GET', `/api/queues/${q.id}/items/a`)).json.others.map((r: { reviewer: string }) => r.reviewer).sort(), ['rita', 'rob']);
    await Promise.all([1, 2, 3].map((n) => rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: false, rationale: `again ${n}` })));
    const current = await t.reviews.reviews(q.id, 'a');
    assert.equal(current.length, 2);
    assert.equal((await t.reviews.reviewHistory(q.id, 'a', 'rita')).length, 3, 'every earlier submission is kept');
    const agreement = (await ann('GET', `/api/queues/${q.id}`)).json.agreement;
    assert.equal(agreement.items, 1);
    assert.equal(agreement.metric, 'fleiss-kappa');
  } finally { await t.close(); }
});

test('align: reviews become feedback authored by their reviewers, calibration items are held out, verdicts are re-judged and flips reported; the log names who', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { records: records(8) });
    await judged(t.reviews, q.id);
    const rita = await t.as('rita');
    for (let i = 0; i < 3; i++) {
      const item = (await rita('POST', `/api/queues/${q.id}/next`)).json.item;
      await rita('POST', `/api/queues/${q.id}/items/${item.id}/reviews`, { value: false, rationale: 'Counting events is not counting users: count distinct users.' });
    }
    const { job } = (await ann('POST', '/api/judges/sql/align')).json;
    assert.equal((await ann('POST', '/api/judges/sql/align')).status, 409, 'one align per judge at a time');
    await t.service.jobs.idle();
    const done = (await ann('GET', `/api/jobs/${job}`)).json;
    const result = done.events.at(-1);
    assert.equal(result.type, 'done', JSON.stringify(result));
    assert.equal(result.data.aligned, 3);
    assert.ok(result.data.guidelinesAdded.length >= 1);
    assert.ok(result.data.rejudged >= 8);
    const feedback = (await t.ma.inspect()).feedback;
    assert.deepEqual(feedback.map((f) => f.author), ['rita', 'rita', 'rita']);
    assert.ok(feedback.every((f) => f.judgeVerdict?.value === true), 'the verdict the reviewer saw is kept with the feedback');
    const diff = (await ann('GET', `/api/judges/sql/versions/${result.data.version}`)).json;
    assert.ok(diff.guidelinesAdded.length >= 1);
    assert.equal(diff.episodesAdded.length, 3);
    assert.equal(diff.flips.length, result.data.flips.length);
    assert.match(diff.entries[0].cause, /\(by ann\)$/);
    assert.equal((await t.reviews.unaligned('sql')).length, 0);
    const again = (await ann('POST', '/api/judges/sql/align')).json;
    await t.service.jobs.idle();
    assert.equal((await ann('GET', `/api/jobs/${again.job}`)).json.events.at(-1).data.changed, false, 'nothing new: no new version');
  } finally { await t.close(); }
});

test('an align whose model fails leaves memory and the reviews exactly as they were', async () => {
  const t = await testServer({ model: mockChatModel({ respond: (req) => { if (/guideline/i.test(req.system)) throw providerFailure(); return { rationale: 'ok', value: true }; } }) });
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { verdicts: [verdictLine('a', true), verdictLine('b', true)] });
    await ann('POST', `/api/queues/${q.id}/items/a/reviews`, { value: false, rationale: 'Wrong table.' });
    const { job } = (await ann('POST', '/api/judges/sql/align')).json;
    await t.service.jobs.idle();
    const last = (await ann('GET', `/api/jobs/${job}`)).json.events.at(-1);
    assert.equal(last.type, 'failed');
    assert.equal(t.ma.version, 0);
    assert.equal((await t.reviews.unaligned('sql')).length, 1, 'the review is still waiting to be aligned');
  } finally { await t.close(); }
});

test('memory curation through the API: write, edit, pin, delete, restore a guideline, forget feedback; each names who in the log and the audit', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    await t.ma.align([{ record: { id: 'x', inputs: 'q', outputs: 'a' }, value: false, rationale: 'Always filter deleted rows.', author: 'rita' }]);
    const g = (await ann('POST', '/api/judges/sql/guidelines', { text: 'Revenue comes from certified views.' })).json;
    assert.equal(g.origin, 'manual');
    assert.equal((await ann('PATCH', `/api/judges/sql/guidelines/${g.id}`, { text: 'Revenue comes only from certified views.' })).json.edited, true);
    assert.equal((await ann('PATCH', `/api/judges/sql/guidelines/${g.id}`, { pinned: 'yes' })).status, 400);
    assert.equal((await ann('PATCH', `/api/judges/sql/guidelines/${g.id}`, { pinned: true })).json.pinned, true);
    await ann('DELETE', `/api/judges/sql/guidelines/${g.id}`);
    assert.deepEqual((await ann('GET', '/api/judges/sql/guidelines?q=certified')).json.deleted.map((d: { id: string }) => d.id), [g.id]);
    await ann('POST', `/api/judges/sql/guidelines/${g.id}/restore`);
    assert.equal((await ann('PATCH', '/api/judges/sql/guidelines/g_nope', { pinned: true })).status, 404);
    const fb = (await ann('GET', '/api/judges/sql/feedback')).json.items[0];
    assert.equal((await ann('POST', '/api/judges/sql/forget', { ids: [fb.id] })).json.changed, true);
    const log = (await ann('GET', '/api/judges/sql/log?limit=100')).json.entries;
    assert.ok(log.some((e: { cause: string }) => /pin guideline .* \(by ann\)/.test(e.cause)));
    assert.ok(log.some((e: { cause: string }) => /forget: 1 feedback \(by ann\)/.test(e.cause)));
    const audit = (await ann('GET', '/api/audit?limit=20')).json.items.map((e: { action: string }) => e.action);
    for (const a of ['guideline.add', 'guideline.edit', 'guideline.pin', 'guideline.delete', 'guideline.restore', 'feedback.forget']) assert.ok(audit.includes(a), a);
    const exported = await ann('GET', '/api/judges/sql/export');
    assert.equal(exported.json.format, 'memalign-memory');
    assert.match(exported.headers.get('content-disposition') ?? '', /attachment/);
  } finally { await t.close(); }
});

test('failed judgements stay in the queue with their error; retry judges them again, and items a restart left unjudged', async () => {
  let down = true;
  const t = await testServer({ model: mockChatModel({ respond: () => { if (down) throw providerFailure('Simulated outage (HTTP 400)', false); return { rationale: 'fine', value: true }; } }) });
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'flaky', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { records: records(3) });
    await judged(t.reviews, q.id);
    const failed = (await ann('GET', `/api/queues/${q.id}/items?state=failed`)).json.items;
    assert.equal(failed.length, 3);
    assert.ok(failed[0].error);
    // As if a server restart ended the job that was judging these.
    await t.reviews.addItems(q.id, records(2, 10).map((record) => ({ record })), 'ann');
    assert.equal((await ann('GET', `/api/queues/${q.id}`)).json.progress.judging, 2);
    down = false;
    const retry = (await ann('POST', `/api/queues/${q.id}/retry`)).json;
    assert.equal(retry.items, 5);
    await t.service.jobs.idle();
    const progress = (await ann('GET', `/api/queues/${q.id}`)).json.progress;
    assert.deepEqual([progress.open, progress.failed, progress.judging], [5, 0, 0]);
  } finally { await t.close(); }
});

test('an uploaded file is read with the CLI\'s rules: CSV with a column mapping, a verdicts file, and every bad line named by file and line', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'uploads', calibration: 0 })).json;
    const csv = 'qid,question,answer\nc1,"How many users, in total?",SELECT 1\nc2,"Revenue ""by region""","SELECT region,\nSUM(x)"\n';
    const ok = await ann('POST', `/api/queues/${q.id}/items`, { file: { name: 'answers.csv', text: csv }, map: 'id=qid,inputs=question,outputs=answer' });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.added, 2);
    await judged(t.reviews, q.id);
    const c2 = (await ann('GET', `/api/queues/${q.id}/items/c2`)).json.item;
    assert.equal(c2.record.inputs, 'Revenue "by region"');
    assert.equal(c2.record.outputs, 'SELECT region,\nSUM(x)');
    const badCsv = await ann('POST', `/api/queues/${q.id}/items`, { file: { name: 'bad.csv', text: 'qid,question\nx1,"unterminated\n' }, map: 'id=qid,inputs=question,outputs=answer' });
    assert.equal(badCsv.status, 400);
    assert.equal(badCsv.json.error.issues[0].file, 'bad.csv');
    assert.ok(badCsv.json.error.issues[0].line >= 2);
    const notJson = await ann('POST', `/api/queues/${q.id}/items`, { file: { name: 'records.jsonl', text: '{"id":"j1","inputs":"q","outputs":"a"}\nnot json\n' } });
    assert.deepEqual(notJson.json.error.issues.map((i: { file: string; line: number }) => [i.file, i.line]), [['records.jsonl', 2]]);
    const missing = await ann('POST', `/api/queues/${q.id}/items`, { file: { name: 'records.jsonl', text: '{"id":"j1","inputs":"q","outputs":"a"}\n{"id":"j2","inputs":"q"}\n' } });
    assert.deepEqual(missing.json.error.issues.map((i: { file: string; line: number; path: string }) => [i.file, i.line, i.path]), [['records.jsonl', 2, 'outputs']]);
    assert.equal((await ann('GET', `/api/queues/${q.id}`)).json.progress.total, 2, 'nothing of a bad upload was added');
    const verdicts = JSON.stringify(verdictLine('v1', false));
    const fromVerdicts = await ann('POST', `/api/queues/${q.id}/items`, { file: { name: 'records.verdicts.jsonl', text: verdicts } });
    assert.deepEqual([fromVerdicts.json.added, fromVerdicts.json.job], [1, null], 'a verdicts file keeps its verdicts: nothing to judge');
    assert.equal((await ann('GET', `/api/queues/${q.id}/items/v1`)).json.item.verdict.value, false);
  } finally { await t.close(); }
});
