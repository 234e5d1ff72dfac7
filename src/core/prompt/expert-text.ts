import type { JudgeVerdictSeen, VerdictValue } from '../types.ts';
import { block } from './render-record.ts';
import { truncateToTokens } from '../text/tokens.ts';

/**
 * The expert's verdict and explanation for a prompt. The explanation is untrusted text: it goes in
 * its own delimited block, cut to `maxTokens`, so it can inform but never pose as instructions.
 *
 * @example
 * expertLines('EXAMPLE 1 ', false, 'Raw tables are wrong here.', 300).text;
 */
export function expertLines(prefix: string, value: VerdictValue | undefined, rationale: string | undefined, maxTokens: number): { text: string; truncated: boolean } {
  const lines = [`Expert verdict: ${value === undefined ? '(not given)' : JSON.stringify(value)}`];
  let truncated = false;
  if (rationale === undefined || rationale.trim() === '') lines.push('Expert explanation: (not given)');
  else {
    const cut = truncateToTokens(rationale, maxTokens);
    truncated = cut.truncated;
    lines.push(block(`${prefix}EXPERT EXPLANATION`, cut.text));
  }
  return { text: lines.join('\n'), truncated };
}

/**
 * What the judge had said on a record the experts reviewed, and whether they disagreed: the
 * precedents that matter most are the judge's own mistakes.
 *
 * @example
 * judgeVerdictLines('EXAMPLE 1 ', { value: true }, false, 200); // 'The judge had said true; the expert disagreed.'
 */
export function judgeVerdictLines(prefix: string, seen: JudgeVerdictSeen | undefined, expertValue: VerdictValue | undefined, maxTokens: number): string {
  if (!seen || seen.value === undefined) return '';
  const disagreed = expertValue !== undefined && JSON.stringify(seen.value) !== JSON.stringify(expertValue);
  const head = `The judge had said ${JSON.stringify(seen.value)}; the expert ${disagreed ? 'disagreed' : 'agreed'}.`;
  if (!disagreed || !seen.rationale) return head;
  return `${head}\n${block(`${prefix}JUDGE RATIONALE`, truncateToTokens(seen.rationale, maxTokens).text)}`;
}
