// A worker thread of the loopback server (`embedThreads`): computes the vectors of a slice of an
// embedding request, as a provider's many machines would, and hands them back by transfer.
import { parentPort } from 'node:worker_threads';
import { embedText } from '../embed/hashed-embedder.ts';

parentPort!.on('message', (m: { id: number; texts: string[]; dimension: number }) => {
  const out = new Float32Array(m.texts.length * m.dimension);
  m.texts.forEach((t, i) => out.set(embedText(t, m.dimension), i * m.dimension));
  parentPort!.postMessage({ id: m.id, vectors: out }, [out.buffer]);
});
