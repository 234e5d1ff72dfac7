import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

const dir = mkdtempSync(join(tmpdir(), 'memalign-crash-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const worker = join(import.meta.dirname, '..', 'fixtures', 'align-worker.ts');
const PER_BATCH = 100;

const superseder = join(import.meta.dirname, '..', 'fixtures', 'supersede-worker.ts');

/**
 * Runs a worker and SIGKILLs it `ms` after it started (a negative `ms`: during start-up, |ms| after
 * spawn) or after it said it is ready (then the kill lands in its align loop, however long loading
 * took on a busy machine); returns the versions it reported as committed.
 */
function runAndKill(path: string, ms: number, script = worker): Promise<number[]> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, path, String(PER_BATCH)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    let timer: NodeJS.Timeout | undefined;
    const kill = (after: number) => { timer = setTimeout(() => child.kill('SIGKILL'), after); };
    if (ms < 0) kill(-ms);
    child.stdout.on('data', (d) => {
      out += d;
      if (ms >= 0 && !timer && out.includes('ready\n')) kill(ms);
    });
    // A worker that never gets ready is killed after 60 s, and the test then fails on its counts.
    const limit = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', () => {
      clearTimeout(timer);
      clearTimeout(limit);
      resolve([...out.matchAll(/committed (\d+)/g)].map((m) => Number(m[1])));
    });
  });
}

test('SIGKILL at random moments during align leaves memory at a whole version, and loses no committed feedback', async () => {
  const path = join(dir, 'memory.db');
  // Deterministic "random" kill times: two during start-up, the rest from ready, over the first
  // align (which also loads the tokenizer: 0.35–0.7 s here) and the loop after it.
  const delays = [-350, -520, 300, 450, 600, 700, 780, 860, 950, 1050, 1200, 1400];
  const committed = new Set<number>();
  for (const ms of delays) {
    for (const v of await runAndKill(path, ms)) committed.add(v);
    const db = new DatabaseSync(path);
    try {
      const hasSchema = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'judges'").get() as { n: number };
      if (Number(hasSchema.n) === 0) { assert.equal(committed.size, 0, 'killed before the store existed'); continue; }
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      const version = Number((db.prepare("SELECT version FROM judges WHERE name = 'crash'").get() as { version: number } | undefined)?.version ?? 0);
      const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
      assert.equal(count('SELECT count(*) AS n FROM feedback'), version * PER_BATCH, `feedback of exactly ${version} whole batches`);
      assert.equal(count('SELECT count(*) AS n FROM episodes'), version * PER_BATCH);
      assert.equal(count('SELECT count(*) AS n FROM episodes WHERE vector IS NULL'), 0);
      assert.equal(count('SELECT count(*) AS n FROM guidelines'), version * PER_BATCH);
      assert.equal(count('SELECT coalesce(max(version), 0) AS n FROM log'), version);
      for (let b = 1; b <= version; b++) assert.equal(count(`SELECT count(*) AS n FROM feedback WHERE id LIKE 'b${b}\\_%' ESCAPE '\\'`), PER_BATCH);
      for (const v of committed) assert.ok(v <= version, `version ${v} was reported committed, so it must survive`);
    } finally {
      db.close();
    }
  }
  assert.ok(committed.size >= 3, `the worker committed several versions between kills (got ${committed.size})`);
});

test('SIGKILL during supersession and revision leaves a whole version, no lost feedback, no guideline citing feedback that no longer counts', async () => {
  const path = join(dir, 'supersede.db');
  const delays = [-420, 350, 500, 650, 800, 950, 1100, 1300];
  const committed = new Set<number>();
  for (const ms of delays) {
    for (const v of await runAndKill(path, ms, superseder)) committed.add(v);
    const db = new DatabaseSync(path);
    try {
      const hasSchema = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'judges'").get() as { n: number };
      if (Number(hasSchema.n) === 0) continue;
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
      const version = Number((db.prepare("SELECT version FROM judges WHERE name = 'crash'").get() as { version: number } | undefined)?.version ?? 0);
      const count = (sql: string) => Number((db.prepare(sql).get() as { n: number }).n);
      assert.equal(count('SELECT coalesce(max(version), 0) AS n FROM log'), version, 'the log ends at the stored version');
      // Feedback of every committed batch is there: one per author and record (supersession replaces, never adds).
      assert.equal(count('SELECT count(*) AS n FROM feedback'), Math.ceil(version / 2) * PER_BATCH);
      assert.equal(count('SELECT count(*) AS n FROM feedback_history'), Math.floor(version / 2) * PER_BATCH, 'each supersession kept what was said before');
      const counting = new Set<string>();
      for (const r of db.prepare('SELECT data FROM episodes').all() as { data: string }[]) for (const id of (JSON.parse(r.data) as { feedbackIds: string[] }).feedbackIds) counting.add(id);
      for (const r of db.prepare('SELECT data FROM guidelines').all() as { data: string }[]) {
        const g = JSON.parse(r.data) as { id: string; text: string; sources: string[] };
        assert.ok(g.sources.length > 0 && g.sources.every((s) => counting.has(s)), `guideline ${g.id} cites only feedback that counts`);
        if (version % 2 === 0) assert.doesNotMatch(g.text, new RegExp(`First take on ${version / 2}\\.`), 'superseded advice is gone');
      }
      for (const v of committed) assert.ok(v <= version, `version ${v} was reported committed, so it must survive`);
    } finally {
      db.close();
    }
  }
  assert.ok(committed.size >= 3, `the worker committed several versions between kills (got ${committed.size})`);
});
