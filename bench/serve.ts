// The review server under load: `memalign serve` in its own process (SQLite file, then a throwaway
// PostgreSQL cluster with fsync on), the loopback model server in another, and N simulated
// reviewers on a queue over loopback HTTP, each taking the next item and submitting a review. Two
// paces: reviewers who think `--think` ms per item (default 200 ms, far faster than any expert),
// and reviewers who never think (the server's capacity). Pauses vary from 0.5 to 1.5 × `--think`.
//   npm run bench:serve [-- --items 10000 --reviewers 50 --think 200 --latency 20 --concurrency 32]
// Writes the "serve" section of BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { createClient, type MemalignClient } from '../src/index.ts';
import { startPostgres } from '../src/testing/index.ts';
import { corpus } from './lib/corpus.ts';
import { loopbackProcess } from './lib/loopback-process.ts';
import { ROOT, machineLine, median, percentile, writeSection } from './lib/benchmarks-md.ts';

const { values } = parseArgs({ options: {
  items: { type: 'string', default: '10000' }, reviewers: { type: 'string', default: '50' }, latency: { type: 'string', default: '20' },
  concurrency: { type: 'string', default: '32' }, stores: { type: 'string', default: 'sqlite,postgres' }, think: { type: 'string', default: '200' },
} });
const ITEMS = Number(values.items);
const REVIEWERS = Number(values.reviewers);
const LATENCY = Number(values.latency);
const C = Number(values.concurrency);
const THINK = Number(values.think);
const BIN = join(ROOT, 'bin', 'memalign.js');
const log = (s: string) => process.stderr.write(`${s}\n`);

