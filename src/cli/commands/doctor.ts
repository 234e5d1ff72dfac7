import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { CliContext } from '../context.ts';
import { detectModel, ollamaModels, cachedModels } from '../detect-model.ts';
import { modelCacheDir } from '../local-model.ts';

/**
 * `memalign doctor`: what memalign found — runtime, store, configuration, judges, providers.
 *
 * @example
 * memalign doctor
 */
export async function doctorCommand(ctx: CliContext): Promise<void> {
  const env = ctx.io.env;
  const [major, minor] = process.versions.node.split('.').map(Number);
  let sqlite = false;
  try { await import('node:sqlite'); sqlite = true; } catch { /* too old */ }
  let llamaCpp: string | null = null;
  try { llamaCpp = (createRequire(import.meta.url)('node-llama-cpp/package.json') as { version: string }).version; } catch { /* optional */ }
  const ollama = await ollamaModels(env);
  const detected = await detectModel(env);
  const checks: { name: string; ok: boolean; detail: string }[] = [
    { name: 'node', ok: major > 22 || (major === 22 && minor >= 13), detail: `${process.version} (needs ≥ 22.13 for node:sqlite)` },
    { name: 'node:sqlite', ok: sqlite, detail: sqlite ? 'available' : 'missing: upgrade Node' },
    { name: 'config', ok: true, detail: ctx.config.file ?? 'none (memalign init writes memalign.config.yaml)' },
    { name: 'judges', ok: true, detail: Object.keys(ctx.config.judges ?? {}).join(', ') || 'none listed' },
    { name: 'store', ok: true, detail: `${ctx.storePath}${existsSync(ctx.storePath) ? '' : ' (created on first use)'}` },
    { name: 'OPENAI_API_KEY', ok: true, detail: env.OPENAI_API_KEY ? 'set' : 'not set' },
    { name: 'ANTHROPIC_API_KEY', ok: true, detail: env.ANTHROPIC_API_KEY ? 'set' : 'not set' },
    { name: 'ollama', ok: true, detail: ollama.length ? `answers on localhost: ${ollama.join(', ')}` : 'no server on localhost' },
    { name: 'node-llama-cpp', ok: true, detail: llamaCpp ? `installed (${llamaCpp})` : 'not installed (optional: local GGUF models)' },
    { name: 'model cache', ok: true, detail: `${modelCacheDir(env)}: ${cachedModels(env).map((p) => p.split('/').pop()).join(', ') || 'empty ("memalign model pull" downloads a small model)'}` },
    { name: 'MEMALIGN_LOCAL_MODEL', ok: true, detail: env.MEMALIGN_LOCAL_MODEL ? `${env.MEMALIGN_LOCAL_MODEL}${existsSync(env.MEMALIGN_LOCAL_MODEL) ? '' : ' (file missing!)'}` : 'not set' },
    { name: 'model', ok: Boolean(ctx.flags.model ?? ctx.config.model ?? env.MEMALIGN_MODEL ?? detected), detail: ctx.flags.model ?? ctx.config.model ?? env.MEMALIGN_MODEL ?? (detected ? `${detected.model} (${detected.why})` : 'none found: set a key, run Ollama, or pass --model') },
  ];
  ctx.print(checks, () => checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name.padEnd(20)} ${c.detail}`).join('\n'));
}
