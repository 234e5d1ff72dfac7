import type { JudgeVerdictSeen, VerdictValue } from '../types.ts';
import { cutBlock, joinPieces, type Piece } from './render-record.ts';

/**
 * The expert's verdict and explanation for a prompt. The explanation is untrusted text: it goes in
 * its own delimited block, cut to `maxTokens`, so it can inform but never pose as instructions
 * (`rationaleTokens`: its token count when known).
 *
 * @example
 * expertLines('EXAMPLE 1 ', false, 'Raw tables are wrong here.', 300).text;
 */
export function expertLines(prefix: string, value: VerdictValue | undefined, rationale: string | undefined, maxTokens: number, rationaleTokens?: number): { text: string; truncated: boolean; pieces: Piece[] } {
  const pieces: Piece[] = [{ text: `Expert verdict: ${value === undefined ? '(not given)' : JSON.stringify(value)}` }];
  let truncated = false;
  if (rationale === undefined || rationale.trim() === '') pieces.push({ text: 'Expert explanation: (not given)' });
  else {
    const cut = cutBlock(`${prefix}EXPERT EXPLANATION`, rationale, maxTokens, rationaleTokens);
    truncated = cut.truncated;
    pieces.push(...cut.pieces);
  }
  return { text: joinPieces(pieces), truncated, pieces };
}

/**
 * What the judge had said on a record the experts reviewed, and whether they disagreed: the
 * precedents that matter most are the judge's own mistakes.
 *
 * @example
 * judgeVerdictLines('EXAMPLE 1 ', { value: true }, false, 200); // 'The judge had said true; the expert disagreed.'
 */
export function judgeVerdictLines(prefix: string, seen: JudgeVerdictSeen | undefined, expertValue: VerdictValue | undefined, maxTokens: number): string {
  return joinPieces(judgeVerdictPieces(prefix, seen, expertValue, maxTokens));
}

/** `judgeVerdictLines` as pieces (none when there is nothing to say); `rationaleTokens`: the judge rationale's count when known. */
export function judgeVerdictPieces(prefix: string, seen: JudgeVerdictSeen | undefined, expertValue: VerdictValue | undefined, maxTokens: number, rationaleTokens?: number): Piece[] {
  if (!seen || seen.value === undefined) return [];
  const disagreed = expertValue !== undefined && JSON.stringify(seen.value) !== JSON.stringify(expertValue);
  const head = { text: `The judge had said ${JSON.stringify(seen.value)}; the expert ${disagreed ? 'disagreed' : 'agreed'}.` };
  if (!disagreed || !seen.rationale) return [head];
  return [head, ...cutBlock(`${prefix}JUDGE RATIONALE`, seen.rationale, maxTokens, rationaleTokens).pieces];
}
