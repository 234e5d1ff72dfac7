import { randomUUID } from 'node:crypto';

/** One event of a background job, as sent to the browser over server-sent events. */
export interface JobEvent { type: 'progress' | 'note' | 'done' | 'failed'; data: unknown }

/** A background job (an align, judging new items): its events so far, and who is listening. */
export interface Job { id: string; kind: string; judge: string; by: string; startedAt: string; events: JobEvent[]; finished: boolean; listeners: Set<(e: JobEvent) => void> }

/**
 * Background jobs of this server process. Events are kept (a client that connects late or
 * reconnects gets them all from the start); finished jobs are forgotten after an hour.
 */
export class Jobs {
  private readonly jobs = new Map<string, Job>();

  start(kind: string, judge: string, by: string, run: (emit: (e: JobEvent) => void) => Promise<unknown>): Job {
    const job: Job = { id: randomUUID(), kind, judge, by, startedAt: new Date().toISOString(), events: [], finished: false, listeners: new Set() };
    this.jobs.set(job.id, job);
    const emit = (e: JobEvent) => {
      job.events.push(e);
      if (e.type === 'done' || e.type === 'failed') job.finished = true;
      for (const l of job.listeners) l(e);
    };
    run(emit).then((result) => emit({ type: 'done', data: result }), (error: Error & { code?: string }) => emit({ type: 'failed', data: { code: error.code ?? 'internal', message: error.message } }))
      .finally(() => setTimeout(() => this.jobs.delete(job.id), 3600_000).unref());
    return job;
  }

  get(id: string): Job | undefined { return this.jobs.get(id); }

  /** Running jobs of a kind for a judge (e.g. one align at a time per judge). */
  running(kind: string, judge: string): Job | undefined {
    return [...this.jobs.values()].find((j) => j.kind === kind && j.judge === judge && !j.finished);
  }

  runningCount(): number {
    return [...this.jobs.values()].filter((j) => !j.finished).length;
  }

  /** Waits for every running job (for a clean shutdown). */
  async idle(): Promise<void> {
    const running = [...this.jobs.values()].filter((j) => !j.finished);
    await Promise.all(running.map((j) => new Promise<void>((resolve) => { j.listeners.add((e) => { if (e.type === 'done' || e.type === 'failed') resolve(); }); })));
  }
}
