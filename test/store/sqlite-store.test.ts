import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.ts';
import { now, storeContract } from './contract.ts';
import { StoreError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-store-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

storeContract('sqlite', async () => {
  const path = join(dir, `contract-${++n}`, 'memory.db');
  return { store: openSqliteStore(path, { now }), second: async () => openSqliteStore(path, { now }) };
});

test('a file from a newer memalign is refused with a clear message', async () => {
  const path = join(dir, 'd.db');
  const db = new DatabaseSync(path);
  db.exec('PRAGMA user_version = 99');
  db.close();
  assert.throws(() => openSqliteStore(path), /written by a newer memalign \(schema 99/);
});

test('a file that is not SQLite is refused with the path in the message', async () => {
  const path = join(dir, 'e.db');
  (await import('node:fs')).writeFileSync(path, 'this is not a database, just text that is long enough to fill a header page '.repeat(20));
  assert.throws(() => openSqliteStore(path), (e: unknown) => e instanceof StoreError && e.message.includes(path));
});

