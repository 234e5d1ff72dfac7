import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign } from '../../src/engine/memalign.ts';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import type { MemoryStore } from '../../src/store/memory-store.ts';
import { mockChatModel } from '../../src/testing/mock-model.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

// Two judges on one store, as two processes would be: the one that did not write follows the
// other's commits by reading only what changed, and its verdicts use the new version.
const pg = usePostgres();
const dir = mkdtempSync(join(tmpdir(), 'memalign-shared-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const judge = { name: 'exact', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };

function counting(store: MemoryStore): MemoryStore & { loads: number; changed: number } {
  const counts = { loads: 0, changed: 0 };
  return new Proxy(store, {
    get(target, key) {
      if (key === 'loads' || key === 'changed') return counts[key];
      if (key === 'load') return (j: string, o?: { vectors?: boolean }) => { counts.loads += 1; return target.load(j, o); };
      if (key === 'changes') return (j: string, v: number) => { counts.changed += 1; return target.changes(j, v); };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  }) as MemoryStore & { loads: number; changed: number };
}

async function follows(open: () => Promise<MemoryStore>): Promise<void> {
  const writerStore = await open();
  const readerStore = counting(await open());
  const writer = await openMemalign({ judge, store: writerStore, model: mockChatModel() });
  const reader = await openMemalign({ judge, store: readerStore, model: mockChatModel() });
  await writer.align([{ record: { id: 'a', inputs: 'What is 2+2?', outputs: '5' }, value: false, rationale: 'Arithmetic must be exact.' }]);
  let verdict = await reader.judge({ id: 'x', inputs: 'What is 3+3?', outputs: '6' });
  assert.ok(verdict.ok && verdict.provenance.memoryVersion === 1);
  const loadsAfterFirst = readerStore.loads;
  await writer.align([{ record: { id: 'b', inputs: 'What is 4+4?', outputs: '9' }, value: false, rationale: 'Check sums twice.' }]);
  await writer.addGuideline('Units must match the question.');
  // Within a second the reader's next verdict uses the new version.
  const deadline = Date.now() + 1000;
  do {
    verdict = await reader.judge({ id: 'y', inputs: 'What is 5+5?', outputs: '10' });
  } while (!(verdict.ok && verdict.provenance.memoryVersion === 3) && Date.now() < deadline);
  assert.ok(verdict.ok && verdict.provenance.memoryVersion === 3, 'the reader follows the writer');
  assert.equal(readerStore.loads, loadsAfterFirst, 'no full reload: only what changed was read');
  assert.ok(readerStore.changed >= 1);
  const state = await reader.inspect();
  assert.deepEqual(state.episodes.map((e) => e.id).sort(), ['a', 'b']);
  assert.ok(state.guidelines.some((g) => g.text === 'Units must match the question.'));
  const canonical = (m: typeof state) => JSON.parse(JSON.stringify({ ...m, guidelines: [...m.guidelines].sort((a, b) => a.id.localeCompare(b.id)), episodes: [...m.episodes].sort((a, b) => a.id.localeCompare(b.id)), feedback: [...m.feedback].sort((a, b) => a.id.localeCompare(b.id)) }));
  assert.deepEqual(canonical(state), canonical(await writer.inspect()), 'the same memory as the writer\'s');
  await reader.close();
  await writer.close();
  await readerStore.close();
  await writerStore.close();
}

test('sqlite: a second judge on the same store follows commits by reading only what changed', async () => {
  const path = join(dir, 'shared.db');
  await follows(async () => openSqliteStore(path));
});

test('postgres: a second judge on the same store follows commits within a second, reading only what changed', { skip: pgSkip }, async () => {
  await follows(() => openPostgresStore(pg().url, { schema: 'shared' }));
});
