// The system's own speed, no real model: alignment at growing feedback sizes and judging
// throughput at growing concurrency, against the loopback server with a latency model.
// Same measurement as `memalign bench speed`; this script also writes BENCHMARKS.md.
//   npm run bench:speed [-- --latency-ms 300 --per-token-ms 0 --sizes 10,50,200,1000,5000 --concurrency 1,4,16,64 --judged 256]
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { runSpeedBench } from '../src/bench/index.ts';
import { writeSection, machineLine, ROOT } from './lib/benchmarks-md.ts';

const { values: v } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '300' }, 'per-token-ms': { type: 'string', default: '0' }, sizes: { type: 'string', default: '10,50,200,1000,5000' }, concurrency: { type: 'string', default: '1,4,16,64' }, judged: { type: 'string', default: '256' } } });
const r = await runSpeedBench({
  root: join(ROOT, '..', 'shared', 'datasets'), latency: { fixedMs: Number(v['latency-ms']), perOutputTokenMs: Number(v['per-token-ms']) },
  sizes: v.sizes!.split(',').map(Number), concurrencies: v.concurrency!.split(',').map(Number), judged: Number(v.judged), onProgress: (m) => console.error(m),
});
const command = `npm run bench:speed -- --latency-ms ${v['latency-ms']} --per-token-ms ${v['per-token-ms']} --sizes ${v.sizes} --concurrency ${v.concurrency} --judged ${v.judged}`;
const body = `## Speed without a model (issue #5: \`bench speed\`)

Command: \`${command}\` (the same measurement as \`memalign bench speed\`). ${machineLine()}
The loopback OpenAI-compatible server answers each call after ${r.latency.fixedMs} ms + ${r.latency.perOutputTokenMs} ms per output token,
through the real \`@ai-sdk/openai-compatible\` provider over HTTP. Feedback and records: EVOUNA NQ. One run each.

### Alignment

| feedback N | batches | LLM calls | HTTP chat requests | rounds on the critical path | tokens in / out | wall ms | own overhead ms |
|---:|---:|---:|---:|---:|---:|---:|---:|
${r.align.map((a) => `| ${a.n} | ${a.batches} | ${a.llmCalls} | ${a.httpRequests} | ${a.rounds} | ${a.inputTokens} / ${a.outputTokens} | ${a.wallMs.toFixed(0)} | ${a.ownOverheadMs.toFixed(0)} |`).join('\n')}

### Judging throughput (memory: 200 labelled examples recalled k = 5 at a time)

| concurrency | verdicts | verdicts / s | wall ms | max requests in flight | RSS MB before → after |
|---:|---:|---:|---:|---:|---:|
${r.judge.map((j) => `| ${j.concurrency} | ${j.records} | ${j.verdictsPerSecond.toFixed(1)} | ${j.wallMs.toFixed(0)} | ${j.maxInFlight} | ${j.rssMbBefore.toFixed(0)} → ${j.rssMbAfter.toFixed(0)} |`).join('\n')}

Not yet measured: the prompt-optimiser baseline (ax GEPA) on the same simulated server, and so the
memalign-vs-optimiser ratios the issue asks for.`;
writeSection('speed', body);
console.log(body);
