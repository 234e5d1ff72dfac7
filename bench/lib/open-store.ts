// Opens a memory store in a fresh process and prints how long openMemalign took until recall was
// ready (read the episodes, and their vectors or the saved index) and how much resident memory it added, as JSON.
import { openMemalign, hashedEmbedder } from '../../src/index.ts';
import { mockChatModel } from '../../src/testing/index.ts';

const [path, name] = process.argv.slice(2);
const rss = process.memoryUsage().rss;
const started = performance.now();
const ma = await openMemalign({ judge: { name, instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' }, store: path, model: mockChatModel(), embedder: hashedEmbedder() });
// Opening is lazy about the recall index; judging builds it first: measure until recall is ready,
// as judging makes it (without reading feedback).
await ma.memory.ready({ feedback: false });
const ms = performance.now() - started;
process.stdout.write(JSON.stringify({ ms, rssMb: (process.memoryUsage().rss - rss) / 1e6, episodes: ma.memory.index?.size ?? 0 }));
await ma.close();
