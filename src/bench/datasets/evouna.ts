import { readRows, type DatasetAdapter } from './adapter.ts';

/** EVOUNA (NQ): five QA systems' answers with human correct/incorrect judgements; grouped by question. */
export const evouna: DatasetAdapter = {
  name: 'evouna', folder: 'evouna', licence: 'Apache-2.0',
  judge: { name: 'evouna-correctness', instructions: 'Is {{ outputs }} a correct answer to the question {{ inputs }}? The gold answer is {{ expectations }}.', output: { type: 'boolean' } },
  load(root) {
    return readRows(root, 'evouna/NQ.json').flatMap((r, i) => ['fid', 'gpt35', 'chatgpt', 'gpt4', 'newbing']
      .filter((s) => typeof r[`answer_${s}`] === 'string' && typeof r[`judge_${s}`] === 'boolean')
      .map((s) => ({ record: { id: `nq${i}-${s}`, inputs: String(r.question), outputs: String(r[`answer_${s}`]), expectations: String(r.golden_answer) }, value: r[`judge_${s}`] as boolean, group: `nq${i}` })));
  },
};
