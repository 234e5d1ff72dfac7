// The memalign loop in one script: align a judge on four pieces of expert feedback, then judge
// new records with its memory. With no MEMALIGN_MODEL set it runs against the loopback
// OpenAI-compatible server from memalign/testing (a deterministic stand-in, no key needed);
// set MEMALIGN_MODEL=openai:gpt-4.1-mini (and OPENAI_API_KEY) to use a real model.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJudge, openMemalign, readTable, rowToFeedback, rowToRecord } from 'memalign';
import { startLoopbackServer } from 'memalign/testing';

const here = import.meta.dirname;
const server = process.env.MEMALIGN_MODEL ? undefined : await startLoopbackServer();
const model = process.env.MEMALIGN_MODEL || `${server!.url}#loopback-demo`;
const store = process.env.MEMALIGN_STORE || join(mkdtempSync(join(tmpdir(), 'memalign-quickstart-')), 'memory.db');

const judge = await loadJudge(join(here, 'judge.yaml'));
const ma = await openMemalign({ judge, model, store });
const feedback = (await readTable(join(here, 'feedback.jsonl'))).map((row) => rowToFeedback(row, {}));
const report = await ma.align(feedback);
console.log(`Aligned "${judge.name}" on ${report.feedbackStored} feedback → memory version ${report.version}`);
for (const g of report.guidelinesAdded) console.log(`  + guideline ${g.id}: ${g.text}  (from ${g.sources.join(', ')})`);
console.log(`  ${report.episodesAdded.length} examples stored; ${report.usage.calls} LLM call(s), ${report.usage.inputTokens + report.usage.outputTokens} tokens, ${report.timings.totalMs.toFixed(0)} ms\n`);

const records = (await readTable(join(here, 'records.jsonl'))).map((row) => rowToRecord(row, {}));
for (const result of await ma.judgeMany(records)) {
  if (!result.ok) { console.log(`${result.recordId}: ERROR ${result.error.message}`); continue; }
  const recalled = result.provenance.episodes.map((e) => `${e.id} (${e.score.toFixed(2)})`).join(', ');
  console.log(`${result.recordId}: ${JSON.stringify(result.value)} — ${result.rationale}\n   recalled: ${recalled}; guidelines used: ${result.provenance.guidelineIds.length}; memory v${result.provenance.memoryVersion}`);
}
console.log(`\nMemory stored in ${store}`);
await ma.close();
await server?.close();
