import { readRows, type DatasetAdapter } from './adapter.ts';

const CHOICE: Record<number, string> = { 0: 'tie', 1: 'A', 2: 'B' };

/** PandaLM: pairwise with three human votes (majority; a three-way split is a tie); GPT-3.5's reason as feedback text. */
export const pandalm: DatasetAdapter = {
  name: 'pandalm', folder: 'pandalm', licence: 'Apache-2.0', rationaleSource: 'GPT-3.5 reason (model-written, from the companion file)',
  judge: { name: 'pandalm-preference', instructions: 'For the instruction in {{ inputs }}, which response in {{ outputs }} is better: A, B, or a tie?', output: { type: 'pairwise' } },
  load(root) {
    const reasons = new Map(readRows(root, 'pandalm/gpt-3.5-turbo-testset-v1.json').map((r) => [r.idx, String(r.gpt_reason ?? '')]));
    return readRows(root, 'pandalm/testset-v1.json').map((r) => {
      const votes = [r.annotator1, r.annotator2, r.annotator3].map(Number);
      const counts = [0, 1, 2].map((v) => votes.filter((x) => x === v).length);
      const best = counts.indexOf(Math.max(...counts));
      const value = Math.max(...counts) >= 2 ? CHOICE[best] : 'tie';
      const inputs = r.input ? `${r.instruction}\n\n${r.input}` : String(r.instruction);
      return { record: { id: `pandalm-${r.idx}`, inputs, outputs: { A: String(r.response1), B: String(r.response2) } }, value, rationale: reasons.get(r.idx) || undefined, group: `pandalm-${r.idx}` };
    });
  },
};
