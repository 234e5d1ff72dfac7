import type { Episode, Feedback } from '../core/types.ts';
import type { StoredIndex } from './memory-store.ts';
import { StoreError } from '../core/errors.ts';

type Row = { [key: string]: unknown };

/**
 * An episode whose stored JSON is parsed on first use of any field but `id` and `text`: loading a
 * large memory only needs those two (plus vectors) to build the recall index, and a judged record
 * touches just the k episodes it recalls. Getters live on the prototype (cheap to create);
 * `toJSON` keeps serialisation identical to a plain episode. Shared by every store.
 */
class StoredEpisode {
  readonly id: string;
  readonly text: string;
  #data: string;
  #parsed?: Omit<Episode, 'text'>;
  #location: string;
  constructor(id: string, text: string, data: string, location: string) { this.id = id; this.text = text; this.#data = data; this.#location = location; }
  get #fields(): Omit<Episode, 'text'> { return (this.#parsed ??= rowJson<Omit<Episode, 'text'>>(this.#location, 'episodes', { id: this.id, data: this.#data })); }
  get record() { return this.#fields.record; }
  get value() { return this.#fields.value; }
  get rationale() { return this.#fields.rationale; }
  get feedbackIds() { return this.#fields.feedbackIds; }
  get hash() { return this.#fields.hash; }
  get createdVersion() { return this.#fields.createdVersion; }
  get judgeVerdict() { return this.#fields.judgeVerdict; }
  get disagreed() { return this.#fields.disagreed; }
  get distilled() { return this.#fields.distilled; }
  toJSON(): Episode { return { ...this.#fields, text: this.text }; }
}

/**
 * An episode read from a store row: its JSON `data` (all fields but text) is parsed when first used.
 *
 * @example
 * lazyEpisode('r1', 'text', '{"id":"r1",…}', 'memory.db').record;
 */
export function lazyEpisode(id: string, text: string, data: string, location: string): Episode {
  return new StoredEpisode(id, text, data, location);
}

/**
 * Feedback whose stored JSON is parsed on first use of any field but `id`. A memory of 100 000
 * episodes holds as many feedback items, and judging never reads them: parsing them all at load
 * was most of a large memory's open time. Getters live on the prototype; `toJSON` keeps
 * serialisation identical to a plain object, and `plainFeedback` makes one.
 */
class StoredFeedback {
  readonly id: string;
  #data: string;
  #parsed?: Feedback;
  #location: string;
  constructor(id: string, data: string, location: string) { this.id = id; this.#data = data; this.#location = location; }
  get #fields(): Feedback { return (this.#parsed ??= rowJson<Feedback>(this.#location, 'feedback', { id: this.id, data: this.#data })); }
  get record() { return this.#fields.record; }
  get value() { return this.#fields.value; }
  get rationale() { return this.#fields.rationale; }
  get author() { return this.#fields.author; }
  get createdAt() { return this.#fields.createdAt; }
  get judgeVerdict() { return this.#fields.judgeVerdict; }
  toJSON(): Feedback { return { ...this.#fields, id: this.id }; }
}

/**
 * Feedback read from a store row (`id`, JSON `data`): parsed when first used.
 *
 * @example
 * lazyFeedback('f1', '{"id":"f1",…}', 'memory.db').record;
 */
export function lazyFeedback(id: string, data: string, location: string): Feedback {
  return new StoredFeedback(id, data, location);
}

/** A row's JSON object; a row that cannot be read is named, with what to do about it, instead of crashing. */
export function rowJson<T>(location: string, table: string, row: Row): T {
  try {
    const value = JSON.parse(row.data as string) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error('not a JSON object');
    return value as T;
  } catch (error) {
    throw corruptRow(location, table, row.id, (error as Error).message);
  }
}

/** The error for a stored row that cannot be read. */
export function corruptRow(location: string, table: string, id: unknown, why: string): StoreError {
  return new StoreError(`The memory store ${location} is corrupt: row "${String(id)}" of table ${table} cannot be read (${why}). Restore it from a backup or re-import a memory export ("memalign memory import"); nothing was changed.`);
}

/**
 * A persisted recall index from its rows (part, version, embedder, data), or undefined when they
 * are not one whole index (parts missing, mixed versions): a rebuild is then the answer, not an error.
 */
export function indexFromRows(rows: Row[]): StoredIndex | undefined {
  if (rows.length === 0) return undefined;
  const version = Number(rows[0].version);
  const embedderId = String(rows[0].embedder);
  const whole = rows.every((r, i) => Number(r.part) === i && Number(r.version) === version && String(r.embedder) === embedderId && r.data instanceof Uint8Array);
  return whole ? { version, embedderId, parts: rows.map((r) => r.data as Uint8Array) } : undefined;
}
