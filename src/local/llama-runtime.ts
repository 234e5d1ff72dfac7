import { existsSync } from 'node:fs';
import { ConfigError } from '../core/errors.ts';
import { readGgufMetadata } from './gguf-header.ts';

// node-llama-cpp is an optional dependency, loaded on first use; its types stay out of the core.
type LlamaModule = typeof import('node-llama-cpp');
type Llama = Awaited<ReturnType<LlamaModule['getLlama']>>;
export type LlamaModel = Awaited<ReturnType<Llama['loadModel']>>;

let runtime: Promise<{ mod: LlamaModule; llama: Llama }> | undefined;
const models = new Map<string, Promise<LlamaModel>>();

/**
 * Loads node-llama-cpp's prebuilt CPU engine once per process; never downloads or builds.
 *
 * @example
 * const { llama } = await llamaRuntime();
 */
export function llamaRuntime(): Promise<{ mod: LlamaModule; llama: Llama }> {
  runtime ??= (async () => {
    let mod: LlamaModule;
    try {
      mod = await import('node-llama-cpp');
    } catch {
      throw new ConfigError('Local GGUF models need the optional package node-llama-cpp: run "npm install node-llama-cpp".');
    }
    const llama = await mod.getLlama({ gpu: false, build: 'never', progressLogs: false, logLevel: mod.LlamaLogLevel.error } as never);
    return { mod, llama };
  })();
  runtime.catch(() => { runtime = undefined; });
  return runtime;
}

/**
 * Loads a GGUF model once per path (checked first, so a wrong path or file says so plainly).
 *
 * @example
 * const model = await loadLlamaModel('/models/qwen2.5-0.5b-instruct-q4_k_m.gguf');
 */
export function loadLlamaModel(path: string): Promise<LlamaModel> {
  let loading = models.get(path);
  if (!loading) {
    loading = (async () => {
      if (!existsSync(path)) throw new ConfigError(`The model file ${path} does not exist: check MEMALIGN_LOCAL_MODEL or the llama-cpp: model string.`);
      readGgufMetadata(path);
      const { llama } = await llamaRuntime();
      try {
        return await llama.loadModel({ modelPath: path });
      } catch (error) {
        throw new ConfigError(`llama.cpp could not load ${path}: ${(error as Error).message}`);
      }
    })();
    models.set(path, loading);
    loading.catch(() => models.delete(path));
  }
  return loading;
}

/**
 * Whether local GGUF models can run here: node-llama-cpp installed and its prebuilt CPU engine
 * loadable (what `doctor` reports). Never downloads or builds anything.
 *
 * @example
 * const { available, detail } = await localModelSupport(); // { available: true, detail: 'node-llama-cpp 3.22.1, CPU engine loads' }
 */
export async function localModelSupport(): Promise<{ available: boolean; detail: string }> {
  let version = '';
  try {
    const { createRequire } = await import('node:module');
    const { readFileSync } = await import('node:fs');
    const { dirname, join } = await import('node:path');
    // The package's exports hide package.json; find it from the entry point.
    const entry = createRequire(import.meta.url).resolve('node-llama-cpp');
    let dir = dirname(entry);
    while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
    version = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return { available: false, detail: 'node-llama-cpp is not installed (optional: "npm install node-llama-cpp" for local GGUF models)' };
  }
  try {
    await llamaRuntime();
    return { available: true, detail: `node-llama-cpp ${version}, its CPU engine loads` };
  } catch (error) {
    return { available: false, detail: `node-llama-cpp ${version} is installed but its engine does not load here (${(error as Error).message.split('\n')[0]})` };
  }
}
