import type { QualityRun } from './quality.ts';
import type { SummaryRow } from './summary.ts';
import { METHODS } from './methods.ts';

const fmt = (m: number | null, sd: number | null) => (m === null ? 'n/a' : `${m.toFixed(3)}${sd !== null ? ` ± ${sd.toFixed(3)}` : ''}`);

/**
 * The Markdown report of a quality run: per dataset, test agreement by method and shard, then the
 * final train agreement and the cumulative alignment cost and time.
 *
 * @example
 * writeFileSync('report.md', qualityReport(run, summarise(run), ['learning-llmbar.svg']));
 */
export function qualityReport(run: QualityRun, rows: SummaryRow[], plots: string[]): string {
  const lines = [
    `# memalign quality benchmark`, '',
    `Model: \`${run.config.model}\`; seeds: ${run.config.seeds.join(', ')}; training shards: ${run.config.shardSizes.join(', ')}; train size ${run.config.trainSize}; at most ${run.config.testLimit} test rows per dataset and seed. Started ${run.startedAt}, memalign ${run.versions.memalign}, Node ${run.versions.node}.`,
    '', 'Agreement = exact match (boolean, categorical, pairwise) or Lin\'s CCC (numeric), mean ± sd over seeds.', '',
    ...run.notices.map((n) => `> **Notice** ${n}`), '',
    '## Methods', '', ...METHODS.filter((m) => run.config.methods.includes(m.name)).map((m) => `- **${m.name}**: ${m.description}`), '',
  ];
  for (const d of [...new Set(rows.map((r) => r.dataset))]) {
    const sub = rows.filter((r) => r.dataset === d);
    const shardsSeen = [...new Set(sub.map((r) => r.shard))].sort((a, b) => a - b);
    const methods = run.config.methods.filter((m) => sub.some((r) => r.method === m));
    lines.push(`## ${d}`, '', '### Test agreement by number of training examples', '', `| method | ${shardsSeen.join(' | ')} |`, `|---|${shardsSeen.map(() => '---:').join('|')}|`);
    for (const m of methods) lines.push(`| ${m} | ${shardsSeen.map((s) => { const r = sub.find((x) => x.method === m && x.shard === s); return r ? fmt(r.test.mean, r.test.sd) : ''; }).join(' | ')} |`);
    const last = Math.max(...shardsSeen);
    lines.push('', `### After ${last} training examples`, '', '| method | train agreement | test agreement | test kappa | alignment calls | alignment tokens | alignment cost | alignment time |', '|---|---:|---:|---:|---:|---:|---:|---:|');
    for (const m of methods) {
      const r = sub.find((x) => x.method === m && x.shard === last);
      if (r) lines.push(`| ${m} | ${fmt(r.train.mean, r.train.sd)} | ${fmt(r.test.mean, r.test.sd)} | ${fmt(r.kappa.mean, r.kappa.sd)} | ${r.alignCalls.toFixed(1)} | ${Math.round(r.alignTokens)} | ${r.alignCostUsd === null ? 'unknown' : `$${r.alignCostUsd.toFixed(4)}`} | ${r.alignSeconds.toFixed(1)} s |`);
    }
    lines.push('');
  }
  if (plots.length > 0) lines.push('## Plots', '', ...plots.map((p) => `![${p}](${p})`), '');
  return lines.join('\n');
}
