// The review server on a PostgreSQL store: the same rules as on SQLite, and two server instances
// sharing one queue never hand out an item twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createApp } from '../../src/server/index.ts';
import { records, judged, testServer } from '../fixtures/server.ts';
import { pgSkip, usePostgres } from '../fixtures/postgres.ts';

const server = usePostgres();

test('postgres: a review round through the API — items judged on arrival, two reviewers, align, diff — and a second server on the same store sees it all', { skip: pgSkip }, async () => {
  const t = await testServer({ store: `${server().url}?schema=serve_round` });
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', reviewers: 2, overlap: 0.5, calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { records: records(12) });
    await judged(t.reviews, q.id);
    // A second server process's view: its own app over the same store.
    const other = createApp({ judges: [t.ma], reviews: t.reviews, auth: true });
    const login = await other.app.request('/api/auth/login', { method: 'POST', headers: { host: '127.0.0.1:1', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'rob', password: 'correct horse battery' }) });
    const robCookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const robCsrf = ((await login.json()) as { csrf: string }).csrf;
    const rob = async (method: string, path: string, body?: unknown) => {
      const res = await other.app.request(path, { method, headers: { host: '127.0.0.1:1', cookie: robCookie, 'x-csrf-token': robCsrf, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
      return { status: res.status, json: await res.json() as any };
    };
    const rita = await t.as('rita');
    const handed: string[] = [];
    await Promise.all([['rita', rita], ['rob', rob]].map(async ([name, call]) => {
      const send = call as typeof rob;
      for (let i = 0; i < 200; i++) {
        const { item } = (await send('POST', `/api/queues/${q.id}/next`)).json;
        if (!item) {
          // Nothing for this reviewer now: an item may still wait for a second review while the
          // other reviewer holds it. Done only when the queue is.
          if ((await ann('GET', `/api/queues/${q.id}`)).json.progress.done === 12) return;
          await new Promise((r) => setTimeout(r, 20));
          continue;
        }
        handed.push(`${name}:${item.id}`);
        assert.equal((await send('POST', `/api/queues/${q.id}/items/${item.id}/reviews`, { value: false, rationale: 'Count users, not events.' })).status, 200);
      }
    }));
    assert.equal(new Set(handed).size, handed.length, 'no reviewer got the same item twice');
    const progress = (await ann('GET', `/api/queues/${q.id}`)).json.progress;
    assert.equal(progress.done, 12);
    assert.equal(progress.reviews, handed.length);
    const { job } = (await ann('POST', '/api/judges/sql/align')).json;
    await t.service.jobs.idle();
    const done = (await ann('GET', `/api/jobs/${job}`)).json.events.at(-1);
    assert.equal(done.type, 'done', JSON.stringify(done));
    assert.equal(done.data.aligned, handed.length);
    const diff = await rob('GET', `/api/judges/sql/versions/${done.data.version}`);
    assert.equal(diff.json.episodesAdded.length, 12);
  } finally { await t.close(); }
});
