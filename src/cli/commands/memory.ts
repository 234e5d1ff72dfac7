import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError, NotFoundError, type Guideline } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { writeAtomic } from '../write-file.ts';
import { describeChange } from './align.ts';
import { jsonText } from '../terminal-text.ts';
import { intFlag } from '../flags.ts';
import { checkOutput } from '../output-file.ts';

const line = (g: Guideline) => `${g.id}  ${g.pinned ? '[pinned] ' : ''}${g.origin === 'manual' ? '[manual] ' : ''}${g.edited ? '[edited] ' : ''}${g.text}${g.sources.length ? `  (sources: ${g.sources.length})` : ''}`;

const READ_ONLY = new Set(['list', 'show', 'episodes', 'history', 'log', 'export']);

/**
 * `memalign memory <action> <judge> …`: list, show, add, edit, pin, unpin, delete guidelines; list
 * episodes; show the log; export or import memory as JSON.
 *
 * @example
 * memalign memory add sql-review "Never accept raw event tables for revenue." --pin
 */
export async function memoryCommand(ctx: CliContext, action: string, judgeRef: string, args: string[], options: { pin?: boolean; output?: string; limit?: string; deleted?: boolean; all?: boolean }): Promise<void> {
  if (action === 'redistil') return redistil(ctx, judgeRef, options.all === true);
  // Memory commands never call a model, so they work without any key; those that only read never create a store.
  const { ma } = await ctx.open(judgeRef, { needModel: false, readOnly: READ_ONLY.has(action) });
  try {
    switch (action) {
      case 'list': {
        const m = await ma.overview();
        const deleted = options.deleted ? m.tombstones : [];
        ctx.print({ version: m.version, guidelines: m.guidelines, ...(options.deleted ? { deleted } : {}), episodes: m.episodes, feedback: m.feedback }, () =>
          [`Judge "${ma.definition.name}", memory version ${m.version}: ${m.guidelines.length} guidelines, ${m.episodes} examples, ${m.feedback} feedback${m.tombstones.length ? `, ${m.tombstones.length} deleted guideline(s)${options.deleted ? '' : ' (--deleted lists them)'}` : ''}.`,
            ...m.guidelines.map(line), ...deleted.map((g) => `[deleted] ${line(g)}`)].join('\n'));
        return;
      }
      case 'history': {
        const id = need(args[0], 'a feedback id');
        const history = await ma.feedbackHistory(id);
        ctx.print(history, () => history.map((f) => `${f.createdAt}  ${f.author ?? '-'}  value=${JSON.stringify(f.value ?? null)}  ${f.rationale ?? ''}`).join('\n') || `Feedback ${id} has no earlier versions.`);
        return;
      }
      case 'restore': {
        const g = await ma.restoreGuideline(need(args[0], 'a deleted guideline id'));
        ctx.print(g, () => `Restored ${line(g)}`);
        return;
      }
      case 'show': {
        const id = need(args[0], 'a guideline, episode or feedback id');
        const m = await ma.inspect();
        const found = m.guidelines.find((g) => g.id === id) ?? m.episodes.find((e) => e.id === id) ?? m.feedback.find((f) => f.id === id);
        if (!found) throw new NotFoundError(`Nothing with id "${id}" in the memory of "${ma.definition.name}": see "memalign memory list ${ma.definition.name}".`);
        ctx.print(found, () => JSON.stringify(found, null, 2));
        return;
      }
      case 'episodes': {
        const m = await ma.inspect();
        ctx.print(m.episodes, () => m.episodes.map((e) => `${e.id}  value=${JSON.stringify(e.value ?? null)}  ${e.rationale ?? ''}  (feedback: ${e.feedbackIds.join(', ')})`).join('\n') || 'No examples yet.');
        return;
      }
      case 'add': {
        const g = await ma.addGuideline(need(args.join(' ').trim() || undefined, 'the guideline text'), { pinned: options.pin });
        ctx.print(g, () => `Added ${line(g)}`);
        return;
      }
      case 'edit': {
        const g = await ma.editGuideline(need(args[0], 'a guideline id'), need(args.slice(1).join(' ').trim() || undefined, 'the new text'));
        ctx.print(g, () => `Edited ${line(g)}`);
        return;
      }
      case 'pin': case 'unpin': {
        const g = await ma.pinGuideline(need(args[0], 'a guideline id'), action === 'pin');
        ctx.print(g, () => `${action === 'pin' ? 'Pinned' : 'Unpinned'} ${line(g)}`);
        return;
      }
      case 'delete': {
        const id = need(args[0], 'a guideline or episode id');
        const m = await ma.inspect();
        const episode = m.episodes.find((e) => e.id === id);
        if (episode && !m.guidelines.some((g) => g.id === id)) {
          // Deleting an example means forgetting the feedback behind it; revising the guidelines it
          // supported needs the model, so this one action opens the judge with it.
          const { ma: withModel } = await ctx.open(judgeRef);
          const report = await withModel.forget(episode.feedbackIds).finally(() => withModel.close());
          ctx.print(report, () => describeChange(report, `Deleted example ${id} (forgot feedback ${episode.feedbackIds.join(', ')})`, ctx.flags.verbose));
          return;
        }
        const g = await ma.deleteGuideline(id);
        ctx.print(g, () => `Deleted ${g.id}  ${g.text} (new feedback will not bring it back; "memalign memory restore ${ma.definition.name} ${g.id}" undoes this)`);
        return;
      }
      case 'log': {
        const log = await ma.log({ limit: options.limit === undefined ? 200 : intFlag('--limit', options.limit, { min: 1 }) });
        ctx.print(log, () => log.map((l) => `v${l.version}  ${l.at}  ${l.op.padEnd(16)} ${l.target}  ${l.detail}  [${l.cause}]`).join('\n') || 'The log is empty.');
        return;
      }
      case 'export': {
        const data = await ma.export();
        if (options.output) {
          const target = resolve(ctx.io.cwd, options.output);
          checkOutput(target, 'memory-export', { flag: '--output', protect: [ctx.storePath, ...(ctx.config.file ? [ctx.config.file] : [])], protectDirs: ctx.stateDirs() });
          writeAtomic(target, `${JSON.stringify(data, null, 2)}\n`);
          ctx.note(`Exported memory version ${data.memoryVersion} of "${data.judge}" to ${options.output}.`);
        } else ctx.io.out(`${jsonText(data)}\n`);
        return;
      }
      case 'import': {
        const file = resolve(ctx.io.cwd, need(args[0], 'the export file'));
        let data: unknown;
        try {
          data = JSON.parse(readFileSync(file, 'utf8'));
        } catch (error) {
          throw new ValidationError(`memory export ${file}`, [{ file, path: '', message: `cannot read it as JSON (${(error as Error).message})` }]);
        }
        const report = await ma.import(data);
        ctx.print(report, () => describeChange(report, `Imported ${file}`, ctx.flags.verbose));
        return;
      }
      default:
        throw new ValidationError('command', [{ path: 'memory', message: `unknown action "${action}": use list, show, episodes, history, add, edit, pin, unpin, delete, restore, redistil, log, export or import` }]);
    }
  } finally {
    await ma.close();
  }
}

// Re-distilling calls the model, so it opens the judge with one.
async function redistil(ctx: CliContext, judgeRef: string, all: boolean): Promise<void> {
  const { ma, model } = await ctx.open(judgeRef);
  try {
    const report = await ma.redistil({ all });
    ctx.print(report, () => (report.changed ? describeChange(report, `Re-distilled "${ma.definition.name}"${all ? ' (all examples)' : ''} with ${model}`, ctx.flags.verbose) : `Nothing to re-distil for "${ma.definition.name}": every example is distilled${ma.definition.memory.semantic ? '' : ' (semantic memory is off in the judge file)'}. Use --all to re-distil everything.`));
  } finally {
    await ma.close();
  }
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new ValidationError('arguments', [{ path: '', message: `missing ${what}` }]);
  return value;
}
