import { checkValue, templateVariables, MemalignError, type JudgeResult, type OutputKind } from '../index.ts';
import { mapLimit } from '../model/limit.ts';
import type { DatasetAdapter, LabelledRow } from './datasets/adapter.ts';

/** Where ax sends its requests: an OpenAI-compatible endpoint or a provider, from a memalign model string. */
export interface AxEndpoint { name: 'openai' | 'anthropic'; apiKey: string; apiURL?: string; model: string }

/** Calls, tokens and wall time spent by the optimiser (its own compile, not the test judging). */
export interface GepaCost { calls: number; inputTokens: number; outputTokens: number; wallMs: number }

/**
 * The endpoint ax should use for a memalign model string (URL form, openai:, anthropic:, ollama:).
 *
 * @example
 * axEndpoint('http://127.0.0.1:8080/v1#qwen', process.env); // { name: 'openai', apiURL: 'http://127.0.0.1:8080/v1', model: 'qwen', … }
 */
export function axEndpoint(spec: string, env: Record<string, string | undefined>): AxEndpoint {
  const url = /^(https?:\/\/[^#\s]+)#(.+)$/.exec(spec);
  if (url) return { name: 'openai', apiURL: url[1], model: url[2], apiKey: env.MEMALIGN_API_KEY ?? 'none' };
  const [provider, ...rest] = spec.split(':');
  const model = rest.join(':');
  if (provider === 'openai') return { name: 'openai', apiKey: env.OPENAI_API_KEY ?? '', model };
  if (provider === 'anthropic') return { name: 'anthropic', apiKey: env.ANTHROPIC_API_KEY ?? '', model };
  if (provider === 'ollama') return { name: 'openai', apiURL: `${(env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').replace(/\/+$/, '')}/v1`, apiKey: 'none', model };
  throw new MemalignError('config_error', `The GEPA baseline cannot use "${spec}": use openai:…, anthropic:…, ollama:… or http://host/v1#model.`);
}

/**
 * The prompt-optimiser baseline: ax's GEPA (reflective prompt evolution) compiles a judge program
 * on the training rows with an agreement metric, then the optimised program judges the test rows.
 * ax is an optional dependency; it talks to the endpoint directly (not through memalign's models),
 * so its calls are counted at the HTTP level.
 *
 * @example
 * const r = await gepaBaseline(adapter.judge, train, test, endpoint, { seed: 1, maxMetricCalls: 100, concurrency: 8 });
 */
export async function gepaBaseline(judge: DatasetAdapter['judge'], train: LabelledRow[], test: LabelledRow[], endpoint: AxEndpoint, options: { seed: number; maxMetricCalls: number; concurrency: number; fetch?: typeof fetch }): Promise<{ results: JudgeResult[]; compile: GepaCost; judging: GepaCost }> {
  let axModule: typeof import('@ax-llm/ax');
  try {
    axModule = await import('@ax-llm/ax');
  } catch {
    throw new MemalignError('config_error', 'The GEPA baseline needs the optional package @ax-llm/ax: npm install @ax-llm/ax');
  }
  const counter = countingFetch(options.fetch ?? fetch);
  const llm = axModule.ai({ name: endpoint.name, apiKey: endpoint.apiKey, apiURL: endpoint.apiURL, config: { model: endpoint.model }, options: { fetch: counter.fetch } } as never);
  const fields = templateVariables(judge.instructions).filter((f) => /^[a-z][A-Za-z0-9]*$/.test(f));
  const { signature, toValue, fromValue } = outputField(judge.output);
  const program = axModule.ax(`${fields.map((f) => `${f}:string`).join(', ')} -> ${signature}`);
  program.setDescription(judge.instructions.replace(/\{\{\s*(\w+)\s*\}\}/g, '$1'));
  const input = (r: LabelledRow) => Object.fromEntries(fields.map((f) => [f, text(r.record[f])]));
  const examples = train.map((r) => ({ ...input(r), verdict: fromValue(r.value) }));
  const metric = ({ prediction, example }: { prediction: { verdict?: unknown }; example: { verdict: unknown } }) => score(judge.output, toValue(prediction?.verdict), toValue(example.verdict));

  let started = performance.now();
  if (examples.length > 0 && options.maxMetricCalls > 0) {
    const optimizer = new axModule.AxGEPA({ studentAI: llm, seed: options.seed, minibatch: true, minibatchSize: Math.min(5, examples.length), numTrials: 8, verbose: false } as never);
    const compiled = await optimizer.compile(program as never, examples as never, metric as never, { maxMetricCalls: options.maxMetricCalls } as never);
    if (compiled.optimizedProgram) program.applyOptimization(compiled.optimizedProgram as never);
  }
  const compile = { ...counter.take(), wallMs: performance.now() - started };

  started = performance.now();
  const results = await mapLimit(test, options.concurrency, async (r): Promise<JudgeResult> => {
    const t = performance.now();
    const usage = { calls: 1, inputTokens: 0, outputTokens: 0, costUsd: null };
    try {
      const out = (await program.forward(llm as never, input(r) as never)) as { verdict?: unknown };
      const checked = checkValue(judge.output, toValue(out.verdict));
      if (!checked.ok) return { ok: false, recordId: r.record.id, error: { code: 'invalid_output', message: checked.message, retryable: false }, usage, latencyMs: performance.now() - t };
      return { ok: true, recordId: r.record.id, value: checked.value, rationale: '', provenance: { memoryVersion: 0, guidelineIds: [], episodes: [], dropped: { guidelineIds: [], episodeIds: [] }, truncatedFields: [], truncatedExamples: [], warnings: [] }, usage, latencyMs: performance.now() - t, repaired: false };
    } catch (error) {
      if ((error as { code?: string }).code === 'replay_miss' || /replay_miss|has no answer for this HTTP/.test(String((error as Error).message))) throw error;
      return { ok: false, recordId: r.record.id, error: { code: 'provider_error', message: (error as Error).message, retryable: false }, usage, latencyMs: performance.now() - t };
    }
  });
  return { results, compile, judging: { ...counter.take(), wallMs: performance.now() - started } };
}

// ax class values are single lower-case words: map labels to and from such slugs.
function outputField(kind: OutputKind): { signature: string; toValue: (v: unknown) => unknown; fromValue: (v: unknown) => unknown } {
  const slug = (l: string) => l.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  if (kind.type === 'categorical' || kind.type === 'pairwise') {
    const labels = kind.type === 'pairwise' ? ['A', 'B', 'tie'] : kind.labels;
    const back = new Map(labels.map((l) => [slug(l), l]));
    return { signature: `verdict:class "${labels.map(slug).join(', ')}"`, toValue: (v) => back.get(slug(String(v ?? ''))) ?? v, fromValue: (v) => slug(String(v)) };
  }
  if (kind.type === 'boolean') return { signature: 'verdict:boolean', toValue: (v) => v, fromValue: (v) => v };
  return { signature: 'verdict:number', toValue: (v) => (typeof v === 'string' ? Number(v) : v), fromValue: (v) => v };
}

function score(kind: OutputKind, predicted: unknown, expected: unknown): number {
  if (kind.type === 'numeric') {
    const p = Number(predicted);
    return Number.isFinite(p) ? Math.max(0, 1 - Math.abs(p - Number(expected)) / (kind.max - kind.min)) : 0;
  }
  return String(predicted) === String(expected) ? 1 : 0;
}

function text(v: unknown): string {
  return v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
}

/** A fetch that counts requests and reads token usage from JSON responses. */
function countingFetch(inner: typeof fetch): { fetch: typeof fetch; take: () => Omit<GepaCost, 'wallMs'> } {
  let calls = 0; let inputTokens = 0; let outputTokens = 0;
  return {
    fetch: async (input, init) => {
      calls += 1;
      const res = await inner(input, init);
      // Usage comes in the JSON body, or in the stream's chunks (ax streams, asking for usage).
      type U = { usage?: { prompt_tokens?: number; completion_tokens?: number; input_tokens?: number; output_tokens?: number } };
      const add = (b: U) => { inputTokens += b.usage?.prompt_tokens ?? b.usage?.input_tokens ?? 0; outputTokens += b.usage?.completion_tokens ?? b.usage?.output_tokens ?? 0; };
      try {
        const text = await res.clone().text();
        if (text.trimStart().startsWith('{')) add(JSON.parse(text) as U);
        else for (const line of text.split('\n')) if (line.startsWith('data: {')) add(JSON.parse(line.slice(6)) as U);
      } catch { /* not JSON: counted as a call */ }
      return res;
    },
    take: () => { const out = { calls, inputTokens, outputTokens }; calls = 0; inputTokens = 0; outputTokens = 0; return out; },
  };
}
