// The shared PostgreSQL store and distributed batch judging, measured on a throwaway cluster
// (durable: fsync on) with the loopback model server in its own process:
//   npm run bench:postgres [-- --records 20000 --concurrency 32,16 --workers 1,2,4,8 --trials 10 --episodes 100000] [--only queue|memory]
// Writes the "postgres" (scaling, queue overhead, faults) and "postgres-memory" sections of BENCHMARKS.md.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DatabaseSync } from 'node:sqlite';
import { openMemalign, openPostgresStore, openSqliteStore, createBatch, startJobEngine, batchStatus, hashedEmbedder, type MemoryStore } from '../src/index.ts';
import { startPostgres } from '../src/testing/index.ts';
import { corpus } from './lib/corpus.ts';
import { loopbackProcess } from './lib/loopback-process.ts';
import { ROOT, machineLine, median, writeSection } from './lib/benchmarks-md.ts';

const { values } = parseArgs({ options: {
  records: { type: 'string', default: '20000' }, concurrency: { type: 'string', default: '32,16' }, workers: { type: 'string', default: '1,2,4,8' },
  trials: { type: 'string', default: '10' }, episodes: { type: 'string', default: '100000' }, latency: { type: 'string', default: '300' },
  only: { type: 'string', default: 'all' },
} });
// --only queue (scaling, overhead, faults) or --only memory: each writes its own section.
const ONLY = values.only;
if (!['all', 'queue', 'memory'].includes(ONLY)) throw new Error(`--only must be all, queue or memory, not ${ONLY}`);
const RECORDS = Number(values.records);
// Scaling runs at each concurrency per worker given; faults and overhead use the first.
const CS = values.concurrency.split(',').map(Number);
const C = CS[0];
const WORKERS = values.workers.split(',').map(Number);
const TRIALS = Number(values.trials);
const EPISODES = Number(values.episodes);
const LATENCY = Number(values.latency);
// Large enough that a kill 1.5–5.5 s in always lands mid-batch.
const FAULT_RECORDS = 2000;
const BIN = join(ROOT, 'bin', 'memalign.js');
const judge = { name: 'bench', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };
const log = (s: string) => process.stderr.write(`${s}\n`);

function child(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.on('exit', (code) => resolve({ code, out }));
  });
}

const records = (n: number, tag: string) => corpus(n).map((c, i) => ({ id: `${tag}${i}`, inputs: c.inputs, outputs: c.outputs }));

async function seed(store: MemoryStore, model: string): Promise<void> {
  const ma = await openMemalign({ judge, store, model });
  await ma.align(corpus(60).map((c, i) => ({ record: { id: `seed${i}`, inputs: c.inputs, outputs: c.outputs }, value: c.label === 'true', rationale: `Seed ${i}: ${c.label === 'true' ? 'the answer matches' : 'the answer is wrong'}.` })));
  await ma.close();
}

async function resultTimes(client: pg.Client, schema: string, batch: string): Promise<{ n: number; spanS: number; dup: number }> {
  const r = (await client.query(`SELECT count(*) AS n, count(DISTINCT seq) AS d, extract(epoch FROM (max(at)::timestamptz - min(at)::timestamptz)) AS span FROM ${schema}.batch_results WHERE batch = $1`, [batch])).rows[0];
  return { n: Number(r.n), spanS: Number(r.span), dup: Number(r.n) - Number(r.d) };
}

