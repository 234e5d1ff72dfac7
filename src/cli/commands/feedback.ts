import { createInterface } from 'node:readline';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readTable, rowIssue, rowToFeedback, parseMapping, checkMapping, parseFeedback, checkValue, describeKind, ValidationError, type Feedback, type FeedbackSource, type JudgeDefinition, type Issue } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { fromMlflowTraces, isMlflowExport } from '../mlflow-import.ts';
import type { VerdictLine } from './judge.ts';

/**
 * Adds validated feedback to the judge's pending list (replacing pending items with the same id).
 * Nothing is written unless every item is valid.
 */
function queue(ctx: CliContext, judge: JudgeDefinition, items: Feedback[]): Promise<{ added: number; replaced: number; pending: number }> {
  return ctx.pending(judge.name).update((pending) => {
    const byId = new Map(pending.map((f) => [f.id, f]));
    let replaced = 0;
    for (const f of items) { if (byId.has(f.id)) replaced += 1; byId.set(f.id, f); }
    return { items: [...byId.values()], result: { added: items.length - replaced, replaced, pending: byId.size } };
  });
}

/**
 * `memalign feedback import <judge> <file>`: JSONL/CSV/JSON feedback (native rows, mapped columns
 * with --map, or an MLflow trace export with --assessment), all validated before anything is kept.
 *
 * @example
 * memalign feedback import sql-review fb.csv --map inputs=question,outputs=answer,value=label,rationale=comment
 */
export async function feedbackImport(ctx: CliContext, judgeRef: string, file: string, options: { map?: string; assessment?: string }): Promise<void> {
  const { judge } = await ctx.judge(judgeRef);
  const input = resolve(ctx.io.cwd, file);
  let raw: unknown[];
  let sources: FeedbackSource[];
  if (options.assessment || (input.endsWith('.json') && existsSync(input) && isMlflowExport(readFileSync(input, 'utf8')))) {
    ({ raw, sources } = fromMlflowTraces(input, options.assessment ?? judge.name));
  } else {
    const mapping = parseMapping(options.map);
    const rows = await readTable(input);
    checkMapping(rows, mapping);
    raw = rows.map((r) => rowToFeedback(r, mapping));
    sources = rows.map((r) => ({ file: r.file, line: r.line, element: r.element }));
  }
  const items = parseFeedback(raw, judge.output, { sources, now: () => new Date() });
  const r = await queue(ctx, judge, items);
  ctx.print({ judge: judge.name, ...r }, () => `Queued ${items.length} feedback for "${judge.name}" (${r.replaced} replaced earlier pending items; ${r.pending} pending). Run "memalign align ${judge.name}" to learn from them.`);
}

/**
 * `memalign feedback add <judge> --id … --inputs … --outputs … --value … --rationale …`.
 *
 * @example
 * memalign feedback add sql-review --record-id q1 --inputs "Revenue?" --outputs "SELECT …" --value bad --rationale "Use the certified view."
 */
export async function feedbackAdd(ctx: CliContext, judgeRef: string, o: { recordId?: string; inputs?: string; outputs?: string; expectations?: string; value?: string; rationale?: string; author?: string; id?: string }): Promise<void> {
  const { judge } = await ctx.judge(judgeRef);
  const record: Record<string, unknown> = { id: o.recordId, inputs: parseMaybeJson(o.inputs), outputs: parseMaybeJson(o.outputs) };
  if (o.expectations !== undefined) record.expectations = parseMaybeJson(o.expectations);
  const items = parseFeedback([{ id: o.id, record, value: o.value, rationale: o.rationale, author: o.author ?? ctx.io.env.USER }], judge.output, { sources: [{ file: 'command line' }] });
  const r = await queue(ctx, judge, items);
  ctx.print({ judge: judge.name, id: items[0].id, ...r }, () => `Queued feedback ${items[0].id} for "${judge.name}" (${r.pending} pending).`);
}

/** `memalign feedback list <judge>`: the pending feedback. */
export async function feedbackList(ctx: CliContext, judgeRef: string): Promise<void> {
  const { judge } = await ctx.judge(judgeRef);
  const queue = ctx.pending(judge.name);
  // Only reads: with nothing pending, a mistyped --store is an error (readOnlyStore says so), not an empty list.
  if (!existsSync(queue.path)) ctx.readOnlyStore();
  const pending = (await queue.read()).map((p) => p.feedback);
  ctx.print(pending, () => (pending.length === 0 ? `No pending feedback for "${judge.name}".` : pending.map((f) => `${f.id}  record ${f.record.id}  value=${f.value === undefined ? '-' : JSON.stringify(f.value)}  ${f.rationale ?? ''}`).join('\n')));
}

