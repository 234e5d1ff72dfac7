import { resolve } from 'node:path';
import { readTable, rowToFeedback, parseMapping, parseFeedback, resolveFeedback, agreementReport, formatReport, type AgreementReport, type Feedback, type JudgedRecord, type VerdictValue } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { intFlag } from '../flags.ts';
import { startProgress } from '../progress.ts';

/**
 * `memalign eval <judge> <labelled>`: judges labelled records and reports agreement with the
 * experts (exact match, Cohen's kappa, CCC for numeric judges, confusion matrix, disagreements).
 * `--compare` judges the same records with an unaligned copy of the judge, side by side.
 *
 * @example
 * memalign eval sql-review labelled.jsonl --compare
 */
export async function evalCommand(ctx: CliContext, judgeRef: string, file: string, options: { map?: string; compare?: boolean; concurrency: string }): Promise<void> {
  const { judge } = await ctx.judge(judgeRef);
  const input = resolve(ctx.io.cwd, file);
  const rows = await readTable(input);
  const feedback = parseFeedback(rows.map((r) => rowToFeedback(r, parseMapping(options.map))), judge.output, { sources: rows.map((r) => ({ file: input, line: r.line, element: r.element })) });
  // Several labels on one record resolve as in alignment: majority, ties to the most recent.
  const byRecord = new Map<string, Feedback[]>();
  for (const f of feedback) byRecord.set(f.record.id, [...(byRecord.get(f.record.id) ?? []), f]);
  const labelled: { record: JudgedRecord; expected: VerdictValue }[] = [];
  for (const items of byRecord.values()) {
    const r = resolveFeedback(items);
    if (r.value !== undefined) labelled.push({ record: items[items.length - 1].record, expected: r.value });
  }
  const concurrency = intFlag('--concurrency', options.concurrency, { min: 1, max: 256 });
  const run = async (name: string, store?: string): Promise<[string, AgreementReport]> => {
    const { ma } = await ctx.open(judgeRef, { store, readOnly: true });
    const progress = startProgress(`Judging (${name})`, labelled.length, { isTTY: ctx.io.isTTY, write: ctx.io.err, enabled: !ctx.flags.json && !ctx.flags.quiet, parallel: concurrency });
    try {
      const results = await ma.judgeMany(labelled.map((l) => l.record), { concurrency, onResult: (r) => progress.tick(r.latencyMs) });
      return [name, agreementReport(judge.output, labelled.map((l, i) => ({ recordId: l.record.id, expected: l.expected, result: results[i] })))];
    } finally {
      progress.stop();
      await ma.close();
    }
  };
  const reports: [string, AgreementReport][] = [];
  // The unaligned judge: same definition, empty memory (an in-memory store).
  if (options.compare) reports.push(await run('unaligned', ':memory:'));
  reports.push(await run('aligned'));
  ctx.print(Object.fromEntries(reports), () => {
    const out = [formatReport(reports)];
    const last = reports[reports.length - 1][1];
    if (last.disagreements.length > 0) {
      out.push('', `Disagreements (${last.disagreements.length}):`);
      for (const d of last.disagreements.slice(0, 20)) out.push(`  ${d.recordId}: expert ${JSON.stringify(d.expected)}, judge ${JSON.stringify(d.predicted)} — ${d.rationale.slice(0, 160)}`);
      if (last.disagreements.length > 20) out.push(`  … and ${last.disagreements.length - 20} more (use --json for all)`);
    }
    return out.join('\n');
  });
}
