// How fast the command line starts: wall time and peak resident memory of read-only commands
// (`--help`, `--version`, `memory list`, `memory log`, `feedback list`) on a project whose store
// holds 5 000 episodes, each run in a fresh process, beside a bare `node` start as the floor.
// Targets (issue #10): under 200 ms and under 100 MB. Usage:
//   npm run bench:startup [-- --episodes 5000 --runs 15]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign } from '../src/index.ts';
import { mockChatModel } from '../src/testing/index.ts';
import { corpus } from './lib/corpus.ts';
import { writeSection, machineLine, median, percentile, ROOT } from './lib/benchmarks-md.ts';

const { values } = parseArgs({ options: { episodes: { type: 'string', default: '5000' }, runs: { type: 'string', default: '15' } } });
const episodes = Number(values.episodes);
const runs = Number(values.runs);
const dir = mkdtempSync(join(tmpdir(), 'memalign-startup-'));
const BIN = join(ROOT, 'bin', 'memalign.js');
const PROBE = join(ROOT, 'bench', 'lib', 'rss-probe.mjs');

try {
  // A project as a user has it: a judge file, a config, a store with `episodes` aligned feedback
  // (one in ten with a rationale, so there are guidelines), and 100 pending items.
  writeFileSync(join(dir, 'memalign.config.yaml'), 'store: .memalign/memory.db\njudges:\n  qa: judges/qa.yaml\n');
  mkdirSync(join(dir, 'judges'));
  const judge = { name: 'qa', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };
  writeFileSync(join(dir, 'judges', 'qa.yaml'), `name: qa\ninstructions: "${judge.instructions}"\noutput: boolean\n`);
  const items = corpus(episodes + 100);
  const feedback = items.map((c, i) => ({ id: `f${i}`, record: { id: `r${i}`, inputs: c.inputs, outputs: c.outputs }, value: c.label === 'true', ...(i % 10 === 0 ? { rationale: `Expert rule ${i}: check the answer against the question's facts.` } : {}) }));
  const ma = await openMemalign({ judge, store: join(dir, '.memalign', 'memory.db'), model: mockChatModel() });
  await ma.align(feedback.slice(0, episodes));
  const seeded = await ma.inspect();
  await ma.close();
  mkdirSync(join(dir, '.memalign', 'pending'), { recursive: true });
  writeFileSync(join(dir, '.memalign', 'pending', 'qa.jsonl'), feedback.slice(episodes).map((f) => JSON.stringify(f)).join('\n') + '\n');

  const node = process.execPath;
  const commands: { name: string; args: string[] }[] = [
    { name: 'node (bare start, the floor)', args: ['-e', '0'] },
    { name: 'memalign --version', args: [BIN, '--version'] },
    { name: 'memalign --help', args: [BIN, '--help'] },
    { name: 'memalign memory list qa', args: [BIN, 'memory', 'list', 'qa'] },
    { name: 'memalign memory log qa --limit 20', args: [BIN, 'memory', 'log', 'qa', '--limit', '20'] },
    { name: 'memalign feedback list qa', args: [BIN, 'feedback', 'list', 'qa'] },
  ];
  const wall = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  const rss = new Map<string, number[]>(commands.map((c) => [c.name, []]));
  const rssFile = join(dir, 'rss.txt');
  // Interleaved, so every command sees the same machine state; one warm-up round first.
  for (let round = -1; round < runs; round++) {
    for (const c of commands) {
      const started = performance.now();
      const r = spawnSync(node, ['--import', PROBE, ...c.args], { cwd: dir, env: { ...process.env, MEMALIGN_RSS_PROBE: rssFile, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '', GOOGLE_GENERATIVE_AI_API_KEY: '' }, encoding: 'utf8' });
      const ms = performance.now() - started;
      if (r.status !== 0) throw new Error(`${c.name} failed (${r.status}): ${r.stderr}`);
      if (round < 0) continue;
      wall.get(c.name)!.push(ms);
      rss.get(c.name)!.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
    }
  }
  const floor = median(wall.get(commands[0].name)!);
  const lines = [
    '## Command-line start-up (issue #10: `npm run bench:startup`)',
    '',
    machineLine(),
    `Command: \`npm run bench:startup -- --episodes ${episodes} --runs ${runs}\`. A project with ${seeded.episodes.length} episodes, ${seeded.guidelines.length} guidelines and 100 pending feedback items; each command in a fresh process (interleaved, ${runs} runs after one warm-up), wall time from spawn to exit, peak resident memory (VmHWM) read by a preloaded probe at exit. Targets: < 200 ms and < 100 MB for read-only commands.`,
    '',
    '| command | median ms | p90 ms | over bare node (median) | peak RSS MB (median) | within target |',
    '|---|---:|---:|---:|---:|:---:|',
    ...commands.map((c, i) => {
      const w = wall.get(c.name)!;
      const m = median(rss.get(c.name)!);
      const ok = i === 0 ? '' : median(w) < 200 && m < 100 ? 'yes' : 'no';
      return `| \`${c.name}\` | ${median(w).toFixed(0)} | ${percentile(w, 90).toFixed(0)} | ${i === 0 ? '—' : `+${(median(w) - floor).toFixed(0)} ms`} | ${m.toFixed(0)} | ${ok} |`;
    }),
  ];
  const body = lines.join('\n');
  process.stdout.write(`${body}\n`);
  writeSection('startup', body);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
