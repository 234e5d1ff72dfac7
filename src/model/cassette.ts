import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ChatModel, ChatRequest, ChatResponse } from './chat-model.ts';
import { MemalignError } from '../core/errors.ts';
import { contentHash, stableJson } from '../core/text/hash.ts';

/** One recorded exchange (a JSONL line of a cassette): a model answer, or a raw HTTP answer. */
interface Entry { key: string; model: string; response: ChatResponse }
interface HttpEntry { key: string; http: { status: number; contentType: string; body: string } }

/** The content key of a request: model, messages and schema. */
export function requestKey(modelId: string, r: ChatRequest): string {
  return contentHash(stableJson({ model: modelId, system: r.system, prompt: r.prompt, schema: r.schema, name: r.schemaName, max: r.maxOutputTokens ?? null }), 32);
}

/**
 * Records every answer of a model into a cassette (JSON Lines, keyed by a hash of the request), so
 * a run against a real provider can be replayed offline, exactly.
 *
 * @example
 * const model = recordingModel(resolveModel('openai:gpt-4.1-mini'), 'runs/cassette.jsonl');
 */
export function recordingModel(inner: ChatModel, file: string): ChatModel {
  const known = new Set(readCassette(file).keys());
  return {
    id: inner.id,
    async generate(request) {
      const response = await inner.generate(request);
      const key = requestKey(inner.id, request);
      if (!known.has(key)) {
        known.add(key);
        appendFileSync(file, `${JSON.stringify({ key, model: inner.id, response } satisfies Entry)}\n`);
      }
      return response;
    },
  };
}

/**
 * Replays a cassette: the same requests get the recorded answers, with no provider. A request the
 * cassette does not hold fails loudly (`replay_miss`): a replay never silently calls anything.
 *
 * @example
 * const model = replayModel('runs/cassette.jsonl'); // as the recorded model
 */
export function replayModel(file: string, modelId?: string): ChatModel {
  const entries = readCassette(file);
  if (!existsSync(file)) throw new MemalignError('replay_miss', `No cassette at ${file}: record one first (bench quality --record ${file}).`);
  // Without a model id, replay as the model the cassette was recorded with.
  const id = modelId ?? entries.values().next().value?.model ?? 'replay';
  return {
    id,
    async generate(request) {
      const key = requestKey(id, request);
      const hit = entries.get(key);
      if (!hit) throw new MemalignError('replay_miss', `The cassette ${file} has no answer for this ${request.schemaName} request to ${id} (key ${key}): the run differs from the recorded one (code, data, seed or settings). Record again with --record.`);
      return hit.response;
    },
  };
}

function readCassette(file: string): Map<string, Entry> {
  const out = new Map<string, Entry>();
  for (const e of readLines(file)) if ('response' in e) out.set(e.key, e as Entry);
  return out;
}

function readLines(file: string): (Entry | HttpEntry)[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Entry | HttpEntry);
}

// HTTP exchanges are keyed by path and body, not host: a replay may use another base URL.
function httpKey(input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]): string {
  const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
  return contentHash(`${init?.method ?? 'GET'} ${url.pathname}\n${typeof init?.body === 'string' ? init.body : ''}`, 32);
}

/**
 * A fetch that records every HTTP answer into a cassette, for clients that call providers
 * themselves (the ax GEPA baseline).
 *
 * @example
 * const f = recordingFetch('runs/cassette.jsonl');
 */
export function recordingFetch(file: string, inner: typeof fetch = fetch): typeof fetch {
  const known = new Set(readLines(file).map((e) => e.key));
  return async (input, init) => {
    const res = await inner(input, init);
    const body = await res.text();
    const key = httpKey(input, init);
    if (res.ok && !known.has(key)) {
      known.add(key);
      appendFileSync(file, `${JSON.stringify({ key, http: { status: res.status, contentType: res.headers.get('content-type') ?? 'application/json', body } } satisfies HttpEntry)}\n`);
    }
    return new Response(body, { status: res.status, headers: res.headers });
  };
}

/**
 * A fetch that answers from a cassette only; an unrecorded request fails loudly (`replay_miss`).
 *
 * @example
 * const f = replayFetch('runs/cassette.jsonl');
 */
export function replayFetch(file: string): typeof fetch {
  const entries = new Map(readLines(file).filter((e): e is HttpEntry => 'http' in e).map((e) => [e.key, e.http]));
  return async (input, init) => {
    const hit = entries.get(httpKey(input, init));
    if (!hit) throw new MemalignError('replay_miss', `The cassette ${file} has no answer for this HTTP request: the run differs from the recorded one. Record again with --record.`);
    return new Response(hit.body, { status: hit.status, headers: { 'content-type': hit.contentType } });
  };
}
