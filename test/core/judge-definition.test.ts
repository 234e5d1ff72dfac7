import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJudge, queryFieldsOf, DEFAULT_MEMORY } from '../../src/core/judge/definition.ts';
import { parseJudgeText } from '../../src/io/load-judge.ts';
import { ValidationError } from '../../src/core/errors.ts';

const base = { name: 'correct', instructions: 'Is {{ outputs }} a correct answer to {{ inputs }}?' };

test('a minimal judge gets the documented defaults', () => {
  const j = parseJudge({ ...base, output: 'boolean' });
  assert.deepEqual(j.output, { type: 'boolean' });
  assert.deepEqual(j.memory, DEFAULT_MEMORY);
  assert.equal(j.memory.k, 5);
});

test('all four output kinds parse', () => {
  assert.deepEqual(parseJudge({ ...base, output: { type: 'categorical', labels: ['good', 'bad'] } }).output, { type: 'categorical', labels: ['good', 'bad'] });
  assert.deepEqual(parseJudge({ ...base, output: { type: 'numeric', min: 1, max: 5 } }).output, { type: 'numeric', min: 1, max: 5, integer: true });
  assert.deepEqual(parseJudge({ ...base, output: 'pairwise' }).output, { type: 'pairwise' });
});

test('every problem is reported with its path, not only the first', () => {
  try {
    parseJudge({ name: 'has space', instructions: '', output: { type: 'categorical', labels: ['x'] }, memory: { k: -1, bogus: 1 } });
    assert.fail('expected a ValidationError');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    const paths = error.issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['instructions', 'memory', 'memory.k', 'name', 'output.labels']);
    assert.equal(error.code, 'invalid_input');
    assert.match(error.message, /unknown field "bogus"/);
  }
});

test('a template that shows the judge neither inputs nor outputs is rejected', () => {
  assert.throws(() => parseJudge({ name: 'j', instructions: 'Be nice.', output: 'boolean' }), /must use \{\{ inputs \}\} or \{\{ outputs \}\}/);
});

test('numeric min must be below max; labels must be unique', () => {
  assert.throws(() => parseJudge({ ...base, output: { type: 'numeric', min: 5, max: 1 } }), /output.max: min must be less than max/);
  assert.throws(() => parseJudge({ ...base, output: { type: 'categorical', labels: ['a', 'a'] } }), /labels must be unique/);
});

test('YAML problems name the file and line', () => {
  const yaml = 'name: j\ninstructions: "Is {{ outputs }} ok?"\noutput:\n  type: numeric\n  min: 1\n  max: high\n';
  try {
    parseJudgeText(yaml, 'judge.yaml');
    assert.fail('expected an error');
  } catch (error) {
    assert.ok(error instanceof ValidationError);
    assert.equal(error.issues[0].file, 'judge.yaml');
    assert.equal(error.issues[0].line, 6);
    assert.equal(error.issues[0].path, 'output.max');
    assert.match(error.message, /judge\.yaml:6: output\.max:/);
  }
});

test('broken YAML syntax is reported with its line', () => {
  assert.throws(() => parseJudgeText('name: j\ninstructions: [unclosed\n', 'bad.yaml'), (e: unknown) => e instanceof ValidationError && e.issues[0].line !== undefined && /bad\.yaml:\d+/.test(e.message));
});

test('JSON judge files load too, and the query fields default to the template variables', () => {
  const j = parseJudgeText(JSON.stringify({ ...base, output: 'boolean' }), 'j.json');
  assert.deepEqual(queryFieldsOf(j), ['outputs', 'inputs']);
  const k = parseJudge({ ...base, output: 'boolean', memory: { queryFields: ['inputs'] } });
  assert.deepEqual(queryFieldsOf(k), ['inputs']);
});
