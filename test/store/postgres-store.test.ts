import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.ts';
import { PG_SCHEMA_VERSION } from '../../src/store/postgres/schema.ts';
import { StoreError } from '../../src/core/errors.ts';
import { now, storeContract } from './contract.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

const server = usePostgres();
let n = 0;

if (!pgSkip) {
  storeContract('postgres', async () => {
    const schema = `contract_${++n}`;
    return { store: await openPostgresStore(server().url, { schema, now }), second: () => openPostgresStore(server().url, { schema, now }) };
  });
}

test('postgres: several processes opening a new database at once migrate it once, under the advisory lock', { skip: pgSkip }, async () => {
  const stores = await Promise.all(Array.from({ length: 6 }, () => openPostgresStore(server().url, { schema: 'race', listen: false })));
  const client = new pg.Client(server().url);
  await client.connect();
  const rows = (await client.query('SELECT version FROM race.schema_version')).rows;
  assert.deepEqual(rows, [{ version: PG_SCHEMA_VERSION }]);
  await client.end();
  await Promise.all(stores.map((s) => s.close()));
});

test('postgres: a schema from a newer memalign is refused; a bad URL or server names itself, password hidden', { skip: pgSkip }, async () => {
  const client = new pg.Client(server().url);
  await client.connect();
  await client.query('CREATE SCHEMA newer; CREATE TABLE newer.schema_version (version INTEGER NOT NULL); INSERT INTO newer.schema_version VALUES (99)');
  await client.end();
  await assert.rejects(openPostgresStore(server().url, { schema: 'newer' }), /written by a newer memalign \(schema 99/);
  const wrongPort = `postgres://memalign:s3cret@127.0.0.1:1/postgres`;
  await assert.rejects(openPostgresStore(wrongPort), (e: unknown) => e instanceof StoreError && /Could not connect to the memory store postgres:\/\/memalign:\*\*\*@127\.0\.0\.1:1\/postgres/.test(e.message) && !e.message.includes('s3cret'));
  await assert.rejects(openPostgresStore(server().url, { schema: 'Bad-Name' }), /not a usable PostgreSQL schema name/);
  await assert.rejects(openPostgresStore('postgres://[bad'), /is not a PostgreSQL URL/);
});

test('postgres: a commit elsewhere is announced: currentVersion follows within a second without asking the server', { skip: pgSkip }, async () => {
  const url = `${server().url}?schema=notify`;
  const reader = await openPostgresStore(url);
  const writer = await openPostgresStore(url);
  assert.equal(await reader.currentVersion('j'), 0);
  const seen: number[] = [];
  const stop = reader.watch((judge, version) => { if (judge === 'j') seen.push(version); });
  await writer.commit('j', 0, [{ op: 'guideline.add', guideline: { id: 'g', text: 't', sources: [], origin: 'manual', pinned: false, createdVersion: 1, updatedVersion: 1 } }], 'x');
  const deadline = Date.now() + 1000;
  while (seen.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(seen, [1]);
  assert.equal(await reader.currentVersion('j'), 1);
  stop();
  await writer.close();
  await reader.close();
});

test('postgres: ?schema= in the URL chooses the schema', { skip: pgSkip }, async () => {
  const a = await openPostgresStore(`${server().url}?schema=from_url`);
  assert.equal(a.schema, 'from_url');
  await a.close();
});
