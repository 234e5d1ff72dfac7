import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { ValidationError, loadJudge, NotFoundError, isPostgresUrl, type JudgeDefinition } from '../index.ts';

/** The project configuration file (`memalign.config.yaml` or `.json`), all optional. */
export interface CliConfig {
  /** Where the file was found (its folder anchors relative paths). */
  file?: string;
  store?: string;
  model?: string;
  distillModel?: string;
  embedder?: string;
  /** Inputs per embedding request (default: the provider's limit, e.g. 2 048 for OpenAI). */
  embedderBatch?: number;
  judges?: Record<string, string>;
}

export const CONFIG_NAMES = ['memalign.config.yaml', 'memalign.config.yml', 'memalign.config.json'];

/**
 * Reads the project configuration from `--config` or the current folder.
 *
 * @example
 * const config = readConfig(undefined, process.cwd());
 */
export function readConfig(explicit: string | undefined, cwd: string): CliConfig {
  const file = explicit ? resolve(cwd, explicit) : CONFIG_NAMES.map((n) => join(cwd, n)).find((p) => existsSync(p));
  if (!file) return {};
  if (!existsSync(file)) throw new ValidationError('configuration', [{ file, path: '', message: 'file not found: check --config' }]);
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ValidationError(`configuration ${file}`, [{ file, line: (error as { linePos?: { line: number }[] }).linePos?.[0]?.line, path: '', message: `${(error as Error).message.split('\n')[0]}: fix the YAML/JSON syntax` }]);
  }
  const issues = [];
  const c = (data ?? {}) as Record<string, unknown>;
  if (typeof c !== 'object' || Array.isArray(c)) throw new ValidationError(`configuration ${file}`, [{ file, path: '', message: 'must be a mapping of settings' }]);
  for (const key of Object.keys(c)) if (!['store', 'model', 'distillModel', 'embedder', 'embedderBatch', 'judges'].includes(key)) issues.push({ file, path: key, message: `unknown setting "${key}": use store, model, distillModel, embedder, embedderBatch or judges` });
  if (c.embedderBatch !== undefined && !(Number.isInteger(c.embedderBatch) && (c.embedderBatch as number) >= 1)) issues.push({ file, path: 'embedderBatch', message: 'must be a whole number of at least 1 (inputs per embedding request)' });
  for (const key of ['store', 'model', 'distillModel', 'embedder']) if (c[key] !== undefined && typeof c[key] !== 'string') issues.push({ file, path: key, message: 'must be text' });
  if (c.judges !== undefined && (typeof c.judges !== 'object' || Array.isArray(c.judges) || Object.values(c.judges as object).some((v) => typeof v !== 'string'))) issues.push({ file, path: 'judges', message: 'must map judge names to judge file paths' });
  if (issues.length > 0) throw new ValidationError(`configuration ${file}`, issues);
  const base = dirname(file);
  const judges = Object.fromEntries(Object.entries((c.judges ?? {}) as Record<string, string>).map(([k, v]) => [k, resolve(base, v)]));
  return { file, store: c.store ? (isPostgresUrl(c.store as string) ? c.store as string : resolve(base, c.store as string)) : undefined, model: c.model as string | undefined, distillModel: c.distillModel as string | undefined, embedder: c.embedder as string | undefined, embedderBatch: c.embedderBatch as number | undefined, judges };
}

/**
 * Finds a judge by file path, by name in the configuration, or as `judges/<name>.yaml`.
 *
 * @example
 * const judge = await findJudge('sql-review', config, process.cwd());
 */
export async function findJudge(ref: string, config: CliConfig, cwd: string): Promise<{ judge: JudgeDefinition; file: string }> {
  const candidates = [resolve(cwd, ref), config.judges?.[ref], ...['yaml', 'yml', 'json'].map((ext) => join(cwd, 'judges', `${ref}.${ext}`))].filter((p): p is string => typeof p === 'string');
  const file = candidates.find((p) => existsSync(p) && !p.endsWith('/'));
  if (!file) {
    const known = Object.keys(config.judges ?? {});
    throw new NotFoundError(`No judge "${ref}": give the path of a judge file, list it under "judges:" in memalign.config.yaml${known.length ? ` (known: ${known.join(', ')})` : ''}, or create one with "memalign init ${ref}".`);
  }
  return { judge: await loadJudge(file), file };
}
