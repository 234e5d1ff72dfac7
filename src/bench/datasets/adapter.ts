import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { JudgeDefinition, JudgedRecord, VerdictValue } from '../../index.ts';
export { seeded } from '../../core/random.ts';

/** A labelled row of a judge dataset: the record, the expert value, the expert's words (if any), its group. */
export interface LabelledRow { record: JudgedRecord; value: VerdictValue; rationale?: string; group: string }

/** A dataset mapped onto the MemAlign protocol: a judge definition and labelled rows. */
export interface DatasetAdapter {
  name: string;
  /** Folder under the datasets root. */
  folder: string;
  licence: string;
  /** Shown whenever the dataset is used (e.g. non-commercial terms). */
  notice?: string;
  /** What the rationale is, when there is one. */
  rationaleSource?: string;
  judge: Pick<JudgeDefinition, 'name' | 'instructions' | 'output'>;
  load(root: string, options: { seed: number }): LabelledRow[];
}

/**
 * Reads a JSON array or a JSON Lines file from a dataset folder, naming file and line on errors.
 *
 * @example
 * const rows = readRows(root, 'evouna/NQ.json');
 */
export function readRows(root: string, path: string): { [k: string]: unknown }[] {
  const file = join(root, path);
  const text = readFileSync(file, 'utf8');
  if (path.endsWith('.jsonl')) {
    return text.split('\n').flatMap((line, i) => {
      if (!line.trim()) return [];
      try { return [JSON.parse(line) as { [k: string]: unknown }]; } catch (e) { throw new Error(`${file}:${i + 1}: not valid JSON (${(e as Error).message})`); }
    });
  }
  return JSON.parse(text) as { [k: string]: unknown }[];
}

/**
 * A pairwise record with A/B order drawn from the PRNG, so "the better one" is not always first.
 *
 * @example
 * pairwise('q1', prompt, better, worse, random); // { record, value: 'A' | 'B' }
 */
export function shuffledPair(id: string, inputs: string, better: string, worse: string, random: () => number): { record: JudgedRecord; value: 'A' | 'B' } {
  const swap = random() < 0.5;
  return { record: { id, inputs, outputs: swap ? { A: worse, B: better } : { A: better, B: worse } }, value: swap ? 'B' : 'A' };
}

export const PAIRWISE_INSTRUCTIONS = 'Given the request in {{ inputs }}, which response in {{ outputs }} is better: A or B (or a tie)? Judge helpfulness, correctness and harmlessness as an expert reviewer would.';
