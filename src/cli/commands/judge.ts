import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { readTable, rowIssue, rowToRecord, parseMapping, checkMapping, parseRecord, recordContentKey, ValidationError, type JudgeResult, type JudgedRecord, type Issue, type Mapping } from '../../index.ts';
import { checkOutput } from '../output-file.ts';
import { intFlag } from '../flags.ts';
import type { CliContext } from '../context.ts';
import { writeAtomic } from '../write-file.ts';
import { startProgress } from '../progress.ts';
import { EXIT } from '../exit-codes.ts';
import { toCsv } from '../csv-out.ts';

/**
 * Reads a records file (JSONL, JSON or CSV, with an optional field mapping): every bad row and
 * duplicate id is reported at once, with its line.
 */
export async function readRecords(input: string, mapping: Mapping): Promise<JudgedRecord[]> {
  const rows = await readTable(input);
  checkMapping(rows, mapping);
  const issues: Issue[] = [];
  const records: JudgedRecord[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const rec = parseRecord(rowToRecord(row, mapping), (path, message) => issues.push(rowIssue(row, path, message)));
    if (!rec) continue;
    if (seen.has(rec.id)) issues.push(rowIssue(row, 'id', `record id "${rec.id}" also on line ${seen.get(rec.id)}: ids must be unique`));
    seen.set(rec.id, row.line);
    records.push(rec);
  }
  if (issues.length > 0) throw new ValidationError(`records in ${input}`, issues);
  return records;
}

/** One line of a verdicts file: the record, what the judge said, and what the verdict was made with. */
export interface VerdictLine { record: JudgedRecord; result: JudgeResult; judgedWith?: { judge: string; record: string } }

/** Options of `memalign judge`. */
export interface JudgeCommandOptions { output?: string; format?: string; concurrency: string; map?: string; limit?: string; resume?: boolean; fresh?: boolean }

/**
 * `memalign judge <judge> <records>`: judges every record with bounded concurrency, appending each
 * result to the output as it completes. A rerun reuses a verdict only when it was made for the same
 * record content, with the same judge definition and model, and the same memory version; every
 * other record is judged anew (`--resume` also keeps verdicts of an older memory version,
 * `--fresh` reuses nothing). Returns the exit code.
 *
 * @example
 * memalign judge sql-review records.jsonl -o verdicts.jsonl --concurrency 8
 */
