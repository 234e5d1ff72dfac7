import { existsSync, readdirSync } from 'node:fs';
import { join, parse } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, openReviewStore, openStore, type Memalign, type ReviewStore } from '../../index.ts';
import { dispatchJudgeEvent, hashPassword, startServer } from '../../server/index.ts';
import type { CliContext } from '../context.ts';
import { intFlag } from '../flags.ts';

/** The project's judges: those named in memalign.config.yaml, then the files in judges/. */
export function projectJudges(ctx: CliContext): string[] {
  const names = new Set(Object.keys(ctx.config.judges ?? {}));
  const dir = join(ctx.config.file ? parse(ctx.config.file).dir : ctx.io.cwd, 'judges');
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) if (/\.(ya?ml|json)$/.test(f)) names.add(parse(f).name);
  return [...names];
}

/** Opens the review store beside the judges' memory (the same SQLite file or PostgreSQL schema). */
export async function reviewStoreOf(ctx: CliContext, ma?: Memalign): Promise<{ reviews: ReviewStore; close(): Promise<void> }> {
  if (ma) return { reviews: await openReviewStore(ma.store), close: async () => {} };
  const store = await openStore(ctx.storePath);
  try {
    const reviews = await openReviewStore(store);
    return { reviews, close: async () => { await reviews.close(); await store.close(); } };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * `memalign serve [judges...]`: the review app and its API for the project's judges, on
 * 127.0.0.1 by default. With authentication on and no account yet, creates an admin and prints
 * its password once. Runs until interrupted.
 */
export async function serveCommand(ctx: CliContext, refs: string[], options: { host: string; port: string; auth: boolean; concurrency: string; reservation: string; secureCookies?: boolean }, signal?: AbortSignal): Promise<number> {
  const port = intFlag('--port', options.port, { min: 0, max: 65535, example: 8787 });
  const concurrency = intFlag('--concurrency', options.concurrency, { min: 1, max: 256 });
  const reservationMs = intFlag('--reservation', options.reservation, { min: 10, max: 86_400, example: 600 }) * 1000;
  const names = refs.length ? refs : projectJudges(ctx);
  if (names.length === 0) throw new ConfigError('There is no judge to serve: create one with "memalign init <name>" (it goes to judges/<name>.yaml), or name judge files: memalign serve judges/my-judge.yaml.');
  const judges: Memalign[] = [];
  try {
    for (const name of names) judges.push((await ctx.open(name, { onEvent: dispatchJudgeEvent })).ma);
    const { reviews } = await reviewStoreOf(ctx, judges[0]);
    if (options.auth && (await reviews.users()).length === 0) {
      const password = randomBytes(12).toString('base64url');
      await reviews.addUser('admin', 'admin', await hashPassword(password));
      await reviews.audit('memalign serve', 'user.add', 'admin', 'first start: admin account created');
      ctx.io.err(`No account existed: created "admin" with password ${password}\n  (shown once; add people under Users, or with "memalign user add <name> --role reviewer").\n`);
    }
    const server = await startServer({ judges, reviews, auth: options.auth, host: options.host, port, concurrency, reservationMs, secureCookies: options.secureCookies });
    ctx.io.err(`memalign serve: ${judges.map((j) => j.definition.name).join(', ')} at ${server.url}${options.auth ? '' : ' (no authentication: loopback only)'}\n  store ${ctx.sharedStore ? 'PostgreSQL' : ctx.storePath} · API description ${server.url}/api/openapi.json · Ctrl-C stops\n`);
    ctx.print({ url: server.url, judges: judges.map((j) => j.definition.name), auth: options.auth }, () => server.url);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      signal?.addEventListener('abort', stop, { once: true });
    });
    await server.close();
    await reviews.close();
    return 0;
  } finally {
    for (const j of judges) await j.close();
  }
}
