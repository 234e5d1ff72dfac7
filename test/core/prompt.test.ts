import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgePrompt } from '../../src/core/prompt/judge-prompt.ts';
import { neutralise } from '../../src/core/prompt/render-record.ts';
import { selectWorkingMemory, rankGuidelines } from '../../src/core/prompt/working-memory.ts';
import { parseJudge } from '../../src/core/judge/definition.ts';
import type { Episode, Guideline } from '../../src/core/types.ts';
import { HOSTILE_TEXTS, forgedDelimiters } from '../fixtures/injection.ts';

const judge = parseJudge({ name: 'j', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean', memory: { fieldTokens: 50 } });

test('record content cannot close its block or pass for instructions, whatever look-alikes it uses', () => {
  for (const attack of HOSTILE_TEXTS) {
    const { prompt, system } = judgePrompt(judge, { id: 'r', inputs: 'q', outputs: attack }, [{ id: 'g1', text: attack, sources: [], origin: 'manual', pinned: false, createdVersion: 1, updatedVersion: 1 }], []);
    assert.deepEqual(forgedDelimiters(prompt), [], attack);
    const begin = prompt.indexOf('<<<BEGIN OUTPUTS ');
    const end = prompt.indexOf('<<<END OUTPUTS ');
    assert.equal(prompt.split('<<<END OUTPUTS ').length, 2, 'one real END line for the record');
    assert.equal(prompt.slice(prompt.indexOf('\n', begin) + 1, end - 1), neutralise(attack), 'the whole text stays inside its block');
    assert.match(system, /only that END line closes a block/);
  }
  assert.equal(neutralise('a >>>> b <<<'), 'a )))) b (((');
  assert.equal(neutralise('x << y >> z'), 'x << y >> z', 'shift operators in code are left alone');
});

test('the template refers to blocks instead of inlining record content', () => {
  const { prompt } = judgePrompt(judge, { id: 'r', inputs: 'what is 2+2', outputs: '4' }, [], []);
  assert.match(prompt, /Is the OUTPUTS block a correct answer to the INPUTS block\?/);
});

test('long fields are truncated to the field budget and reported', () => {
  const { prompt, truncated } = judgePrompt(judge, { id: 'r', inputs: 'q', outputs: 'word '.repeat(500) }, [], []);
  assert.deepEqual(truncated, ['outputs']);
  assert.match(prompt, /truncated \d+ tokens/);
});

test('sections come in the reference order: instructions, examples, guidelines, record', () => {
  const g: Guideline = { id: 'g', text: 'Arithmetic must be exact.', sources: [], origin: 'manual', pinned: false, createdVersion: 1, updatedVersion: 1 };
  const { prompt } = judgePrompt(judge, { id: 'r', inputs: 'q', outputs: 'a' }, [g], ['### Example 1\nEXAMPLE']);
  const order = ['## Instructions', '## How experts judged', '## Guidelines from expert feedback', '## Record to judge'].map((h) => prompt.indexOf(h));
  assert.deepEqual([...order].sort((a, b) => a - b), order);
  assert.ok(order.every((i) => i >= 0));
});

test('the budget keeps pinned guidelines, then ranked ones, then examples in recall order, deterministically', () => {
  const mk = (id: string, n: number, pinned = false): Guideline => ({ id, text: 'x '.repeat(40), sources: Array.from({ length: n }, (_, i) => `f${i}`), origin: 'distilled', pinned, createdVersion: 1, updatedVersion: 1 });
  const ranked = rankGuidelines([mk('a', 1), mk('b', 3), mk('p', 0, true), mk('c', 2)]);
  assert.deepEqual(ranked.map((g) => g.id), ['p', 'b', 'c', 'a']);
  const ep = (id: string): { episode: Episode; score: number; text: string } => ({ episode: { id } as Episode, score: 1, text: 'y '.repeat(40) });
  const tokens = (t: string) => t.split(' ').length;
  const sel = selectWorkingMemory(ranked, [ep('e1'), ep('e2'), ep('e3')], { budget: 200, tokens });
  assert.deepEqual(sel.guidelines.map((g) => g.id), ['p', 'b']);
  assert.deepEqual(sel.episodes.map((e) => e.episode.id), ['e1', 'e2']);
  assert.deepEqual(sel.droppedEpisodes, ['e3']);
  assert.deepEqual(sel.droppedGuidelines, ['c', 'a']);
  const tiny = selectWorkingMemory(ranked, [], { budget: 10, tokens });
  assert.deepEqual(tiny.guidelines.map((g) => g.id), ['p'], 'pinned guidelines are never dropped by the budget');
  assert.deepEqual(selectWorkingMemory(ranked, [ep('e1')], { budget: 200, tokens }), selectWorkingMemory(ranked, [ep('e1')], { budget: 200, tokens }));
});

test('when everything fits counted in bytes, the budget takes it all without measuring a single example; otherwise it measures', () => {
  const g = (id: string, text: string, pinned = false): Guideline => ({ id, text, sources: [], origin: 'distilled', pinned, createdVersion: 1, updatedVersion: 1 });
  const ranked = rankGuidelines([g('a', 'Use certified views.'), g('p', 'Never guess the table.', true), g('é', 'Ünïcödé counts in bytes: ✓ 🚀')]);
  let measured = 0;
  const ep = (id: string, text: string) => ({ episode: { id } as Episode, score: 1, text, measure: () => { measured += 1; return text.length; } });
  const tokens = (t: string) => t.split(' ').length;
  const fits = selectWorkingMemory(ranked, [ep('e1', 'short example'), ep('e2', 'another one')], { budget: 200, tokens });
  assert.deepEqual([fits.guidelines.length, fits.episodes.length, fits.droppedEpisodes.length, measured], [3, 2, 0, 0]);
  assert.equal(fits.pinnedTokens, tokens('Never guess the table.') + 2, 'pinned guidelines are still measured exactly');
  // 'z'.repeat(150) is 150 bytes: over the byte bound, so examples are measured and the rules apply.
  const tight = selectWorkingMemory(ranked, [ep('e1', 'z'.repeat(150)), ep('e2', 'tail')], { budget: 200, tokens });
  assert.ok(measured > 0);
  assert.deepEqual(tight.episodes.map((e) => e.episode.id), ['e1', 'e2'], 'by their measured size (everything: 174 tokens) both still fit, though not by bytes (about 220)');
});

test('the budget chooses exactly what taking guidelines one by one would, whatever the sizes, and renders a choice once', () => {
  // The rule spelled out the slow way: pinned, then guidelines in rank order while they fit in
  // half the budget, examples while they fit, then guidelines again while they fit in all of it.
  const reference = (ranked: Guideline[], recalled: { id: string; tokens: number }[], budget: number, cost: (g: Guideline) => number) => {
    let used = 0; const taken = new Set<string>();
    for (const g of ranked) if (g.pinned) { used += cost(g); taken.add(g.id); }
    const take = (limit: number) => { for (const g of ranked) { if (taken.has(g.id)) continue; if (used + cost(g) > limit) break; used += cost(g); taken.add(g.id); } };
    take(budget / 2);
    const kept: string[] = [];
    for (const r of recalled) { if (kept.length === [...recalled].indexOf(r) && used + r.tokens <= budget) { used += r.tokens; kept.push(r.id); } }
    take(budget);
    return { guidelines: ranked.filter((g) => taken.has(g.id)).map((g) => g.id), episodes: kept };
  };
  let seed = 7;
  const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let trial = 0; trial < 200; trial++) {
    const gs: Guideline[] = Array.from({ length: 1 + rand(40) }, (_, i) => ({ id: `g${trial}-${i}`, text: 'w '.repeat(1 + rand(60)), sources: Array.from({ length: rand(4) }, (_, j) => `f${j}`), origin: 'distilled', pinned: rand(10) === 0, createdVersion: 1 + rand(3), updatedVersion: 1 }));
    const ranked = rankGuidelines(gs);
    const tokens = (t: string) => t.split(' ').length;
    const recalled = Array.from({ length: rand(6) }, (_, i) => ({ episode: { id: `e${i}` } as Episode, score: 1, text: 'y '.repeat(1 + rand(200)), tokens: 1 + rand(200) }));
    const budget = 50 + rand(800);
    const sel = selectWorkingMemory(ranked, recalled, { budget, tokens });
    const want = reference(ranked, recalled.map((r) => ({ id: r.episode.id, tokens: r.tokens })), budget, (g) => tokens(g.text) + 2);
    assert.deepEqual({ guidelines: sel.guidelines.map((g) => g.id), episodes: sel.episodes.map((e) => e.episode.id) }, want, `trial ${trial}`);
    assert.deepEqual(sel.droppedGuidelines, ranked.filter((g) => !want.guidelines.includes(g.id)).map((g) => g.id));
    // The same choice is the same frozen array, and the prompt shows it the same way each time.
    const again = selectWorkingMemory(ranked, recalled, { budget, tokens });
    assert.equal(again.guidelines, sel.guidelines);
    assert.ok(Object.isFrozen(sel.guidelines));
    const record = { id: 'r', inputs: 'q', outputs: 'a' };
    assert.equal(judgePrompt(judge, record, again.guidelines, []).prompt, judgePrompt(judge, record, [...sel.guidelines], []).prompt);
  }
});
