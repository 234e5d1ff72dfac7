import { Worker } from 'node:worker_threads';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Worker threads that compute embedding vectors off the loopback server's event loop. */
export interface EmbedPool {
  /** The vectors of `texts`, concatenated (`texts.length × dimension`). */
  embed(texts: string[], dimension: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * Starts `threads` workers; each request is split across them. The worker file is the sibling
 * `embed-worker` with this module's own extension (`.ts` from source, `.js` from the build).
 *
 * @example
 * const pool = embedPool(2); const flat = await pool.embed(['a', 'b'], 512); await pool.close();
 */
export function embedPool(threads: number): EmbedPool {
  const file = new URL(`./embed-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);
  const waiting = new Map<number, { resolve: (v: Float32Array) => void; reject: (e: Error) => void }>();
  const workers = Array.from({ length: threads }, () => {
    const w = new Worker(file);
    w.on('message', (m: { id: number; vectors: Float32Array }) => { waiting.get(m.id)?.resolve(m.vectors); waiting.delete(m.id); });
    // A worker that fails fails every request waiting on the pool (the server answers 500), never hangs it.
    w.on('error', (e: Error) => { for (const p of waiting.values()) p.reject(e); waiting.clear(); });
    w.unref();
    return w;
  });
  let next = 0;
  return {
    async embed(texts, dimension) {
      const per = Math.ceil(texts.length / workers.length);
      const parts = await Promise.all(workers.map((w, i) => {
        const slice = texts.slice(i * per, (i + 1) * per);
        if (slice.length === 0) return new Float32Array(0);
        const id = next++;
        return new Promise<Float32Array>((resolve, reject) => { waiting.set(id, { resolve, reject }); w.postMessage({ id, texts: slice, dimension }); });
      }));
      const out = new Float32Array(texts.length * dimension);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    },
    async close() { await Promise.all(workers.map((w) => w.terminate())); },
  };
}
