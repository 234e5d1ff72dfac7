import { Command, CommanderError } from 'commander';
// The version and the error classes are part of the library's public API (index.ts re-exports
// them); they are imported from their own modules so that `--help` and `--version` do not load
// the whole library. Everything else the CLI uses comes through index.ts.
import { VERSION } from '../version.ts';
import { AlignError, MemalignError, ValidationError } from '../core/errors.ts';
import type { CliContext, CliIO, GlobalFlags } from './context.ts';
import { EXIT, exitCodeOf } from './exit-codes.ts';
import { jsonText, terminalSafe } from './terminal-text.ts';
import type { JudgeCommandOptions } from './commands/judge.ts';
import type { feedbackAdd } from './commands/feedback.ts';
import type { benchQuality, benchSpeed } from './commands/bench.ts';

// Each command's module (and what it needs: engines, providers, the tokenizer) loads only when
// that command runs, so `--help` and read-only commands start fast.
const commands = {
  init: () => import('./commands/init.ts'),
  judge: () => import('./commands/judge.ts'),
  feedback: () => import('./commands/feedback.ts'),
  align: () => import('./commands/align.ts'),
  memory: () => import('./commands/memory.ts'),
  forget: () => import('./commands/forget.ts'),
  eval: () => import('./commands/eval.ts'),
  doctor: () => import('./commands/doctor.ts'),
  model: () => import('./commands/model.ts'),
  bench: () => import('./commands/bench.ts'),
  batch: () => import('./commands/batch.ts'),
  serve: () => import('./commands/serve.ts'),
  user: () => import('./commands/user.ts'),
};

/**
 * Runs the `memalign` command line and returns its exit code (the process entry point below calls
 * it with the real process; tests call it with their own streams).
 *
 * @example
 * process.exitCode = await runCli(process.argv.slice(2), io);
 */
