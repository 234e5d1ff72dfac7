import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { runCli } from '../../src/cli/main.ts';
import { EXIT } from '../../src/cli/exit-codes.ts';
import { startLoopbackServer, type LoopbackServer } from '../../src/testing/index.ts';

// Every bad input gets one clear message naming the file, line and field, a distinct exit code,
// and leaves the memory store and the pending feedback byte-for-byte as they were.

let dir: string;
let server: LoopbackServer;
const run = async (args: string[], env: Record<string, string | undefined> = {}) => {
  let out = '';
  let err = '';
  const code = await runCli(args, { cwd: dir, env: { MEMALIGN_MODEL: `${server.url}#m`, ...env }, out: (s) => { out += s; }, err: (s) => { err += s; }, stdin: Readable.from([]), isTTY: false });
  return { code, out, err };
};
const write = (name: string, content: string | Buffer) => { writeFileSync(join(dir, name), content); return name; };
const snapshot = () => ['.memalign/memory.db', '.memalign/memory.db-wal', '.memalign/pending/cat.jsonl', '.memalign/pending/num.jsonl']
  .map((f) => (existsSync(join(dir, f)) ? createHash('sha256').update(readFileSync(join(dir, f))).digest('hex') : '-')).join(' ');

const judgeYaml = (name: string, output: string) => `name: ${name}\ninstructions: Is {{ outputs }} right for {{ inputs }}?\noutput: ${output}\n`;
const good = (id: string, value: unknown = 'good') => JSON.stringify({ id, record: { id: `r${id}`, inputs: 'q', outputs: 'a' }, value, rationale: 'because' });

