// Child processes for bench/postgres.ts, so each measurement runs in a fresh process:
//   node bench/lib/store-child.ts load <store> <judge>         → {"openMs","readyMs","feedbackMs","episodes","rssMb"}
//   node bench/lib/store-child.ts write <store> <judge> <n> <w> → {"commits","conflicts"}
import { openMemalign, openStore, StoreError } from '../../src/index.ts';

const [mode, location, judge, n, w] = process.argv.slice(2);
const definition = { name: judge, instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };

if (mode === 'load') {
  // What a judging process pays to open a large memory (store open, episodes, the saved recall
  // index or a rebuild from the vector rows), then what an align adds (reading the feedback).
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  const store = await openStore(location);
  const t1 = performance.now();
  const ma = await openMemalign({ judge: definition, store });
  const state = await ma.memory.ready({ feedback: false });
  const t2 = performance.now();
  const rssMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
  await ma.memory.refresh();
  const t3 = performance.now();
  process.stdout.write(`${JSON.stringify({ openMs: t1 - t0, readyMs: t2 - t0, feedbackMs: t3 - t2, episodes: state.episodes.size, rssMb })}\n`);
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
