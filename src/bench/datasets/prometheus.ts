import { readRows, type DatasetAdapter, type LabelledRow } from './adapter.ts';

const section = (text: string, name: string) => new RegExp(`###${name}:\\n([\\s\\S]*?)\\n\\n###`).exec(text)?.[1]?.trim() ?? '';

function rows(root: string, file: string): LabelledRow[] {
  return readRows(root, `prometheus-eval-benchmarks/${file}`).flatMap((r, i) => {
    const scores = (r.gpt4_score as number[]).filter((s) => Number.isInteger(s));
    if (scores.length === 0) return [];
    // The rubric header ("###Score Rubrics:") names the criterion; the three GPT-4 grades are summarised by their median.
    const median = [...scores].sort((a, b) => a - b)[Math.floor(scores.length / 2)];
    const feedback = Array.isArray(r.gpt4_feedback) ? String(r.gpt4_feedback[0]) : String(r.gpt4_feedback);
    const text = String(r.instruction);
    return [{
      record: { id: `${file.replace('.json', '')}-${i}`, inputs: section(text, 'The instruction to evaluate'), outputs: section(text, 'Response to evaluate'), expectations: section(text, 'Reference Answer \\(Score 5\\)'), rubric: section(text, 'Score Rubrics') },
      value: median, rationale: feedback, group: `${file}-${r.idx}`,
    }];
  });
}

/** Prometheus (Vicuna + MT-Bench): 1–5 grades against a per-instance rubric, with GPT-4 feedback. */
export const prometheus: DatasetAdapter = {
  name: 'prometheus', folder: 'prometheus-eval-benchmarks', licence: 'Apache-2.0', rationaleSource: 'GPT-4 feedback (the first of three)',
  judge: { name: 'prometheus-grade', instructions: 'Grade the response in {{ outputs }} to the instruction in {{ inputs }} from 1 to 5 using the rubric {{ rubric }}; a reference answer scoring 5 is {{ expectations }}.', output: { type: 'numeric', min: 1, max: 5, integer: true } },
  load: (root) => [...rows(root, 'vicuna_eval.json'), ...rows(root, 'mt_bench_eval.json')],
};
