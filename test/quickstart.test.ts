import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

test('the README quick start runs and shows an aligned judge at work', () => {
  const out = execFileSync(process.execPath, [join(import.meta.dirname, '..', 'examples', 'quickstart.ts')], { encoding: 'utf8', env: { ...process.env, MEMALIGN_MODEL: '', MEMALIGN_STORE: '' } });
  assert.match(out, /Aligned "sql-answers" on 4 feedback → memory version 1/);
  assert.match(out, /\+ guideline g_\w+: Revenue must come from the certified view .* \(from fb1\)/);
  assert.match(out, /n1: "bad"/);
  assert.match(out, /n2: "good"/);
  assert.match(out, /recalled: q1 /);
});
