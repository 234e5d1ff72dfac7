import { existsSync } from 'node:fs';
import { PROVIDER_KEYS, resolveModel, localModelSupport, redactUrl } from '../../index.ts';
import type { CliContext } from '../context.ts';
import { detectModel, ollamaModels, cachedModels } from '../detect-model.ts';
import { modelCacheDir } from '../local-model.ts';
import { EXIT } from '../exit-codes.ts';

/**
 * `memalign doctor`: what memalign found — runtime, store, configuration, judges, the providers
 * configured, local-model support, and the model it would use. Exits 4 when no usable model is found.
 *
 * @example
 * memalign doctor
 */
export async function doctorCommand(ctx: CliContext): Promise<number> {
  const env = ctx.io.env;
  const [major, minor] = process.versions.node.split('.').map(Number);
  let sqlite = false;
  try { await import('node:sqlite'); sqlite = true; } catch { /* too old */ }
  const [ollama, local, detected] = await Promise.all([ollamaModels(env), localModelSupport(), detectModel(env)]);
  const configured = PROVIDER_KEYS.filter((p) => env[p.variable]);
  // The model a command would use: --model, the config, MEMALIGN_MODEL, a listed judge's own model, then detection.
  let judgeModel: { model: string; judge: string } | undefined;
  for (const name of Object.keys(ctx.config.judges ?? {})) {
    const found = await ctx.judge(name).catch(() => undefined);
    if (found?.judge.model) { judgeModel = { model: found.judge.model, judge: name }; break; }
  }
  const explicit = ctx.flags.model || ctx.config.model || env.MEMALIGN_MODEL || judgeModel?.model;
  let model: { ok: boolean; detail: string };
  if (explicit) {
    try {
      resolveModel(explicit, { env });
      model = { ok: true, detail: `${explicit} (${ctx.flags.model ? '--model' : ctx.config.model ? 'the config' : env.MEMALIGN_MODEL ? 'MEMALIGN_MODEL' : `judge "${judgeModel!.judge}"`})` };
    } catch (error) {
      model = { ok: false, detail: `${explicit} cannot be used: ${(error as Error).message}` };
    }
  } else if (detected) model = { ok: true, detail: `${detected.model} (${detected.why})` };
  else model = { ok: false, detail: `none found: set ${PROVIDER_KEYS.map((p) => p.variable).join(', ')}, run Ollama, point MEMALIGN_LOCAL_MODEL at a GGUF file, or pass --model` };
  const checks: { name: string; ok: boolean; detail: string }[] = [
    { name: 'node', ok: major > 22 || (major === 22 && minor >= 13), detail: `${process.version} (needs ≥ 22.13 for node:sqlite)` },
    { name: 'node:sqlite', ok: sqlite, detail: sqlite ? 'available' : 'missing: upgrade Node' },
    { name: 'config', ok: true, detail: ctx.config.file ?? 'none (memalign init writes memalign.config.yaml)' },
    { name: 'judges', ok: true, detail: Object.keys(ctx.config.judges ?? {}).join(', ') || 'none listed' },
    { name: 'store', ok: true, detail: ctx.sharedStore ? redactUrl(ctx.storePath) : `${ctx.storePath}${existsSync(ctx.storePath) ? '' : ' (created by the first align)'}` },
    { name: 'providers', ok: true, detail: `${configured.length ? `configured: ${configured.map((p) => `${p.provider} (${p.variable})`).join(', ')}` : 'none configured'}; not set: ${PROVIDER_KEYS.filter((p) => !env[p.variable]).map((p) => p.variable).join(', ') || '-'}` },
    { name: 'ollama', ok: true, detail: ollama.length ? `answers on localhost: ${ollama.join(', ')}` : 'no server on localhost' },
    { name: 'local models', ok: true, detail: local.detail },
    { name: 'model cache', ok: true, detail: `${modelCacheDir(env)}: ${cachedModels(env).map((p) => p.split('/').pop()).join(', ') || 'empty ("memalign model pull" downloads a small model)'}` },
    { name: 'MEMALIGN_LOCAL_MODEL', ok: !env.MEMALIGN_LOCAL_MODEL || existsSync(env.MEMALIGN_LOCAL_MODEL), detail: env.MEMALIGN_LOCAL_MODEL ? `${env.MEMALIGN_LOCAL_MODEL}${existsSync(env.MEMALIGN_LOCAL_MODEL) ? '' : ' (file missing!)'}` : 'not set' },
    { name: 'model', ...model },
  ];
  ctx.print({ ok: checks.every((c) => c.ok), checks }, () => checks.map((c) => `${c.ok ? '✔' : '✖'} ${c.name.padEnd(20)} ${c.detail}`).join('\n'));
  if (!model.ok) return EXIT.config;
  return checks.every((c) => c.ok) ? EXIT.ok : EXIT.config;
}