/**
 * `memalign feedback review <judge> <verdicts.jsonl>`: shows each record and verdict, asks agree or
 * disagree, the right value and why. Answers are queued as they are given.
 *
 * @example
 * memalign feedback review sql-review records.verdicts.jsonl
 */
export async function feedbackReview(ctx: CliContext, judgeRef: string, file: string, options: { all?: boolean } = {}): Promise<void> {
  const { judge } = await ctx.judge(judgeRef);
  const input = resolve(ctx.io.cwd, file);
  const rows = await readTable(input);
  const issues: Issue[] = [];
  const all = rows.map((r) => r.data as unknown as VerdictLine).filter((l, i) => {
    const ok = l?.record?.id !== undefined && l?.result !== undefined;
    if (!ok) issues.push(rowIssue(rows[i], '', 'not a verdict line: review files come from "memalign judge" (JSONL)'));
    return ok;
  });
  if (issues.length > 0) throw new ValidationError(`verdicts file ${input}`, issues);
  // Records that already have feedback (aligned or pending) are skipped unless --all.
  let lines = all;
  if (!options.all) {
    const { ma } = await ctx.open(judgeRef, { needModel: false, readOnly: true });
    const known = new Set([...(await ma.inspect()).feedback.map((f) => f.record.id), ...(await ctx.pending(judge.name).read()).map((p) => p.feedback.record.id)]);
    await ma.close();
    lines = all.filter((l) => !known.has(l.record.id));
    if (lines.length < all.length) ctx.note(`Skipping ${all.length - lines.length} of ${all.length} records already reviewed or pending (--all revisits them).`);
  }
  const rl = createInterface({ input: ctx.io.stdin, terminal: false });
  // Lines are read through one buffered iterator, so answers piped in all at once are not lost.
  const answers = rl[Symbol.asyncIterator]();
  const say = (t: string) => ctx.io.err(`${t}\n`);
  const ask = async (prompt: string): Promise<string | null> => {
    ctx.io.err(prompt);
    const next = await answers.next();
    return next.done ? null : String(next.value).trim();
  };
  let queued = 0;
  try {
    for (const [i, { record, result }] of lines.entries()) {
      say(`\n── ${i + 1}/${lines.length}: record ${record.id}`);
      say(`inputs:  ${short(record.inputs)}`);
      say(`outputs: ${short(record.outputs)}`);
      say(result.ok ? `verdict: ${JSON.stringify(result.value)} — ${result.rationale}` : `verdict: (error) ${result.error.message}`);
      const answer = (await ask('Agree? [y]es / [n]o / [s]kip / [q]uit: '))?.toLowerCase() ?? null;
      if (answer === null || answer.startsWith('q')) break;
      if (answer.startsWith('s') || answer === '') continue;
      let value: unknown = result.ok ? result.value : undefined;
      if (answer.startsWith('n') || !result.ok) {
        for (;;) {
          const v = await ask(`Right value (${describeKind(judge.output)}): `);
          if (v === null) break;
          const checked = checkValue(judge.output, v);
          if (checked.ok) { value = checked.value; break; }
          say(`  ${checked.message}`);
        }
      }
      const why = await ask('Why? (one or two sentences; Enter to skip): ');
      // The verdict under review travels with the feedback: the judge's mistakes are the precedents that matter most.
      const judgeVerdict = result.ok ? { value: result.value, rationale: result.rationale } : undefined;
      const [fb] = parseFeedback([{ record, value, rationale: why ?? undefined, author: ctx.io.env.USER, judgeVerdict }], judge.output);
      await queue(ctx, judge, [fb]);
      queued += 1;
    }
  } finally {
    rl.close();
  }
  ctx.print({ judge: judge.name, queued }, () => `\nQueued ${queued} feedback. Run "memalign align ${judge.name}" to learn from them.`);
}

function short(v: unknown): string {
  const t = typeof v === 'string' ? v : JSON.stringify(v);
  return t.length > 400 ? `${t.slice(0, 400)}…` : t;
}

function parseMaybeJson(v: string | undefined): unknown {
  if (v === undefined) return undefined;
  if (/^\s*[[{]/.test(v)) { try { return JSON.parse(v); } catch { /* plain text */ } }
  return v;
}
