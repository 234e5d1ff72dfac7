// The system's own speed, no real model: alignment at growing feedback sizes and judging
// throughput at growing concurrency, against the loopback server with a latency model.
// Same measurement as `memalign bench speed`; this script also writes BENCHMARKS.md.
//   npm run bench:speed [-- --latency-ms 300 --per-token-ms 0 --sizes 10,50,200,1000,5000 --concurrency 1,4,16,64 --judged 256]
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { runSpeedBench } from '../src/bench/index.ts';
import { writeSection, machineLine, ROOT } from './lib/benchmarks-md.ts';

const { values: v } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '300' }, 'per-token-ms': { type: 'string', default: '0' }, sizes: { type: 'string', default: '10,50,200,1000,5000' }, concurrency: { type: 'string', default: '1,4,16,64' }, judged: { type: 'string', default: '256' }, 'gepa-sizes': { type: 'string', default: '50' }, 'gepa-budget': { type: 'string', default: '100' } } });
const r = await runSpeedBench({
  root: join(ROOT, '..', 'shared', 'datasets'), latency: { fixedMs: Number(v['latency-ms']), perOutputTokenMs: Number(v['per-token-ms']) },
  sizes: v.sizes!.split(',').map(Number), concurrencies: v.concurrency!.split(',').map(Number), judged: Number(v.judged), onProgress: (m) => console.error(m),
  optimiserSizes: v['gepa-sizes'] ? v['gepa-sizes'].split(',').map(Number) : [], optimiserBudget: Number(v['gepa-budget']),
});
const command = `npm run bench:speed -- --latency-ms ${v['latency-ms']} --per-token-ms ${v['per-token-ms']} --sizes ${v.sizes} --concurrency ${v.concurrency} --judged ${v.judged} --gepa-sizes ${v['gepa-sizes']} --gepa-budget ${v['gepa-budget']}`;
const body = `## Speed without a model (issue #5: \`bench speed\`)

Command: \`${command}\` (the same measurement as \`memalign bench speed\`). ${machineLine()}
The loopback OpenAI-compatible server answers each call after ${r.latency.fixedMs} ms + ${r.latency.perOutputTokenMs} ms per output token,
through memalign's OpenAI-compatible client over HTTP (\`openaiChatModel\`, decision 0006). Feedback and records: EVOUNA NQ. One run each.

### Alignment

| feedback N | batches | LLM calls | HTTP chat requests | rounds on the critical path | tokens in / out | wall ms | own overhead ms |
|---:|---:|---:|---:|---:|---:|---:|---:|
${r.align.map((a) => `| ${a.n} | ${a.batches} | ${a.llmCalls} | ${a.httpRequests} | ${a.rounds} | ${a.inputTokens} / ${a.outputTokens} | ${a.wallMs.toFixed(0)} | ${a.ownOverheadMs.toFixed(0)} |`).join('\n')}

### Judging throughput (memory: 200 labelled examples recalled k = 5 at a time)

| concurrency | verdicts | verdicts / s | wall ms | max requests in flight | RSS MB before → after |
|---:|---:|---:|---:|---:|---:|
${r.judge.map((j) => `| ${j.concurrency} | ${j.records} | ${j.verdictsPerSecond.toFixed(1)} | ${j.wallMs.toFixed(0)} | ${j.maxInFlight} | ${j.rssMbBefore.toFixed(0)} → ${j.rssMbAfter.toFixed(0)} |`).join('\n')}

### Alignment cost against a prompt optimiser (ax GEPA, same simulated server)

| training examples | GEPA budget (metric calls) | GEPA calls | memalign calls | ratio | GEPA tokens | memalign tokens | ratio | GEPA wall ms | memalign wall ms | ratio |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${r.optimiser.map((x) => `| ${x.n} | ${x.budget} | ${x.gepa.calls} | ${x.memalign.calls} | ${(x.gepa.calls / x.memalign.calls).toFixed(0)}× | ${x.gepa.tokens} | ${x.memalign.tokens} | ${(x.gepa.tokens / x.memalign.tokens).toFixed(1)}× | ${x.gepa.wallMs.toFixed(0)} | ${x.memalign.wallMs.toFixed(0)} | ${(x.gepa.wallMs / x.memalign.wallMs).toFixed(0)}× |`).join('\n')}

The simulated server answers GEPA's evaluation and reflection calls in the right format but with no real
content, so these are the costs of GEPA's search procedure at this budget, not of a converged optimisation
on a real model (which the MemAlign post puts at 9–85 minutes and $1–5).`;
writeSection('speed', body);
console.log(body);