async function serve(dir: string, store: string, model: string): Promise<{ url: string; password: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--store', store, '-c', String(C)], { cwd: dir, env: { ...process.env, MEMALIGN_MODEL: model }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => { out += d; });
  proc.stderr!.on('data', (d) => { err += d; });
  for (let i = 0; i < 600 && !/^http:\/\/\S+$/m.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  const url = out.match(/^(http:\/\/\S+)$/m)?.[1];
  const password = err.match(/created "admin" with password (\S+)/)?.[1];
  if (!url || !password) throw new Error(`memalign serve did not start: ${err}`);
  return { url, password, proc };
}

function rss(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(status.match(new RegExp(`${key}:\\s+(\\d+)`))?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

/** An admin API client: signs in, then mints a token (tokens need no CSRF). */
async function adminClient(url: string, password: string): Promise<MemalignClient> {
  const login = await fetch(`${url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'admin', password }) });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrf } = await login.json() as { csrf: string };
  const res = await fetch(`${url}/api/users/admin/tokens`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf, 'content-type': 'application/json' }, body: '{"label":"bench"}' });
  return createClient({ baseUrl: url, token: ((await res.json()) as { token: string }).token });
}

/**
 * After a bulk load, the database's own upkeep (PostgreSQL: vacuuming the superseded row versions
 * of 10 000 updated items, checkpointing; SQLite: folding the WAL back) competes for the same two
 * cores as the server for tens of seconds. It is done now, so the review phases measure serving.
 */
async function settle(store: string): Promise<void> {
  if (store.startsWith('postgres')) {
    const client = new pg.Client(store);
    await client.connect();
    await client.query('VACUUM ANALYZE memalign.review_items, memalign.review_verdicts, memalign.review_reservations, memalign.review_reviews');
    await client.query('CHECKPOINT');
    await client.end();
  } else {
    const db = new DatabaseSync(store);
    db.exec('PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE);');
    db.close();
  }
}

interface Phase { think: number; next: number[]; submit: number[]; submitted: number; handedTwice: number; replays: number; replayed: number; reviews: number; itemsNotOnce: number; wallS: number }
interface Run { store: string; judgeS: number; judgeIdealS: number; phases: Phase[]; rss: { rssMb: number; peakMb: number }; rssStartMb: number; heapUsedMb: number; heapTotalMb: number }

/** N reviewers work through a queue until it is empty; every 50th submission is retried with its idempotency key. */
async function review(admin: MemalignClient, reviewers: MemalignClient[], queue: string, think: number): Promise<Phase> {
  let seed = 12345;
  const jitter = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const next: number[] = [];
  const submit: number[] = [];
  const handed = new Map<string, number>();
  let submitted = 0, replays = 0, replayed = 0;
  const w0 = performance.now();
  await Promise.all(reviewers.map(async (api, r) => {
    // Reviewers start spread over one think time, as people do.
    if (think) await new Promise((res) => setTimeout(res, (r / reviewers.length) * think));
    for (let guard = 0; guard < ITEMS + 10; guard++) {
      const a = performance.now();
      const { item } = await api.next(queue);
      next.push(performance.now() - a);
      if (!item) return;
      handed.set(item.id, (handed.get(item.id) ?? 0) + 1);
      // People do not pause the same time on every item: 0.5–1.5 × the pause (reproducibly).
      if (think) await new Promise((res) => setTimeout(res, think * (0.5 + jitter())));
      const key = `${queue}-rev${r}-${item.id}`;
      const body = { value: (guard + r) % 3 !== 0, rationale: `Reviewer ${r}: ${(guard + r) % 3 ? 'fine' : 'the query counts the wrong rows'}.` };
      const c = performance.now();
      await api.review(queue, item.id, body, key);
      submit.push(performance.now() - c);
      submitted += 1;
      if (submitted % 50 === 0) { replays += 1; if ((await api.review(queue, item.id, body, key)).replayed) replayed += 1; }
    }
  }));
  const wallS = (performance.now() - w0) / 1000;
  const info = await admin.queue(queue);
  let itemsNotOnce = 0;
  for (let cursor: string | null = null, guard = 0; guard < 1000; guard++) {
    const page = await admin.items(queue, { limit: 500, cursor });
    itemsNotOnce += page.items.filter((i) => i.reviews !== 1).length;
    cursor = page.next;
    if (!cursor) break;
  }
  return { think, next, submit, submitted, handedTwice: [...handed.values()].filter((n) => n > 1).length, replays, replayed, reviews: info.progress.reviews, itemsNotOnce, wallS };
}

async function measure(kind: string, store: string, model: string): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'memalign-bench-serve-'));
  mkdirSync(join(dir, 'judges'));
  writeFileSync(join(dir, 'judges', 'bench.yaml'), 'name: bench\ninstructions: Is {{ outputs }} a correct answer to {{ inputs }}?\noutput: boolean\n');
  const server = await serve(dir, store, model);
  try {
    const rssStartMb = rss(server.proc.pid!).rssMb;
    const admin = await adminClient(server.url, server.password);
    const reviewers: MemalignClient[] = [];
    for (let i = 0; i < REVIEWERS; i++) {
      await admin.addUser({ name: `rev${i}`, role: 'reviewer', password: `reviewer ${i} password` });
      reviewers.push(createClient({ baseUrl: server.url, token: (await admin.createToken(`rev${i}`, 'bench')).token }));
    }
    const paced = await admin.createQueue('bench', { name: 'paced', calibration: 0 });
    const records = corpus(ITEMS).map((c, i) => ({ id: `item${i}`, inputs: c.inputs, outputs: c.outputs }));
    log(`${kind}: adding ${ITEMS} items (judged on arrival at ${LATENCY} ms per model call, ${C} in flight)…`);
    const t0 = performance.now();
    const added = await admin.addItems(paced.id, { records });
    await admin.waitForJob(added.job!, { intervalMs: 100, timeoutMs: 3_600_000 });
    const judgeS = (performance.now() - t0) / 1000;
    log(`${kind}: judged in ${judgeS.toFixed(1)} s; letting the store settle, then ${REVIEWERS} reviewers at ${THINK} ms per item…`);
    await settle(store);
    const phases = [await review(admin, reviewers, paced.id, THINK)];
    // The same items again, from a verdicts file (no model call), for reviewers who never pause.
    const flat = await admin.createQueue('bench', { name: 'flat-out', calibration: 0 });
    const lines = (await Promise.all(Array.from({ length: Math.ceil(ITEMS / 500) }, (_, p) => admin.items(paced.id, { limit: 500, cursor: String(p * 500) }))))
      .flatMap((page) => page.items).map((i) => ({ record: i.record, result: { ok: true, ...i.verdict } }));
    await admin.addItems(flat.id, { verdicts: lines });
    await settle(store);
    log(`${kind}: ${REVIEWERS} reviewers flat out…`);
    phases.push(await review(admin, reviewers, flat.id, 0));
    const health = await admin.health();
    return { store: kind, judgeS, judgeIdealS: (ITEMS * LATENCY) / C / 1000, phases, rss: rss(server.proc.pid!), rssStartMb, heapUsedMb: health.memory!.heapUsedMb, heapTotalMb: health.memory!.heapTotalMb };
  } finally {
    server.proc.kill('SIGTERM');
    await new Promise((r) => server.proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

const model = await loopbackProcess({ ms: LATENCY });
const runs: Run[] = [];
try {
  for (const kind of values.stores.split(',')) {
    if (kind === 'sqlite') runs.push(await measure('SQLite', join(mkdtempSync(join(tmpdir(), 'memalign-bench-db-')), 'memory.db'), `${model.url}#loop`));
    if (kind === 'postgres') {
      const pg = await startPostgres({ durable: true });
      try { runs.push(await measure('PostgreSQL', pg.url, `${model.url}#loop`)); } finally { await pg.stop(); }
    }
  }
} finally { model.proc.kill('SIGTERM'); }

const ms = (x: number) => `${x.toFixed(1)} ms`;
const rows = runs.flatMap((r) => r.phases.map((p) => `| ${r.store} | ${p.think ? `${p.think} ms per item (mean)` : 'none (capacity)'} | ${ms(median(p.next))} | ${ms(percentile(p.next, 99))} | ${ms(median(p.submit))} | ${ms(percentile(p.submit, 99))} | ${(p.submitted / p.wallS).toFixed(0)}/s | ${p.submitted} / ${p.reviews} | ${p.itemsNotOnce} | ${p.handedTwice} | ${p.replayed}/${p.replays} |`));
const paced = runs.map((r) => r.phases[0]);
const pass = paced.every((p) => percentile(p.next, 99) <= 50 && percentile(p.submit, 99) <= 50) && runs.every((r) => r.phases.every((p) => p.itemsNotOnce === 0 && p.handedTwice === 0 && p.reviews === ITEMS && p.replayed === p.replays));
const body = [
  '## Review server under load (issue #11: `npm run bench:serve`)',
  '',
  `\`npm run bench:serve -- --items ${ITEMS} --reviewers ${REVIEWERS} --think ${THINK} --latency ${LATENCY} --concurrency ${C}\`. ${machineLine()} \`memalign serve\` in its own process with authentication on; ${REVIEWERS} reviewers with API tokens over loopback HTTP (the client in a third process), each asking for the next item and submitting a review with an idempotency key; every 50th submission is retried with its key. Next-item and submit make no model call: their latency is the server's own. Each store serves a ${ITEMS}-item queue judged on arrival through the loopback model server (own process, ${LATENCY} ms per call, ${C} in flight), reviewed with pauses of ${THINK / 2}–${(THINK * 3) / 2} ms per item (mean ${THINK} ms: far faster than any expert reads), then the same items from a verdicts file, reviewed with no pause at all. Before each review phase the store is left to settle (PostgreSQL: \`VACUUM ANALYZE\` of the review tables and a \`CHECKPOINT\`; SQLite: a WAL checkpoint), so the phases measure serving rather than the database's upkeep after a bulk load, which shares the same two cores.`,
  '',
  '| Store | reviewer pause | next p50 | next p99 | submit p50 | submit p99 | reviews/s | submitted / stored | items not reviewed exactly once | items handed to two | retries replayed |',
  '|---|---|---|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
  ...runs.map((r) => `${r.store}: judging ${ITEMS} items on arrival took ${r.judgeS.toFixed(1)} s (ideal ${r.judgeIdealS.toFixed(1)} s at ${C} × ${LATENCY} ms); server RSS ${r.rssStartMb.toFixed(0)} MB at start, ${r.rss.rssMb.toFixed(0)} MB at the end (peak ${r.rss.peakMb.toFixed(0)} MB; V8 heap ${r.heapUsedMb.toFixed(0)} MB used of ${r.heapTotalMb.toFixed(0)} MB reserved, from /api/health), after ${2 * ITEMS} items judged or loaded and reviewed.`),
  '',
  `Target: p99 of next-item and submit ≤ 50 ms at the reviewers' pace, no lost or duplicated feedback at either pace — ${pass ? 'met' : '**not met**'} in this run.`,
].join('\n');
writeSection('serve', body);
process.stdout.write(`${body}\n`);
