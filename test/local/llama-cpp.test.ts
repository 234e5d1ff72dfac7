import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { llamaCppChatModel, llamaCppEmbedder, readGgufMetadata, openMemalign, resolveModel, ConfigError, type Verdict } from '../../src/index.ts';
import { writeTinyGguf } from '../../src/testing/index.ts';

// The real llama.cpp engine (node-llama-cpp's prebuilt CPU binary) on a generated tiny model:
// random weights, so the words are noise, but the JSON-schema grammar must make every answer valid.

const dir = mkdtempSync(join(tmpdir(), 'memalign-llama-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));
const path = writeTinyGguf(join(dir, 'tiny.gguf'), { seed: 7 });

test('the generated GGUF is readable and deterministic', () => {
  const meta = readGgufMetadata(path);
  assert.equal(meta['general.architecture'], 'llama');
  assert.equal(meta['llama.embedding_length'], 64);
  const again = writeTinyGguf(join(dir, 'again.gguf'), { seed: 7 });
  assert.deepEqual(readGgufMetadata(again), meta);
});

test('generation through the grammar is valid JSON for the schema', async () => {
  const model = llamaCppChatModel({ modelPath: path });
  const schema = { type: 'object', properties: { rationale: { type: 'string', maxLength: 40 }, value: { type: 'string', enum: ['good', 'bad'] } }, required: ['rationale', 'value'], additionalProperties: false };
  const res = await model.generate({ system: 'You are a judge.', prompt: 'Is this answer good? {"a": 1}', schema, schemaName: 'verdict', maxOutputTokens: 120 });
  const parsed = JSON.parse(res.text) as { rationale: string; value: string };
  assert.ok(['good', 'bad'].includes(parsed.value));
  assert.equal(typeof parsed.rationale, 'string');
  assert.ok(res.inputTokens > 0 && res.outputTokens > 0);
});

test('a whole align and judge runs on the local model', async () => {
  const ma = await openMemalign({
    judge: { name: 'local', instructions: 'Is {{ outputs }} right for {{ inputs }}?', output: { type: 'categorical', labels: ['good', 'bad'] } },
    model: resolveModel(`llama-cpp:${path}`), store: join(dir, 'm.db'), distill: { maxOutputTokens: 300 },
  });
  const report = await ma.align([{ record: { id: 'r1', inputs: 'q', outputs: 'a' }, value: 'bad', rationale: 'Too short.' }]);
  assert.equal(report.version, 1);
  const v = await ma.judge({ id: 'r2', inputs: 'q2', outputs: 'a2' });
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.ok(['good', 'bad'].includes((v as Verdict).value as string));
  await ma.close();
});

test('local embeddings are normalised, of the model size, and stable', async () => {
  const e = llamaCppEmbedder({ modelPath: path });
  assert.equal(e.dimension, 64);
  assert.match(e.id, /^llama-cpp:tiny\.gguf:64$/);
  const [a, b, c] = await e.embed(['hello world', 'hello world', 'something else']);
  assert.equal(a.length, 64);
  assert.ok(Math.abs(a.reduce((s, x) => s + x * x, 0) - 1) < 1e-4);
  assert.deepEqual([...a], [...b]);
  assert.notDeepEqual([...a], [...c]);
});

test('a missing or non-GGUF file is a clear configuration error', async () => {
  assert.throws(() => llamaCppEmbedder({ modelPath: join(dir, 'nope.gguf') }), (e: unknown) => e instanceof ConfigError && e.message.includes('nope.gguf'));
  const fake = join(dir, 'fake.gguf');
  writeFileSync(fake, 'not a model at all');
  assert.throws(() => readGgufMetadata(fake), /fake\.gguf is not a GGUF model file/);
  const model = llamaCppChatModel({ modelPath: join(dir, 'missing.gguf') });
  await assert.rejects(model.generate({ system: '', prompt: 'x', schema: { type: 'object' }, schemaName: 'x' }), /missing\.gguf does not exist/);
});
