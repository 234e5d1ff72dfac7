import { readRows, type DatasetAdapter } from './adapter.ts';

/** HaluEval general: ChatGPT responses with human hallucination annotations (yes/no). */
export const halueval: DatasetAdapter = {
  name: 'halueval', folder: 'halueval', licence: 'MIT',
  judge: { name: 'halueval-hallucination', instructions: 'Does the response in {{ outputs }} to the request in {{ inputs }} contain hallucinated (unsupported or false) information?', output: { type: 'boolean' } },
  load(root) {
    return readRows(root, 'halueval/general_data.jsonl').filter((r) => r.hallucination === "yes" || r.hallucination === "no").map((r, i) => ({
      record: { id: `halu${i}`, inputs: String(r.user_query), outputs: String(r.chatgpt_response) },
      value: r.hallucination === "yes", group: `halu${i}`,
    }));
  },
};
