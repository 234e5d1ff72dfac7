import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackServer, type LoopbackServer } from '../../src/testing/index.ts';
import { runBin } from '../fixtures/cli.ts';

// Several memalign processes touching one judge's pending feedback at once must never drop an
// item: two imports, an import during an align, a review during an align.

let dir: string;
let server: LoopbackServer;
const cli = (args: string[], input?: string) => runBin(dir, args, { input });
const fbLine = (id: string) => JSON.stringify({ id, record: { id: `rec-${id}`, inputs: `question ${id}`, outputs: `answer ${id}` }, value: id.length % 2 === 0 ? 'good' : 'bad', rationale: `reason ${id}` });
const writeFeedback = (file: string, ids: string[]) => writeFileSync(join(dir, file), ids.map(fbLine).join('\n') + '\n');
const pendingIds = () => {
  const file = join(dir, '.memalign', 'pending', 'sql.jsonl');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id).sort() : [];
};
const storedIds = async () => (JSON.parse((await cli(['memory', 'export', 'sql'])).out) as { feedback: { id: string }[] }).feedback;
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

before(async () => {
  server = await startLoopbackServer();
  dir = mkdtempSync(join(tmpdir(), 'memalign-conc-'));
  const r = await cli(['--model', `${server.url}#conc`, 'init', 'sql', '--kind', 'categorical']);
  assert.equal(r.code, 0, r.err);
});
after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('two imports at once never drop a file', { timeout: 120_000 }, async () => {
  const expected: string[] = [];
  for (let round = 0; round < 5; round++) {
    const a = ids(`a${round}`, 40);
    const b = ids(`b${round}`, 40);
    writeFeedback('a.jsonl', a);
    writeFeedback('b.jsonl', b);
    const [ra, rb] = await Promise.all([cli(['feedback', 'import', 'sql', 'a.jsonl']), cli(['feedback', 'import', 'sql', 'b.jsonl'])]);
    assert.equal(ra.code, 0, ra.err);
    assert.equal(rb.code, 0, rb.err);
    expected.push(...a, ...b);
    assert.deepEqual(pendingIds(), [...expected].sort(), `round ${round}`);
  }
  assert.ok(!existsSync(join(dir, '.memalign', 'pending', 'sql.jsonl.lock')), 'no lock is left behind');
  const r = await cli(['align', 'sql']);
  assert.equal(r.code, 0, r.err);
  assert.deepEqual(pendingIds(), []);
});

test('feedback imported or reviewed while an align runs stays pending; the align clears only what it committed', { timeout: 120_000 }, async () => {
  server.setOptions({ latency: { fixedMs: 600 } });
  try {
    for (let round = 0; round < 3; round++) {
      const aligned = ids(`al${round}`, 3);
      writeFeedback('first.jsonl', aligned);
      assert.equal((await cli(['feedback', 'import', 'sql', 'first.jsonl'])).code, 0);
      const late = ids(`late${round}`, 4);
      writeFeedback('late.jsonl', late);
      const align = cli(['align', 'sql']);
      await new Promise((r) => setTimeout(r, 250));
      // Also one of the pending items is replaced while the align runs: the new content must stay pending.
      writeFileSync(join(dir, 'replace.jsonl'), `${JSON.stringify({ id: aligned[0], record: { id: `rec-${aligned[0]}`, inputs: `question ${aligned[0]}`, outputs: `answer ${aligned[0]}` }, value: 'good', rationale: 'changed my mind' })}\n`);
      const [ra, ri, rr] = await Promise.all([align, cli(['feedback', 'import', 'sql', 'late.jsonl']), cli(['feedback', 'import', 'sql', 'replace.jsonl'])]);
      assert.equal(ra.code, 0, ra.err);
      assert.equal(ri.code, 0, ri.err);
      assert.equal(rr.code, 0, rr.err);
      assert.match(ra.err, /queued while aligning stay pending/);
      assert.deepEqual(pendingIds(), [...late, aligned[0]].sort(), `round ${round}: late feedback and the replaced item stay`);
      const stored = new Set((await storedIds()).map((f) => f.id));
      assert.ok(aligned.every((id) => stored.has(id)), 'the align committed its snapshot');
      assert.equal((await cli(['align', 'sql'])).code, 0);
      assert.deepEqual(pendingIds(), []);
    }
  } finally {
    server.setOptions({ latency: {} });
  }
});

test('a review answered while an align runs is kept', { timeout: 60_000 }, async () => {
  writeFileSync(join(dir, 'recs.jsonl'), ['r1', 'r2'].map((id) => JSON.stringify({ id, inputs: `q ${id}`, outputs: `a ${id}` })).join('\n') + '\n');
  assert.equal((await cli(['judge', 'sql', 'recs.jsonl'])).code, 0);
  writeFeedback('more.jsonl', ids('rv', 2));
  assert.equal((await cli(['feedback', 'import', 'sql', 'more.jsonl'])).code, 0);
  server.setOptions({ latency: { fixedMs: 600 } });
  try {
    const align = cli(['align', 'sql']);
    await new Promise((r) => setTimeout(r, 250));
    const review = await cli(['feedback', 'review', 'sql', 'recs.verdicts.jsonl'], 'y\nfine\nn\nbad\nwrong table\n');
    assert.equal(review.code, 0, review.err);
    assert.equal((await align).code, 0);
    assert.deepEqual(pendingIds().length, 2, 'both review answers are pending');
  } finally {
    server.setOptions({ latency: {} });
  }
});
