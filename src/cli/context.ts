import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { openMemalign, resolveEmbedder, isPostgresUrl, ConfigError, NotFoundError, ValidationError, type Memalign, type JudgeDefinition, type Feedback, type MemalignEvent } from '../index.ts';
import { readConfig, findJudge, type CliConfig } from './config.ts';
import { detectModel } from './detect-model.ts';
import { DEFAULT_LOCAL_MODEL_URL, downloadModel, modelCacheDir } from './local-model.ts';
import { createInterface } from 'node:readline';
import { jsonText } from './terminal-text.ts';
import { intFlag } from './flags.ts';
import { PendingQueue, type LockTimings } from './pending-queue.ts';

/** Global flags every command accepts. */
export interface GlobalFlags { store?: string; model?: string; json?: boolean; debug?: boolean; config?: string; quiet?: boolean; verbose?: boolean; timeout?: string }

/** What a command needs from the outside world; tests inject their own streams and environment. */
export interface CliIO {
  cwd: string;
  env: Record<string, string | undefined>;
  out: (text: string) => void;
  err: (text: string) => void;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
}

/**
 * Resolves configuration, store and models for a command, and opens judges with the library's
 * public API.
 *
 * @example
 * const ctx = new CliContext(flags, io); const { ma } = await ctx.open('sql-review');
 */
export class CliContext {
  readonly flags: GlobalFlags;
  readonly io: CliIO;
  readonly config: CliConfig;

  constructor(flags: GlobalFlags, io: CliIO) {
    this.flags = flags;
    this.io = io;
    this.config = readConfig(flags.config, io.cwd);
  }

  /**
   * The store: --store, then MEMALIGN_STORE, then the config's `store:`, then `.memalign/memory.db`.
   * An SQLite file path (resolved) or a `postgres://` URL (as given).
   */
  get storePath(): string {
    const given = this.flags.store ?? (this.io.env.MEMALIGN_STORE || undefined) ?? this.config.store;
    if (given === undefined || given === '') return join(this.io.cwd, '.memalign', 'memory.db');
    return isPostgresUrl(given) ? given : resolve(this.io.cwd, given);
  }

  /** Whether the store is a PostgreSQL database (shared), not an SQLite file. */
  get sharedStore(): boolean {
    return isPostgresUrl(this.storePath);
  }

  /** The folder memalign keeps local state in (pending feedback, checkpoints): beside an SQLite file, else `.memalign`. */
  get stateDir(): string {
    return this.sharedStore ? join(this.config.file ? dirname(this.config.file) : this.io.cwd, '.memalign') : dirname(this.storePath);
  }

  async judge(ref: string): Promise<{ judge: JudgeDefinition; file: string }> {
    return findJudge(ref, this.config, this.io.cwd);
  }

  /** Opens a judge with its memory. `needModel: false` for commands that never call a model. */
  async open(ref: string, options: { needModel?: boolean; onEvent?: (e: MemalignEvent) => void; store?: string; readOnly?: boolean } = {}): Promise<{ ma: Memalign; judge: JudgeDefinition; model?: string }> {
    const found = await this.judge(ref);
    const store = options.store ?? (options.readOnly ? this.readOnlyStore() : this.storePath);
    const model = options.needModel === false ? undefined : await this.model(found.judge);
    // Without a model, the judge's own model string is not resolved either (no key needed).
    const judge = options.needModel === false ? { ...found.judge, model: undefined, distillModel: undefined } : found.judge;
    const embedderSpec = this.config.embedder ?? this.io.env.MEMALIGN_EMBEDDER;
    const ma = await openMemalign({
      judge, store, createStore: !options.readOnly, model,
      distillModel: options.needModel === false ? undefined : this.config.distillModel, env: this.io.env,
      embedder: embedderSpec ? resolveEmbedder(embedderSpec, { env: this.io.env, maxBatch: this.config.embedderBatch }) : undefined,
      timeoutMs: this.timeoutMs(),
      onEvent: (e) => {
        if (e.type === 'reembed') this.note(`Re-embedding ${e.count} examples: stored vectors are from ${e.from.join(', ')}, the embedder is now ${e.to}.`);
        if (e.type === 'warning') this.note(`Warning: ${e.message}`);
        options.onEvent?.(e);
      },
    });
    return { ma, judge, model };
  }

