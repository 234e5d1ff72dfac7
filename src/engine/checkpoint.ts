import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Where an align keeps the model answers it already paid for, outside memory: when another batch
 * fails, memory stays unchanged (all or nothing) but a rerun on the same feedback and memory
 * reuses these answers and pays only for what failed. Keys are hashes of the whole request.
 */
export interface AlignCheckpoint {
  get(key: string): string | undefined;
  put(key: string, text: string): void;
}

/**
 * A checkpoint in a JSON Lines file, appended as each answer arrives (a crash keeps every answer
 * written before it; a line cut by a crash is ignored). Delete it with `clear()` once the align
 * committed.
 *
 * @example
 * const checkpoint = fileCheckpoint('.memalign/checkpoints/sql-review.jsonl');
 * await ma.align(feedback, { checkpoint });
 * checkpoint.clear();
 */
export function fileCheckpoint(path: string): AlignCheckpoint & { readonly size: number; clear(): void } {
  const answers = new Map<string, string>();
  if (existsSync(path)) {
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      try {
        const entry = JSON.parse(line) as { key?: unknown; text?: unknown };
        if (typeof entry.key === 'string' && typeof entry.text === 'string') answers.set(entry.key, entry.text);
      } catch { /* an empty or cut line */ }
    }
  }
  return {
    get size() { return answers.size; },
    get: (key) => answers.get(key),
    put(key, text) {
      if (answers.get(key) === text) return;
      answers.set(key, text);
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, `${JSON.stringify({ key, text })}\n`);
    },
    clear() {
      answers.clear();
      rmSync(path, { force: true });
    },
  };
}
