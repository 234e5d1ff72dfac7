import { closeSync, existsSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ValidationError, type Feedback } from '../index.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { writeAtomic } from './write-file.ts';

/** A pending item with where it is in the file (so errors can name the line). */
export interface PendingItem { feedback: Feedback; file: string; line: number }

/** How long a command waits for another to finish with the pending file, and when a lock is stale. */
export interface LockTimings { waitMs: number; staleMs: number }
const DEFAULT_TIMINGS: LockTimings = { waitMs: 15_000, staleMs: 30_000 };

/**
 * A judge's pending feedback: a JSONL file that several commands may touch at once (an import
 * during an align, two imports, a review during an align). Every change is a short
 * read-modify-write under an exclusive lock file, replaced atomically, so no item is ever lost;
 * an align takes a snapshot and later removes exactly the items it committed.
 *
 * @example
 * const q = new PendingQueue('.memalign/pending/sql.jsonl');
 * q.update((items) => [...items, feedback]);
 */
export class PendingQueue {
  readonly path: string;
  private readonly lockPath: string;
  private readonly timings: LockTimings;

  constructor(path: string, timings: Partial<LockTimings> = {}) {
    this.path = path;
    this.lockPath = `${path}.lock`;
    this.timings = { ...DEFAULT_TIMINGS, ...timings };
  }

  /** The pending items (a consistent snapshot: read under the lock). */
  async read(): Promise<PendingItem[]> {
    return this.locked(() => this.readNow());
  }

  /** Replaces the pending list with what `change` returns, under the lock; returns what it returned. */
  async update<T>(change: (items: Feedback[]) => { items: Feedback[]; result: T }): Promise<T> {
    return this.locked(() => {
      const { items, result } = change(this.readNow().map((p) => p.feedback));
      this.writeNow(items);
      return result;
    });
  }

  /**
   * Removes the items an align committed, comparing content: an item added or replaced by
   * another command since the snapshot stays pending.
   */
  async removeCommitted(committed: Feedback[]): Promise<number> {
    const keys = new Set(committed.map(itemKey));
    return this.update((items) => {
      const rest = items.filter((f) => !keys.has(itemKey(f)));
      return { items: rest, result: rest.length };
    });
  }

  private readNow(): PendingItem[] {
    if (!existsSync(this.path)) return [];
    const out: PendingItem[] = [];
    const issues: { file: string; line: number; path: string; message: string }[] = [];
    readFileSync(this.path, 'utf8').split('\n').forEach((l, i) => {
      if (l.trim() === '') return;
      let value: Feedback;
      try {
        value = JSON.parse(l) as Feedback;
      } catch (error) {
        issues.push({ file: this.path, line: i + 1, path: '', message: `not valid JSON (${(error as Error).message}): fix or delete this line of the pending feedback` });
        return;
      }
      if (!value || typeof value !== 'object' || typeof value.id !== 'string' || !value.record || typeof value.record !== 'object') {
        issues.push({ file: this.path, line: i + 1, path: typeof value?.id === 'string' ? 'record' : 'id', message: 'not a pending feedback item (an object with an "id" and a "record"): fix or delete this line' });
        return;
      }
      out.push({ feedback: value, file: this.path, line: i + 1 });
    });
    if (issues.length > 0) throw new ValidationError(`pending feedback ${this.path}`, issues);
    return out;
  }

  private writeNow(items: Feedback[]): void {
    if (items.length === 0) { rmSync(this.path, { force: true }); return; }
    mkdirSync(dirname(this.path), { recursive: true });
    writeAtomic(this.path, items.map((f) => JSON.stringify(f)).join('\n') + '\n');
  }

  private async locked<T>(fn: () => T): Promise<T> {
    const release = await this.acquire();
    try {
      return fn();
    } finally {
      release();
    }
  }

  private async acquire(): Promise<() => void> {
    mkdirSync(dirname(this.lockPath), { recursive: true });
    const token = `${process.pid} ${Date.now()} ${Math.random().toString(36).slice(2)}`;
    const deadline = Date.now() + this.timings.waitMs;
    for (let delay = 5; ; delay = Math.min(delay * 2, 200)) {
      try {
        const fd = openSync(this.lockPath, 'wx');
        writeSync(fd, token);
        closeSync(fd);
        return () => { if (this.readLock() === token) rmSync(this.lockPath, { force: true }); };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const holder = this.readLock();
      if (holder !== undefined && this.isStale(holder)) { this.breakLock(holder); continue; }
      if (Date.now() > deadline) {
        throw new CliError(`Busy: another memalign command (process ${holder?.split(' ')[0] ?? '?'}) is changing the pending feedback in ${this.path}. Nothing was changed; run this command again when it has finished.`, EXIT.busy);
      }
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private readLock(): string | undefined {
    try { return readFileSync(this.lockPath, 'utf8'); } catch { return undefined; }
  }

  // A lock is stale when its process is gone, or when it is older than any change could take.
  private isStale(holder: string): boolean {
    const [pid, at] = holder.split(' ').map(Number);
    if (Number.isFinite(at) && Date.now() - at > this.timings.staleMs) return true;
    if (!Number.isInteger(pid) || pid <= 0) {
      try { return Date.now() - statSync(this.lockPath).mtimeMs > this.timings.staleMs; } catch { return false; }
    }
    try { process.kill(pid, 0); return false; } catch (error) { return (error as NodeJS.ErrnoException).code === 'ESRCH'; }
  }

  // Moves the stale lock aside; if another process replaced it meanwhile, puts that one back.
  private breakLock(stale: string): void {
    const aside = `${this.lockPath}.stale-${process.pid}-${Math.random().toString(36).slice(2)}`;
    try { renameSync(this.lockPath, aside); } catch { return; }
    try {
      if (readFileSync(aside, 'utf8') !== stale) { try { linkSync(aside, this.lockPath); } catch { /* a newer lock exists */ } }
    } finally {
      rmSync(aside, { force: true });
    }
  }
}

/** Identity of a pending item for "was this exact item committed": its whole content (id included). */
function itemKey(f: Feedback): string {
  return JSON.stringify(f);
}
