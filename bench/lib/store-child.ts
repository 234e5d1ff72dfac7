// Child processes for bench/postgres.ts, so each measurement runs in a fresh process:
//   node bench/lib/store-child.ts load <store> <judge>         → {"openMs","loadMs","readyMs","episodes","rssMb"}
//   node bench/lib/store-child.ts write <store> <judge> <n> <w> → {"commits","conflicts"}
import { openMemalign, openStore, StoreError } from '../../src/index.ts';

const [mode, location, judge, n, w] = process.argv.slice(2);
const definition = { name: judge, instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };

if (mode === 'load') {
  const t0 = performance.now();
  const store = await openStore(location);
  const t1 = performance.now();
  const { state } = await store.load(judge);
  const t2 = performance.now();
  const ma = await openMemalign({ judge: definition, store });
  await ma.memory.ready();
  const t3 = performance.now();
  process.stdout.write(`${JSON.stringify({ openMs: t1 - t0, loadMs: t2 - t1, readyMs: t3 - t2, episodes: state.episodes.size, rssMb: process.memoryUsage().rss / 2 ** 20 })}\n`);
  await ma.close();
  await store.close();
} else if (mode === 'write') {
  // One writer of several: each edit reloads what changed and commits; a conflict is retried.
  const store = await openStore(location);
  const ma = await openMemalign({ judge: definition, store });
  let conflicts = 0;
  for (let i = 0; i < Number(n); i++) {
    for (;;) {
      try {
        await ma.addGuideline(`writer ${w} guideline ${i}`);
        break;
      } catch (error) {
        if (error instanceof StoreError && error.code === 'store_conflict') { conflicts += 1; continue; }
        throw error;
      }
    }
  }
  process.stdout.write(`${JSON.stringify({ commits: Number(n), conflicts })}\n`);
  await ma.close();
  await store.close();
}
