// Hostile content in records, rationales and guidelines is escaped on every page (the browser test
// checks that it does not run; this one checks the HTML itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testServer } from '../fixtures/server.ts';
import { XSS_PAYLOADS } from '../fixtures/xss.ts';

test('XSS payloads in records, verdict rationales, reviews, guidelines and names never reach a page as markup', async () => {
  const t = await testServer();
  try {
    const ann = await t.as('ann');
    const q = (await ann('POST', '/api/judges/sql/queues', { name: 'xss', description: XSS_PAYLOADS[0], calibration: 0 })).json;
    const lines = XSS_PAYLOADS.map((p, i) => ({ record: { id: `x${i}`, inputs: p, outputs: { A: p, B: `[link](javascript:alert(${i}))` }, note: p }, result: { ok: true, value: true, rationale: p, provenance: { memoryVersion: 0, guidelineIds: [], episodes: [] } } }));
    assert.equal((await ann('POST', `/api/queues/${q.id}/items`, { verdicts: lines })).status, 200);
    for (const [i, p] of XSS_PAYLOADS.entries()) {
      await ann('POST', `/api/queues/${q.id}/items/x${i}/reviews`, { value: false, rationale: p, expected: p });
      await ann('POST', '/api/judges/sql/guidelines', { text: `${p} rule ${i}` });
    }
    await t.ma.align([{ record: { id: 'y', inputs: XSS_PAYLOADS[1], outputs: XSS_PAYLOADS[2] }, value: false, rationale: XSS_PAYLOADS[3], author: 'rita' }]);
    const pages = [`/queues/${q.id}`, ...XSS_PAYLOADS.map((_, i) => `/queues/${q.id}/review/x${i}`), '/judges/sql', '/judges/sql/memory', '/judges/sql/log', '/audit', '/'];
    for (const path of pages) {
      const res = await ann('GET', path);
      assert.equal(res.status, 200, path);
      const html = res.text;
      assert.doesNotMatch(html, /<script(?![^>]*src="\/assets\/app\.js")[^>]*>/i, `${path}: a script tag other than the app's`);
      assert.doesNotMatch(html, /<(img|svg|iframe|object|embed|math|details|video|audio|body|style|link)[^>]*\son\w+\s*=/i, `${path}: an element with an event handler`);
      assert.doesNotMatch(html, /href\s*=\s*["']?\s*(javascript|data|vbscript):/i, `${path}: a dangerous link`);
      assert.doesNotMatch(html, /<iframe|<object|<embed|<base\s/i, `${path}: an embedding tag`);
      assert.doesNotMatch(html, /<style[\s>]/i, `${path}: inline styles`);
    }
  } finally { await t.close(); }
});
