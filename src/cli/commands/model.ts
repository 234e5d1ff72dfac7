import type { CliContext } from '../context.ts';
import { DEFAULT_LOCAL_MODEL_URL, downloadModel } from '../local-model.ts';

/**
 * `memalign model pull [url]`: downloads a GGUF model into the cache; memalign then uses it when no
 * other model is configured.
 *
 * @example
 * memalign model pull
 */
export async function modelPull(ctx: CliContext, url: string | undefined): Promise<void> {
  const source = url ?? ctx.io.env.MEMALIGN_LOCAL_MODEL_URL ?? DEFAULT_LOCAL_MODEL_URL;
  const path = await downloadModel(source, { env: ctx.io.env, isTTY: ctx.io.isTTY, write: ctx.io.err, quiet: ctx.flags.quiet || ctx.flags.json });
  ctx.print({ path, model: `llama-cpp:${path}` }, () => `Model ready: ${path}\nmemalign uses it when no other model is configured (or pass --model llama-cpp:${path}).`);
}
