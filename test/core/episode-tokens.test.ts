/**
 * Token counts kept with episodes (Episode.tokens): judging does not count recalled examples
 * again, and what is kept changes nothing in what the judge is shown.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, type Episode } from '../../src/index.ts';
import { mockChatModel } from '../../src/testing/index.ts';
import { estimateTokens, truncateToTokens } from '../../src/core/text/tokens.ts';
import { blockPieces, estimatePieces } from '../../src/core/prompt/render-record.ts';
import { renderExample } from '../../src/core/prompt/judge-prompt.ts';
import { countEpisodeTokens } from '../../src/core/prompt/episode-tokens.ts';
import { parseJudge } from '../../src/core/judge/definition.ts';

const dir = mkdtempSync(join(tmpdir(), 'memalign-tokens-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const judge = { name: 'qa', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?', output: 'boolean' };

test('align keeps token counts with each episode in the store, and a judge prompt is the same with or without them', async () => {
  const file = join(dir, 'm.db');
  const long = 'The capital of France is Paris, a city on the Seine. '.repeat(40);
  const feedback = [
    { id: 'f1', record: { id: 'r1', inputs: 'What is the capital of France?', outputs: long }, value: true, rationale: 'Right city, though long-winded.' },
    { id: 'f2', record: { id: 'r2', inputs: 'What is the capital of Spain?', outputs: { answer: 'Madrid', sources: ['atlas'] } }, value: true, rationale: 'Madrid is right.' },
    { id: 'f3', record: { id: 'r3', inputs: 'Capital of Italy?', outputs: 'Milan' }, value: false, rationale: 'Rome, not Milan.', judgeVerdict: { value: true, rationale: 'Milan is a big Italian city.' } },
  ];
  const first = await openMemalign({ judge, model: mockChatModel(), store: file });
  await first.align(feedback);
  await first.close();

  const model = mockChatModel();
  const ma = await openMemalign({ judge, model, store: file });
  const episodes = new Map((await ma.inspect()).episodes.map((e) => [e.id, e]));
  const r1 = episodes.get('r1')!;
  assert.deepEqual(r1.tokens, { fields: { inputs: estimateTokens('What is the capital of France?'), outputs: estimateTokens(long) }, rationale: estimateTokens('Right city, though long-winded.') });
  assert.equal(episodes.get('r2')!.tokens!.fields.outputs, estimateTokens(JSON.stringify({ answer: 'Madrid', sources: ['atlas'] }, null, 2)), 'JSON fields are counted as the prompt shows them');
  assert.equal(episodes.get('r3')!.tokens!.judgeRationale, estimateTokens('Milan is a big Italian city.'));
  await ma.judge({ id: 'q', inputs: 'What is the capital of France?', outputs: 'Paris' });
  const withCounts = model.calls.at(-1)!.prompt;
  await ma.close();

  // The same examples without counts render exactly the same text and cost the same.
  const parsed = parseJudge(judge);
  for (const e of episodes.values()) {
    const bare: Episode = { ...e, tokens: undefined };
    for (const budget of [60, 200, 600]) {
      const a = renderExample(parsed, e, 2, budget);
      const b = renderExample(parsed, bare, 2, budget);
      assert.equal(a.text, b.text);
      assert.equal(a.truncated, b.truncated);
      assert.equal(a.tokens(), b.tokens());
    }
  }
  assert.match(withCounts, /EXAMPLE 1 OUTPUTS/);
});

test('a count that cannot be right is not trusted: the text is counted and cut as if there were none', () => {
  const parsed = parseJudge(judge);
  const long = 'word '.repeat(3000);
  const episode: Episode = { id: 'r', record: { id: 'r', inputs: 'q', outputs: long }, value: true, rationale: 'ok', feedbackIds: ['f'], text: 'q', hash: 'h', createdVersion: 1 };
  for (const forged of [1, -5, 2.5, Number.NaN, '3' as unknown as number]) {
    const shown = renderExample(parsed, { ...episode, tokens: { fields: { outputs: forged, inputs: 1 } } }, 1, 600);
    assert.ok(shown.truncated, `count ${String(forged)}`);
    assert.match(shown.text, /truncated \d+ tokens/);
  }
});

test('a delimiter line costs the same whatever its code, so it is counted once per name', () => {
  let seed = 3;
  const rand = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed; };
  const names = ['OUTPUTS', 'EXAMPLE 3 INPUTS', 'EXAMPLE 12 EXPERT EXPLANATION', 'CONTEXT2', 'GUIDELINES'];
  for (let i = 0; i < 300; i++) {
    const content = `content ${rand()} ${String.fromCharCode(0x20 + (rand() % 90)).repeat(1 + (rand() % 5))}`;
    const [begin, , end] = blockPieces(names[i % names.length], content);
    assert.equal(begin.tokens, estimateTokens(begin.text), begin.text);
    assert.equal(end.tokens, estimateTokens(end.text), end.text);
  }
});

test('an example\'s estimated cost stays within a few tokens of counting its whole text', () => {
  const parsed = parseJudge(judge);
  const texts = ['Paris.', 'The answer is 42, as computed below:\n\n  x = 6 * 7\n', 'Ünïcödé — “quoted” text… 日本語のテキスト', JSON.stringify({ a: [1, 2, 3], b: 'x' }), 'end with spaces   ', 'line one\nline two\n'];
  for (const [i, outputs] of texts.entries()) {
    const record = { id: `r${i}`, inputs: texts[(i + 1) % texts.length], outputs };
    const episode: Episode = { id: record.id, record, value: i % 2 === 0, rationale: texts[(i + 2) % texts.length], feedbackIds: ['f'], text: outputs, hash: 'h', createdVersion: 1, judgeVerdict: { value: i % 2 !== 0, rationale: texts[(i + 3) % texts.length] } };
    const shown = renderExample(parsed, { ...episode, tokens: countEpisodeTokens(episode) }, 1 + i, 600);
    const exact = estimateTokens(shown.text);
    assert.ok(Math.abs(shown.tokens() - exact) <= 6, `example ${i}: estimated ${shown.tokens()}, counted ${exact}`);
  }
});

test('a short text is only taken as fitting when its bytes fit: characters of several tokens are counted', () => {
  const text = 'ᚠ'.repeat(20); // 20 characters, 60 tokens
  const cut = truncateToTokens(text, 30);
  assert.ok(cut.truncated);
  assert.ok(estimateTokens(text) > 30);
  assert.equal(truncateToTokens('plain words', 30).truncated, false);
});

test('estimatePieces adds one token per line break to the pieces\' counts', () => {
  assert.equal(estimatePieces([{ text: 'a', tokens: 5 }, { text: 'b', tokens: 7 }, { text: 'hello' }]), 5 + 7 + estimateTokens('hello') + 2);
});
