// Scheduling at the provider's limit (issue #13), against the loopback OpenAI-compatible server
// with a fixed latency L for every request (chat and embeddings): alignment at N = 1 000 and
// 10 000 with the offline and with a provider embedder (rounds on the critical path inferred
// from the server's request timestamps), judging throughput against the ideal C / L, the
// sequential verdict, and memory over 10 000 verdicts. Usage:
//   npm run bench:schedule [-- --latency-ms 300 --sizes 1000,10000 --concurrency 1,4,16,64 --soak 10000]
import { parseArgs } from 'node:util';
import { openMemalign, resolveModel, resolveEmbedder, type Embedder } from '../src/index.ts';
import { timedModel } from '../src/bench/index.ts';
import { corpus } from './lib/corpus.ts';
import { loopbackProcess, type RequestTiming } from './lib/loopback-process.ts';
import { writeSection, machineLine, median } from './lib/benchmarks-md.ts';

const { values: v } = parseArgs({ options: { 'latency-ms': { type: 'string', default: '300' }, sizes: { type: 'string', default: '1000,10000' }, concurrency: { type: 'string', default: '1,4,16,64' }, soak: { type: 'string', default: '10000' } } });
const L = Number(v['latency-ms']);
const sizes = v.sizes!.split(',').map(Number);
const levels = v.concurrency!.split(',').map(Number);
const soak = Number(v.soak);
const command = `npm run bench:schedule -- --latency-ms ${L} --sizes ${sizes.join(',')} --concurrency ${levels.join(',')} --soak ${soak}`;

