import type { IndexArrays } from './episode-index.ts';

/**
 * The binary form of a recall index, as a store keeps it (derived data, rebuilt whenever it is
 * missing or unusable). Part 0 holds a header, the ids, labels and terms as JSON, and the lexical
 * index as little-endian u32/f32 arrays; the following parts hold the vector rows as 8-bit codes
 * (`vector-codes.ts`: a quarter of their f32 size, and what the index holds exactly), at most
 * `VECTOR_PART_BYTES` each, so that no single value grows without bound and a reader copies one
 * part at a time.
 *
 * Layout of part 0: "MAIX", format (u32), JSON length (u32), JSON (UTF-8, zero-padded to 4 bytes),
 * then counts (terms, postings, documents: u32 each) and postingAt, docs, tfs, docTermAt,
 * docTerms (u32) and lengths (f32).
 */
const MAGIC = 0x5849414d; // "MAIX" read as a little-endian u32
// Format 1 held f32 rows; its files are rebuilt from the store's vectors.
const FORMAT = 2;
export const VECTOR_PART_BYTES = 8 * 1024 * 1024;

interface Meta { dimension: number; embedderId: string; ids: string[]; labels: (string | null)[]; terms: string[]; vectorParts: number }

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Encodes an index into parts (see the layout above).
 *
 * @example
 * const parts = encodeIndex(index.export());
 */
export function encodeIndex(arrays: IndexArrays): Uint8Array[] {
  if (!littleEndian) throw new Error('recall index files are written on little-endian machines only');
  const { lexical } = arrays;
  const vectorBytes = concatenatedBytes(arrays.vectors);
  const rowBytes = arrays.dimension;
  const rowsPerPart = Math.max(1, Math.floor(VECTOR_PART_BYTES / Math.max(1, rowBytes)));
  const vectorParts: Uint8Array[] = [];
  for (let at = 0; at < vectorBytes.byteLength; at += rowsPerPart * rowBytes) vectorParts.push(vectorBytes.subarray(at, Math.min(vectorBytes.byteLength, at + rowsPerPart * rowBytes)));
  const meta: Meta = {
    dimension: arrays.dimension, embedderId: arrays.embedderId, ids: [...arrays.ids],
    labels: arrays.labels.map((l) => l ?? null), terms: lexical.terms, vectorParts: vectorParts.length,
  };
  const json = new TextEncoder().encode(JSON.stringify(meta));
  const jsonPadded = Math.ceil(json.byteLength / 4) * 4;
  const arraysBytes = [lexical.postingAt, lexical.docs, lexical.tfs, lexical.docTermAt, lexical.docTerms, lexical.lengths].reduce((sum, a) => sum + a.byteLength, 0);
  const head = new Uint8Array(12 + jsonPadded + 12 + arraysBytes);
  const words = new Uint32Array(head.buffer);
  words[0] = MAGIC; words[1] = FORMAT; words[2] = json.byteLength;
  head.set(json, 12);
  let at = 12 + jsonPadded;
  words[at / 4] = lexical.terms.length; words[at / 4 + 1] = lexical.docs.length; words[at / 4 + 2] = arrays.ids.length;
  at += 12;
  for (const a of [lexical.postingAt, lexical.docs, lexical.tfs, lexical.docTermAt, lexical.docTerms, lexical.lengths]) {
    head.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
    at += a.byteLength;
  }
  return [head, ...vectorParts];
}

/**
 * Decodes parts written by `encodeIndex`. Throws (a plain Error naming what is wrong) when the
 * parts are not a whole, well-formed index of this format: the caller then rebuilds from memory.
 * Arrays are views into the parts where they are aligned, copies where they are not.
 */
export function decodeIndex(parts: readonly Uint8Array[]): IndexArrays {
  if (!littleEndian) throw new Error('recall index files are read on little-endian machines only');
  if (parts.length === 0) throw new Error('no parts');
  const head = aligned(parts[0]);
  if (head.byteLength < 24) throw new Error('part 0 is too short');
  const words = new Uint32Array(head.buffer, head.byteOffset, Math.floor(head.byteLength / 4));
  if (words[0] !== MAGIC) throw new Error('not a recall index');
  if (words[1] !== FORMAT) throw new Error(`format ${words[1]}, this memalign reads ${FORMAT}`);
  const jsonLength = words[2];
  const jsonPadded = Math.ceil(jsonLength / 4) * 4;
  if (12 + jsonPadded + 12 > head.byteLength) throw new Error('part 0 is truncated');
  const meta = JSON.parse(new TextDecoder().decode(head.subarray(12, 12 + jsonLength))) as Meta;
  let w = (12 + jsonPadded) / 4;
  const [terms, postings, docs] = [words[w], words[w + 1], words[w + 2]];
  w += 3;
  if (!meta || !Array.isArray(meta.ids) || !Array.isArray(meta.labels) || !Array.isArray(meta.terms) || meta.ids.length !== docs || meta.terms.length !== terms || !Number.isInteger(meta.dimension) || meta.dimension <= 0) {
    throw new Error('the header does not match its arrays');
  }
  const need = w + (terms + 1) + 3 * postings + (docs + 1) + docs;
  if (words.length < need) throw new Error('part 0 is truncated');
  const take = (n: number) => { const a = words.subarray(w, w + n); w += n; return a; };
  const postingAt = take(terms + 1);
  const docsArr = take(postings);
  const tfs = take(postings);
  const docTermAt = take(docs + 1);
  const docTerms = take(postings);
  const lengths = new Float32Array(head.buffer, head.byteOffset + w * 4, docs);
  if (parts.length !== 1 + meta.vectorParts) throw new Error(`${parts.length - 1} vector parts, the header says ${meta.vectorParts}`);
  const vectors = parts.slice(1).map((p) => {
    if (p.byteLength % meta.dimension !== 0) throw new Error('a vector part is not a whole number of rows');
    return new Int8Array(p.buffer, p.byteOffset, p.byteLength);
  });
  if (vectors.reduce((sum, v) => sum + v.length, 0) !== docs * meta.dimension) throw new Error('the vector parts do not hold one row per document');
  return {
    dimension: meta.dimension, embedderId: String(meta.embedderId), ids: meta.ids.map(String),
    labels: meta.labels.map((l) => (l === null ? undefined : String(l))), vectors,
    lexical: { terms: meta.terms.map(String), postingAt, docs: docsArr, tfs, docTermAt, docTerms, lengths },
  };
}

/** The bytes of consecutive arrays as one view (no copy when there is one array). */
function concatenatedBytes(chunks: readonly Int8Array[]): Uint8Array {
  if (chunks.length === 1) return new Uint8Array(chunks[0].buffer, chunks[0].byteOffset, chunks[0].byteLength);
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) { out.set(new Uint8Array(c.buffer, c.byteOffset, c.byteLength), at); at += c.byteLength; }
  return out;
}

/** The bytes at a 4-byte-aligned offset (a copy when they are not: never `slice`, a view on a Buffer). */
function aligned(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset % 4 === 0) return bytes;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy;
}
