import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import type { ChatModel, ChatRequest, ChatResponse } from './chat-model.ts';
import { MemalignError } from '../core/errors.ts';
import { contentHash, stableJson } from '../core/text/hash.ts';

/** One recorded exchange (a JSONL line of a cassette). */
interface Entry { key: string; model: string; response: ChatResponse }

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
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const e = JSON.parse(line) as Entry;
    out.set(e.key, e);
  }
  return out;
}
