import type { Guideline, JudgeDefinition } from '../types.ts';
import type { DistilExample } from '../align/plan.ts';
import type { JsonSchema } from '../../model/chat-model.ts';
import { describeKind } from '../judge/output-kind.ts';
import { templateVariables } from '../judge/template.ts';
import { block, renderRecord, BLOCK_RULE } from './render-record.ts';
import { expertLines, judgeVerdictLines } from './expert-text.ts';

/** The structured answer of a distillation call. */
export const DISTILL_SCHEMA: JsonSchema = {
  type: 'object',
  properties: {
    guidelines: {
      type: 'array',
      items: {
        type: 'object',
        properties: { text: { type: 'string' }, sources: { type: 'array', items: { type: 'string' } } },
        required: ['text', 'sources'],
        additionalProperties: false,
      },
    },
  },
  required: ['guidelines'],
  additionalProperties: false,
};

/** What the distiller and the reviser are told about whose judgement counts. */
export const EXPERT_FIRST = `The experts are the authority on this task. Where their view conflicts with your own knowledge or taste, put the experts' view ahead of your own: the guidelines must make the judge agree with these experts.
Guidelines may capture these experts' preferences, factual beliefs and domain background (what they know about their business, data and users), not only general rules.`;

const SYSTEM = `You distil expert feedback on an LLM judge's task into short, general guidelines that will help the judge agree with the experts on new cases.
${EXPERT_FIRST}
Rules:
- Each guideline is one or two sentences, general (no record-specific names or numbers unless they are business rules), and actionable.
- Write guidelines that complement the existing ones: do not repeat or rephrase an existing guideline.
- Only write a guideline that the examples support; cite the ids of the supporting examples in "sources" (ids shown as EXAMPLE <id>).
- Cases where the judge's verdict differed from the expert's matter most: learn what the judge missed.
- If the examples teach nothing general, return an empty list.
- ${BLOCK_RULE}`;

/**
 * Builds one distillation request for a batch of examples. Example ids in the prompt are short
 * positional ids (`e1`, `e2`…) mapped back to feedback ids by the caller. `existing` should be the
 * guidelines most relevant to the batch (see `relevantGuidelines`), not necessarily all of them.
 *
 * @example
 * const { system, prompt } = distillPrompt(judge, existing, batch, { fieldTokens: 400 });
 */
export function distillPrompt(judge: JudgeDefinition, existing: Guideline[], examples: DistilExample[], options: { fieldTokens: number; omitted?: number }): { system: string; prompt: string; ids: string[] } {
  const fields = recordFields(judge);
  const ids = examples.map((_, i) => `e${i + 1}`);
  const lines: string[] = [
    `## The judge's task`, judge.instructions, '', `The judge answers with ${describeKind(judge.output)}.`, '',
    `## Existing guidelines${options.omitted ? ` (the ${existing.length} most relevant of ${existing.length + options.omitted})` : ''}`,
    existing.length === 0 ? '(none yet)' : block('EXISTING GUIDELINES', existing.map((g) => `- ${g.text.replace(/\s*\n\s*/g, ' ')}`).join('\n')), '',
    `## Expert feedback`,
  ];
  examples.forEach((ex, i) => {
    lines.push(`### EXAMPLE ${ids[i]}`, renderRecord(ex.record, fields, { maxTokens: options.fieldTokens }).text);
    lines.push(expertLines('', ex.value, ex.rationale, options.fieldTokens * 2).text);
    const seen = judgeVerdictLines('', ex.judgeVerdict, ex.value, Math.floor(options.fieldTokens / 2));
    if (seen) lines.push(seen);
    lines.push('');
  });
  lines.push('Return the new guidelines as JSON.');
  return { system: SYSTEM, prompt: lines.join('\n'), ids };
}

/** The record fields shown to the model: the template's variables (inputs/outputs first). */
export function recordFields(judge: JudgeDefinition): string[] {
  const used = templateVariables(judge.instructions);
  return used.length > 0 ? used : ['inputs', 'outputs'];
}