  /**
   * The store for a command that only reads: never created. A missing default store is an empty
   * memory (nothing aligned yet); a missing --store is an error (probably a typo).
   */
  readOnlyStore(): string {
    if (this.sharedStore || existsSync(this.storePath)) return this.storePath;
    if (this.flags.store) throw new NotFoundError(`There is no memory store at ${this.storePath}: check --store (nothing was created).`);
    return ':memory:';
  }

  /** --timeout in ms (per model or embedding request), validated. */
  timeoutMs(): number | undefined {
    const raw = this.flags.timeout;
    if (raw === undefined) return undefined;
    return intFlag('--timeout', raw, { min: 1, example: 60000 });
  }

  /** The model to use: --model, the judge's, the config's, MEMALIGN_MODEL, then auto-detection. */
  async model(judge: JudgeDefinition): Promise<string> {
    const explicit = this.flags.model ?? judge.model ?? this.config.model ?? this.io.env.MEMALIGN_MODEL;
    if (explicit) return explicit;
    const found = await detectModel(this.io.env);
    if (found) {
      this.note(`Using ${found.model} (${found.why}). Set "model:" in the judge file or pass --model to choose.`);
      return found.model;
    }
    if (this.io.isTTY && !this.flags.json) {
      const url = this.io.env.MEMALIGN_LOCAL_MODEL_URL ?? DEFAULT_LOCAL_MODEL_URL;
      if (await confirm(this.io, `No model is configured. Download a small local model (${url.split('/').pop()}, about 0.4 GB) into ${modelCacheDir(this.io.env)}? [y/N] `)) {
        const path = await downloadModel(url, { env: this.io.env, isTTY: this.io.isTTY, write: this.io.err });
        return `llama-cpp:${path}`;
      }
    }
    throw new ConfigError(`No model configured for judge "${judge.name}". Pass --model (e.g. openai:gpt-4.1-mini), set "model:" in the judge file, set OPENAI_API_KEY, ANTHROPIC_API_KEY or GOOGLE_GENERATIVE_AI_API_KEY, run Ollama on localhost, point MEMALIGN_LOCAL_MODEL at a GGUF file, or run "memalign model pull" for a small local model. "memalign doctor" shows what was found.`);
  }

  /** A human note on stderr (silent with --json or --quiet). */
  note(text: string): void {
    if (!this.flags.json && !this.flags.quiet) this.io.err(`${text}\n`);
  }

  /** Prints a result: JSON with --json, else the text. */
  print(json: unknown, text: () => string): void {
    this.io.out(this.flags.json ? `${jsonText(json)}\n` : `${text()}\n`);
  }

  /** How long to wait for another command holding the pending file (MEMALIGN_LOCK_WAIT_MS, default 15 s). */
  get lockTimings(): Partial<LockTimings> {
    const raw = this.io.env.MEMALIGN_LOCK_WAIT_MS;
    return raw !== undefined && /^\d+$/.test(raw) ? { waitMs: Number(raw) } : {};
  }

  /** Folders memalign keeps its own state in (pending feedback, checkpoints): outputs never go there. */
  stateDirs(): string[] {
    return [join(this.stateDir, 'pending'), join(this.stateDir, 'checkpoints')];
  }

  /** Where a failed align keeps the model answers it paid for (beside the store). */
  checkpointPath(judge: string): string {
    return join(this.stateDir, 'checkpoints', `${judge}.jsonl`);
  }

  /** The judge's pending feedback: `.memalign/pending/<judge>.jsonl` beside the store, changed under a lock. */
  pending(judge: string): PendingQueue {
    return new PendingQueue(join(this.stateDir, 'pending', `${judge}.jsonl`), this.lockTimings);
  }
}

async function confirm(io: CliIO, question: string): Promise<boolean> {
  io.err(question);
  const rl = createInterface({ input: io.stdin, terminal: false });
  const next = await rl[Symbol.asyncIterator]().next();
  rl.close();
  return !next.done && /^y(es)?$/i.test(String(next.value).trim());
}
