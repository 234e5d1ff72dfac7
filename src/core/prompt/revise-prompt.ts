import type { JudgeDefinition } from '../types.ts';
import type { DistilExample, StaleGuideline } from '../align/plan.ts';
import type { JsonSchema } from '../../model/chat-model.ts';
import { recordFields, EXPERT_FIRST } from './distill-prompt.ts';
import { block, renderRecord, BLOCK_RULE } from './render-record.ts';
import { expertLines } from './expert-text.ts';

/** The structured answer of a revision call: one entry per guideline id. */
export function reviseSchema(ids: string[]): JsonSchema {
  return {
    type: 'object',
    properties: {
      revisions: {
        type: 'array',
        items: {
          type: 'object',
          properties: { id: { type: 'string', enum: ids }, keep: { type: 'boolean' }, text: { type: 'string' } },
          required: ['id', 'keep', 'text'],
          additionalProperties: false,
        },
      },
    },
    required: ['revisions'],
    additionalProperties: false,
  };
}

const SYSTEM = `Some expert feedback behind a judge's guidelines was deleted, changed or outvoted. For each guideline you get the feedback that still supports it.
${EXPERT_FIRST}
For each guideline, return keep=false if the remaining feedback no longer supports it; otherwise keep=true with its text revised so that it says only what the remaining feedback supports (return the same text if nothing needs to change).
${BLOCK_RULE}`;

/**
 * Builds one request revising stale guidelines from the feedback that remains for each.
 *
 * @example
 * const { system, prompt } = revisePrompt(judge, stale, supportById, { fieldTokens: 400 });
 */
export function revisePrompt(judge: JudgeDefinition, stale: StaleGuideline[], support: Map<string, DistilExample>, options: { fieldTokens: number }): { system: string; prompt: string } {
  const fields = recordFields(judge);
  const lines: string[] = ['## The judge\'s task', judge.instructions, ''];
  for (const s of stale) {
    lines.push(`## GUIDELINE ${s.guideline.id}`, block('GUIDELINE', s.guideline.text), '', 'Remaining supporting feedback:');
    const shown = new Set<string>();
    for (const fid of s.remaining) {
      const ex = support.get(fid);
      if (!ex || shown.has(ex.key)) continue;
      shown.add(ex.key);
      lines.push(renderRecord(ex.record, fields, { maxTokens: options.fieldTokens }).text);
      lines.push(expertLines('', ex.value, ex.rationale, options.fieldTokens * 2).text, '');
    }
    if (shown.size === 0) lines.push('(none)', '');
  }
  lines.push('Return one revision per guideline as JSON.');
  return { system: SYSTEM, prompt: lines.join('\n') };
}
