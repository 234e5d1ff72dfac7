import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackServer, type LoopbackServer } from '../../src/testing/index.ts';
import { runBin, BIN, CLEAN_ENV } from '../fixtures/cli.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

// The built binary against a throwaway PostgreSQL and the loopback model server: the same project
// shared through one database by the CLI, workers, and a second "machine" (another folder).

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
const pg = usePostgres();
let dir: string;
let server: LoopbackServer;
const store = () => `${pg().url}?schema=e2e`;
const cli = (args: string[], env: Record<string, string> = {}) => runBin(dir, args, { env: { MEMALIGN_STORE: store(), ...env } });

before(async () => {
  if (pgSkip) return;
  server = await startLoopbackServer();
  dir = mkdtempSync(join(tmpdir(), 'memalign-pg-e2e-'));
  copyFileSync(join(EXAMPLES, 'feedback.jsonl'), join(dir, 'feedback.jsonl'));
});
after(async () => {
  await server?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('postgres e2e: align into a shared store, queue a batch, two workers judge it, status and results from anywhere', { skip: pgSkip }, async () => {
  let r = await cli(['--model', `${server.url}#e2e`, 'init', 'sql', '--kind', 'categorical']);
  assert.equal(r.code, 0, r.err);
  r = await cli(['align', 'sql', 'feedback.jsonl']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /→ memory version 1/);
  r = await cli(['memory', 'list', 'sql', '--json']);
  assert.equal(JSON.parse(r.out).version, 1, 'read back from PostgreSQL');

  const records = Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `q${i}`, inputs: `Revenue for region ${i}`, outputs: `SELECT SUM(x) FROM raw.t${i}` })).join('\n');
  writeFileSync(join(dir, 'many.jsonl'), `${records}\n`);
  r = await cli(['judge', 'sql', 'many.jsonl', '--queue', '--json']);
  assert.equal(r.code, 0, r.err);
  const { batch } = JSON.parse(r.out) as { batch: string };
  assert.match(batch, /^b_[0-9a-f]{12}$/);

  const workers = await Promise.all([cli(['worker', '-c', '4', '--exit-when-idle', '1', '--name', 'wa']), cli(['worker', '-c', '4', '--exit-when-idle', '1', '--name', 'wb'])]);
  for (const w of workers) assert.equal(w.code, 0, w.err);
  r = await cli(['batch', 'status', batch, '--json']);
  const status = JSON.parse(r.out);
  assert.deepEqual({ state: status.state, judged: status.judged, failed: status.failed, versions: status.versions }, { state: 'done', judged: 30, failed: 0, versions: { 1: 30 } });
  r = await cli(['batch', 'results', batch, '-o', 'out.csv']);
  assert.equal(r.code, 0, r.err);
  const csv = readFileSync(join(dir, 'out.csv'), 'utf8').trim().split('\r\n');
  assert.equal(csv.length, 31);
  assert.deepEqual(csv.slice(1).map((l) => l.split(',')[0]), Array.from({ length: 30 }, (_, i) => `q${i}`));
  r = await cli(['batch', 'list']);
  assert.match(r.out, new RegExp(`Batch ${batch} .*: done`));
});

test('postgres e2e: a worker killed with SIGKILL mid-batch loses nothing: another picks its jobs up, no verdict twice', { skip: pgSkip, timeout: 120_000 }, async () => {
  server.setOptions({ latency: { fixedMs: 150 } });
  const records = Array.from({ length: 40 }, (_, i) => JSON.stringify({ id: `k${i}`, inputs: `Users in ${i}`, outputs: `SELECT ${i}` })).join('\n');
  writeFileSync(join(dir, 'kill.jsonl'), `${records}\n`);
  const r = await cli(['judge', 'sql', 'kill.jsonl', '--queue', '--json']);
  const { batch } = JSON.parse(r.out) as { batch: string };
  const victim = spawn(process.execPath, [BIN, 'worker', '-c', '8', '--name', 'victim'], { cwd: dir, env: { ...CLEAN_ENV, MEMALIGN_STORE: store() }, stdio: 'ignore' });
  // Kill it while it holds jobs.
  for (let i = 0; i < 100; i++) {
    await new Promise((res) => setTimeout(res, 100));
    const s = JSON.parse((await cli(['batch', 'status', batch, '--json'])).out);
    if (s.judged >= 8) break;
  }
  victim.kill('SIGKILL');
  await new Promise((res) => victim.once('exit', res));
  const before = JSON.parse((await cli(['batch', 'status', batch, '--json'])).out);
  assert.ok(before.remaining > 0, 'the victim died with work left');
  const rescuer = spawn(process.execPath, [BIN, 'worker', '-c', '8', '--name', 'rescuer'], { cwd: dir, env: { ...CLEAN_ENV, MEMALIGN_STORE: store() }, stdio: 'ignore' });
  const exited = new Promise<number | null>((res) => rescuer.once('exit', (code) => res(code)));
  let after = before;
  for (let i = 0; i < 120 && after.state !== 'done'; i++) {
    await new Promise((res) => setTimeout(res, 250));
    after = JSON.parse((await cli(['batch', 'status', batch, '--json'])).out);
  }
  rescuer.kill('SIGTERM');
  assert.equal(await exited, 0, 'SIGTERM stops a worker cleanly');
  assert.deepEqual({ state: after.state, judged: after.judged, failed: after.failed }, { state: 'done', judged: 40, failed: 0 });
  assert.ok(after.workers.rescuer > 0 && after.workers.victim === before.workers.victim);
  server.setOptions({ latency: { fixedMs: 0 } });
});

test('postgres e2e: batch commands on an SQLite store say how to get a shared one', { skip: pgSkip }, async () => {
  const r = await runBin(dir, ['batch', 'list', '--store', 'local.db']);
  assert.equal(r.code, 4);
  assert.match(r.err, /Batches need a shared PostgreSQL store.*--store postgres:\/\//);
  const bad = await cli(['batch', 'status', 'b_nope']);
  assert.equal(bad.code, 7);
  assert.match(bad.err, /There is no batch "b_nope"/);
});
