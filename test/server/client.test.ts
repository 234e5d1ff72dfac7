// The typed client against a real server on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, ApiError } from '../../src/index.ts';
import { startServer } from '../../src/server/index.ts';
import { records, testServer } from '../fixtures/server.ts';

test('the typed client drives a whole review round over HTTP with an API token: queue, items, review, align, diff', async () => {
  const t = await testServer();
  const server = await startServer({ judges: [t.ma], reviews: t.reviews, auth: true, port: 0 });
  try {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    const ann = await t.as('ann');
    const { token } = (await ann('POST', '/api/users/ann/tokens', { label: 'script' })).json;
    const api = createClient({ baseUrl: server.url, token });
    assert.equal((await api.me()).user.name, 'ann');
    const queue = await api.createQueue('sql', { name: 'nightly', calibration: 0 });
    const added = await api.addItems(queue.id, { records: records(4) });
    await api.waitForJob(added.job!, { timeoutMs: 10_000 });
    const { item } = await api.next(queue.id);
    assert.ok(item);
    const first = await api.review(queue.id, item.id, { value: false, rationale: 'Count users, not events.' }, 'once');
    const retry = await api.review(queue.id, item.id, { value: false, rationale: 'Count users, not events.' }, 'once');
    assert.equal(retry.replayed, true);
    assert.deepEqual(retry.review, first.review);
    const { job } = await api.align('sql');
    const result = await api.waitForJob(job, { timeoutMs: 10_000 }) as { version: number; aligned: number };
    assert.equal(result.aligned, 1);
    const diff = await api.version('sql', result.version) as { episodesAdded: string[] };
    assert.deepEqual(diff.episodesAdded, [item.id]);
    await assert.rejects(api.createQueue('sql', { name: 'nightly' }), (e: ApiError) => e instanceof ApiError && e.status === 409 && e.code === 'conflict');
    await assert.rejects(createClient({ baseUrl: server.url }).judges(), (e: ApiError) => e.status === 401 && e.code === 'unauthorized');
    const doc = await api.openApi() as { paths: Record<string, unknown> };
    assert.ok(doc.paths['/api/queues/{queue}/items/{item}/reviews']);
  } finally {
    await server.close();
    await t.close();
  }
});

test('startServer refuses --no-auth off loopback, and names a port in use', async () => {
  const t = await testServer({ auth: false });
  try {
    await assert.rejects(startServer({ judges: [t.ma], reviews: t.reviews, auth: false, host: '0.0.0.0', port: 0 }), { code: 'config_error', message: /only on loopback/ });
    const one = await startServer({ judges: [t.ma], reviews: t.reviews, auth: false, port: 0 });
    try {
      await assert.rejects(startServer({ judges: [t.ma], reviews: t.reviews, auth: false, port: one.port }), { code: 'config_error', message: new RegExp(`Port ${one.port}`) });
    } finally { await one.close(); }
  } finally { await t.close(); }
});