export async function runCli(argv: string[], rawIo: CliIO): Promise<number> {
  // Nothing untrusted reaches the terminal raw: every line printed is stripped of control sequences.
  const io: CliIO = { ...rawIo, out: (s) => rawIo.out(terminalSafe(s)), err: (s) => rawIo.err(terminalSafe(s)) };
  let code: number = EXIT.ok;
  const program = new Command('memalign')
    .description('Build LLM judges aligned with your experts from a few natural-language feedback examples.')
    .option('--store <path|url>', 'memory store: an SQLite file or a postgres:// URL (default: MEMALIGN_STORE, then "store" in memalign.config.yaml, then .memalign/memory.db)')
    .option('--model <model>', 'model, e.g. openai:gpt-4.1-mini, anthropic:claude-sonnet-4-5, google:gemini-2.5-flash, ollama:qwen3:8b, http://host:port/v1#model')
    .option('--config <file>', 'project config (default: ./memalign.config.yaml)')
    .option('--json', 'machine-readable output on stdout')
    .option('--quiet', 'no progress or notes on stderr')
    .option('--verbose', 'list everything in summaries (e.g. every source id of a guideline)')
    .option('--debug', 'show stack traces on errors')
    .option('--timeout <ms>', 'longest one model or embedding request may take (default 120000)')
    .version(VERSION, '-V, --version', 'print the version')
    .configureHelp({ showGlobalOptions: true })
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError('(run with --help for usage)');

  const act = (fn: (ctx: CliContext, ...args: never[]) => Promise<number | void> | number | void) => async (...args: unknown[]) => {
    const { CliContext } = await import('./context.ts');
    const ctx = new CliContext(program.opts<GlobalFlags>(), io);
    const result = await fn(ctx, ...(args.slice(0, -1) as never[]));
    if (typeof result === 'number') code = result;
  };
  const examples = (...lines: string[]) => `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
  program.addHelpText('after', examples('memalign init sql-review', 'memalign judge sql-review records.jsonl', 'memalign feedback review sql-review records.verdicts.jsonl', 'memalign align sql-review', 'memalign doctor'));

  program.command('init').argument('[name]', 'judge name', 'my-judge').description('write a commented judge file and a project config')
    .option('--kind <kind>', 'boolean | categorical | numeric | pairwise', 'categorical')
    .addHelpText('after', examples('memalign init support-quality', 'memalign init sql-review --kind boolean --model openai:gpt-4.1-mini'))
    .action(act(async (ctx, name: string, o: { kind: string }) => (await commands.init()).initCommand(ctx, name, { kind: o.kind, model: ctx.flags.model })));

  program.command('judge').argument('<judge>', 'judge name or file').argument('<records>', 'records file (.jsonl, .json or .csv)')
    .description('judge records; resumable; writes verdicts with provenance, usage and cost')
    .option('-o, --output <file>', 'verdicts file (default: <records>.verdicts.jsonl)').option('--format <format>', 'jsonl | csv')
    .option('-c, --concurrency <n>', 'model calls in flight', '4').option('--map <mapping>', 'column mapping, e.g. inputs=question,outputs=answer').option('--limit <n>', 'judge only the first n records')
    .option('--resume', 'also reuse verdicts made with an older memory version (same record, judge and model)').option('--fresh', 'reuse no earlier verdict: judge every record anew')
    .option('--queue', 'queue the records as a batch for "memalign worker" processes (needs a postgres:// store)').option('--pin', 'with --queue: judge every record with the memory as it is now')
    .option('--max-attempts <n>', 'with --queue: attempts per record for retryable failures (default 4)')
    .addHelpText('after', `${examples('memalign judge sql-review records.jsonl', 'memalign judge sql-review answers.csv --map inputs=question,outputs=answer -o verdicts.csv -c 16', 'memalign judge sql-review records.jsonl --fresh', 'memalign judge sql-review records.jsonl --queue --store postgres://localhost/memalign')}
A rerun reuses a verdict from the output only when it was made for the same record content, with the
same judge definition and model, and the same memory version; everything else is judged anew.
`)
    .action(act(async (ctx, j: string, f: string, o: JudgeCommandOptions & { queue?: boolean; pin?: boolean; maxAttempts?: string }) => (o.queue
      ? (await commands.batch()).queueCommand(ctx, j, f, o)
      : (await commands.judge()).judgeCommand(ctx, j, f, o))));

  program.command('worker')
    .description('judge queued batch records (memalign judge --queue) until stopped; run any number, on any machine')
    .option('-c, --concurrency <n>', 'records judged at once by this worker', '8').option('--model-concurrency <n>', 'model calls in flight per model across all workers together')
    .option('--rpm <n>', 'model requests per minute per model across all workers together (give every worker the same)').option('--burst <n>', 'with --rpm: requests let through at once after a quiet spell (default 1)')
    .option('--exit-when-idle <seconds>', 'stop when no job came for this long').option('--name <name>', 'name in batch status (default host:pid)')
    .addHelpText('after', examples('memalign worker --store postgres://db.internal/memalign -c 32', 'memalign worker -c 16 --model-concurrency 64 --exit-when-idle 60', 'memalign worker -c 32 --rpm 3000 --burst 50'))
    .action(act(async (ctx, o: { concurrency: string; modelConcurrency?: string; rpm?: string; burst?: string; exitWhenIdle?: string; name?: string }) => (await commands.batch()).workerCommand(ctx, o)));

  program.command('serve').argument('[judges...]', 'judge names or files (default: every judge of the project)')
    .description('serve the review web app and its HTTP API: experts review verdicts, align the judge and see what changed')
    .option('--host <host>', 'address to listen on', '127.0.0.1').option('--port <port>', 'port (0: any free one)', '8787')
    .option('--no-auth', 'no sign-in, everyone is admin (only on loopback)').option('-c, --concurrency <n>', 'model calls in flight when judging queue items', '4')
    .option('--reservation <seconds>', 'how long a reviewer holds the item they opened', '600').option('--secure-cookies', 'mark session cookies Secure (behind HTTPS)')
    .addHelpText('after', examples('memalign serve', 'memalign serve sql-review --port 9000', 'memalign serve --no-auth', 'memalign serve --host 0.0.0.0 --store postgres://db.internal/memalign --secure-cookies'))
    .action(act(async (ctx, judges: string[], o: { host: string; port: string; auth: boolean; concurrency: string; reservation: string; secureCookies?: boolean }) => (await commands.serve()).serveCommand(ctx, judges, o)));

  program.command('user').argument('<action>', 'add | list | role | password | disable | enable | token').argument('[name]', 'user name').argument('[role]', 'with role: the new role')
    .description('accounts of the review app (memalign serve): roles admin, reviewer, viewer; API tokens')
    .option('--role <role>', 'admin | reviewer | viewer (add: default reviewer)').option('--label <label>', 'with token: what the token is for')
    .addHelpText('after', `${examples('memalign user add ann --role reviewer', 'MEMALIGN_PASSWORD=... memalign user add bob --role admin', 'memalign user role ann admin', 'memalign user token ci-bot --label nightly-eval', 'memalign user disable ann')}
Without MEMALIGN_PASSWORD, add and password generate a password and print it once.
`)
    .action(act(async (ctx, action: string, name: string | undefined, arg: string | undefined, o: { role?: string; label?: string }) => (await commands.user()).userCommand(ctx, action, name, { ...o, arg })));

  program.command('batch').argument('<action>', 'list | status | cancel | retry | results | delete').argument('[id]', 'batch id')
    .description('follow, cancel, re-queue and export batches queued with "memalign judge --queue"')
    .option('-o, --output <file>', 'with results: write to a file (.jsonl or .csv)').option('--format <format>', 'with results: jsonl | csv').option('--limit <n>', 'with list: batches')
    .addHelpText('after', examples('memalign batch list', 'memalign batch status b_1a2b3c4d5e6f', 'memalign batch results b_1a2b3c4d5e6f -o verdicts.csv', 'memalign batch retry b_1a2b3c4d5e6f', 'memalign batch cancel b_1a2b3c4d5e6f'))
    .action(act(async (ctx, a: string, id: string | undefined, o: { output?: string; format?: string; limit?: string }) => (await commands.batch()).batchCommand(ctx, a, id, o)));

  const feedback = program.command('feedback').description('record expert feedback (queued until "memalign align")')
    .addHelpText('after', examples('memalign feedback import sql-review feedback.jsonl', 'memalign feedback review sql-review records.verdicts.jsonl', 'memalign feedback list sql-review'));
  feedback.command('import').argument('<judge>').argument('<file>', 'JSONL, JSON, CSV, or an MLflow trace export').option('--map <mapping>', 'column mapping: inputs=…,outputs=…,value=…,rationale=…,id=…')
    .option('--assessment <name>', 'MLflow: the human assessment name (default: the judge name)')
    .addHelpText('after', examples('memalign feedback import sql-review feedback.jsonl', 'memalign feedback import sql-review sheet.csv --map inputs=question,outputs=answer,value=label,rationale=comment', 'memalign feedback import sql-review traces.json --assessment correctness'))
    .action(act(async (ctx, j: string, f: string, o: { map?: string; assessment?: string }) => (await commands.feedback()).feedbackImport(ctx, j, f, o)));
  feedback.command('add').argument('<judge>').description('record one piece of feedback from the command line').option('--record-id <id>').option('--inputs <text>').option('--outputs <text>').option('--expectations <text>')
    .option('--value <value>').option('--rationale <text>').option('--author <name>').option('--id <id>', 'feedback id (default: derived from content)')
    .addHelpText('after', examples('memalign feedback add sql-review --record-id q1 --inputs "Revenue by region?" --outputs "SELECT … FROM raw.sales" --value bad --rationale "Use finance.revenue_v."'))
    .action(act(async (ctx, j: string, o: Parameters<typeof feedbackAdd>[2]) => (await commands.feedback()).feedbackAdd(ctx, j, o)));
  feedback.command('review').argument('<judge>').argument('<verdicts>', 'a verdicts file from "memalign judge"').description('agree/disagree with verdicts interactively; records already reviewed or pending are skipped')
    .option('--all', 'also revisit records that already have feedback')
    .addHelpText('after', examples('memalign feedback review sql-review records.verdicts.jsonl', 'memalign feedback review sql-review records.verdicts.jsonl --all'))
    .action(act(async (ctx, j: string, f: string, o: { all?: boolean }) => (await commands.feedback()).feedbackReview(ctx, j, f, o)));
  feedback.command('list').argument('<judge>').description('show pending feedback')
    .addHelpText('after', examples('memalign feedback list sql-review', 'memalign --json feedback list sql-review'))
    .action(act(async (ctx, j: string) => (await commands.feedback()).feedbackList(ctx, j)));

  program.command('align').argument('<judge>').argument('[file]', 'also align on this feedback file').option('--map <mapping>', 'column mapping for the file')
    .option('--new-record-version', 'a record id given again with different content replaces the stored record (default: an error)')
    .description('learn from pending feedback: distil guidelines, store examples; prints what changed')
    .addHelpText('after', examples('memalign align sql-review', 'memalign align sql-review more-feedback.jsonl'))
    .action(act(async (ctx, j: string, f: string | undefined, o: { map?: string; newRecordVersion?: boolean }) => (await commands.align()).alignCommand(ctx, j, f, o)));

  program.command('memory').argument('<action>', 'list | show | episodes | history | add | edit | pin | unpin | delete | restore | redistil | log | export | import').argument('<judge>').argument('[args...]')
    .option('--pin', 'with add: pin the new guideline').option('-o, --output <file>', 'with export: write to a file').option('--limit <n>', 'with log: entries')
    .option('--deleted', 'with list: also list deleted guidelines (tombstones)').option('--all', 'with redistil: re-distil every example, replacing all distilled guidelines')
    .description('inspect and edit a judge\'s memory')
    .addHelpText('after', examples('memalign memory list sql-review', 'memalign memory add sql-review "Never accept raw event tables for revenue." --pin', 'memalign memory edit sql-review g_1a2b3c "New wording"', 'memalign memory export sql-review -o memory.json', 'memalign memory import sql-review memory.json', 'memalign memory restore sql-review g_1a2b3c', 'memalign memory redistil sql-review --all'))
    .action(act(async (ctx, a: string, j: string, args: string[], o: { pin?: boolean; output?: string; limit?: string; deleted?: boolean; all?: boolean }) => (await commands.memory()).memoryCommand(ctx, a, j, args, o)));

  program.command('forget').argument('<judge>').requiredOption('--feedback <ids...>', 'feedback ids (space or comma separated)')
    .description('forget feedback: its examples go, guidelines it supported are revised or removed')
    .addHelpText('after', examples('memalign forget sql-review --feedback fb_1 fb_2'))
    .action(act(async (ctx, j: string, o: { feedback: string[] }) => (await commands.forget()).forgetCommand(ctx, j, o.feedback)));

  program.command('eval').argument('<judge>').argument('<labelled>', 'records with expert values (feedback format)').option('--map <mapping>').option('--compare', 'also run the unaligned judge, side by side')
    .option('-c, --concurrency <n>', 'model calls in flight', '4').description('agreement with the experts: exact match, kappa, CCC, confusion matrix')
    .addHelpText('after', examples('memalign eval sql-review held-out.jsonl --compare'))
    .action(act(async (ctx, j: string, f: string, o: { map?: string; compare?: boolean; concurrency: string }) => (await commands.eval()).evalCommand(ctx, j, f, o)));

  const model = program.command('model').description('local GGUF models (node-llama-cpp)')
    .addHelpText('after', examples('memalign model pull'));
  model.command('pull').argument('[url]', 'a GGUF file URL (default: a small instruct model; MEMALIGN_LOCAL_MODEL_URL overrides)')
    .description('download a local model into the cache (MEMALIGN_CACHE or ~/.cache/memalign/models)')
    .addHelpText('after', examples('memalign model pull', 'memalign model pull https://example.org/models/my-model.gguf'))
    .action(act(async (ctx, url: string | undefined) => (await commands.model()).modelPull(ctx, url)));

  const bench = program.command('bench').description('benchmarks: the MemAlign quality protocol, and speed')
    .addHelpText('after', examples('memalign bench speed --sizes 50,1000', 'memalign bench quality --model openai:gpt-4.1-mini --datasets evouna'));
  bench.command('quality').description('run the MemAlign protocol on the shared datasets, methods side by side (needs --model or --replay)')
    .option('--datasets <names>', 'comma-separated (default: all)').option('--methods <names>', 'comma-separated (default: all)')
    .option('--seeds <n>', 'number of seeds', '3').option('--shards <sizes>', 'training shard sizes', '0,2,5,10,20,50')
    .option('--train-size <n>', 'training examples per split', '50').option('--test-limit <n>', 'test rows per dataset and seed', '100')
    .option('-c, --concurrency <n>', 'model calls in flight', '8').option('--out <dir>', 'output folder', 'bench-results')
    .option('--record <cassette>', 'record every model answer (JSONL) for offline replay').option('--replay <cassette>', 'replay a recorded run; no provider is called')
    .option('--data <dir>', 'datasets folder (default: ../shared/datasets or MEMALIGN_DATASETS)').option('--gepa-budget <n>', 'GEPA metric evaluations per compile', '100')
    .option('--allow-errors', 'exit 0 even when some verdicts were errors (they never count as agreement or disagreement)')
    .addHelpText('after', examples('memalign bench quality --model openai:gpt-4.1-mini --datasets evouna,prometheus --record runs/cassette.jsonl', 'memalign bench quality --model openai:gpt-4.1-mini --datasets evouna,prometheus --replay runs/cassette.jsonl'))
    .action(act(async (ctx, o: Parameters<typeof benchQuality>[1]) => (await commands.bench()).benchQuality(ctx, o)));
  bench.command('speed').description('alignment and judging speed against the loopback server with a latency model')
    .option('--latency-ms <ms>', 'fixed latency per call', '300').option('--per-token-ms <ms>', 'latency per output token', '0')
    .option('--sizes <list>', 'feedback sizes', '10,50,200,1000,5000').option('-c, --concurrency <list>', 'judging concurrency levels', '1,4,16,64')
    .option('--judged <n>', 'records judged per level', '256').option('--data <dir>', 'datasets folder')
    .option('--gepa-sizes <list>', 'compile the ax GEPA baseline at these training sizes, for comparison', '50').option('--gepa-budget <n>', 'GEPA metric evaluations per compile', '100')
    .addHelpText('after', examples('memalign bench speed', 'memalign bench speed --latency-ms 800 --per-token-ms 5 --sizes 50,1000'))
    .action(act(async (ctx, o: Parameters<typeof benchSpeed>[1]) => (await commands.bench()).benchSpeed(ctx, o)));

  program.command('doctor').description('report runtime, configuration, store and the models memalign can reach')
    .addHelpText('after', examples('memalign doctor', 'memalign --json doctor'))
    .action(act(async (ctx) => (await commands.doctor()).doctorCommand(ctx)));

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    code = exitCodeOf(error);
    const flags = program.opts<GlobalFlags>();
    if (flags.json) io.out(`${jsonText({ error: errorJson(error) })}\n`);
    else io.err(`${errorText(error)}\n`);
    if (flags.debug && error instanceof Error) io.err(`${error.stack}\n`);
  }
  return code;
}

function errorText(error: unknown): string {
  if (error instanceof AlignError) {
    const ids = error.feedbackIds;
    return `memalign: ${error.message}\nNot distilled (${ids.length}): ${ids.slice(0, 30).join(', ')}${ids.length > 30 ? `, … (--json lists all ${ids.length})` : ''}`;
  }
  if (error instanceof MemalignError) return `memalign: ${error.message}`;
  if (error instanceof Error) return `memalign: ${error.message}${error.name === 'CliError' ? '' : ' (run with --debug for details)'}`;
  return `memalign: ${String(error)}`;
}

function errorJson(error: unknown): object {
  if (error instanceof ValidationError) return { code: error.code, message: error.message, issues: error.issues };
  if (error instanceof AlignError) return { code: error.code, message: error.message, notDistilled: error.feedbackIds, ...error.tasks };
  if (error instanceof MemalignError) return { code: error.code, message: error.message };
  return { code: 'unexpected_error', message: error instanceof Error ? error.message : String(error) };
}
