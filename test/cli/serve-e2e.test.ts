// `memalign serve` and `memalign user` as a user runs them: the built binary, a project folder,
// the loopback OpenAI-compatible server as the model, real HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, CLEAN_ENV, runBin } from '../fixtures/cli.ts';
import { startLoopbackServer } from '../../src/testing/index.ts';
import { createClient } from '../../src/index.ts';

function project(): string {
  const dir = mkdtempSync(join(tmpdir(), 'memalign-serve-cli-'));
  mkdirSync(join(dir, 'judges'));
  writeFileSync(join(dir, 'judges', 'sql.yaml'), 'name: sql\ninstructions: Is {{ outputs }} a correct answer to {{ inputs }}?\noutput: boolean\n');
  return dir;
}

/** Starts `memalign serve`, waits (bounded) for its URL, and gives back the URL, stderr so far and a stop function. */
async function serve(dir: string, args: string[], env: Record<string, string>): Promise<{ url: string; err: () => string; stop(): Promise<number> }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', ...args], { cwd: dir, env: { ...CLEAN_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { err += d; });
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  for (let i = 0; i < 300 && !/^http:\/\/\S+$/m.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const url = out.match(/^(http:\/\/\S+)$/m)?.[1];
  if (!url) { child.kill('SIGKILL'); throw new Error(`serve did not start: ${err}`); }
  return { url, err: () => err, stop: async () => { child.kill('SIGTERM'); return exited; } };
}

test('memalign serve: first start creates an admin and prints its password once; reviewers added with "memalign user" sign in; SIGTERM stops it cleanly', async () => {
  const dir = project();
  const model = await startLoopbackServer();
  const env = { MEMALIGN_MODEL: `${model.url}#loop` };
  try {
    const s = await serve(dir, [], env);
    const password = s.err().match(/created "admin" with password (\S+)/)?.[1];
    assert.ok(password, s.err());
    const added = await runBin(dir, ['user', 'add', 'rita', '--role', 'reviewer'], { env: { ...env, MEMALIGN_PASSWORD: 'rita has a long password' } });
    assert.equal(added.code, 0, added.err);
    const login = async (name: string, pw: string) => (await fetch(`${s.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, password: pw }) })).status;
    assert.equal(await login('admin', password), 200);
    assert.equal(await login('rita', 'rita has a long password'), 200);
    const token = (await runBin(dir, ['user', 'token', 'rita', '--json'], { env })).out;
    const api = createClient({ baseUrl: s.url, token: JSON.parse(token).token });
    assert.deepEqual((await api.judges()).judges.map((j) => j.name), ['sql']);
    await assert.rejects(api.createQueue('sql', { name: 'q' }), { code: 'forbidden' });
    assert.equal(await s.stop(), 0);
    const list = await runBin(dir, ['user', 'list'], { env });
    assert.match(list.out, /admin\tadmin\nrita\treviewer/);
    const again = await serve(dir, [], env);
    assert.doesNotMatch(again.err(), /created "admin"/, 'the admin is created only once');
    await again.stop();
  } finally {
    await model.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('memalign serve --no-auth is refused off loopback (exit 4), and a project without judges says how to make one', async () => {
  const dir = project();
  try {
    const off = await runBin(dir, ['serve', '--no-auth', '--host', '0.0.0.0', '--port', '0'], { env: { MEMALIGN_MODEL: 'http://127.0.0.1:9/v1#m' } });
    assert.equal(off.code, 4, off.err);
    assert.match(off.err, /only on loopback/);
    const empty = mkdtempSync(join(tmpdir(), 'memalign-empty-'));
    const none = await runBin(empty, ['serve', '--port', '0']);
    assert.equal(none.code, 4);
    assert.match(none.err, /memalign init/);
    rmSync(empty, { recursive: true, force: true });
    const bad = await runBin(dir, ['user', 'add', 'x', '--role', 'boss']);
    assert.equal(bad.code, 3);
    assert.match(bad.err, /--role: must be one of admin, reviewer, viewer/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});

test('a reader that stops early (memalign --help | head) ends memalign quietly, without a stack trace', async () => {
  const child = spawn(process.execPath, [BIN, '--help'], { env: CLEAN_ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  // The reader is gone before memalign writes a byte.
  child.stdout.destroy();
  const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  assert.equal(code, 0, err);
  assert.doesNotMatch(err, /EPIPE|Error/);
});
