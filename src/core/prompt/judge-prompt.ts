import type { Episode, Guideline, JudgeDefinition, JudgedRecord } from '../types.ts';
import { describeKind } from '../judge/output-kind.ts';
import { renderInstructions } from '../judge/template.ts';
import { recordFields } from './distill-prompt.ts';
import { block, estimatePieces, joinPieces, renderRecord, BLOCK_RULE } from './render-record.ts';
import { expertLines, judgeVerdictPieces } from './expert-text.ts';

const SYSTEM = (name: string) => `You are "${name}", a careful, impartial judge. Follow the instructions and answer with JSON: a "rationale" explaining your reasoning, then the "value".
Always consider the guidelines from the experts: they say how these experts judge, and they take precedence over your own preferences. Use the precedents (past expert judgements) where they apply, but never mention the precedents or the guidelines in your rationale: explain the verdict on the record itself.
${BLOCK_RULE}`;

/**
 * Renders a recalled episode for the prompt within `maxTokens`: its record blocks, the expert's
 * verdict and why (in its own block), and what the judge had said when the experts disagreed.
 * Fields and the explanation are cut to their share, so one long example cannot crowd out others.
 * `tokens()` estimates what the example costs (see `estimatePieces`), from the counts kept with
 * the episode where it has them: most texts are never counted at judging time.
 *
 * @example
 * renderExample(judge, episode, 3, 600).text;
 */
export function renderExample(judge: JudgeDefinition, episode: Episode, index: number, maxTokens: number): { text: string; truncated: boolean; tokens: () => number } {
  const fields = recordFields(judge);
  const prefix = `EXAMPLE ${index} `;
  const counts = episode.tokens;
  // Record fields share 60 % of the example's allowance, the explanation 30 %, the judge's view 10 %.
  const fieldTokens = Math.max(16, Math.floor((maxTokens * 0.6) / Math.max(1, fields.length)));
  const body = renderRecord(episode.record, fields, { maxTokens: fieldTokens, prefix, counts: counts?.fields });
  const expert = expertLines(prefix, episode.value, episode.rationale, Math.max(16, Math.floor(maxTokens * 0.3)), counts?.rationale);
  const seen = judgeVerdictPieces(prefix, episode.judgeVerdict, episode.value, Math.max(16, Math.floor(maxTokens * 0.1)), counts?.judgeRationale);
  const pieces = [{ text: `### Example ${index}` }, ...body.pieces, ...expert.pieces, ...seen];
  return { text: joinPieces(pieces), truncated: body.truncated.length > 0 || expert.truncated, tokens: () => estimatePieces(pieces) };
}

/**
 * The judging prompt: base instructions, the experts' past judgements, the guidelines, then the
 * record — the working memory of the method, in the reference's order.
 *
 * @example
 * const { system, prompt, truncated } = judgePrompt(judge, record, guidelines, examples);
 */
export function judgePrompt(judge: JudgeDefinition, record: JudgedRecord, guidelines: Guideline[], examples: string[]): { system: string; prompt: string; truncated: string[] } {
  const lines: string[] = ['## Instructions', renderInstructions(judge.instructions), '', `Answer with "value" = ${describeKind(judge.output)}.`];
  if (examples.length > 0) {
    lines.push('', '## How experts judged similar records', 'Use these past expert judgements as precedents where they apply; never mention the precedents in your rationale.', '', examples.join('\n\n'));
  }
  if (guidelines.length > 0) {
    lines.push('', '## Guidelines from expert feedback', 'Always consider the guidelines below and apply them where relevant; do not cite them in your rationale.');
    lines.push(guidelinesBlock(guidelines));
  }
  const rendered = renderRecord(record, recordFields(judge), { maxTokens: judge.memory.fieldTokens });
  lines.push('', '## Record to judge', rendered.text);
  return { system: SYSTEM(judge.name), prompt: lines.join('\n'), truncated: rendered.truncated };
}

// The guidelines block is the same for every verdict that chose the same guidelines, and the
// budget hands out one shared, frozen array per choice (see selectWorkingMemory): rendered once
// per such array. An array that can still change is rendered every time.
const renderedGuidelines = new WeakMap<Guideline[], string>();
function guidelinesBlock(guidelines: Guideline[]): string {
  if (!Object.isFrozen(guidelines)) return renderGuidelines(guidelines);
  let text = renderedGuidelines.get(guidelines);
  if (text === undefined) {
    text = renderGuidelines(guidelines);
    renderedGuidelines.set(guidelines, text);
  }
  return text;
}
function renderGuidelines(guidelines: Guideline[]): string {
  return block('GUIDELINES', guidelines.map((g) => `- ${g.text.replace(/\s*\n\s*/g, ' ')}`).join('\n'));
}

/** The prompt of the single repair attempt after an invalid answer. */
export function repairPrompt(original: string, answer: string, problem: string, judge: JudgeDefinition): string {
  return `${original}\n\n## Your previous answer was invalid\n${problem}\nYour previous answer:\n${block('PREVIOUS ANSWER', answer.slice(0, 2000))}\nAnswer again with only a JSON object (no text before or after it) {"rationale": string, "value": ${describeKind(judge.output)}}.`;
}
