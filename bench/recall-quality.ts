// Does recall find the right examples? On real judge datasets whose rows share a group (several
// answers to one question), each held-out row asks: do its top 5 contain a row of its group?
// Compares the offline hashed vectors, BM25 alone and the hybrid (RRF). No LLM. Usage:
//   npm run bench:recall-quality
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EpisodeIndex, hashedEmbedder, recordText, type JudgedRecord } from '../src/index.ts';
import { writeSection, machineLine, ROOT } from './lib/benchmarks-md.ts';

type Row = { record: JudgedRecord; group: string };
const DATA = join(ROOT, '..', 'shared', 'datasets');
const embedder = hashedEmbedder();

function evouna(): Row[] {
  const nq = JSON.parse(readFileSync(join(DATA, 'evouna', 'NQ.json'), 'utf8')) as { [k: string]: unknown }[];
  return nq.flatMap((r, i) => ['fid', 'gpt35', 'chatgpt', 'gpt4', 'newbing'].filter((s) => typeof r[`answer_${s}`] === 'string')
    .map((s) => ({ record: { id: `nq${i}_${s}`, inputs: String(r.question), outputs: String(r[`answer_${s}`]) }, group: `nq${i}` })));
}

function prometheus(file: string): Row[] {
  const rows = JSON.parse(readFileSync(join(DATA, 'prometheus-eval-benchmarks', file), 'utf8')) as { idx: number; response_source: string; instruction: string }[];
  const section = (text: string, name: string) => new RegExp(`###${name}:\\n([\\s\\S]*?)\\n\\n###`).exec(text)?.[1] ?? '';
  return rows.map((r, i) => ({ record: { id: `${file}${i}`, inputs: section(r.instruction, 'The instruction to evaluate'), outputs: section(r.instruction, 'Response to evaluate') }, group: `${file}${r.idx}` }));
}

async function measure(rows: Row[], fields: string[], queries: number) {
  // Hold out at most a quarter of the rows, spread evenly, so most groups keep members in the index.
  const count = Math.min(queries, Math.floor(rows.length / 4));
  const step = Math.max(1, Math.floor(rows.length / count));
  queries = count;
  const held = new Set(rows.filter((_, i) => i % step === 0).slice(0, queries).map((r) => r.record.id));
  const texts = rows.map((r) => recordText(r.record, fields));
  const vectors = await embedder.embed(texts);
  const byId = new Map(rows.map((r, i) => [r.record.id, i]));
  const index = EpisodeIndex.build(rows.flatMap((r, i) => (held.has(r.record.id) ? [] : [{ id: r.record.id, text: texts[i], vector: vectors[i] }])), { dimension: embedder.dimension, embedderId: embedder.id });
  const out: { [mode: string]: { hit: number; mrr: number } } = {};
  for (const mode of ['vector', 'bm25', 'hybrid'] as const) {
    let hits = 0; let rr = 0; let n = 0;
    for (const id of held) {
      const i = byId.get(id)!;
      if (!rows.some((r, j) => j !== i && r.group === rows[i].group && !held.has(r.record.id))) continue;
      const top = index.search({ text: texts[i], vector: vectors[i] }, { k: 5, mode });
      const rank = top.findIndex((h) => rows[byId.get(h.id)!].group === rows[i].group);
      n += 1;
      if (rank >= 0) { hits += 1; rr += 1 / (rank + 1); }
    }
    out[mode] = { hit: hits / n, mrr: rr / n };
  }
  return { n: held.size, size: index.size, out };
}

const cases = [
  { name: 'EVOUNA NQ — question + answer', rows: evouna(), fields: ['inputs', 'outputs'] },
  { name: 'EVOUNA NQ — answer text only', rows: evouna(), fields: ['outputs'] },
  { name: 'Prometheus Vicuna — instruction + response', rows: prometheus('vicuna_eval.json'), fields: ['inputs', 'outputs'] },
  { name: 'Prometheus Vicuna — response only', rows: prometheus('vicuna_eval.json'), fields: ['outputs'] },
  { name: 'Prometheus MT-Bench — response only', rows: prometheus('mt_bench_eval.json'), fields: ['outputs'] },
];
const lines: string[] = [];
for (const c of cases) {
  const r = await measure(c.rows, c.fields, 500);
  const cell = (m: string) => `${(r.out[m].hit * 100).toFixed(1)} % / ${r.out[m].mrr.toFixed(3)}`;
  lines.push(`| ${c.name} | ${r.size} | ${r.n} | ${cell('vector')} | ${cell('bm25')} | ${cell('hybrid')} |`);
  console.log(lines.at(-1));
}

writeSection('recall-quality', `## Recall quality on real data (issue #3)

Command: \`npm run bench:recall-quality\`. ${machineLine()}
Rows that share a group (EVOUNA NQ: five systems' answers to one question; Prometheus: four responses
to one instruction) are indexed; up to 500 held-out rows each query the index with the named fields.
Cell: share of queries whose top 5 contain a row of their own group (hit@5) / mean reciprocal rank of
the first such row. "vector" = offline hashed n-gram embedding (${embedder.id}), cosine; "bm25" = BM25
alone; "hybrid" = both fused by reciprocal rank (the default).

| data — query fields | indexed | queries | vector | BM25 | hybrid |
|---|---:|---:|---:|---:|---:|
${lines.join('\n')}`);
console.log('Wrote the "recall-quality" section of BENCHMARKS.md.');
