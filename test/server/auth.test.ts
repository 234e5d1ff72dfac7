// Authentication, sessions, CSRF, roles and rate limits of the review server, in process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testServer, verdictLine, PASSWORD } from '../fixtures/server.ts';

test('without a session the API answers 401 and pages send you to sign in; a wrong password is 401, then 429 after 5 tries per user and 30 per address', async () => {
  const t = await testServer();
  try {
    const anon = await t.as(null);
    assert.equal((await anon('GET', '/api/judges')).status, 401);
    const page = await anon('GET', '/judges/sql');
    assert.equal(page.status, 302);
    assert.match(page.headers.get('location') ?? '', /^\/login\?next=%2Fjudges%2Fsql/);
    for (let i = 0; i < 5; i++) assert.equal((await anon('POST', '/api/auth/login', { name: 'ann', password: 'wrong password' })).status, 401);
    const limited = await anon('POST', '/api/auth/login', { name: 'ann', password: PASSWORD });
    assert.equal(limited.status, 429, 'even the right password waits once the limit is hit');
    assert.equal(limited.json.error.code, 'rate_limited');
    assert.ok(Number(limited.headers.get('retry-after')) > 0);
    assert.equal((await anon('POST', '/api/auth/login', { name: 'rita', password: PASSWORD })).status, 200, 'other users are not locked out by one user\'s failures');
    for (let i = 0; i < 30; i++) await anon('POST', '/api/auth/login', { name: `guess${i}`, password: 'wrong password' });
    assert.equal((await anon('POST', '/api/auth/login', { name: 'rob', password: PASSWORD })).status, 429, 'after 30 failures from one address, it waits too');
  } finally { await t.close(); }
});

test('sign-in sets an HTTP-only SameSite=Strict cookie; state changes need the CSRF token, same origin and JSON', async () => {
  const t = await testServer();
  try {
    const anon = await t.as(null);
    const login = await anon('POST', '/api/auth/login', { name: 'ann', password: PASSWORD });
    const cookie = login.headers.get('set-cookie') ?? '';
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.match(cookie, /Path=\//);
    const session = cookie.split(';')[0];
    const body = JSON.stringify({ name: 'triage' });
    const post = (headers: Record<string, string>) => t.app.request('/api/judges/sql/queues', { method: 'POST', body, headers: { host: '127.0.0.1:8787', cookie: session, 'content-type': 'application/json', ...headers } });
    const noToken = await post({});
    assert.equal(noToken.status, 403);
    assert.equal(((await noToken.json()) as { error: { code: string } }).error.code, 'csrf');
    assert.equal((await post({ 'x-csrf-token': 'guess' })).status, 403);
    assert.equal((await post({ 'x-csrf-token': login.json.csrf, origin: 'http://evil.example' })).status, 403, 'a cross-origin request is refused even with the token');
    const form = await t.app.request('/api/judges/sql/queues', { method: 'POST', body: 'name=triage', headers: { host: '127.0.0.1:8787', cookie: session, 'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': login.json.csrf } });
    assert.equal(form.status, 415);
    assert.equal((await post({ 'x-csrf-token': login.json.csrf, origin: 'http://127.0.0.1:8787' })).status, 200);
    const logout = await t.app.request('/api/auth/logout', { method: 'POST', headers: { host: '127.0.0.1:8787', cookie: session, 'x-csrf-token': login.json.csrf } });
    assert.equal(logout.status, 200);
    assert.equal((await t.app.request('/api/me', { headers: { host: '127.0.0.1:8787', cookie: session } })).status, 401, 'the session ended on the server, not only in the browser');
  } finally { await t.close(); }
});

test('roles: a reviewer may review but not create queues, align, edit memory or manage users; a viewer may only read', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json;
    await ann('POST', `/api/queues/${q.id}/items`, { verdicts: [verdictLine('a', true)] });
    const rita = await t.as('rita');
    for (const [method, path, body] of [['POST', '/api/judges/sql/queues', { name: 'x' }], ['POST', '/api/judges/sql/align', undefined], ['POST', '/api/judges/sql/guidelines', { text: 'Be exact.' }],
      ['POST', '/api/users', { name: 'eve', role: 'admin', password: 'long enough password' }], ['GET', '/api/audit', undefined], ['POST', `/api/queues/${q.id}/items`, { records: [] }]] as const) {
      const res = await rita(method, path, body);
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.json.error.code, 'forbidden');
    }
    assert.equal((await rita('POST', `/api/queues/${q.id}/next`)).json.item.id, 'a');
    assert.equal((await rita('POST', `/api/queues/${q.id}/items/a/reviews`, { value: false, rationale: 'no' })).status, 200);
    const vic = await t.as('vic');
    assert.equal((await vic('GET', `/api/queues/${q.id}`)).status, 200);
    assert.equal((await vic('POST', `/api/queues/${q.id}/next`)).status, 403);
    assert.equal((await vic('POST', `/api/queues/${q.id}/items/a/reviews`, { value: true })).status, 403);
    const audit = (await ann('GET', '/api/audit')).json.items.map((e: { action: string; user: string }) => `${e.user}:${e.action}`);
    assert.ok(audit.includes('rita:review.submit') && audit.includes('ann:queue.create'), audit.join());
  } finally { await t.close(); }
});

