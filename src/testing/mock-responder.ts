import type { ChatRequest } from '../model/chat-model.ts';

/**
 * A deterministic stand-in for an LLM that understands memalign's three requests:
 * - `guidelines` (distillation): one guideline per example that has an expert explanation — the
 *   explanation itself, citing that example;
 * - `revisions`: keeps every guideline unchanged;
 * - `verdict`: the value an expert gave to a recalled example whose explanation appears in the
 *   prompt, else the first allowed value; the rationale says which.
 * Good enough to exercise the whole loop without a provider; not a judge of anything.
 *
 * @example
 * const text = mockRespond({ system: '', prompt, schema, schemaName: 'verdict' });
 */
export function mockRespond(request: Pick<ChatRequest, 'prompt' | 'schema' | 'schemaName'>): string {
  if (request.schemaName === 'guidelines') {
    const guidelines: { text: string; sources: string[] }[] = [];
    // Each example's explanation sits in its own block (or reads "Expert explanation: (not given)").
    const re = /### EXAMPLE (e\d+)[\s\S]*?(?:<<<BEGIN EXPERT EXPLANATION (\w+)>>>\n([\s\S]*?)\n<<<END EXPERT EXPLANATION \2>>>|Expert explanation: \(not given\))/g;
    for (const m of request.prompt.matchAll(re)) {
      if (m[3] && m[3].trim() !== '') guidelines.push({ text: m[3].trim().split('\n')[0], sources: [m[1]] });
    }
    return JSON.stringify({ guidelines });
  }
  if (request.schemaName === 'revisions') {
    const revisions = [...request.prompt.matchAll(/## GUIDELINE (\S+)\n<<<BEGIN GUIDELINE \w+>>>\n(.*)/g)].map((m) => ({ id: m[1], keep: true, text: m[2] }));
    return JSON.stringify({ revisions });
  }
  const valueSchema = ((request.schema.properties as { [k: string]: { [k: string]: unknown } } | undefined)?.value) ?? {};
  const precedent = /Expert verdict: (.+)\n/.exec(request.prompt);
  let value: unknown = firstValue(valueSchema);
  let rationale = 'No precedent; default answer.';
  if (precedent && precedent[1] !== '(not given)') {
    try { value = JSON.parse(precedent[1]); rationale = 'Follows the most similar expert judgement.'; } catch { /* keep default */ }
  }
  return JSON.stringify({ rationale, value });
}

function firstValue(schema: { [k: string]: unknown }): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  if (schema.type === 'boolean') return true;
  if (schema.type === 'integer' || schema.type === 'number') return schema.minimum ?? 0;
  return '';
}