const server = await startPostgres({ durable: true, settings: { max_connections: '400', shared_buffers: '256MB' } });
const slow = await loopbackProcess({ ms: LATENCY });
const client = new pg.Client(server.url);
await client.connect();
const sections: string[] = [];
try {
  // 1. Scaling: one batch per worker count, equal concurrency per worker.
  const scaling: string[] = [];
  if (ONLY !== 'memory') {
    const url = `${server.url}?schema=scale`;
    const store = await openPostgresStore(url);
    await seed(store, `${slow.url}#bench`);
    const boss = await startJobEngine(store, { supervise: false });
    for (const c of CS) for (const w of WORKERS) {
      // Beside it, the same model path without the queue: judgeMany in this process at the same
      // total concurrency (what the provider and this machine allow; the VM's timers fire ~5 % late).
      const baseN = Math.max(1000, w * c * 15);
      const ma = await openMemalign({ judge, store, model: `${slow.url}#bench` });
      const tb = performance.now();
      await ma.judgeMany(records(baseN, `b${w}_${c}_`), { concurrency: w * c });
      const baseline = baseN / ((performance.now() - tb) / 1000);
      await ma.close();
      const batch = await createBatch(store, boss, { judge, model: `${slow.url}#bench`, records: records(RECORDS, `s${w}_${c}_`) });
      const started = performance.now();
      const runs = await Promise.all(Array.from({ length: w }, (_, i) => child([BIN, 'worker', '-c', String(c), '--exit-when-idle', '2', '--name', `w${i}`, '--quiet'], { MEMALIGN_STORE: url })));
      const wall = (performance.now() - started) / 1000;
      if (runs.some((r) => r.code !== 0)) throw new Error(`a worker failed: ${runs.map((r) => r.code).join(',')}`);
      const status = await batchStatus(store, batch.id);
      const t = await resultTimes(client, 'scale', batch.id);
      const ideal = (w * c) / (LATENCY / 1000);
      const rate = t.n / t.spanS;
      log(`scaling: ${w} worker(s) × ${c}: ${t.n} verdicts in ${t.spanS.toFixed(1)} s = ${rate.toFixed(1)}/s, ideal ${ideal.toFixed(1)}/s → ${(rate / ideal).toFixed(3)}; in process at ${w * c}: ${baseline.toFixed(1)}/s → ${(rate / baseline).toFixed(3)}; wall ${wall.toFixed(1)} s`);
      scaling.push(`| ${w} | ${c} | ${t.n} | ${status.failed} | ${t.dup} | ${t.spanS.toFixed(1)} s | ${rate.toFixed(1)} | ${ideal.toFixed(1)} | **${(rate / ideal).toFixed(3)}** ${rate / ideal >= 0.9 ? '✔' : '✗'} | ${baseline.toFixed(1)} | ${(rate / baseline).toFixed(3)} | ${wall.toFixed(1)} s |`);
    }
    await boss.stop({ graceful: false });
    await store.close();
  }

  // 2. Queue overhead per verdict: the same records at zero model latency, one record at a time,
  // through one worker process and in process (judgeMany), side by side.
  let overhead = '';
  if (ONLY !== 'memory') {
    const fast = await loopbackProcess({ ms: 0 });
    const url = `${server.url}?schema=overhead`;
    const store = await openPostgresStore(url);
    await seed(store, `${fast.url}#bench`);
    const n = 400;
    const recs = records(n, 'o');
    const ma = await openMemalign({ judge, store, model: `${fast.url}#bench`, embedder: hashedEmbedder() });
    await ma.judgeMany(recs.slice(0, 50), { concurrency: 1 });
    const t0 = performance.now();
    await ma.judgeMany(recs, { concurrency: 1 });
    const inProcess = (performance.now() - t0) / n;
    await ma.close();
    const boss = await startJobEngine(store, { supervise: false });
    const batch = await createBatch(store, boss, { judge, model: `${fast.url}#bench`, records: recs });
    await boss.stop({ graceful: false });
    const r = await child([BIN, 'worker', '-c', '1', '--exit-when-idle', '1', '--quiet'], { MEMALIGN_STORE: url });
    if (r.code !== 0) throw new Error('overhead worker failed');
    const t = await resultTimes(client, 'overhead', batch.id);
    const queued = (t.spanS * 1000) / (t.n - 1);
    overhead = `Queue overhead per verdict (${n} records, model at 0 ms, one at a time, same store and model): in process ${inProcess.toFixed(2)} ms, through a worker ${queued.toFixed(2)} ms → **${(queued - inProcess).toFixed(2)} ms** of fetch, record read, completion and verdict write per verdict.`;
    log(overhead);
    fast.proc.kill();
    await store.close();
  }

  // 3. Faults: kill -9 one of two workers at a random moment; count lost and duplicate verdicts and
  // how long the killed worker's jobs waited.
  const faults: string[] = [];
  if (ONLY !== 'memory') {
    const url = `${server.url}?schema=faults`;
    const store = await openPostgresStore(url);
    await seed(store, `${slow.url}#bench`);
    const boss = await startJobEngine(store, { supervise: false });
    let lostTotal = 0; let dupTotal = 0;
    const pickups: number[] = [];
    for (let trial = 0; trial < TRIALS; trial++) {
      const batch = await createBatch(store, boss, { judge, model: `${slow.url}#bench`, records: records(FAULT_RECORDS, `f${trial}_`) });
      const env = { MEMALIGN_STORE: url };
      const victim = spawn(process.execPath, [BIN, 'worker', '-c', String(C), '--name', 'victim', '--quiet'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      const survivorProc = spawn(process.execPath, [BIN, 'worker', '-c', String(C), '--name', 'survivor', '--quiet'], { env: { ...process.env, ...env }, stdio: 'ignore' });
      const survivor = new Promise<number | null>((res) => survivorProc.once('exit', (code) => res(code)));
      const killAt = 1500 + Math.random() * 4000;
      await new Promise((r) => setTimeout(r, killAt));
      victim.kill('SIGKILL');
      const killed = performance.now();
      // Jobs retried after the kill are the victim's (the model never fails here).
      let pickup = NaN;
      for (let i = 0; i < 600 && Number.isNaN(pickup); i++) {
        const r = (await client.query(`SELECT count(*) AS n FROM faults_jobs.job WHERE data->>'batch' = $1 AND retry_count > 0`, [batch.id])).rows[0];
        if (Number(r.n) > 0) pickup = (performance.now() - killed) / 1000;
        else if ((await batchStatus(store, batch.id)).state === 'done') break; // the victim held nothing
        else await new Promise((res) => setTimeout(res, 100));
      }
      // The survivor stays until the batch is done (or 90 s have passed), then is stopped.
      let status = await batchStatus(store, batch.id);
      for (let i = 0; i < 360 && status.state !== 'done'; i++) {
        await new Promise((res) => setTimeout(res, 250));
        status = await batchStatus(store, batch.id);
      }
      survivorProc.kill('SIGTERM');
      if ((await survivor) !== 0) throw new Error('survivor failed');
      const t = await resultTimes(client, 'faults', batch.id);
      const lost = status.total - status.judged - status.failed;
      lostTotal += lost; dupTotal += t.dup;
      if (!Number.isNaN(pickup)) pickups.push(pickup);
      log(`fault trial ${trial + 1}: killed at ${(killAt / 1000).toFixed(1)} s; lost ${lost}, duplicates ${t.dup}, jobs picked up again after ${pickup.toFixed(1)} s; victim wrote ${status.workers.victim ?? 0}`);
      faults.push(`| ${trial + 1} | ${(killAt / 1000).toFixed(1)} s | ${status.workers.victim ?? 0} | ${status.workers.survivor ?? 0} | ${lost} | ${t.dup} | ${pickup.toFixed(1)} s |`);
    }
    faults.push(`| **all** | | | | **${lostTotal}** ${lostTotal === 0 ? '✔' : '✗'} | **${dupTotal}** ${dupTotal === 0 ? '✔' : '✗'} | median ${median(pickups).toFixed(1)} s |`);
    await boss.stop({ graceful: false });
    await store.close();
  }

  // 4. Memory: a 100 000-episode memory loaded by a fresh process, PostgreSQL beside SQLite; align
  // commit latency; four concurrent writers.
  const memory: string[] = [];
  if (ONLY !== 'queue') {
    const dir = mkdtempSync(join(tmpdir(), 'memalign-bench-pg-'));
    const sqlitePath = join(dir, 'memory.db');
    const url = `${server.url}?schema=memory`;
    const pgStore = await openPostgresStore(url);
    const sqlite = openSqliteStore(sqlitePath);
    const embedder = hashedEmbedder();
    const items = corpus(EPISODES);
    const texts = items.map((c) => `${c.inputs}\n${c.outputs}`);
    const vectors = await embedder.embed(texts);
    const chunk = 10_000;
    for (const store of [pgStore, sqlite] as MemoryStore[]) {
      for (let i = 0; i < EPISODES; i += chunk) {
        const ops = items.slice(i, i + chunk).flatMap((c, j) => {
          const id = `e${i + j}`;
          const record = { id, inputs: c.inputs, outputs: c.outputs };
          return [
            { op: 'feedback.put' as const, feedback: { id: `f${i + j}`, record, value: c.label === 'true', rationale: 'expert', createdAt: '2026-01-01T00:00:00Z' } },
            { op: 'episode.put' as const, episode: { id, record, value: c.label === 'true', rationale: 'expert', feedbackIds: [`f${i + j}`], text: texts[i + j], hash: id, createdVersion: 1 }, vector: vectors[i + j], embedderId: embedder.id },
          ];
        });
        await store.commit(judge.name, await store.currentVersion(judge.name), ops, 'bench seed');
      }
    }
    // The seeding leaves 100 000 fresh rows to vacuum and a checkpoint due, which on this 2-core
    // machine run for tens of seconds beside the loads: done first, so the loads measure loading.
    {
      const client = new pg.Client(server.url);
      await client.connect();
      await client.query('VACUUM ANALYZE memory.feedback, memory.episodes, memory.guidelines');
      await client.query('CHECKPOINT');
      await client.end();
        const db = new DatabaseSync(sqlitePath);
      db.exec('PRAGMA busy_timeout = 5000; PRAGMA wal_checkpoint(TRUNCATE);');
      db.close();
    }
    // Four fresh processes per store, interleaved: the first reads every vector row, builds the
    // recall index and saves it in the store; the next three open the saved index.
    type Load = { openMs: number; readyMs: number; feedbackMs: number; rssMb: number };
    const loads: Record<string, Load[]> = { postgres: [], sqlite: [] };
    for (let i = 0; i < 4; i++) {
      for (const [name, location] of [['postgres', url], ['sqlite', sqlitePath]] as const) {
        const r = await child([join(ROOT, 'bench', 'lib', 'store-child.ts'), 'load', location, judge.name], {});
        loads[name].push(JSON.parse(r.out) as Load);
      }
    }
    const row = (name: string) => {
      const [first, ...later] = loads[name];
      return `| ${name} | ${median(later.map((l) => l.openMs)).toFixed(0)} ms | ${first.readyMs.toFixed(0)} ms | **${median(later.map((l) => l.readyMs)).toFixed(0)} ms** | ${median(later.map((l) => l.rssMb)).toFixed(0)} MB | ${median(later.map((l) => l.feedbackMs)).toFixed(0)} ms |`;
    };
    const pgLoad = median(loads.postgres.slice(1).map((l) => l.readyMs));
    memory.push(`Load of a ${EPISODES.toLocaleString('en')}-episode memory (one feedback per episode, vectors ${embedder.dimension}-d) into a fresh process until recall is ready, as a judging run or \`memalign worker\` needs it, after the seeding's upkeep was done (\`VACUUM ANALYZE\` and \`CHECKPOINT\`; SQLite: a WAL checkpoint). The first process reads every vector row, builds the recall index and saves it in the store; the next three (median) read the episodes and open the saved index; judging reads no feedback, and the last column is what the first align then adds to read it (target ≤ 1.5 s from PostgreSQL: ${pgLoad <= 1500 ? '✔' : '✗'}):`, '', '| store | connect | first open: rows + build + save | open with the saved index | RSS added | + feedback (first align) |', '|---|---|---|---|---|---|', row('postgres'), row('sqlite'), '');

    // Align commit latency: 20 feedback + 20 episodes per commit, 30 commits each, side by side.
    const commitMs: Record<string, number[]> = { postgres: [], sqlite: [] };
    for (let k = 0; k < 30; k++) {
      for (const [name, store] of [['postgres', pgStore], ['sqlite', sqlite]] as const) {
        const ops = items.slice(0, 20).flatMap((c, j) => {
          const id = `c${k}_${j}`;
          const record = { id, inputs: c.inputs, outputs: c.outputs };
          return [
            { op: 'feedback.put' as const, feedback: { id: `cf${k}_${j}`, record, value: true, rationale: 'commit bench', createdAt: '2026-01-01T00:00:00Z' } },
            { op: 'episode.put' as const, episode: { id, record, value: true, rationale: 'commit bench', feedbackIds: [`cf${k}_${j}`], text: texts[j], hash: id, createdVersion: 1 }, vector: vectors[j], embedderId: embedder.id },
          ];
        });
        const v = await store.currentVersion('commits');
        const t = performance.now();
        await store.commit('commits', v, ops, 'align: 20 feedback');
        commitMs[name].push(performance.now() - t);
      }
    }
    const pgC = median(commitMs.postgres); const sqC = median(commitMs.sqlite);
    memory.push(`Align commit (20 feedback + 20 episodes with vectors), median of 30, durable on both (PostgreSQL fsync on, SQLite WAL synchronous=FULL): PostgreSQL **${pgC.toFixed(1)} ms**, SQLite **${sqC.toFixed(1)} ms** (× ${(pgC / sqC).toFixed(1)}).`, '');

    // Four writer processes, 25 guideline edits each, on one judge.
    const writersUrl = `${server.url}?schema=writers`;
    (await openPostgresStore(writersUrl)).close();
    const wt = performance.now();
    const writers = await Promise.all([0, 1, 2, 3].map((w) => child([join(ROOT, 'bench', 'lib', 'store-child.ts'), 'write', writersUrl, 'shared', '25', String(w)], {})));
    const wall = (performance.now() - wt) / 1000;
    const reports = writers.map((r) => JSON.parse(r.out) as { commits: number; conflicts: number });
    const check = await openPostgresStore(writersUrl);
    const final = await check.load('shared');
    const expected = reports.reduce((a, r) => a + r.commits, 0);
    const lost = expected - final.state.guidelines.size;
    const conflicts = reports.reduce((a, r) => a + r.conflicts, 0);
    memory.push(`Four writer processes, 25 guideline edits each on one judge (each edit: reload what changed, commit; a conflict is retried): ${expected} commits, ${conflicts} conflicts retried, final version ${final.state.version}, **${lost} lost updates** ${lost === 0 && final.state.version === expected ? '✔' : '✗'}, ${wall.toFixed(1)} s.`);
    await check.close();
    await pgStore.close();
    await sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }

  sections.push(
    '## Shared PostgreSQL store and distributed batch judging',
    '',
    `\`npm run bench:postgres -- --records ${RECORDS} --concurrency ${CS.join(',')} --workers ${WORKERS.join(',')} --trials ${TRIALS} --episodes ${EPISODES}\`. ${machineLine()} A throwaway PostgreSQL cluster with fsync on; the loopback model server in its own process at ${LATENCY} ms per call; workers are \`memalign worker\` processes.`,
    '',
    `### Scaling: one batch of ${RECORDS.toLocaleString('en')} records`,
    '',
    'Throughput from the first to the last verdict written (worker start-up excluded; the wall column includes it), against the ideal workers × concurrency / latency, and against the same model path without the queue: `judgeMany` in one process at the same total concurrency, run just before (on this VM a 300 ms timer fires after ~315 ms, and the HTTP round trip adds a few ms, so even that stays below the ideal).',
    '',
    '| workers | concurrency each | verdicts | failed | duplicates | span | verdicts/s | ideal/s | ratio (target ≥ 0.9) | in process, same concurrency /s | ratio to in process | wall |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...scaling,
    '',
    overhead,
    '',
    `### Faults: one of two workers killed with SIGKILL at a random moment, ${TRIALS} trials of ${FAULT_RECORDS} records`,
    '',
    '| trial | killed after | victim wrote | survivor wrote | lost | duplicates | killed worker\'s jobs picked up after |',
    '|---|---|---|---|---|---|---|',
    ...faults,
    '',
    'Pick-up time is the heartbeat (10 s, pg-boss\'s minimum) plus up to one supervision pass (2 s) and the first retry delay.',
    '',
  );
  if (ONLY !== 'memory') writeSection('postgres', sections.join('\n'));
  if (ONLY !== 'queue') {
    writeSection('postgres-memory', [
      '### Shared PostgreSQL store: memory',
      '',
      `\`npm run bench:postgres -- --only memory --episodes ${EPISODES}\`. ${machineLine()} A throwaway PostgreSQL cluster with fsync on.`,
      '',
      ...memory,
    ].join('\n'));
  }
  log('BENCHMARKS.md: written');
} finally {
  await client.end();
  slow.proc.kill();
  await server.stop();
}
