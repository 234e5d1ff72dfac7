// The review app in a real Chromium: what an expert does, by keyboard, and what an attacker tries.
/// <reference lib="dom" />
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server/index.ts';
import { testServer, records, judged, verdictLine, PASSWORD, type TestServer } from '../fixtures/server.ts';
import { XSS_PAYLOADS } from '../fixtures/xss.ts';
import { browserSkip, launchChromium } from '../fixtures/browser.ts';

let t: TestServer;
let server: RunningServer;
let browser: Browser;
let queueId: string;

if (!browserSkip) {
  test.before(async () => {
    t = await testServer();
    server = await startServer({ judges: [t.ma], reviews: t.reviews, auth: true, port: 0 });
    browser = await launchChromium();
    const ann = await t.as('ann');
    queueId = (await ann('POST', '/api/judges/sql/queues', { name: 'triage', calibration: 0 })).json.id;
    await ann('POST', `/api/queues/${queueId}/items`, { records: records(6) });
    await judged(t.reviews, queueId);
  });
  test.after(async () => {
    await browser?.close();
    await server?.close();
    await t?.close();
  });
}

/** A fresh browser session signed in through the sign-in form; every dialog and page error is recorded. */
async function signIn(name: string): Promise<{ page: Page; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1300, height: 900 } });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
  page.setDefaultTimeout(15_000);
  await page.goto(`${server.url}/queues/${queueId}`);
  assert.match(page.url(), /\/login\?next=/);
  await page.fill('input[name=name]', name);
  await page.fill('input[name=password]', PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/queues/${queueId}`);
  return { page, problems };
}

test('an expert reviews a queue by keyboard only: agree, disagree with a rationale, skip, back', { skip: browserSkip }, async () => {
  const { page, problems } = await signIn('rita');
  await page.goto(`${server.url}/queues/${queueId}/review`);
  const first = await page.getAttribute('[data-focus]', 'data-item');
  await page.keyboard.press('a');
  await page.keyboard.press('Control+Enter');
  await page.waitForURL((u) => !u.pathname.endsWith(`/${first}`));
  const second = await page.getAttribute('[data-focus]', 'data-item');
  await page.keyboard.press('d');
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('name')), 'rationale', 'disagree puts the cursor in the rationale');
  await page.keyboard.type('Counting events is not counting users: count distinct user ids.');
  await page.keyboard.press('Control+Enter');
  await page.waitForURL((u) => !u.pathname.endsWith(`/${second}`));
  const third = await page.getAttribute('[data-focus]', 'data-item');
  await page.keyboard.press('s');
  await page.waitForURL((u) => !u.pathname.endsWith(`/${third}`));
  await page.keyboard.press('b');
  await page.waitForURL((u) => u.pathname.endsWith(`/${third}`));
  await page.keyboard.press('?');
  assert.equal(await page.isVisible('#help'), true, '? shows the shortcuts');
  await page.keyboard.press('Escape');
  const mine = await Promise.all([first, second].map(async (id) => (await t.reviews.reviews(queueId, id!)).find((r) => r.reviewer === 'rita')));
  assert.equal(mine[0]?.value, true, 'agree took the judge\'s value');
  assert.equal(mine[1]?.value, false);
  assert.match(mine[1]?.rationale ?? '', /distinct user ids/);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('two reviewers on one item, in two browsers: both reviews are kept and neither sees the other\'s', { skip: browserSkip }, async () => {
  const ann = await t.as('ann');
  const q = (await ann('POST', '/api/judges/sql/queues', { name: 'pair', reviewers: 2, overlap: 1, calibration: 0 })).json.id;
  await ann('POST', `/api/queues/${q}/items`, { verdicts: [verdictLine('p1', true, { inputs: 'How many users?', outputs: 'SELECT 1' })] });
  const [a, b] = await Promise.all([signIn('rita'), signIn('rob')]);
  await Promise.all([a.page.goto(`${server.url}/queues/${q}/review`), b.page.goto(`${server.url}/queues/${q}/review`)]);
  assert.equal(await a.page.getAttribute('[data-focus]', 'data-item'), 'p1');
  assert.equal(await b.page.getAttribute('[data-focus]', 'data-item'), 'p1');
  await a.page.keyboard.press('a');
  await b.page.keyboard.press('d');
  await b.page.keyboard.type('The query answers nothing.');
  await Promise.all([a.page.keyboard.press('Control+Enter'), b.page.keyboard.press('Control+Enter')]);
  await Promise.all([a.page.waitForSelector('text=Nothing left for you'), b.page.waitForSelector('text=Nothing left for you')]);
  const reviews = await t.reviews.reviews(q, 'p1');
  assert.deepEqual(reviews.map((r) => [r.reviewer, r.value]).sort(), [['rita', true], ['rob', false]]);
  await a.page.goto(`${server.url}/queues/${q}/review/p1`);
  assert.equal(await a.page.locator('text=Other reviews').count(), 0, 'a reviewer is blind to the others');
  await a.page.context().close();
  await b.page.context().close();
});

test('a reviewer is denied admin actions: no align button, and the API refuses them', { skip: browserSkip }, async () => {
  const { page } = await signIn('rob');
  await page.goto(`${server.url}/judges/sql`);
  assert.equal(await page.locator('[data-action=align]').count(), 0);
  const status = await page.evaluate(async () => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
    const res = await fetch('/api/judges/sql/align', { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
    return [res.status, ((await res.json()) as { error: { code: string } }).error.code];
  });
  assert.deepEqual(status, [403, 'forbidden']);
  await page.goto(`${server.url}/users`);
  assert.match(await page.textContent('body') ?? '', /may not do this/);
  await page.context().close();
});

test('an admin aligns from the app, watches progress, and sees the memory diff and the flipped verdicts; then edits and pins a guideline', { skip: browserSkip }, async () => {
  const { page, problems } = await signIn('ann');
  await page.goto(`${server.url}/judges/sql`);
  await page.click('[data-action=align]');
  await page.waitForURL(/\/judges\/sql\/versions\/\d+$/, { timeout: 30_000 });
  const diff = await page.textContent('.diff') ?? '';
  assert.match(diff, /Guidelines added \([1-9]/);
  assert.match(diff, /distinct user ids/i);
  const flips = await page.locator('table.flips tbody tr').count();
  assert.ok(flips >= 1, 'the judge now disagrees where the expert did');
  await page.goto(`${server.url}/judges/sql/memory`);
  const item = page.locator('li.guideline').first();
  const id = await item.getAttribute('data-guideline');
  await item.locator('[data-action=edit-guideline]').click();
  await item.locator('form.gedit textarea').fill('Count distinct users, never events.');
  await item.locator('form.gedit button').click();
  await page.waitForLoadState('load');
  await page.waitForSelector(`li#${id} .gtext:text("Count distinct users, never events.")`);
  await page.locator(`li#${id} button:text("Pin")`).click();
  await page.waitForSelector(`li#${id} .badge.pin`);
  const g = (await t.ma.overview()).guidelines.find((x) => x.id === id)!;
  assert.equal(g.text, 'Count distinct users, never events.');
  assert.equal(g.pinned, true);
  assert.deepEqual(problems, []);
  await page.context().close();
});

