// Opens a memory store in a fresh process and prints how long openMemalign took (read every
// episode and vector, build both indexes) and how much resident memory it added, as JSON.
import { openMemalign, hashedEmbedder } from '../../src/index.ts';
import { mockChatModel } from '../../src/testing/index.ts';

const [path, name] = process.argv.slice(2);
const rss = process.memoryUsage().rss;
const started = performance.now();
const ma = await openMemalign({ judge: { name, instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' }, store: path, model: mockChatModel(), embedder: hashedEmbedder() });
// Opening is lazy about the recall index; judging builds it first: measure until recall is ready.
await ma.memory.ready();
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, rssMb: (process.memoryUsage().rss - rss) / 1e6, episodes: ma.memory.index?.size ?? 0 }));
await ma.close();
