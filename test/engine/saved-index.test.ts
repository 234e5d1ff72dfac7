// A large memory's recall index is saved in the store and opened from there by the next process,
// brought up to date with what changed since; any index that does not fit is rebuilt, silently.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemalign, openSqliteStore, hashedEmbedder, type Episode, type MemoryOperation, type MemoryStore } from '../../src/index.ts';
import { mockChatModel } from '../../src/testing/index.ts';
import { PERSIST_INDEX_MIN } from '../../src/engine/loaded-memory.ts';
import { embedText } from '../../src/embed/hashed-embedder.ts';

const judge = { name: 'qa', instructions: 'Is {{ outputs }} right for {{ inputs }}?', output: 'boolean' as const };
const embedder = hashedEmbedder();
const words = ['refund', 'damaged', 'goods', 'password', 'reset', 'email', 'shipping', 'canada', 'billing', 'screen'];
const episode = (i: number, text = `${words[i % 10]} ${words[(i * 7) % 10]} ${words[(i * 3 + 1) % 10]} case ${i}`): Episode =>
  ({ id: `e${i}`, record: { id: `e${i}`, inputs: text, outputs: 'a' }, value: i % 2 === 0, rationale: 'r', feedbackIds: [], text, hash: `h${i}`, createdVersion: 1 });
const puts = async (episodes: Episode[]): Promise<MemoryOperation[]> => {
  const vectors = await embedder.embed(episodes.map((e) => e.text));
  return episodes.map((e, i) => ({ op: 'episode.put', episode: e, vector: vectors[i], embedderId: embedder.id }));
};

/** The store, counting how often vectors were read from rows. */
function counting(store: MemoryStore) {
  const reads = { rows: 0 };
  const wrapped = new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (key === 'load') return (j: string, o?: { vectors?: boolean }) => { if (o?.vectors !== false) reads.rows++; return target.load(j, o); };
      if (key === 'vectors') return (j: string) => { reads.rows++; return target.vectors(j); };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store: wrapped, reads };
}

const recallOf = async (store: MemoryStore) => {
  const ma = await openMemalign({ judge, store, model: mockChatModel(), embedder });
  const state = await ma.memory.ready();
  const { index } = ma.memory.snapshot();
  const hits = ['damaged goods', 'reset email', 'case 17 billing', 'fresh wording'].map((t) => index!.search({ text: t, vector: embedText(t, embedder.dimension) }, { k: 5 }).map((h) => h.id));
  return { hits, version: state.version, size: index!.size, ma };
};

test('a large memory saves its index once; the next process opens it, with later changes, and recalls the same', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'memalign-saved-'));
  try {
    const path = join(dir, 'm.db');
    const base = openSqliteStore(path);
    await base.commit('qa', 0, await puts(Array.from({ length: PERSIST_INDEX_MIN }, (_, i) => episode(i))), 'seed');
    assert.equal(await base.recallIndex('qa'), undefined);

    const first = counting(openSqliteStore(path));
    const a = await recallOf(first.store);
    assert.equal(first.reads.rows, 1);
    const saved = await base.recallIndex('qa');
    assert.equal(saved?.version, 1);
    assert.equal(saved?.embedderId, embedder.id);
    await a.ma.close();
    await first.store.close();

    // Another writer changes memory after the save: a replaced text, a deleted and a new episode.
    await base.commit('qa', 1, [...await puts([episode(3, 'fresh wording about refunds'), episode(PERSIST_INDEX_MIN + 1)]), { op: 'episode.delete', id: 'e4' }], 'later');
    const second = counting(openSqliteStore(path));
    const b = await recallOf(second.store);
    assert.equal(second.reads.rows, 0, 'the saved index was used, no vector row read');
    assert.equal(b.version, 2);
    assert.equal(b.size, PERSIST_INDEX_MIN);
    assert.equal(b.ma.memory.snapshot().index!.has('e4'), false);
    await b.ma.close();
    await second.store.close();
    // The same memory rebuilt from its rows recalls exactly the same.
    const raw = openSqliteStore(path);
    const { state } = await raw.load('qa');
    await raw.close();
    const rebuilt = counting(openSqliteStore(join(dir, 'copy.db')));
    await rebuilt.store.commit('qa', 0, await puts([...state.episodes.values()].map((e) => ({ ...episode(0), ...JSON.parse(JSON.stringify(e)) }))), 'copy');
    const c = await recallOf(rebuilt.store);
    assert.deepEqual(b.hits, c.hits);
    await c.ma.close();
    await rebuilt.store.close();

    // A damaged saved index (same version, garbage parts) is rebuilt from the rows, with the same recall.
    assert.equal(await base.putRecallIndex('qa', { version: 2, embedderId: embedder.id, parts: [new Uint8Array(64), new Uint8Array(8)] }), true);
    const third = counting(openSqliteStore(path));
    const d = await recallOf(third.store);
    assert.equal(third.reads.rows, 1);
    assert.deepEqual(d.hits, b.hits);
    await d.ma.close();
    await third.store.close();
    await base.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
