/// <reference lib="dom" />
// Screenshots of the review app's main screens for docs/screenshots/, from a seeded demo: the
// example judge (examples/judge.yaml), the loopback model server as its model, Debian's Chromium.
//   npm run screenshots
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { loadJudge, openMemalign, openReviewStore } from '../src/index.ts';
import { startLoopbackServer } from '../src/testing/index.ts';
import { dispatchJudgeEvent, hashPassword, startServer } from '../src/server/index.ts';

const ROOT = join(import.meta.dirname, '..');
const OUT = join(ROOT, 'docs', 'screenshots');
const dir = mkdtempSync(join(tmpdir(), 'memalign-shots-'));
const model = await startLoopbackServer({ latency: { fixedMs: 30 } });
const judge = await loadJudge(join(ROOT, 'examples', 'judge.yaml'));
const ma = await openMemalign({ judge, model: `${model.url}#demo`, store: join(dir, 'memory.db'), onEvent: dispatchJudgeEvent });
const reviews = await openReviewStore(ma.store);
await reviews.addUser('dana', 'admin', await hashPassword('demo password 1'));
const server = await startServer({ judges: [ma], reviews, auth: true, port: 0 });
const browser = await chromium.launch({ executablePath: process.env.MEMALIGN_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
try {
  // Memory from the example feedback, a queue of new answers judged on arrival.
  const feedback = readFileSync(join(ROOT, 'examples', 'feedback.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  await ma.align(feedback);
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1 });
  await page.goto(`${server.url}/login`);
  await page.fill('input[name=name]', 'dana');
  await page.fill('input[name=password]', 'demo password 1');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${server.url}/`);
  const call = (method: string, path: string, body?: unknown) => page.evaluate(async ([m, p, b]) => {
    const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content;
    const r = await fetch(p as string, { method: m as string, headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: b === undefined ? undefined : JSON.stringify(b) });
    return r.json();
  }, [method, path, body] as const);
  const queue = await call('POST', `/api/judges/${judge.name}/queues`, { name: 'weekly-answers', description: 'Answers the data assistant gave this week', reviewers: 2, overlap: 0.2, calibration: 0.1 });
  const questions = [
    ['What was revenue by product line in Q3?', 'SELECT product_line, SUM(amount)\nFROM raw.sales_events\nWHERE quarter = \'2025-Q3\'\nGROUP BY product_line'],
    ['How many active users did we have in October?', 'SELECT COUNT(*) FROM certified.monthly_active_users_v WHERE month = \'2025-10\''],
    ['Average order value by region, last 30 days', 'SELECT region, AVG(order_total) FROM finance.orders_v WHERE order_date >= CURRENT_DATE - 30 GROUP BY region'],
    ['Top 10 customers by revenue this year', 'SELECT customer, revenue FROM finance.revenue_v ORDER BY revenue DESC LIMIT 10'],
    ['Refund rate per month in 2025', 'SELECT month, refunds / orders AS rate FROM raw.refund_events'],
    ['New signups last week', 'SELECT COUNT(*) FROM certified.signups_v WHERE week = last_week()'],
    ['Revenue by region in 2025', 'SELECT region, SUM(amount) FROM finance.revenue_v WHERE year = 2025 GROUP BY region'],
    ['Churned accounts in Q2', 'SELECT COUNT(*) FROM raw.account_events WHERE type = \'cancel\''],
  ];
  const records = questions.map(([q, a], i) => ({ id: `w${i + 1}`, inputs: q, outputs: `\`\`\`sql\n${a}\n\`\`\`` }));
  const added = await call('POST', `/api/queues/${queue.id}/items`, { records });
  for (let i = 0; i < 100; i++) { if ((await call('GET', `/api/jobs/${added.job}`)).finished) break; await page.waitForTimeout(100); }
  await page.goto(`${server.url}/queues/${queue.id}`);
  await page.screenshot({ path: join(OUT, 'queue.png'), fullPage: true });
  // The judge follows its closest precedent (raw revenue by region: bad) where the query is right.
  await page.goto(`${server.url}/queues/${queue.id}/review/w7`);
  await page.keyboard.press('d');
  await page.keyboard.type('Right: it reads the certified view finance.revenue_v and filters the year. Raw tables are the problem, not revenue questions.');
  await page.screenshot({ path: join(OUT, 'focus.png'), fullPage: true });
  await page.keyboard.press('Control+Enter');
  await page.waitForURL((u) => !u.pathname.endsWith('/w7'));
  for (const [id, value, why] of [['w5', 'bad', 'Refund rates must use finance.refunds_v: raw refund events include test orders.'], ['w8', 'bad', 'Churn comes from certified.churn_v; raw account events count reactivations as churn.']]) {
    await call('POST', `/api/queues/${queue.id}/items/${id}/reviews`, { value, rationale: why });
  }
  await page.goto(`${server.url}/judges/${judge.name}`);
  await page.click('[data-action=align]');
  await page.waitForURL(/\/versions\/\d+$/, { timeout: 30_000 });
  await page.screenshot({ path: join(OUT, 'version.png'), fullPage: true });
  const g = (await ma.overview()).guidelines[0];
  await call('PATCH', `/api/judges/${judge.name}/guidelines/${g.id}`, { pinned: true });
  await page.goto(`${server.url}/judges/${judge.name}/memory`);
  await page.screenshot({ path: join(OUT, 'memory.png'), clip: { x: 0, y: 0, width: 1360, height: 860 } });
  await page.goto(`${server.url}/judges/${judge.name}`);
  await page.screenshot({ path: join(OUT, 'judge.png'), fullPage: true });
  process.stdout.write(`Screenshots written to ${OUT}\n`);
} finally {
  await browser.close();
  await server.close();
  await reviews.close();
  await ma.close();
  await model.close();
  rmSync(dir, { recursive: true, force: true });
}
