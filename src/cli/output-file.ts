import { accessSync, constants, existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ValidationError } from '../index.ts';
import { CSV_HEADER } from './csv-out.ts';

/** What a command writes: verdicts (JSONL or CSV) or a memory export. */
export type OutputKind = 'verdicts-jsonl' | 'verdicts-csv' | 'memory-export';

/**
 * Refuses, before any model call, an output that would destroy something: an input, the store
 * (or its journal), pending feedback, the config or judge file, or an existing file of another
 * kind; and one that cannot be written (missing folder, no permission).
 *
 * @example
 * checkOutput('verdicts.jsonl', 'verdicts-jsonl', { flag: '-o', protect: [input, storePath] });
 */
export function checkOutput(path: string, kind: OutputKind, options: { flag: string; protect: string[]; protectDirs?: string[] }): void {
  const fail = (message: string) => { throw new ValidationError('options', [{ path: options.flag, message }]); };
  const target = canonical(path);
  for (const p of options.protect.flatMap((p) => [p, `${p}-wal`, `${p}-shm`, `${p}-journal`])) {
    if (canonical(p) === target) fail(`${path} is ${existsSync(p) ? 'an input or the memory store of this command' : 'reserved by memalign'} (${p}); writing there would destroy it. Choose another output file.`);
  }
  for (const d of options.protectDirs ?? []) {
    const dir = canonical(d);
    if (target.startsWith(`${dir}/`)) fail(`${path} is inside ${d}, where memalign keeps its store, pending feedback and checkpoints. Choose an output outside it.`);
  }
  const folder = dirname(path);
  if (!existsSync(folder)) fail(`the folder ${folder} does not exist: create it first (mkdir -p ${folder}) or choose another output.`);
  if (!statSync(folder).isDirectory()) fail(`${folder} is not a folder.`);
  if (existsSync(path)) {
    if (!statSync(path).isFile()) fail(`${path} exists and is not a regular file.`);
    const problem = kindProblem(path, kind);
    if (problem) fail(`${path} exists and ${problem}; memalign will not overwrite it. Choose another output file or delete it.`);
    try { accessSync(path, constants.W_OK); } catch { fail(`${path} is not writable: check its permissions.`); }
  } else {
    try { accessSync(folder, constants.W_OK); } catch { fail(`the folder ${folder} is not writable: check its permissions or choose another output.`); }
  }
}

// An existing output may be replaced only by the same kind of file (a previous run's verdicts, an earlier export).
function kindProblem(path: string, kind: OutputKind): string | undefined {
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return undefined;
  if (kind === 'verdicts-csv') {
    const first = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0];
    return first === CSV_HEADER.join(',') ? undefined : 'is not a verdicts CSV from "memalign judge" (its header differs)';
  }
  if (kind === 'memory-export') {
    try {
      const data = JSON.parse(text) as { judge?: unknown; memoryVersion?: unknown };
      if (data && typeof data === 'object' && typeof data.judge === 'string' && 'memoryVersion' in data) return undefined;
    } catch { /* not JSON */ }
    return 'is not a memory export';
  }
  const lines = text.split('\n');
  const last = lines.findLastIndex((l) => l.trim() !== '');
  const bad = lines.findIndex((l, i) => {
    if (l.trim() === '') return false;
    try {
      const v = JSON.parse(l) as { record?: unknown; result?: unknown };
      return !(v && typeof v === 'object' && v.record && v.result);
    } catch {
      return i !== last; // the last line may have been cut by a crash
    }
  });
  return bad === -1 ? undefined : `is not a verdicts file from "memalign judge" (line ${bad + 1} is not a verdict line)`;
}

// The real path of a file or of the file a path would create (symlinks and `..` resolved).
function canonical(path: string): string {
  try { return realpathSync(path); } catch { /* not there yet */ }
  try { return join(realpathSync(dirname(path)), basename(path)); } catch { return path; }
}
