import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readRows, type DatasetAdapter } from './adapter.ts';

/** FinanceBench: model answers to financial questions with human labels; grouped by question id. */
export const financebench: DatasetAdapter = {
  name: 'financebench', folder: 'financebench', licence: 'CC-BY-NC-4.0',
  notice: 'FinanceBench is licensed CC-BY-NC-4.0: non-commercial use only, with attribution (Islam et al. 2023, arXiv:2311.11944).',
  judge: { name: 'financebench-correctness', instructions: 'Grade the answer in {{ outputs }} to the financial question in {{ inputs }} against the gold answer {{ expectations }}.', output: { type: 'categorical', labels: ['Correct Answer', 'Incorrect Answer', 'Refusal'] } },
  load(root) {
    return readdirSync(join(root, 'financebench', 'results')).filter((f) => f.endsWith('.jsonl')).sort().flatMap((f) =>
      readRows(root, `financebench/results/${f}`).filter((r) => typeof r.label === 'string' && typeof r.model_answer === 'string').map((r) => ({
        record: { id: `${f.replace('.jsonl', '')}:${r.financebench_id}`, inputs: String(r.question), outputs: String(r.model_answer), expectations: String(r.gold_answer) },
        value: String(r.label), group: String(r.financebench_id),
      })));
  },
};