export async function judgeCommand(ctx: CliContext, judgeRef: string, file: string, options: JudgeCommandOptions): Promise<number> {
  const format = options.format ?? (options.output && extname(options.output).toLowerCase() === '.csv' ? 'csv' : 'jsonl');
  if (!['jsonl', 'csv'].includes(format)) throw new ValidationError('options', [{ path: '--format', message: `"${options.format}" is not a format: use jsonl or csv` }]);
  if (options.resume && options.fresh) throw new ValidationError('options', [{ path: '--resume', message: '--resume and --fresh contradict each other: use one' }]);
  const concurrency = intFlag('--concurrency', options.concurrency, { min: 1, max: 256 });
  const limit = options.limit === undefined ? undefined : intFlag('--limit', options.limit, { min: 1 });
  const mapping = parseMapping(options.map);
  const input = resolve(ctx.io.cwd, file);
  const { file: judgeFile } = await ctx.judge(judgeRef);
  const stem = basename(input).replace(/\.(jsonl|json|csv)$/i, '');
  const output = resolve(ctx.io.cwd, options.output ?? `${stem}.verdicts.${format}`);
  // Progress lives in a JSONL file: the output itself for JSONL, a sidecar for CSV.
  const progressFile = format === 'jsonl' ? output : `${output}.progress.jsonl`;
  const protect = { flag: '--output', protect: [input, ctx.storePath, judgeFile, ...(ctx.config.file ? [ctx.config.file] : [])], protectDirs: ctx.stateDirs() };
  checkOutput(output, format === 'csv' ? 'verdicts-csv' : 'verdicts-jsonl', protect);
  if (progressFile !== output) checkOutput(progressFile, 'verdicts-jsonl', protect);

  const records = await readRecords(input, mapping);
  const limited = limit === undefined ? records : records.slice(0, limit);

  const { ma, model } = await ctx.open(judgeRef, { readOnly: true });
  const judgeKey = ma.judgeKey();
  const earlier = options.fresh ? new Map<string, VerdictLine>() : readDone(progressFile);
  const done = new Map<string, VerdictLine>();
  const why = { memory: 0, judge: 0, record: 0, error: 0, old: 0 };
  const versions = new Set<number>();
  for (const r of limited) {
    const line = earlier.get(r.id);
    if (!line) continue;
    const reason = staleness(line, r, judgeKey, options.resume ? undefined : ma.version);
    if (reason === undefined) done.set(r.id, line);
    else {
      why[reason] += 1;
      if (reason === 'memory' && line.result.ok) versions.add(line.result.provenance.memoryVersion);
    }
  }
  const todo = limited.filter((r) => !done.has(r.id));
  if (earlier.size > 0 || options.fresh) ctx.note(reuseLine(progressFile, limited.length, done.size, why, [...versions], ma.version, options));

  const started = performance.now();
  const progress = startProgress('Judging', todo.length, { isTTY: ctx.io.isTTY, write: ctx.io.err, enabled: !ctx.flags.json && !ctx.flags.quiet, parallel: concurrency });
  let interrupted = false;
  const abort = new AbortController();
  const onSigint = () => { interrupted = true; abort.abort(); };
  process.once('SIGINT', onSigint);
  // Stale lines of an earlier run are dropped now, so an interrupted rerun cannot resurrect them.
  if (format === 'jsonl' || existsSync(progressFile)) writeAtomic(progressFile, [...done.values()].map((l) => `${JSON.stringify(l)}\n`).join(''));
  try {
    await ma.judgeMany(todo, {
      concurrency, signal: abort.signal,
      onResult: (result, i) => {
        if (interrupted) return;
        const line: VerdictLine = { record: todo[i], result, judgedWith: { judge: judgeKey, record: recordContentKey(todo[i]) } };
        appendFileSync(progressFile, `${JSON.stringify(line)}\n`);
        done.set(result.recordId, line);
        progress.tick(result.latencyMs);
      },
    });
  } finally {
    process.off('SIGINT', onSigint);
    progress.stop();
    await ma.close();
  }
  if (interrupted) {
    ctx.note(`Interrupted: ${[...done.values()].filter((d) => d.result.ok).length} verdicts kept in ${progressFile}; run the same command to resume.`);
    return EXIT.interrupted;
  }
  // Compact: one line per record, in input order (a resumed run may have appended retries).
  const final = limited.map((r) => done.get(r.id)!).filter(Boolean);
  if (format === 'jsonl') writeAtomic(output, final.map((l) => JSON.stringify(l)).join('\n') + '\n');
  else { writeAtomic(output, toCsv(final)); rmSync(progressFile, { force: true }); }

  const summary = summarise(final, performance.now() - started, model);
  ctx.print({ output, reused: final.length - todo.length, judged: todo.length, ...summary }, () => [
    `Judged ${plural(todo.length, 'record')}${final.length > todo.length ? ` (${plural(final.length - todo.length, 'verdict')} reused)` : ''} with ${model} → ${output}`,
    ...Object.entries(summary.counts).map(([v, n]) => `  ${v}: ${n}`),
    `  errors: ${summary.errors}${summary.errors > 0 ? ' (not verdicts; re-run to retry them)' : ''}`,
    `  tokens: ${summary.inputTokens} in, ${summary.outputTokens} out; cost: ${summary.costUsd === null ? 'unknown (no price for this model)' : `$${summary.costUsd.toFixed(4)}`}; time: ${(summary.seconds).toFixed(1)} s`,
  ].join('\n'));
  return summary.errors > 0 ? EXIT.someRecordsFailed : EXIT.ok;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

type Staleness = 'memory' | 'judge' | 'record' | 'error' | 'old';

// Why an earlier verdict cannot be reused for this record now, or undefined when it can.
function staleness(line: VerdictLine, record: JudgedRecord, judgeKey: string, memoryVersion: number | undefined): Staleness | undefined {
  if (!line.result.ok) return 'error';
  if (!line.judgedWith) return 'old';
  if (line.judgedWith.record !== recordContentKey(record)) return 'record';
  if (line.judgedWith.judge !== judgeKey) return 'judge';
  if (memoryVersion !== undefined && line.result.provenance.memoryVersion !== memoryVersion) return 'memory';
  return undefined;
}

function reuseLine(file: string, total: number, reused: number, why: Record<Staleness, number>, versions: number[], version: number, options: JudgeCommandOptions): string {
  if (options.fresh) return `Judging all ${total} records anew (--fresh): earlier verdicts in ${file} are replaced.`;
  const reasons = [
    why.memory && `${why.memory} made with memory version ${versions.sort((a, b) => a - b).join(', ')} (now ${version})`,
    why.judge && `${why.judge} made with another judge definition or model`,
    why.record && `${why.record} whose record content changed`,
    why.error && `${why.error} that were errors`,
    why.old && `${why.old} without a record of what they were made with`,
  ].filter(Boolean);
  const anew = total - reused;
  return `Reusing ${reused} of ${total} verdicts in ${file}${options.resume ? ' (--resume: whatever memory version they used)' : ' (same record, judge and memory version)'}; judging ${anew} anew${reasons.length ? `: ${reasons.join('; ')}` : ''}.${why.memory ? ' (--resume would keep verdicts of older memory versions.)' : ''}`;
}

function readDone(file: string): Map<string, VerdictLine> {
  const done = new Map<string, VerdictLine>();
  if (!existsSync(file)) return done;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as VerdictLine;
      // A later line replaces an earlier one, except that an error never replaces a success.
      if (v?.result?.recordId && (!done.get(v.result.recordId)?.result.ok || v.result.ok)) done.set(v.result.recordId, v);
    } catch { /* a line cut by a crash: that record is judged again */ }
  }
  return done;
}

function summarise(lines: VerdictLine[], ms: number, model: string | undefined) {
  const counts: Record<string, number> = {};
  let errors = 0; let inputTokens = 0; let outputTokens = 0; let cost: number | null = 0;
  for (const { result } of lines) {
    inputTokens += result.usage.inputTokens;
    outputTokens += result.usage.outputTokens;
    cost = cost === null || result.usage.costUsd === null ? null : cost + result.usage.costUsd;
    if (result.ok) counts[JSON.stringify(result.value)] = (counts[JSON.stringify(result.value)] ?? 0) + 1;
    else errors += 1;
  }
  return { model, records: lines.length, counts, errors, inputTokens, outputTokens, costUsd: cost, seconds: ms / 1000 };
}

