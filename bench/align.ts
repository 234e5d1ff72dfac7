// Alignment throughput and the library's own overhead, against the loopback OpenAI-compatible
// server with a fixed simulated latency (no real LLM here). Usage:
//   npm run bench:align [-- --latency-ms 300 --sizes 50,1000,5000 --runs 3]
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, resolveModel } from '../src/index.ts';
import { timedModel } from '../src/bench/index.ts';
import { startLoopbackServer } from '../src/testing/index.ts';
import { writeSection, machineLine, median, ROOT } from './lib/benchmarks-md.ts';

const { values } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '300' }, sizes: { type: 'string', default: '50,1000,5000' }, runs: { type: 'string', default: '3' } } });
const latencyMs = Number(values['latency-ms']);
const sizes = values.sizes!.split(',').map(Number);
const runs = Number(values.runs);

type Row = { question: string; golden_answer: string; [k: string]: unknown };
const nq = JSON.parse(readFileSync(join(ROOT, '..', 'shared', 'datasets', 'evouna', 'NQ.json'), 'utf8')) as Row[];
const systems = ['fid', 'gpt35', 'chatgpt', 'gpt4', 'newbing'];
// Real questions and answers from EVOUNA (NQ): one feedback per (question, system) answer.
const pool = nq.flatMap((r, i) => systems.filter((s) => typeof r[`answer_${s}`] === 'string').map((s) => ({
  id: `nq${i}_${s}`,
  record: { id: `nq${i}_${s}`, inputs: r.question, outputs: r[`answer_${s}`] as string, expectations: r.golden_answer },
  value: r[`judge_${s}`] === true,
  rationale: r[`judge_${s}`] === true ? `The answer agrees with the gold answer "${r.golden_answer}".` : `The answer does not give the gold answer "${r.golden_answer}".`,
})));

const server = await startLoopbackServer({ latency: { fixedMs: latencyMs } });
const judge = { name: 'nq-correctness', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}, given the gold answer {{ expectations }}?', output: 'boolean' };
const results: string[] = [];
const dir = mkdtempSync(join(tmpdir(), 'memalign-bench-'));
let storeFacts = '';
try {
  for (const n of sizes) {
    const feedback = pool.slice(0, n);
    const walls: number[] = []; const overheads: number[] = [];
    let calls = 0; let rounds = 0; let embedRequests = 0; let llmRequests = 0;
    for (let run = 0; run < runs; run++) {
      const path = join(dir, `n${n}-r${run}.db`);
      const t = timedModel(resolveModel(`${server.url}#bench`));
      const ma = await openMemalign({ judge, model: t.model, store: path, retries: 0 });
      server.reset();
      const start = performance.now();
      const report = await ma.align(feedback);
      const wall = performance.now() - start;
      walls.push(wall);
      overheads.push(wall - t.waitingMs());
      calls = report.usage.calls; rounds = report.rounds; embedRequests = report.embeddings.requests;
      llmRequests = server.stats().chat;
      await ma.close();
      if (n === Math.max(...sizes) && run === 0) {
        const size = statSync(path).size + (statSync(`${path}-wal`, { throwIfNoEntry: false })?.size ?? 0);
        const loads: number[] = [];
        for (let i = 0; i < 5; i++) {
          const s = performance.now();
          const again = await openMemalign({ judge, model: t.model, store: path });
          await again.memory.ready(); // opening is lazy: measure until recall is ready
          loads.push(performance.now() - s);
          await again.close();
        }
        storeFacts = `Store for ${n} episodes (with ${n} feedback, guidelines and the log): ${(size / 1e6).toFixed(1)} MB; open + load + index build: median ${median(loads).toFixed(0)} ms over 5 opens.`;
      }
    }
    const batches = Math.ceil(n / 50);
    results.push(`| ${n} | ${calls} (${batches} batches) | ${llmRequests} | ${embedRequests} (offline embedder, in process: no request) | ${rounds} (ceil(${batches}/8) = ${Math.ceil(batches / 8)}) | ${median(walls).toFixed(0)} | ${median(overheads).toFixed(0)} |`);
    console.log(results.at(-1));
  }
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

const table = [
  '| feedback N | LLM calls | HTTP chat requests | embedding requests | calls on the critical path (rounds) | wall ms (median) | own overhead ms (median) |',
  '|---:|---:|---:|---:|---:|---:|---:|',
  ...results,
].join('\n');
const body = `## Alignment (issue #2)

Command: \`npm run bench:align -- --latency-ms ${latencyMs} --sizes ${sizes.join(',')} --runs ${runs}\`. ${machineLine()}
Feedback: real EVOUNA NQ questions and system answers with correct/incorrect labels; the loopback
OpenAI-compatible server answers every call after a fixed ${latencyMs} ms. "Own overhead" is wall time minus the time
during which at least one provider call was in flight (validation, planning, batching, prompt rendering,
embedding with the offline embedder, the SQLite transaction, the index update). Medians of ${runs} runs, each into a fresh store.

${table}

${storeFacts}

Targets (issue #2): LLM calls = batches ✔ when the two columns agree; rounds = ceil(batches / 8); own overhead ≤ 250 ms at N = 1 000.`;
writeSection('align', body);
console.log(`\n${storeFacts}\nWrote the "align" section of BENCHMARKS.md.`);
