import { createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ConfigError, ProviderError, readGgufMetadata } from '../index.ts';
import { startProgress } from './progress.ts';

/** The small instruct model offered when nothing else is configured (Apache-2.0, ~0.4 GB). */
export const DEFAULT_LOCAL_MODEL_URL = 'https://huggingface.co/Qwen/Qwen2.5-0.5B-Instruct-GGUF/resolve/main/qwen2.5-0.5b-instruct-q4_k_m.gguf';

/** Where downloaded models live: MEMALIGN_CACHE, else ~/.cache/memalign/models. */
export function modelCacheDir(env: Record<string, string | undefined>): string {
  return join(env.MEMALIGN_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'memalign'), 'models');
}

/** The model file a URL is cached as. */
export function cachedModelPath(url: string, env: Record<string, string | undefined>): string {
  return join(modelCacheDir(env), basename(new URL(url).pathname) || 'model.gguf');
}

/**
 * Downloads a GGUF model into the cache with a progress bar; the file appears only when complete
 * and checked (a temp file is renamed into place), so an interrupted download leaves nothing half-done.
 *
 * @example
 * const path = await downloadModel(DEFAULT_LOCAL_MODEL_URL, { env: process.env, isTTY: true, write });
 */
export async function downloadModel(url: string, options: { env: Record<string, string | undefined>; isTTY: boolean; write: (s: string) => void; quiet?: boolean }): Promise<string> {
  const target = cachedModelPath(url, options.env);
  if (existsSync(target)) return target;
  mkdirSync(modelCacheDir(options.env), { recursive: true });
  let res: Response;
  try {
    res = await fetch(url);
  } catch (error) {
    throw new ProviderError(`Could not download ${url}: ${(error as Error).message}. Check the network, or download the file yourself and set MEMALIGN_LOCAL_MODEL to its path.`, { cause: error });
  }
  if (!res.ok || !res.body) throw new ProviderError(`Could not download ${url}: HTTP ${res.status}. Download it yourself and set MEMALIGN_LOCAL_MODEL to its path.`, { status: res.status });
  const total = Number(res.headers.get('content-length')) || 0;
  const mb = (n: number) => Math.max(1, Math.round(n / 1e6));
  const progress = startProgress(`Downloading ${basename(target)} (MB)`, mb(total), { isTTY: options.isTTY, write: options.write, enabled: !options.quiet && total > 0 });
  const tmp = `${target}.part-${process.pid}`;
  let seen = 0;
  let ticked = 0;
  const body = Readable.fromWeb(res.body as never);
  body.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    while (ticked < Math.min(mb(total), Math.floor(seen / 1e6))) { ticked += 1; progress.tick(); }
  });
  try {
    await pipeline(body, createWriteStream(tmp));
    while (ticked < mb(total)) { ticked += 1; progress.tick(); }
    readGgufMetadata(tmp);
  } catch (error) {
    rmSync(tmp, { force: true });
    if (error instanceof ConfigError) throw new ConfigError(`The file at ${url} is not a GGUF model.`);
    throw new ProviderError(`Download of ${url} failed: ${(error as Error).message}`, { cause: error });
  } finally {
    progress.stop();
  }
  renameSync(tmp, target);
  return target;
}
