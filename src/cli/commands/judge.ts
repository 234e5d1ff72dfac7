import { appendFileSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { readTable, rowToRecord, parseMapping, checkMapping, parseRecord, ValidationError, type JudgeResult, type JudgedRecord, type Issue } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { writeAtomic } from '../write-file.ts';
import { startProgress } from '../progress.ts';
import { EXIT } from '../exit-codes.ts';
import { toCsv } from '../csv-out.ts';

/** One line of a verdicts file: the record and what the judge said. */
export interface VerdictLine { record: JudgedRecord; result: JudgeResult }

/**
 * `memalign judge <judge> <records>`: judges every record with bounded concurrency, appending each
 * result to the output as it completes, so an interrupted run resumes where it stopped (records
 * with a verdict are skipped; errors are tried again). Returns the exit code.
 *
 * @example
 * memalign judge sql-review records.jsonl -o verdicts.jsonl --concurrency 8
 */
export async function judgeCommand(ctx: CliContext, judgeRef: string, file: string, options: { output?: string; format?: string; concurrency: string; map?: string; limit?: string }): Promise<number> {
  const format = options.format ?? (options.output && extname(options.output) === '.csv' ? 'csv' : 'jsonl');
  if (!['jsonl', 'csv'].includes(format)) throw new ValidationError('options', [{ path: '--format', message: 'use jsonl or csv' }]);
  const concurrency = Number(options.concurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) throw new ValidationError('options', [{ path: '--concurrency', message: 'a whole number from 1 to 256' }]);
  const mapping = parseMapping(options.map);
  const input = resolve(ctx.io.cwd, file);
  const rows = await readTable(input);
  checkMapping(rows, mapping);
  const issues: Issue[] = [];
  const records: JudgedRecord[] = [];
  const seen = new Map<string, number>();
  for (const row of rows) {
    const rec = parseRecord(rowToRecord(row, mapping), (path, message) => issues.push({ file: input, line: row.line, path, message }));
    if (!rec) continue;
    if (seen.has(rec.id)) issues.push({ file: input, line: row.line, path: 'id', message: `record id "${rec.id}" also on line ${seen.get(rec.id)}: ids must be unique` });
    seen.set(rec.id, row.line);
    records.push(rec);
  }
  if (issues.length > 0) throw new ValidationError(`records in ${input}`, issues);
  const limited = options.limit ? records.slice(0, Number(options.limit)) : records;

  const stem = basename(input).replace(/\.(jsonl|json|csv)$/i, '');
  const output = resolve(ctx.io.cwd, options.output ?? `${stem}.verdicts.${format}`);
  // Progress lives in a JSONL file: the output itself for JSONL, a sidecar for CSV.
  const progressFile = format === 'jsonl' ? output : `${output}.progress.jsonl`;
  const done = readDone(progressFile);
  const todo = limited.filter((r) => !done.get(r.id)?.result.ok);
  if (done.size > 0) ctx.note(`Resuming: ${limited.length - todo.length} of ${limited.length} records already judged in ${progressFile}.`);

  const { ma, model } = await ctx.open(judgeRef);
  const started = performance.now();
  const progress = startProgress('Judging', todo.length, { isTTY: ctx.io.isTTY, write: ctx.io.err, enabled: !ctx.flags.json && !ctx.flags.quiet });
  let interrupted = false;
  const abort = new AbortController();
  const onSigint = () => { interrupted = true; abort.abort(); };
  process.once('SIGINT', onSigint);
  try {
    await ma.judgeMany(todo, {
      concurrency, signal: abort.signal,
      onResult: (result, i) => {
        if (interrupted) return;
        appendFileSync(progressFile, `${JSON.stringify({ record: todo[i], result } satisfies VerdictLine)}\n`);
        done.set(result.recordId, { record: todo[i], result });
        progress.tick();
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
  ctx.print({ output, ...summary }, () => [
    `Judged ${final.length} records with ${model} → ${output}`,
    ...Object.entries(summary.counts).map(([v, n]) => `  ${v}: ${n}`),
    `  errors: ${summary.errors}${summary.errors > 0 ? ' (not verdicts; re-run to retry them)' : ''}`,
    `  tokens: ${summary.inputTokens} in, ${summary.outputTokens} out; cost: ${summary.costUsd === null ? 'unknown (no price for this model)' : `$${summary.costUsd.toFixed(4)}`}; time: ${(summary.seconds).toFixed(1)} s`,
  ].join('\n'));
  return summary.errors > 0 ? EXIT.someRecordsFailed : EXIT.ok;
}

function readDone(file: string): Map<string, VerdictLine> {
  const done = new Map<string, VerdictLine>();
  if (!existsSync(file)) return done;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const v = JSON.parse(line) as VerdictLine;
      // A later success replaces an earlier error; a later error never replaces a success.
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