// The simulated provider runs in processes of its own, chat and embeddings apart as a provider's
// services are: the figures hold memalign's CPU, and a large embedding response being built (60-80 ms
// of this machine's CPU per 2 048 vectors) does not hold back chat answers due meanwhile. The
// embedding server computes vectors on two worker threads, so requests that arrive together are
// computed side by side, as a provider would, not one after another on one core.
const chatServer = await loopbackProcess({ ms: L });
const embedServer = await loopbackProcess({ ms: L, embeddingMs: L, embedThreads: 2 });
// Both servers' requests on one clock (epoch ms).
const server = {
  url: chatServer.url,
  requests: async () => [...(await chatServer.requests()), ...(await embedServer.requests())],
  reset: async () => { await chatServer.reset(); await embedServer.reset(); },
  close: async () => { await chatServer.close(); await embedServer.close(); },
};
const judge = { name: 'sched', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };
const items = corpus(Math.max(Math.max(...sizes) + 40, 200 + soak + 64 * 16) + 10); // the sequential verdicts judge the 40 records after the largest memory
const feedback = (n: number) => items.slice(0, n).map((c, i) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: c.inputs, outputs: c.outputs }, value: c.label === 'true', rationale: c.label === 'true' ? 'The answer gives the right entity.' : `The answer misses the fact asked for (${c.group}).` }));
const records = (from: number, n: number) => items.slice(from, from + n).map((c, i) => ({ id: `q${from + i}`, inputs: c.inputs, outputs: c.outputs }));
const embedders: { name: string; make: () => Embedder | undefined }[] = [
  { name: 'offline (hashed, in process)', make: () => undefined },
  { name: 'provider (loopback /embeddings, 512-d)', make: () => resolveEmbedder(`${embedServer.url}#emb`, { dimensions: 512 }) },
];
// Time during which at least one request was in flight at the server, and the span first start → last end.
const busy = (rs: RequestTiming[]) => {
  const spans = rs.map((r) => [r.startedAt, r.endedAt ?? r.startedAt] as const).sort((a, b) => a[0] - b[0]);
  let total = 0; let end = -Infinity;
  for (const [s, e] of spans) { if (s > end) { total += e - s; end = e; } else if (e > end) { total += e - end; end = e; } }
  return { total, span: spans.length ? Math.max(...spans.map((s) => s[1])) - spans[0][0] : 0 };
};
const lines: string[] = [];
try {
  // Warm-up (JIT, HTTP connections), not measured.
  {
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), store: ':memory:', retries: 0 });
    await ma.align(feedback(200));
    await ma.judgeMany(records(200, 32), { concurrency: 8 });
    await ma.close();
  }
  // 1 and 5: alignment.
  const alignRows: string[] = [];
  for (const n of sizes) {
    for (const e of embedders) {
      await server.reset();
      const t = timedModel(resolveModel(`${server.url}#m`));
      const ma = await openMemalign({ judge, model: t.model, embedder: e.make(), store: ':memory:', retries: 0 });
      const started = performance.now();
      const report = await ma.align(feedback(n));
      const wall = performance.now() - started;
      await ma.close();
      const rs = await server.requests();
      const b = busy(rs);
      const batches = Math.ceil(n / 50);
      const target = e.make() ? Math.ceil(batches / 8) + 1 : Math.ceil(batches / 8);
      const embedReqs = rs.filter((r) => r.path.endsWith('/embeddings')).length;
      alignRows.push(`| ${n} | ${e.name} | ${report.usage.calls} | ${embedReqs} | ${(b.span / L).toFixed(2)} | ${target} | ${wall.toFixed(0)} | ${(wall - b.total).toFixed(0)} |`);
      console.error(alignRows.at(-1));
    }
  }
  // 2: judging throughput, memory of 200 examples.
  const judgeRows: string[] = [];
  for (const e of embedders) {
    const ma = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder: e.make(), store: ':memory:', retries: 0 });
    await ma.align(feedback(200));
    for (const c of levels) {
      const n = Math.max(32, 16 * c);
      await server.reset();
      const started = performance.now();
      const results = await ma.judgeMany(records(200, n), { concurrency: c });
      const wall = performance.now() - started;
      const rate = (n / wall) * 1000;
      const ideal = (c / L) * 1000;
      const embedReqs = (await server.requests()).filter((r) => r.path.endsWith('/embeddings')).length;
      judgeRows.push(`| ${e.name} | ${c} | ${n} | ${results.filter((r) => r.ok).length} | ${embedReqs} | ${rate.toFixed(1)} | ${ideal.toFixed(1)} | ${(rate / ideal).toFixed(2)} |`);
      console.error(judgeRows.at(-1));
    }
    await ma.close();
  }
  // Memory over a long run: 10 000 verdicts at the highest concurrency, provider embeddings.
  const soakMa = await openMemalign({ judge, model: resolveModel(`${server.url}#m`), embedder: embedders[1].make(), store: ':memory:', retries: 0 });
  await soakMa.align(feedback(200));
  const top = Math.max(...levels);
  global.gc?.();
  const rssBefore = process.memoryUsage().rss / 1e6;
  const soakStart = performance.now();
  let soakOk = 0;
  const heap: number[] = [];
  for (let i = 0; i < soak; i += 2000) {
    soakOk += (await soakMa.judgeMany(records(200, Math.min(2000, soak - i)), { concurrency: top })).filter((r) => r.ok).length;
    await server.reset();
    global.gc?.();
    heap.push(process.memoryUsage().heapUsed / 1e6);
  }
  const soakWall = performance.now() - soakStart;
  global.gc?.();
  const rssAfter = process.memoryUsage().rss / 1e6;
  await soakMa.close();
  // 3: the sequential verdict: request rounds and own time per verdict.
  const seqRows: string[] = [];
  for (const e of embedders) {
    const t = timedModel(resolveModel(`${server.url}#m`));
    // Provider time as memalign sees it: the model call and the embedding request, client side
    // (HTTP and the model client included); the server view counts only the simulated latency.
    const inner = e.make();
    let embedMs = 0;
    const embedder: Embedder | undefined = inner && { ...inner, embed: async (texts) => { const s = performance.now(); try { return await inner.embed(texts); } finally { embedMs += performance.now() - s; } } };
    const ma = await openMemalign({ judge, model: t.model, embedder, store: ':memory:', retries: 0 });
    await ma.align(feedback(Math.max(...sizes)));
    const qs = records(Math.max(...sizes), 40);
    const own: number[] = []; const ownServer: number[] = []; const rounds: number[] = [];
    for (const [i, q] of qs.entries()) {
      await server.reset();
      const waited = t.waitingMs(); const embedded = embedMs;
      const s = performance.now();
      await ma.judge(q);
      const wall = performance.now() - s;
      if (i < 10) continue; // warm-up
      own.push(wall - (t.waitingMs() - waited) - (embedMs - embedded));
      const rs = await server.requests();
      ownServer.push(wall - busy(rs).total);
      rounds.push(rs.length);
    }
    await ma.close();
    seqRows.push(`| ${e.name} | ${Math.max(...sizes)} | ${median(rounds)} | ${median(own).toFixed(2)} | ${median(ownServer).toFixed(2)} |`);
    console.error(seqRows.at(-1));
  }
  lines.push(
    '## Scheduling at the provider\'s limit (issue #13: `npm run bench:schedule`)', '',
    `Command: \`${command}\`. ${machineLine()}`,
    `The loopback OpenAI-compatible server answers every chat and embedding request after ${L} ms (chat and embeddings each in a process of its own; an embedding response is computed on arrival, within its latency), through memalign's OpenAI-compatible client over HTTP (\`openaiChatModel\`, decision 0006). Records: real question/answer pairs (EVOUNA NQ, HaluEval QA). Rounds are inferred from the server's request timestamps: (last response − first request) / L. "Own time" is wall time minus the time during which at least one request was in flight at the server. One run each.`,
    '', '### Alignment (targets: rounds ≤ ⌈batches/8⌉ (+1 with provider embeddings); own overhead ≤ 250 ms at 1 000 and ≤ 2.5 s at 10 000)', '',
    '| feedback N | embedder | LLM calls | embedding requests | rounds (from timestamps) | target rounds | wall ms | own ms |', '|---:|---|---:|---:|---:|---:|---:|---:|', ...alignRows,
    '', `### Judging throughput (memory: 200 examples; N = max(32, 16 × C) records; target ≥ 0.9 × C / L)`, '',
    '| embedder | C | records | verdicts ok | embedding requests | verdicts/s | ideal C/L | ratio |', '|---|---:|---:|---:|---:|---:|---:|---:|', ...judgeRows,
    '', `Memory over a long run: ${soak} verdicts at C = ${top} with provider embeddings (${soakOk} ok) in ${(soakWall / 1000).toFixed(1)} s (${((soak / soakWall) * 1000).toFixed(1)} verdicts/s against an ideal of ${((top / L) * 1000).toFixed(1)}); resident memory ${rssBefore.toFixed(0)} MB before, ${rssAfter.toFixed(0)} MB after; live heap after each 2 000 verdicts, after a full GC: ${heap.map((h) => h.toFixed(0)).join(', ')} MB.`,
    '', `### Sequential verdict (target: 2 request rounds with a provider embedder, 1 offline; own time ≤ 2 ms p50)`, '',
    '| embedder | episodes in memory | requests per verdict (median) | own time ms, p50 (wall − model and embedding calls as memalign sees them) | own time ms, p50 (wall − time a request was at the server: adds HTTP and the model client) |', '|---|---:|---:|---:|---:|', ...seqRows,
  );
} finally {
  await server.close();
}
const body = lines.join('\n');
process.stdout.write(`${body}\n`);
writeSection('schedule', body);
