import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, type Verdict } from '../../src/index.ts';

// Live tests: they call real providers and run only when a key is set (never in CI without one).

const dir = mkdtempSync(join(tmpdir(), 'memalign-live-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const cases = [
  { model: 'openai:gpt-4.1-mini', key: 'OPENAI_API_KEY' },
  { model: 'anthropic:claude-haiku-4-5', key: 'ANTHROPIC_API_KEY' },
];

for (const c of cases) {
  test(`live: align and judge with ${c.model}`, { skip: process.env[c.key] ? false : `${c.key} is not set` }, async () => {
    const ma = await openMemalign({
      judge: { name: 'live', instructions: 'Does {{ outputs }} answer {{ inputs }} using the certified view finance.revenue_v?', output: { type: 'categorical', labels: ['good', 'bad'] } },
      model: c.model, store: join(dir, `${c.key}.db`),
    });
    const report = await ma.align([{ record: { id: 'q1', inputs: 'Revenue by region', outputs: 'SELECT region, sum(amount) FROM raw.sales GROUP BY region' }, value: 'bad', rationale: 'Revenue must come from finance.revenue_v, never raw tables.' }]);
    assert.ok(report.guidelinesAdded.length >= 1);
    assert.ok(report.usage.costUsd !== null && report.usage.costUsd > 0);
    const v = await ma.judge({ id: 'q2', inputs: 'Revenue by country', outputs: 'SELECT country, sum(amount) FROM raw.sales GROUP BY country' }) as Verdict;
    assert.equal(v.ok, true);
    assert.equal(v.value, 'bad');
    await ma.close();
  });
}
