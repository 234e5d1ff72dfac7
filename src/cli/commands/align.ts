import { resolve } from 'node:path';
import { readTable, rowToFeedback, parseMapping, parseFeedback, fileCheckpoint, type MemoryChangeReport, type FeedbackSource } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { startProgress, type Progress } from '../progress.ts';
import { CliError, EXIT } from '../exit-codes.ts';

/**
 * `memalign align <judge> [file]`: aligns on the pending feedback (and a file, if given), prints
 * what changed in memory, and clears the pending list only after the memory commit succeeded.
 *
 * @example
 * memalign align sql-review
 */
export async function alignCommand(ctx: CliContext, judgeRef: string, file: string | undefined, options: { map?: string; newRecordVersion?: boolean }): Promise<number | void> {
  const { judge } = await ctx.judge(judgeRef);
  const queue = ctx.pending(judge.name);
  // A snapshot: feedback queued while this align runs stays pending for the next one.
  const pendingLines = await queue.read();
  const pending = pendingLines.map((p) => p.feedback);
  const sources: FeedbackSource[] = pendingLines.map((p) => ({ file: p.file, line: p.line }));
  let extra: unknown[] = [];
  if (file) {
    const input = resolve(ctx.io.cwd, file);
    const rows = await readTable(input);
    const located = rows.map((r) => ({ file: input, line: r.line, element: r.element }));
    sources.push(...located);
    extra = parseFeedback(rows.map((r) => rowToFeedback(r, parseMapping(options.map))), judge.output, { sources: located, recordChange: options.newRecordVersion ? 'new-version' : 'error' });
  }
  const all = [...pending, ...extra];
  if (all.length === 0) {
    ctx.print({ changed: false, reason: 'no pending feedback' }, () => `No pending feedback for "${judge.name}": add some with "memalign feedback import|add|review".`);
    return;
  }
  let progress: Progress | undefined;
  const { ma, model } = await ctx.open(judgeRef, {
    onEvent: (e) => {
      // Shown from the first call (0 of n), ticking as each call returns.
      if (e.type === 'tasks') progress = startProgress('Distilling', e.total, { isTTY: ctx.io.isTTY, write: ctx.io.err, enabled: !ctx.flags.json && !ctx.flags.quiet, parallel: e.parallelism });
      if (e.type === 'task') progress?.tick(e.ms);
    },
  });
  let report: MemoryChangeReport;
  // Ctrl-C cancels the model calls; nothing is committed, the pending feedback stays for the next run.
  const abort = new AbortController();
  const onSigint = () => abort.abort(new CliError('Interrupted.', EXIT.interrupted));
  process.once('SIGINT', onSigint);
  // Answers paid for by an align that then failed wait here, outside memory, for the rerun.
  const checkpoint = fileCheckpoint(ctx.checkpointPath(judge.name));
  try {
    report = await ma.align(all, { signal: abort.signal, sources, recordChange: options.newRecordVersion ? 'new-version' : 'error', checkpoint });
  } catch (error) {
    if (abort.signal.aborted) {
      ctx.note(`Interrupted: nothing was stored; the ${pending.length} pending feedback item(s) are kept. Run the same command to align them.`);
      return EXIT.interrupted;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSigint);
    progress?.stop();
    await ma.close();
  }
  checkpoint.clear();
  if (report.reusedAnswers > 0) ctx.note(`Reused ${report.reusedAnswers} model answer(s) kept from the failed run; paid only for the rest.`);
  const left = await queue.removeCommitted(pending);
  if (left > 0) ctx.note(`${left} feedback item(s) queued while aligning stay pending: run "memalign align ${judge.name}" again to learn from them.`);
  ctx.print(report, () => describeChange(report, `Aligned "${judge.name}" on ${all.length} feedback with ${model}`, ctx.flags.verbose));
}

/**
 * A few ids of a long list, with the count: `3 feedback: fb_1, fb_2, fb_3` or
 * `120 feedback: fb_1, fb_2, fb_3, … +117`; everything with `verbose`.
 *
 * @example
 * some(['a', 'b', 'c', 'd', 'e'], 'feedback', false); // '5 feedback: a, b, c, … +2'
 */
export function some(ids: string[], noun: string, verbose: boolean, shown = 3): string {
  const head = verbose || ids.length <= shown + 1 ? ids : ids.slice(0, shown);
  return `${ids.length} ${noun}: ${head.join(', ')}${head.length < ids.length ? `, … +${ids.length - head.length}` : ''}`;
}

/**
 * A human summary of a memory change (used by align, forget and import). Long lists (a
 * guideline's sources, reinforced guidelines…) show a count and a few ids; `verbose` lists all.
 *
 * @example
 * console.log(describeChange(report, 'Aligned'));
 */
export function describeChange(r: MemoryChangeReport, title: string, verbose = false): string {
  if (!r.changed) return `${title}: nothing changed (all ${r.feedbackUnchanged} feedback already aligned; no LLM call). Memory version ${r.version}.`;
  const lines = [`${title} → memory version ${r.version}`];
  let cut = false;
  const list = (ids: string[], noun: string) => { const text = some(ids, noun, verbose); if (text.includes(', … +')) cut = true; return text; };
  for (const g of r.guidelinesAdded) lines.push(`  + ${g.id}  ${g.text}  (${g.sources.length ? `from ${list(g.sources, 'feedback')}` : g.origin === 'manual' ? 'written by an expert' : 'from the import'})`);
  for (const g of r.guidelinesRevised) lines.push(`  ~ ${g.id}  ${g.after}  (was: ${g.before})`);
  for (const g of r.guidelinesRemoved) lines.push(`  - ${g.id}  ${g.text}`);
  if (r.guidelinesReinforced.length) lines.push(`  = ${list(r.guidelinesReinforced, 'guideline(s) gained sources')}`);
  if (r.guidelinesSuppressed.length) lines.push(`  × ${list(r.guidelinesSuppressed, 'deleted guideline(s) repeated by new feedback stay deleted')} (restore with "memalign memory restore")`);
  if (r.feedbackSuperseded.length) lines.push(`  ${list(r.feedbackSuperseded, 'earlier feedback no longer count (superseded or outvoted)')}`);
  lines.push(`  examples: +${r.episodesAdded.length} added, ${r.episodesUpdated.length} updated, ${r.episodesRemoved.length} removed; feedback: ${r.feedbackStored} stored, ${r.feedbackUnchanged} unchanged, ${r.feedbackRemoved} removed`);
  const cost = r.usage.costUsd === null ? 'cost unknown' : `$${r.usage.costUsd.toFixed(4)}`;
  lines.push(`  ${r.usage.calls} LLM call(s) in ${r.rounds} round(s), ${r.usage.inputTokens} + ${r.usage.outputTokens} tokens, ${cost}, ${(r.timings.totalMs / 1000).toFixed(1)} s`);
  if (cut) lines.push('  (--verbose or --json lists every id)');
  return lines.join('\n');
}