test('XSS payloads in records, rationales, reviews and guidelines stay inert in the browser', { skip: browserSkip }, async () => {
  const ann = await t.as('ann');
  const q = (await ann('POST', '/api/judges/sql/queues', { name: 'hostile', description: XSS_PAYLOADS[1], calibration: 0 })).json.id;
  const lines = XSS_PAYLOADS.map((p, i) => ({ record: { id: `x${i}`, inputs: p, outputs: p, extra: p }, result: { ok: true, value: true, rationale: p, provenance: { memoryVersion: 0, guidelineIds: [], episodes: [] } } }));
  await ann('POST', `/api/queues/${q}/items`, { verdicts: lines });
  for (const [i, p] of XSS_PAYLOADS.entries()) {
    await ann('POST', `/api/queues/${q}/items/x${i}/reviews`, { value: false, rationale: p, expected: p });
    await ann('POST', '/api/judges/sql/guidelines', { text: `${p} (${i})` });
  }
  const { page, problems } = await signIn('ann');
  const blocked: string[] = [];
  page.on('request', (r) => { if (!r.url().startsWith(server.url)) blocked.push(r.url()); });
  for (const path of [`/queues/${q}`, ...XSS_PAYLOADS.map((_, i) => `/queues/${q}/review/x${i}`), '/judges/sql/memory', '/judges/sql/log', '/audit']) {
    await page.goto(`${server.url}${path}`);
    await page.waitForLoadState('load');
    for (const link of await page.locator('a[href^="javascript:"], a[href^="data:"]').all()) assert.fail(`dangerous link on ${path}: ${await link.getAttribute('href')}`);
    await page.locator('.md a').evaluateAll((links) => links.forEach((a) => (a as HTMLAnchorElement).click()));
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, `a payload ran on ${path}`);
  }
  assert.deepEqual(problems.filter((p) => p.startsWith('dialog')), []);
  assert.deepEqual(blocked.filter((u) => !u.startsWith('javascript:')), [], 'no request left the server');
  await page.context().close();
});

test('an admin uploads a CSV with a column mapping through the queue page; a bad file is refused with its line, in the page', { skip: browserSkip }, async () => {
  const ann = await t.as('ann');
  const q = (await ann('POST', '/api/judges/sql/queues', { name: 'upload', calibration: 0 })).json.id;
  const { page, problems } = await signIn('ann');
  await page.goto(`${server.url}/queues/${q}`);
  await page.setInputFiles('form[data-form=upload] input[type=file]', { name: 'bad.csv', mimeType: 'text/csv', buffer: Buffer.from('qid,question,answer\nu1,"never closed,x\n') });
  await page.fill('form[data-form=upload] input[name=map]', 'id=qid,inputs=question,outputs=answer');
  await page.click('form[data-form=upload] button');
  await page.waitForSelector('form[data-form=upload] [data-error]:text("bad.csv")');
  await page.setInputFiles('form[data-form=upload] input[type=file]', { name: 'answers.csv', mimeType: 'text/csv', buffer: Buffer.from('qid,question,answer\nu1,How many users?,SELECT 1\nu2,Revenue?,SELECT 2\n') });
  await page.click('form[data-form=upload] button');
  await page.waitForSelector('table a:text("u2")', { timeout: 20_000 });
  assert.equal((await t.reviews.progress(q)).total, 2);
  assert.deepEqual(problems, []);
  await page.context().close();
});
