import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBinaryCopy } from '../../src/store/postgres/copy-binary.ts';

// PostgreSQL's binary COPY format, written by hand: signature, flags, header extension, rows, -1.
const stream = (rows: (Buffer | null)[][]) => {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(4), Buffer.alloc(4)];
  for (const row of rows) {
    const n = Buffer.alloc(2); n.writeInt16BE(row.length); parts.push(n);
    for (const f of row) { const l = Buffer.alloc(4); l.writeInt32BE(f ? f.length : -1); parts.push(l); if (f) parts.push(f); }
  }
  const end = Buffer.alloc(2); end.writeInt16BE(-1); parts.push(end);
  return Buffer.concat(parts);
};

test('binary COPY rows parse to their field bytes; a cut or foreign stream is an error', () => {
  const int = (v: number) => { const b = Buffer.alloc(4); b.writeInt32BE(v); return b; };
  const bytes = stream([[int(0), Buffer.from('hashed:v1:256'), Buffer.from([1, 2, 255])], [int(1), null, Buffer.alloc(0)]]);
  const rows = parseBinaryCopy(bytes);
  assert.equal(rows.length, 2);
  assert.equal(rows[0][0]!.readInt32BE(0), 0);
  assert.equal(rows[0][1]!.toString(), 'hashed:v1:256');
  assert.deepEqual([...rows[0][2]!], [1, 2, 255]);
  assert.equal(rows[1][1], null);
  assert.equal(rows[1][2]!.length, 0);
  assert.throws(() => parseBinaryCopy(bytes.subarray(0, bytes.length - 3)), /cut short/);
  assert.throws(() => parseBinaryCopy(Buffer.from('part,data\n0,abc\n'.repeat(3))), /not a binary COPY stream/);
});