test('API tokens authenticate without cookies or CSRF; a disabled user\'s token and sessions stop working', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const { token } = (await ann('POST', '/api/users/rita/tokens', { label: 'ci' })).json;
    assert.match(token, /^mat_/);
    const bearer = { authorization: `Bearer ${token}` };
    const anon = await t.as(null);
    assert.equal((await anon('GET', '/api/me', undefined, bearer)).json.user.name, 'rita');
    assert.equal((await anon('GET', '/api/me', undefined, { authorization: 'Bearer mat_wrong' })).status, 401);
    const rita = await t.as('rita');
    assert.equal((await ann('PATCH', '/api/users/rita', { disabled: true })).status, 200);
    assert.equal((await anon('GET', '/api/me', undefined, bearer)).status, 401);
    assert.equal((await rita('GET', '/api/me')).status, 401);
    assert.equal((await ann('PATCH', '/api/users/ann', { role: 'viewer' })).status, 409, 'an admin cannot demote themselves');
    assert.equal((await ann('POST', '/api/users', { name: 'eve', role: 'reviewer', password: 'short' })).json.error.issues[0].path, 'password');
  } finally { await t.close(); }
});

test('without auth every request is the local admin, but only for loopback host names (no DNS rebinding)', async () => {
  const t = await testServer({ auth: false });
  try {
    const local = await t.as(null);
    assert.equal((await local('GET', '/api/me')).json.user.name, 'local');
    assert.equal((await local('GET', '/api/me', undefined, { host: 'evil.example:8787' })).status, 403);
    assert.equal((await local('POST', '/api/judges/sql/queues', { name: 'q' }, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await local('POST', '/api/judges/sql/queues', { name: 'q' }, { 'sec-fetch-site': 'cross-site' })).status, 403);
    assert.equal((await local('POST', '/api/judges/sql/queues', { name: 'q' })).status, 200);
  } finally { await t.close(); }
});

test('every response carries a strict Content-Security-Policy and no-sniff; the OpenAPI document lists every API route', async () => {
  const t = await testServer();
  try {
    const anon = await t.as(null);
    const res = await anon('GET', '/login');
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const doc = (await anon('GET', '/api/openapi.json')).json;
    assert.equal(doc.openapi, '3.1.0');
    const documented = new Set(Object.entries(doc.paths as Record<string, object>).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`)));
    const routed = t.app.routes.filter((r) => r.path.startsWith('/api/') && r.method !== 'ALL' && r.path !== '/api/openapi.json').map((r) => `${r.method} ${r.path}`);
    for (const r of routed) assert.ok(documented.has(r), `${r} is not in the OpenAPI document`);
    assert.ok(routed.length >= 30);
  } finally { await t.close(); }
});

test('hostile requests: bodies over the limit (with or without a length), bad cursors and unknown routes get clear errors, never a crash', async () => {
  const t = await testServer();
  try {
    const { createApp } = await import('../../src/server/index.ts');
    const small = createApp({ judges: [t.ma], reviews: t.reviews, auth: false, maxBodyBytes: 1000 }).app;
    const big = JSON.stringify({ records: [{ id: 'x', inputs: 'a'.repeat(5000), outputs: 'b' }] });
    const declared = await small.request('/api/judges/sql/queues', { method: 'POST', headers: { host: '127.0.0.1:1', 'content-type': 'application/json', 'content-length': String(big.length) }, body: big });
    assert.equal(declared.status, 413);
    const stream = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode(big)); c.close(); } });
    const chunked = await small.request('/api/judges/sql/queues', { method: 'POST', headers: { host: '127.0.0.1:1', 'content-type': 'application/json' }, body: stream, duplex: 'half' } as RequestInit);
    assert.equal(chunked.status, 413);
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'c', calibration: 0 })).json;
    for (const cursor of ['-5', 'abc', '1e9', '99999999999999999999']) {
      const res = await ann('GET', `/api/queues/${q.id}/items?cursor=${encodeURIComponent(cursor)}`);
      assert.equal(res.status, 200, cursor);
      assert.equal((await ann('GET', `/api/audit?cursor=${encodeURIComponent(cursor)}`)).status, 200, cursor);
      const log = await ann('GET', `/api/judges/sql/log?cursor=${encodeURIComponent(cursor)}`);
      assert.ok(log.status === 200 || log.json.error.code === 'invalid_input', `log cursor ${cursor}: ${log.status}`);
    }
    assert.equal((await ann('GET', `/api/queues/${q.id}/items?limit=abc`)).json.error.code, 'invalid_input');
    assert.equal((await ann('GET', '/api/nope')).json.error.code, 'not_found');
    assert.equal((await ann('POST', '/api/judges/sql/queues', '{"name": ')).json.error.code, 'invalid_input');
    assert.equal((await ann('POST', '/api/judges/sql/queues', '[1,2]')).status, 400);
    assert.equal((await ann('GET', '/api/judges/nope/queues')).status, 404);
    assert.equal((await ann('GET', '/login?next=//evil.example')).status, 302, 'signed in: straight to the app');
    const anon = await t.as(null);
    assert.match((await anon('GET', '/login?next=//evil.example/x')).text, /data-next="\/"/, 'the sign-in redirect stays on this site');
  } finally { await t.close(); }
});

test('/api/health answers anyone with ok and the version, and admins also with memory and jobs', async () => {
  const t = await testServer();
  try {
    const anon = await t.as(null);
    const open = (await anon('GET', '/api/health')).json;
    assert.equal(open.ok, true);
    assert.equal(open.memory, undefined);
    assert.equal((await (await t.as('rita'))('GET', '/api/health')).json.memory, undefined);
    const admin = (await (await t.as('ann'))('GET', '/api/health')).json;
    assert.ok(admin.memory.rssMb > 0 && admin.memory.heapUsedMb > 0);
    assert.equal(admin.jobs, 0);
  } finally { await t.close(); }
});
