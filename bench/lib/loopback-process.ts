// The loopback model server in its own process, so that a benchmark's figures hold memalign's
// CPU and not the simulated provider's (which builds and sends every response).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './benchmarks-md.ts';

/** One request as the server saw it: epoch ms (performance.timeOrigin + now), comparable across processes. */
export interface RequestTiming { path: string; fault?: string; startedAt: number; endedAt?: number }

export interface LoopbackProcess {
  /** Base URL ending in `/v1`. */
  url: string;
  proc: ChildProcess;
  requests(): Promise<RequestTiming[]>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

export async function loopbackProcess(latency: { ms: number; embeddingMs?: number; embedThreads?: number }): Promise<LoopbackProcess> {
  const args = [join(ROOT, 'src', 'testing', 'loopback-cli.ts'), '--latency-ms', String(latency.ms), '--embedding-ms', String(latency.embeddingMs ?? 0), '--embed-threads', String(latency.embedThreads ?? 0)];
  const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`The loopback server exited with code ${code} before it listened.`)));
    proc.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  const origin = url.replace(/\/v1$/, '');
  return {
    url,
    proc,
    requests: async () => ((await (await fetch(`${origin}/__loopback/requests`)).json()) as { requests: RequestTiming[] }).requests,
    reset: async () => { await (await fetch(`${origin}/__loopback/reset`, { method: 'POST' })).arrayBuffer(); },
    close: async () => {
      if (proc.exitCode !== null) return;
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
