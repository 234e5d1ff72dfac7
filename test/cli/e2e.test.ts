import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackServer, type LoopbackServer } from '../../src/testing/index.ts';

// The built `memalign` binary, run as a user would, in a temp folder, against the loopback
// OpenAI-compatible server over HTTP.

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'memalign.js');
const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
let dir: string;
let server: LoopbackServer;

function cli(args: string[], input = ''): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', MEMALIGN_MODEL: '', OLLAMA_HOST: 'http://127.0.0.1:9' };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.stdin.end(input);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
}
const lines = (file: string) => readFileSync(join(dir, file), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));

before(async () => {
  server = await startLoopbackServer();
  dir = mkdtempSync(join(tmpdir(), 'memalign-e2e-'));
  copyFileSync(join(EXAMPLES, 'feedback.jsonl'), join(dir, 'feedback.jsonl'));
  copyFileSync(join(EXAMPLES, 'records.jsonl'), join(dir, 'records.jsonl'));
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('init → judge → feedback import → align → judge again → eval → forget → export/import', async () => {
  let r = await cli(['--model', `${server.url}#e2e`, 'init', 'sql', '--kind', 'categorical']);
  assert.equal(r.code, 0, r.err);
  assert.ok(existsSync(join(dir, 'judges', 'sql.yaml')));
  assert.match(readFileSync(join(dir, 'judges', 'sql.yaml'), 'utf8'), /model: http:\/\/127\.0\.0\.1:\d+\/v1#e2e/);
  assert.match(readFileSync(join(dir, 'memalign.config.yaml'), 'utf8'), /sql: judges\/sql\.yaml/);

  r = await cli(['judge', 'sql', 'records.jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Judged 3 records/);
  const first = lines('records.verdicts.jsonl');
  assert.deepEqual(first.map((l) => l.record.id), ['n1', 'n2', 'n3']);
  assert.ok(first.every((l) => l.result.ok && l.result.provenance.memoryVersion === 0));

  r = await cli(['feedback', 'import', 'sql', 'feedback.jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.equal(lines('.memalign/pending/sql.jsonl').length, 4);

  server.reset();
  r = await cli(['align', 'sql']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /→ memory version 1/);
  assert.match(r.out, /\+ g_\w+ {2}Revenue must come from the certified view/);
  assert.equal(server.stats().chat, 1, 'one batch, one distillation call');
  assert.ok(!existsSync(join(dir, '.memalign/pending/sql.jsonl')), 'pending feedback is cleared after the commit');

  r = await cli(['align', 'sql', 'feedback.jsonl']);
  assert.match(r.out, /nothing changed .*no LLM call/);

  // Judge again after an align: every verdict was made with memory version 0, so all are judged anew.
  server.reset();
  r = await cli(['judge', 'sql', 'records.jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Reusing 0 of 3 verdicts .*judging 3 anew: 3 made with memory version 0 \(now 1\)/);
  assert.equal(server.stats().chat, 3, 'the loop judges again');
  assert.ok(lines('records.verdicts.jsonl').every((l) => l.result.provenance.memoryVersion === 1));
  server.reset();
  r = await cli(['judge', 'sql', 'records.jsonl']);
  assert.match(r.err, /Reusing 3 of 3 verdicts/);
  assert.match(r.out, /Judged 0 records \(3 verdicts reused\)/);
  assert.equal(server.stats().chat, 0, 'nothing changed: nothing to pay for');
  r = await cli(['judge', 'sql', 'records.jsonl', '--fresh']);
  assert.match(r.err, /Judging all 3 records anew \(--fresh\)/);
  assert.equal(server.stats().chat, 3);

  r = await cli(['judge', 'sql', 'records.jsonl', '-o', 'after.jsonl']);
  assert.equal(r.code, 0, r.err);
  const after = lines('after.jsonl');
  assert.ok(after.every((l) => l.result.provenance.memoryVersion === 1 && l.result.provenance.episodes.length === 4));
  assert.equal(after[0].result.value, 'bad', 'n1 (raw tables) follows the expert on q1');

  r = await cli(['--json', 'eval', 'sql', 'feedback.jsonl', '--compare']);
  assert.equal(r.code, 0, r.err);
  const report = JSON.parse(r.out) as Record<string, { exactMatch: number; n: number }>;
  assert.equal(report.aligned.n, 4);
  assert.equal(report.aligned.exactMatch, 1, 'the aligned judge agrees on the examples it was given');
  assert.ok(report.unaligned.exactMatch < 1);

  r = await cli(['--json', 'memory', 'list', 'sql']);
  const listed = JSON.parse(r.out) as { guidelines: { id: string; text: string }[] };
  assert.equal(listed.guidelines.length, 4);

  r = await cli(['forget', 'sql', '--feedback', 'fb1']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /- g_\w+ {2}Revenue must come from the certified view/);

  r = await cli(['memory', 'export', 'sql', '-o', 'mem.json']);
  assert.equal(r.code, 0, r.err);
  const exported = JSON.parse(readFileSync(join(dir, 'mem.json'), 'utf8'));
  assert.equal(exported.memoryVersion, 2, 'versions: align = 1, forget = 2');
  r = await cli(['--store', 'other.db', 'memory', 'import', 'sql', 'mem.json']);
  assert.equal(r.code, 0, r.err);
  r = await cli(['--store', 'other.db', '--json', 'memory', 'list', 'sql']);
  assert.deepEqual((JSON.parse(r.out) as typeof listed).guidelines.map((g) => g.text).sort(), exported.guidelines.map((g: { text: string }) => g.text).sort());

  r = await cli(['memory', 'log', 'sql']);
  assert.match(r.out, /v1 .*guideline\.add/);
  assert.match(r.out, /v2 .*guideline\.delete .*\[forget: 1 feedback\]/);
});

test('deleting an example from memory forgets the feedback behind it', async () => {
  let r = await cli(['--json', 'memory', 'episodes', 'sql']);
  assert.ok((JSON.parse(r.out) as { id: string }[]).some((e) => e.id === 'q2'));
  r = await cli(['memory', 'delete', 'sql', 'q2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Deleted example q2 \(forgot feedback fb2\)/);
  r = await cli(['--json', 'memory', 'episodes', 'sql']);
  assert.ok(!(JSON.parse(r.out) as { id: string }[]).some((e) => e.id === 'q2'));
});

test('an interrupted or failing run resumes without judging a record twice', async () => {
  server.setOptions({ faults: [{ endpoint: 'chat', kind: 'status', status: 500, match: (b) => JSON.stringify(b).includes('Churn rate in April') }] });
  let r = await cli(['judge', 'sql', 'records.jsonl', '-o', 'resume.jsonl']);
  assert.equal(r.code, 9, 'some records failed');
  assert.match(r.out, /errors: 1/);
  server.setOptions({ faults: [] });
  server.reset();
  r = await cli(['judge', 'sql', 'records.jsonl', '-o', 'resume.jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.err, /Reusing 2 of 3 verdicts .*judging 1 anew: 1 that were errors/);
  assert.equal(server.stats().chat, 1, 'only the failed record is judged again');
  const final = lines('resume.jsonl');
  assert.deepEqual(final.map((l) => [l.record.id, l.result.ok]), [['n1', true], ['n2', true], ['n3', true]]);
});

test('CSV in and out, with a column mapping', async () => {
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'sheet.csv'), 'question,answer\n"Revenue, by region","SELECT * FROM raw.sales"\nActive users,"SELECT 1"\n');
  const r = await cli(['judge', 'sql', 'sheet.csv', '--map', 'inputs=question,outputs=answer', '-o', 'sheet.verdicts.csv']);
  assert.equal(r.code, 0, r.err);
  const csv = readFileSync(join(dir, 'sheet.verdicts.csv'), 'utf8').split('\r\n');
  assert.equal(csv[0], 'id,value,rationale,error,memory_version,guidelines,episodes,input_tokens,output_tokens,cost_usd,latency_ms');
  assert.equal(csv.filter(Boolean).length, 3);
  assert.ok(!existsSync(join(dir, 'sheet.verdicts.csv.progress.jsonl')));
});

test('interactive review turns answers into pending feedback', async () => {
  const r = await cli(['feedback', 'review', 'sql', 'records.verdicts.jsonl'], 'n\nbad\nRaw tables are never acceptable.\ny\nCorrect certified view.\nq\n');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Queued 2 feedback/);
  const pending = lines('.memalign/pending/sql.jsonl');
  assert.deepEqual(pending.map((f) => [f.record.id, f.value, f.rationale]), [['n1', 'bad', 'Raw tables are never acceptable.'], ['n2', 'good', 'Correct certified view.']]);
  assert.ok(pending.every((f) => f.judgeVerdict && f.judgeVerdict.value !== undefined), 'the verdict under review travels with the feedback');
  // Reviewing again skips what is reviewed or pending; --all revisits.
  const again = await cli(['feedback', 'review', 'sql', 'records.verdicts.jsonl'], 'q\n');
  assert.match(again.err, /Skipping 2 of 3 records already reviewed or pending \(--all revisits them\)/);
  assert.match(again.err, /── 1\/1: record n3/);
  const all = await cli(['feedback', 'review', 'sql', 'records.verdicts.jsonl', '--all'], 'q\n');
  assert.match(all.err, /── 1\/3: record n1/);
});

test('memory delete leaves a tombstone that new feedback cannot undo; restore, history and redistil from the command line', async () => {
  const { writeFileSync } = await import('node:fs');
  const store = ['--store', 'tomb.db', '--model', `${server.url}#e2e`];
  const row = (id: string, value: string, why: string, at: string) => JSON.stringify({ record: { id, inputs: `Q ${id}`, outputs: `A ${id}` }, value, rationale: why, author: 'dana', createdAt: at });
  writeFileSync(join(dir, 'tomb1.jsonl'), `${row('t1', 'bad', 'Never read raw tables.', '2026-01-01T00:00:00Z')}\n`);
  assert.equal((await cli([...store, 'align', 'sql', 'tomb1.jsonl'])).code, 0);
  const listed = JSON.parse((await cli([...store, '--json', 'memory', 'list', 'sql'])).out);
  const id = listed.guidelines[0].id;
  assert.equal((await cli([...store, 'memory', 'delete', 'sql', id])).code, 0);
  writeFileSync(join(dir, 'tomb2.jsonl'), `${row('t2', 'bad', 'Never read raw tables.', '2026-01-02T00:00:00Z')}\n${row('t1', 'good', 'Fine after all.', '2026-01-03T00:00:00Z')}\n`);
  const again = await cli([...store, 'align', 'sql', 'tomb2.jsonl']);
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /deleted guideline\(s\) repeated by new feedback stay deleted/);
  const after = JSON.parse((await cli([...store, '--json', 'memory', 'list', 'sql', '--deleted'])).out);
  assert.ok(!after.guidelines.some((g: { id: string }) => g.id === id));
  assert.deepEqual(after.deleted.map((g: { id: string }) => g.id), [id]);
  const fbId = JSON.parse((await cli([...store, '--json', 'memory', 'episodes', 'sql'])).out).find((e: { id: string }) => e.id === 't1').feedbackIds[0];
  const history = JSON.parse((await cli([...store, '--json', 'memory', 'history', 'sql', fbId])).out);
  assert.deepEqual(history.map((f: { value: string }) => f.value), ['bad'], 'dana\'s first word on t1 is kept in history');
  assert.equal((await cli([...store, 'memory', 'restore', 'sql', id])).code, 0);
  assert.ok(JSON.parse((await cli([...store, '--json', 'memory', 'list', 'sql'])).out).guidelines.some((g: { id: string }) => g.id === id));
  const redo = await cli([...store, '--json', 'memory', 'redistil', 'sql', '--all']);
  assert.equal(redo.code, 0, redo.err);
  assert.equal(JSON.parse(redo.out).changed, true);
  const missing = await cli([...store, 'memory', 'restore', 'sql', 'g_nope']);
  assert.equal(missing.code, 7);
});

test('every command has help with examples; doctor reports what it found', async () => {
  const commands = [[], ['init'], ['judge'], ['feedback'], ['feedback', 'import'], ['feedback', 'add'], ['feedback', 'review'], ['feedback', 'list'], ['align'], ['memory'], ['forget'], ['eval'], ['model'], ['model', 'pull'], ['bench'], ['bench', 'quality'], ['bench', 'speed'], ['doctor'], ['worker'], ['batch']];
  const helps = await Promise.all(commands.map((cmd) => cli([...cmd, '--help'])));
  for (const [i, r] of helps.entries()) {
    const cmd = commands[i].join(' ') || '(top level)';
    assert.equal(r.code, 0, cmd);
    assert.match(r.out, /Examples:\n {2}\$ memalign /, cmd);
    if (commands[i].length > 0) assert.match(r.out, /Global Options:[\s\S]*--store <path\|url>[\s\S]*--json[\s\S]*--timeout <ms>/, `${cmd} lists the global flags`);
  }
  const version = await cli(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.out.trim(), JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')).version);
  const r = await cli(['--json', 'doctor']);
  assert.equal(r.code, 0, `a model is configured (the judge file names the loopback server): ${r.out}`);
  const { checks } = JSON.parse(r.out) as { checks: { name: string; ok: boolean; detail: string }[] };
  assert.ok(checks.find((c) => c.name === 'node:sqlite')!.ok);
  assert.match(checks.find((c) => c.name === 'ollama')!.detail, /no server/);
});

test('zero-config: "model pull" caches a GGUF over HTTP, then judging needs no configuration', async () => {
  const { createServer } = await import('node:http');
  const { writeTinyGguf } = await import('../../src/testing/index.ts');
  const { writeFileSync, mkdirSync } = await import('node:fs');
  const gguf = readFileSync(writeTinyGguf(join(dir, 'served', 'tiny-instruct.gguf'), { seed: 3 }));
  const files = createServer((req, res) => {
    if (req.url !== '/models/tiny-instruct.gguf') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-length': String(gguf.length) }).end(gguf);
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(files.address() as { port: number }).port}/models/tiny-instruct.gguf`;
  const cache = join(dir, 'cache');
  const local = join(dir, 'local');
  mkdirSync(local, { recursive: true });
  writeFileSync(join(local, 'j.yaml'), 'name: j\ninstructions: Is {{ outputs }} right for {{ inputs }}?\noutput: { type: categorical, labels: [good, bad] }\n');
  writeFileSync(join(local, 'r.jsonl'), '{"id": "1", "inputs": "q", "outputs": "a"}\n');
  const inLocal = (args: string[]) => new Promise<{ code: number; out: string; err: string }>((resolve) => {
    const env = { ...process.env, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', MEMALIGN_MODEL: '', OLLAMA_HOST: 'http://127.0.0.1:9', MEMALIGN_CACHE: cache };
    const child = spawn(process.execPath, [BIN, ...args], { cwd: local, env });
    let out = ''; let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
  });
  try {
    let r = await inLocal(['judge', 'j.yaml', 'r.jsonl']);
    assert.equal(r.code, 4, 'without any model: a configuration error that says what to do');
    assert.match(r.err, /memalign model pull/);
    r = await inLocal(['model', 'pull', url]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /Model ready: .*cache\/models\/tiny-instruct\.gguf/);
    r = await inLocal(['judge', 'j.yaml', 'r.jsonl']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /Using llama-cpp:.*tiny-instruct\.gguf \(a local model was downloaded/);
    const [line] = readFileSync(join(local, 'r.verdicts.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.equal(line.result.ok, true);
    assert.ok(['good', 'bad'].includes(line.result.value));
  } finally {
    files.close();
  }
});

test('MLflow trace exports import as feedback (human assessments named like the judge, trimmed and case-insensitive)', async () => {
  const { writeFileSync } = await import('node:fs');
  const trace = (id: string, q: string, a: string, value: string, source = 'HUMAN') => ({
    info: { trace_id: id, request_preview: q, response_preview: a, assessments: [
      { assessment_id: `as-${id}`, assessment_name: id === 't2' ? ' SQL ' : 'sql', feedback: { value }, rationale: `Because ${id}.`, source: { source_type: source, source_id: 'dana@finance' }, create_time: '2026-05-01T10:00:00Z' },
      { assessment_id: `ex-${id}`, assessment_name: 'expected_facts', expectation: { value: ['uses finance.revenue_v'] }, source: { source_type: 'HUMAN' } },
      { assessment_id: `other-${id}`, assessment_name: 'tone', feedback: { value: 'good' }, source: { source_type: 'HUMAN' } },
    ] },
    data: { spans: [{ name: 'root', parent_id: null, attributes: { 'mlflow.spanInputs': JSON.stringify({ question: q }), 'mlflow.spanOutputs': JSON.stringify(a) } }] },
  });
  writeFileSync(join(dir, 'traces.json'), JSON.stringify([trace('t1', 'Revenue?', 'SELECT 1', 'bad'), trace('t2', 'Users?', 'SELECT 2', 'good'), trace('t3', 'Churn?', 'SELECT 3', 'bad', 'LLM_JUDGE')]));
  const r = await cli(['--json', 'feedback', 'import', 'sql', 'traces.json']);
  assert.equal(r.code, 0, r.err);
  const pending = lines('.memalign/pending/sql.jsonl').filter((f) => String(f.id).startsWith('as-'));
  assert.deepEqual(pending.map((f) => [f.id, f.record.id, f.value, f.author]), [['as-t1', 't1', 'bad', 'dana@finance'], ['as-t2', 't2', 'good', 'dana@finance']]);
  assert.deepEqual(pending[0].record.inputs, { question: 'Revenue?' });
  assert.deepEqual(pending[0].record.expectations, { expected_facts: ['uses finance.revenue_v'] }, 'trace expectations come along');
  const none = await cli(['feedback', 'import', 'sql', 'traces.json', '--assessment', 'nope']);
  assert.equal(none.code, 3);
  assert.match(none.err, /no human assessment named "nope" in 3 traces/);
});

test('a failed align lists what was not distilled; the rerun pays only for the batch that failed', async (t) => {
  const { writeFileSync } = await import('node:fs');
  const store = ['--store', 'ckpt.db', '--model', `${server.url}#e2e`];
  const rows = Array.from({ length: 60 }, (_, i) => JSON.stringify({ id: `c${i}`, record: { id: `cr${i}`, inputs: `Question ${i}`, outputs: `Answer ${i}` }, value: i % 2 ? 'good' : 'bad', rationale: `Checkpoint rule ${i}.` }));
  writeFileSync(join(dir, 'many.jsonl'), `${rows.join('\n')}\n`);
  assert.equal((await cli([...store, 'feedback', 'import', 'sql', 'many.jsonl'])).code, 0);
  server.setOptions({ faults: [{ endpoint: 'chat', kind: 'status', status: 400, match: (b) => JSON.stringify(b).includes('Checkpoint rule 59.') }] });
  server.reset();
  t.after(() => server.setOptions({ faults: [] }));
  let r = await cli([...store, 'align', 'sql']);
  assert.equal(r.code, 8, r.err);
  assert.equal(server.stats().chat, 2, 'two batches of at most 50');
  assert.match(r.err, /1 of 2 model calls failed.*kept in the checkpoint: a rerun pays only for the 1 that failed/);
  assert.match(r.err, /Not distilled \(10\): (c\d+, ){9}c\d+\n/);
  assert.match(r.err.split('Not distilled')[1], /c59\b/);
  r = await cli([...store, '--json', 'align', 'sql']);
  assert.equal(r.code, 8);
  const error = (JSON.parse(r.out) as { error: { notDistilled: string[]; tasks: number; failedTasks: number } }).error;
  assert.deepEqual([error.notDistilled.length, error.tasks, error.failedTasks], [10, 2, 1]);
  server.setOptions({ faults: [] });
  server.reset();
  r = await cli([...store, 'align', 'sql']);
  assert.equal(r.code, 0, r.err);
  assert.equal(server.stats().chat, 1, 'only the batch that failed is paid for again');
  assert.match(r.err, /Reused 1 model answer\(s\) kept from the failed run/);
  assert.match(r.out, /\+ g_\w+ {2}Checkpoint rule 0\. {2}\(from 1 feedback: c0\)/);
  assert.ok(!existsSync(join(dir, '.memalign', 'checkpoints', 'sql.jsonl')), 'the checkpoint goes once the align committed');
});

test('record content, rationales and guidelines reach the terminal without control sequences', async () => {
  const { writeFileSync } = await import('node:fs');
  const store = ['--store', 'esc.db', '--model', `${server.url}#e2e`];
  const evil = 'ok\u001b[2J\u001b]0;owned\u0007\u009b31m\u202eRED\r';
  writeFileSync(join(dir, 'esc.jsonl'), `${JSON.stringify({ id: 'e1', record: { id: 'er1', inputs: `Q ${evil}`, outputs: `A ${evil}` }, value: 'bad', rationale: `Why ${evil}` })}\n`);
  const aligned = await cli([...store, 'align', 'sql', 'esc.jsonl']);
  assert.equal(aligned.code, 0, aligned.err);
  writeFileSync(join(dir, 'esc-records.jsonl'), `${JSON.stringify({ id: 'x1', inputs: `Q ${evil}`, outputs: `A ${evil}` })}\n`);
  assert.equal((await cli([...store, 'judge', 'sql', 'esc-records.jsonl'])).code, 0);
  const outputs = [
    await cli([...store, 'memory', 'list', 'sql']),
    await cli([...store, 'memory', 'episodes', 'sql']),
    await cli([...store, 'feedback', 'review', 'sql', 'esc-records.verdicts.jsonl'], 'q\n'),
    await cli([...store, 'memory', 'add', 'sql', `Rule ${evil}`]),
  ];
  for (const r of outputs) {
    assert.doesNotMatch(r.out + r.err, /[\u001b\u0007\u009b\u202e\r]/, 'no escape, bell, CSI, bidi override or carriage return');
  }
  assert.match(outputs[0].out, /Why ok31mRED|Why ok/);
  // --json keeps the text losslessly, escaped.
  const json = await cli([...store, '--json', 'memory', 'episodes', 'sql']);
  assert.doesNotMatch(json.out, /[\u001b\u009b\u202e]/);
  assert.equal((JSON.parse(json.out) as { rationale: string }[])[0].rationale, `Why ${evil}`.trim());
});
