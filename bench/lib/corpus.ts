import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './benchmarks-md.ts';

/** A realistic judged record for benchmarks: real questions and answers from the shared datasets. */
export interface CorpusItem { inputs: string; outputs: string; label: string; group: string }

const DATASETS = join(ROOT, '..', 'shared', 'datasets');

/**
 * Real question/answer pairs: EVOUNA NQ (questions × five systems' answers, human correct/incorrect)
 * and HaluEval QA (question, right and hallucinated answers). Repeated with a numeric suffix to reach
 * sizes beyond the data, so the texts stay realistic in length and vocabulary.
 *
 * @example
 * const items = corpus(100_000);
 */
export function corpus(size: number): CorpusItem[] {
  const base: CorpusItem[] = [];
  const nq = JSON.parse(readFileSync(join(DATASETS, 'evouna', 'NQ.json'), 'utf8')) as { [k: string]: unknown }[];
  nq.forEach((r, i) => {
    for (const s of ['fid', 'gpt35', 'chatgpt', 'gpt4', 'newbing']) {
      if (typeof r[`answer_${s}`] === 'string') base.push({ inputs: String(r.question), outputs: String(r[`answer_${s}`]), label: r[`judge_${s}`] === true ? 'true' : 'false', group: `nq${i}` });
    }
  });
  const halu = readFileSync(join(DATASETS, 'halueval', 'qa_one-turn_data.jsonl'), 'utf8').split('\n').filter(Boolean);
  halu.forEach((line, i) => {
    try {
      const r = JSON.parse(line) as { [k: string]: string };
      const q = r.question ?? r.user_query;
      if (q && r.right_answer) base.push({ inputs: q, outputs: r.right_answer, label: 'true', group: `halu${i}` });
      if (q && r.hallucinated_answer) base.push({ inputs: q, outputs: r.hallucinated_answer, label: 'false', group: `halu${i}` });
    } catch { /* skip a bad line */ }
  });
  const out: CorpusItem[] = [];
  for (let i = 0; out.length < size; i++) {
    const item = base[i % base.length];
    const round = Math.floor(i / base.length);
    out.push(round === 0 ? item : { ...item, inputs: `${item.inputs} (variant ${round})`, group: `${item.group}v${round}` });
  }
  return out;
}