before(async () => {
  server = await startLoopbackServer();
  dir = mkdtempSync(join(tmpdir(), 'memalign-bad-'));
  write('cat.yaml', judgeYaml('cat', '{ type: categorical, labels: [good, bad] }'));
  write('num.yaml', judgeYaml('num', '{ type: numeric, min: 1, max: 5, integer: true }'));
  // Seed a store with some memory and leave one feedback pending, so "unchanged" means something.
  write('seed.jsonl', `${good('1')}\n${good('2', 'bad')}\n`);
  assert.equal((await run(['feedback', 'import', 'cat.yaml', 'seed.jsonl'])).code, 0);
  assert.equal((await run(['align', 'cat.yaml'])).code, 0);
  write('pending.jsonl', `${good('3')}\n`);
  assert.equal((await run(['feedback', 'import', 'cat.yaml', 'pending.jsonl'])).code, 0);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const big = 'x'.repeat(1_000_001);
const cases: { name: string; files?: Record<string, string | Buffer>; args: string[]; code: number; message: RegExp; env?: Record<string, string | undefined> }[] = [
  { name: 'broken JSONL line', files: { 'f.jsonl': `${good('a')}\n{"id": "b", "record": \n` }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:2: not valid JSON/ },
  { name: 'a line that is an array', files: { 'f.jsonl': '[1, 2]\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: each line must be a JSON object/ },
  { name: 'unknown label', files: { 'f.jsonl': `${good('a', 'meh')}\n` }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: value: expected one of "good", "bad", got "meh"/ },
  { name: 'wrong value type', files: { 'f.jsonl': `${good('a', { v: 1 })}\n` }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: value: expected one of/ },
  { name: 'missing record outputs', files: { 'f.jsonl': '{"record": {"id": "r", "inputs": "q"}, "value": "good"}\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: record\.outputs: missing/ },
  { name: 'record that is not an object', files: { 'f.jsonl': '{"record": "just text", "value": "good"}\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: record\.inputs: missing/ },
  { name: 'neither value nor rationale', files: { 'f.jsonl': '{"record": {"id": "r", "inputs": "q", "outputs": "a"}}\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: value: feedback needs a value, a rationale, or both/ },
  { name: 'rationale of the wrong type', files: { 'f.jsonl': '{"record": {"id": "r", "inputs": "q", "outputs": "a"}, "value": "good", "rationale": 42}\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /rationale: must be text/ },
  { name: 'bad time', files: { 'f.jsonl': '{"record": {"id": "r", "inputs": "q", "outputs": "a"}, "value": "good", "createdAt": "yesterday"}\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /createdAt: must be an ISO-8601 time/ },
  { name: 'duplicate feedback ids', files: { 'f.jsonl': `${good('a')}\n${good('a', 'bad')}\n` }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:2: id: duplicate feedback id "a"/ },
  { name: 'empty file', files: { 'f.jsonl': '' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl: the file has no rows/ },
  { name: 'blank lines only', files: { 'f.jsonl': '\n  \n\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /the file has no rows/ },
  { name: 'invalid UTF-8', files: { 'f.jsonl': Buffer.concat([Buffer.from(`${good('a')}\n{"x": "`), Buffer.from([0xc3, 0x28]), Buffer.from('"}\n')]) }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:2: invalid UTF-8 at byte \d+: save the file as UTF-8/ },
  { name: 'CSV mapped column missing', files: { 'f.csv': 'question,answer,label\nq,a,good\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv', '--map', 'inputs=question,outputs=answer,value=verdict'], code: EXIT.invalidInput, message: /column "verdict" \(from value=verdict\) is not in the file; its columns are: question, answer, label/ },
  { name: 'CSV unclosed quote', files: { 'f.csv': 'inputs,outputs,value,id\nq,"a, b,good,r1\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv'], code: EXIT.invalidInput, message: /f\.csv:2: column 2: a quoted field is never closed/ },
  { name: 'CSV wrong field count', files: { 'f.csv': 'inputs,outputs,value,id\nq,a,good\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv'], code: EXIT.invalidInput, message: /f\.csv:2: 3 fields but the header has 4/ },
  { name: 'CSV stray quote', files: { 'f.csv': 'inputs,outputs,value,id\nq,a "x",good,r1\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv'], code: EXIT.invalidInput, message: /f\.csv:2: column 2: a quote inside an unquoted field/ },
  { name: 'CSV duplicate header', files: { 'f.csv': 'inputs,inputs,value\nq,a,good\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv'], code: EXIT.invalidInput, message: /column "inputs" appears twice in the header/ },
  { name: 'CSV label not allowed', files: { 'f.csv': 'id,inputs,outputs,value\nr1,q,a,good\nr2,q,a,excellent\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv'], code: EXIT.invalidInput, message: /f\.csv:3: value: expected one of "good", "bad", got "excellent"/ },
  { name: 'huge field', files: { 'f.jsonl': `${JSON.stringify({ record: { id: 'r', inputs: big, outputs: 'a' }, value: 'good' })}\n` }, args: ['feedback', 'import', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: record\.inputs: field is 1000001 characters, over the 1000000 limit/ },
  { name: 'malformed --map', files: { 'f.csv': 'a\n1\n' }, args: ['feedback', 'import', 'cat.yaml', 'f.csv', '--map', 'inputs'], code: EXIT.invalidInput, message: /"inputs" is not TARGET=COLUMN/ },
  { name: 'feedback file not found', args: ['feedback', 'import', 'cat.yaml', 'nope.jsonl'], code: EXIT.invalidInput, message: /nope\.jsonl: cannot read the file \(ENOENT\): check the path/ },
  { name: 'JSON object instead of array', files: { 'f.json': '{"record": {}}' }, args: ['feedback', 'import', 'cat.yaml', 'f.json'], code: EXIT.invalidInput, message: /expected a JSON array of objects/ },
  { name: 'numeric value out of range', files: { 'f.jsonl': `${good('a', 9)}\n` }, args: ['feedback', 'import', 'num.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: value: expected a number from 1 to 5, got 9/ },
  { name: 'numeric value not whole', files: { 'f.jsonl': `${good('a', 2.5)}\n` }, args: ['feedback', 'import', 'num.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /expected a whole number from 1 to 5, got 2\.5/ },
  { name: 'numeric value not a number', files: { 'f.jsonl': `${good('a', 'five')}\n` }, args: ['feedback', 'import', 'num.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /expected a number from 1 to 5, got "five"/ },
  { name: 'judge file YAML syntax', files: { 'j.yaml': 'name: j\ninstructions: [oops\noutput: boolean\n' }, args: ['feedback', 'list', 'j.yaml'], code: EXIT.invalidInput, message: /j\.yaml:\d+: .*fix the YAML\/JSON syntax/ },
  { name: 'judge file unknown field', files: { 'j.yaml': `${judgeYaml('j', 'boolean')}colour: blue\n` }, args: ['feedback', 'list', 'j.yaml'], code: EXIT.invalidInput, message: /j\.yaml:4: unknown field "colour"/ },
  { name: 'judge output type unknown', files: { 'j.yaml': judgeYaml('j', 'ranking') }, args: ['feedback', 'list', 'j.yaml'], code: EXIT.invalidInput, message: /j\.yaml:3: output(\.type)?: output\.type must be one of boolean, categorical, numeric, pairwise/ },
  { name: 'judge not found', args: ['feedback', 'list', 'ghost'], code: EXIT.notFound, message: /No judge "ghost": give the path of a judge file/ },
  { name: 'records missing outputs', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n{"id": "2", "inputs": "q"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl'], code: EXIT.invalidInput, message: /r\.jsonl:2: outputs: missing/ },
  { name: 'duplicate record ids', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n{"id": "1", "inputs": "q2", "outputs": "b"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl'], code: EXIT.invalidInput, message: /r\.jsonl:2: id: record id "1" also on line 1/ },
  { name: 'bad concurrency', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-c', '0'], code: EXIT.invalidInput, message: /--concurrency: "0" is not a whole number from 1 to 256/ },
  { name: 'memory import of something else', files: { 'm.json': '{"hello": 1}' }, args: ['memory', 'import', 'cat.yaml', 'm.json'], code: EXIT.invalidInput, message: /format: not a memalign memory export/ },
  { name: 'memory import of broken JSON', files: { 'm.json': '{"format": ' }, args: ['memory', 'import', 'cat.yaml', 'm.json'], code: EXIT.invalidInput, message: /m\.json: cannot read it as JSON/ },
  { name: 'memory import with dangling sources', files: { 'm.json': JSON.stringify({ format: 'memalign-memory', formatVersion: 1, judge: 'cat', memoryVersion: 1, feedback: [], guidelines: [{ id: 'g', text: 't', sources: ['fb_x'], origin: 'distilled' }] }) }, args: ['memory', 'import', 'cat.yaml', 'm.json'], code: EXIT.invalidInput, message: /guidelines\[0\]\.sources: refers to feedback "fb_x"/ },
  { name: 'edit an unknown guideline', args: ['memory', 'edit', 'cat.yaml', 'g_nope', 'text'], code: EXIT.notFound, message: /No guideline "g_nope"/ },
  { name: 'forget unknown feedback', args: ['forget', 'cat.yaml', '--feedback', 'fb_nope'], code: EXIT.notFound, message: /No feedback with id "fb_nope".*nothing was forgotten/ },
  { name: 'config with an unknown setting', files: { 'memalign.config.yaml': 'stor: x\n' }, args: ['feedback', 'list', 'cat.yaml'], code: EXIT.invalidInput, message: /memalign\.config\.yaml: stor: unknown setting "stor"/ },
  { name: 'model needs a missing key', args: ['judge', 'cat.yaml', 'seed.jsonl', '--model', 'openai:gpt-4.1-mini'], code: EXIT.config, message: /set the environment variable OPENAI_API_KEY/, env: { MEMALIGN_MODEL: undefined } },
  { name: 'unknown command', args: ['frobnicate'], code: EXIT.usage, message: /unknown command 'frobnicate'/ },
  { name: 'a record id reused with different content at align', files: { 'f.jsonl': `${JSON.stringify({ id: 'x9', record: { id: 'r1', inputs: 'q', outputs: 'another answer' }, value: 'bad', rationale: 'no' })}\n` }, args: ['align', 'cat.yaml', 'f.jsonl'], code: EXIT.invalidInput, message: /f\.jsonl:1: record: record "r1" has different content from the record stored under that id in memory.*--new-record-version/ },
  { name: 'a negative --timeout', args: ['--timeout', '-5', 'align', 'cat.yaml'], code: EXIT.invalidInput, message: /--timeout: "-5" is not a whole number of at least 1/ },
  { name: 'a JSON array element names its line and index', files: { 'f.json': `[\n  ${good('a')},\n  {\n    "record": {"id": "r", "inputs": "q", "outputs": "a"},\n    "value": "meh"\n  }\n]\n` }, args: ['feedback', 'import', 'cat.yaml', 'f.json'], code: EXIT.invalidInput, message: /f\.json:3: \[1\]\.value: expected one of "good", "bad", got "meh"/ },
  { name: 'a JSON array element that is not an object', files: { 'f.json': `[\n  ${good('a')},\n\n  42\n]` }, args: ['feedback', 'import', 'cat.yaml', 'f.json'], code: EXIT.invalidInput, message: /f\.json:4: \[1\]: each element must be a JSON object/ },
  { name: '--limit that is not a number', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '--limit', 'abc'], code: EXIT.invalidInput, message: /--limit: "abc" is not a whole number of at least 1/ },
  { name: 'a negative --limit', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '--limit', '-1'], code: EXIT.invalidInput, message: /--limit: "-1" is not a whole number of at least 1/ },
  { name: 'a fractional -c', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-c', '2.5'], code: EXIT.invalidInput, message: /--concurrency: "2\.5" is not a whole number from 1 to 256/ },
  { name: 'eval -c 0', files: { 'f.jsonl': `${good('a')}\n` }, args: ['eval', 'cat.yaml', 'f.jsonl', '-c', '0'], code: EXIT.invalidInput, message: /--concurrency: "0" is not a whole number/ },
  { name: 'memory log --limit x', args: ['memory', 'log', 'cat.yaml', '--limit', 'x'], code: EXIT.invalidInput, message: /--limit: "x" is not a whole number of at least 1/ },
  { name: '--resume with --fresh', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '--resume', '--fresh'], code: EXIT.invalidInput, message: /--resume and --fresh contradict each other/ },
  { name: '-o onto the records it reads', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', 'r.jsonl'], code: EXIT.invalidInput, message: /--output: .*r\.jsonl is an input or the memory store of this command/ },
  { name: '-o onto the store', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', '.memalign/memory.db', '--format', 'jsonl'], code: EXIT.invalidInput, message: /--output: .*memory\.db is an input or the memory store/ },
  { name: '-o onto the judge file', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', 'cat.yaml'], code: EXIT.invalidInput, message: /--output: .*cat\.yaml is an input or the memory store/ },
  { name: '-o onto pending feedback', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', '.memalign/pending/cat.jsonl'], code: EXIT.invalidInput, message: /--output: .*is inside .*pending, where memalign keeps its store, pending feedback and checkpoints/ },
  { name: '-o onto a file of another kind', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n', 'notes.jsonl': '{"todo": "buy milk"}\n{"todo": "call Ann"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', 'notes.jsonl'], code: EXIT.invalidInput, message: /notes\.jsonl exists and is not a verdicts file from "memalign judge" \(line 1 is not a verdict line\)/ },
  { name: '-o onto a CSV of another kind', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n', 'sheet.csv': 'name,score\nann,3\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', 'sheet.csv'], code: EXIT.invalidInput, message: /sheet\.csv exists and is not a verdicts CSV/ },
  { name: '-o into a missing folder', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '-o', 'no/such/dir/v.jsonl'], code: EXIT.invalidInput, message: /the folder .*no\/such\/dir does not exist: create it first \(mkdir -p/ },
  { name: 'memory export -o onto the store', args: ['memory', 'export', 'cat.yaml', '-o', '.memalign/memory.db'], code: EXIT.invalidInput, message: /memory\.db is an input or the memory store/ },
  { name: 'memory export -o onto a judge file', args: ['memory', 'export', 'cat.yaml', '-o', 'num.yaml'], code: EXIT.invalidInput, message: /num\.yaml exists and is not a memory export/ },
  { name: 'a mistyped --store for memory list', args: ['--store', 'typo.db', 'memory', 'list', 'cat.yaml'], code: EXIT.notFound, message: /There is no memory store at .*typo\.db: check --store/ },
  { name: 'a mistyped --store for feedback list', args: ['--store', 'typo/memory.db', 'feedback', 'list', 'cat.yaml'], code: EXIT.notFound, message: /There is no memory store at .*typo\/memory\.db: check --store/ },
  { name: 'a mistyped --store for judge', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['--store', 'typo.db', 'judge', 'cat.yaml', 'r.jsonl'], code: EXIT.notFound, message: /There is no memory store at .*typo\.db/ },
  { name: 'an unknown model provider', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '--model', 'acme:m1'], code: EXIT.config, message: /Unknown model provider "acme".*google/ },
  { name: 'google without its key', files: { 'r.jsonl': '{"id": "1", "inputs": "q", "outputs": "a"}\n' }, args: ['judge', 'cat.yaml', 'r.jsonl', '--model', 'google:gemini-2.5-flash'], code: EXIT.config, message: /set the environment variable GOOGLE_GENERATIVE_AI_API_KEY/ },
  { name: 'restoring a guideline that was never deleted', args: ['memory', 'restore', 'cat.yaml', 'g_missing'], code: EXIT.notFound, message: /No deleted guideline "g_missing"/ },
];

for (const c of cases) {
  test(`bad input: ${c.name}`, async () => {
    for (const [name, content] of Object.entries(c.files ?? {})) write(name, content);
    const before = snapshot();
    const r = await run(c.args, c.env);
    for (const name of Object.keys(c.files ?? {})) rmSync(join(dir, name), { force: true });
    assert.equal(r.code, c.code, `exit code; stderr: ${r.err}`);
    assert.match(r.err, c.message);
    assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace without --debug');
    assert.equal(snapshot(), before, 'store and pending feedback unchanged');
    assert.ok(!existsSync(join(dir, 'typo.db')) && !existsSync(join(dir, 'typo')), 'no store was created');
    assert.ok(!existsSync(join(dir, 'no')), 'no folder was created');
  });
}

test('-o onto an input leaves it byte-for-byte unchanged and makes no model call', async () => {
  const records = '{"id": "1", "inputs": "q", "outputs": "a"}\n{"id": "2", "inputs": "q2", "outputs": "b"}\n';
  write('keep.jsonl', records);
  server.reset();
  const r = await run(['judge', 'cat.yaml', 'keep.jsonl', '-o', './keep.jsonl']);
  assert.equal(r.code, EXIT.invalidInput);
  assert.equal(readFileSync(join(dir, 'keep.jsonl'), 'utf8'), records);
  assert.equal(server.stats().chat, 0, 'refused before any model call');
  rmSync(join(dir, 'keep.jsonl'));
});

test('a corrupt store row is a store error naming the table and row, not a crash', async () => {
  const { DatabaseSync } = await import('node:sqlite');
  const { copyFileSync } = await import('node:fs');
  copyFileSync(join(dir, '.memalign', 'memory.db'), join(dir, 'corrupt.db'));
  for (const ext of ['-wal', '-shm']) if (existsSync(join(dir, '.memalign', `memory.db${ext}`))) copyFileSync(join(dir, '.memalign', `memory.db${ext}`), join(dir, `corrupt.db${ext}`));
  const db = new DatabaseSync(join(dir, 'corrupt.db'));
  const row = db.prepare("SELECT id FROM guidelines WHERE judge = 'cat' LIMIT 1").get() as { id: string };
  db.prepare("UPDATE guidelines SET data = '{broken' WHERE judge = 'cat' AND id = ?").run(row.id);
  db.prepare("UPDATE episodes SET data = 'null' WHERE judge = 'cat'").run();
  db.close();
  for (const args of [['memory', 'list', 'cat.yaml'], ['memory', 'episodes', 'cat.yaml']]) {
    const r = await run(['--store', 'corrupt.db', ...args]);
    assert.equal(r.code, EXIT.store, r.err);
    assert.match(r.err, new RegExp(`corrupt\\.db is corrupt: row "${row.id}" of table guidelines cannot be read .*Restore it from a backup or re-import a memory export`));
    assert.doesNotMatch(r.err, /\n\s+at /);
  }
  for (const f of ['corrupt.db', 'corrupt.db-wal', 'corrupt.db-shm']) rmSync(join(dir, f), { force: true });
});

test('a pending line that is JSON but not feedback is an input error naming file, line and field', async () => {
  const pending = join(dir, '.memalign', 'pending', 'num.jsonl');
  writeFileSync(pending, `${good('p1', 3)}\n{"hello": "world"}\n`);
  const before = snapshot();
  const r = await run(['feedback', 'list', 'num.yaml']);
  assert.equal(r.code, EXIT.invalidInput, r.err);
  assert.match(r.err, /pending[/\\]num\.jsonl:2: id: not a pending feedback item/);
  assert.equal(snapshot(), before);
  rmSync(pending, { force: true });
});

test('doctor exits 4 when no usable model is found, and names what to set', async () => {
  const r = await run(['doctor'], { MEMALIGN_MODEL: undefined, OLLAMA_HOST: 'http://127.0.0.1:9' });
  assert.equal(r.code, EXIT.config);
  assert.match(r.out, /✖ model +none found: set OPENAI_API_KEY, ANTHROPIC_API_KEY, GOOGLE_GENERATIVE_AI_API_KEY/);
  assert.match(r.out, /providers +none configured/);
  const ok = await run(['--json', 'doctor'], { GOOGLE_GENERATIVE_AI_API_KEY: 'k', MEMALIGN_MODEL: undefined, OLLAMA_HOST: 'http://127.0.0.1:9' });
  assert.equal(ok.code, EXIT.ok);
  const checks = (JSON.parse(ok.out) as { checks: { name: string; detail: string }[] }).checks;
  assert.match(checks.find((c) => c.name === 'providers')!.detail, /configured: google \(GOOGLE_GENERATIVE_AI_API_KEY\)/);
  assert.match(checks.find((c) => c.name === 'model')!.detail, /google:gemini-2\.5-flash/);
});

test('a corrupt line in the pending feedback is an error naming the file and line, and nothing changes', async () => {
  const pending = join(dir, '.memalign', 'pending', 'num.jsonl');
  writeFileSync(pending, `${good('p1', 3)}\n{not json\n`);
  const before = snapshot();
  const r = await run(['align', 'num.yaml']);
  assert.equal(r.code, EXIT.invalidInput, r.err);
  assert.match(r.err, /pending[/\\]num\.jsonl:2: not valid JSON/);
  assert.equal(snapshot(), before);
  rmSync(pending, { force: true });
});

test('a BOM at the start of a file is accepted', async () => {
  write('bom.jsonl', `\uFEFF${good('bom')}\n`);
  const r = await run(['feedback', 'import', 'cat.yaml', 'bom.jsonl', '--json']);
  assert.equal(r.code, 0, r.err);
  assert.equal(JSON.parse(r.out).added, 1);
});

test('an align whose provider fails stores nothing and keeps the pending feedback', async () => {
  const before = snapshot();
  server.setOptions({ faults: [{ endpoint: 'chat', kind: 'status', status: 500 }] });
  try {
    const r = await run(['align', 'cat.yaml']);
    assert.equal(r.code, EXIT.alignFailed, r.err);
    assert.match(r.err, /nothing was stored/);
  } finally {
    server.setOptions({ faults: [] });
  }
  assert.equal(snapshot(), before);
});

test('--json errors are machine-readable, with every issue', async () => {
  write('f.jsonl', `${good('a', 'meh')}\n${good('b', 'nope')}\n`);
  const r = await run(['--json', 'feedback', 'import', 'cat.yaml', 'f.jsonl']);
  assert.equal(r.code, EXIT.invalidInput);
  const body = JSON.parse(r.out) as { error: { code: string; issues: { line: number; path: string }[] } };
  assert.equal(body.error.code, 'invalid_input');
  assert.deepEqual(body.error.issues.map((i) => [i.line, i.path]), [[1, 'value'], [2, 'value']]);
});
