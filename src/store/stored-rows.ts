import type { Episode, Feedback } from '../core/types.ts';
import type { StoredIndex } from './memory-store.ts';
import { StoreError } from '../core/errors.ts';

type Row = { [key: string]: unknown };

/**
 * A stored row whose JSON `data` is parsed on first use of any field but its id (and what a
 * subclass keeps beside it). Loading a large memory reads many rows that judging never opens:
 * a judged record touches just the k episodes it recalls, and no feedback. Fields are getters on
 * the prototype (cheap to create; the data stays private), and `toJSON` serialises as the plain
 * object. Shared by every store.
 */
abstract class LazyRow<T> {
  readonly id: string;
  #data: string;
  #parsed?: T;
  #location: string;
  #table: string;
  constructor(id: string, data: string, location: string, table: string) { this.id = id; this.#data = data; this.#location = location; this.#table = table; }
  protected fields(): T { return (this.#parsed ??= rowJson<T>(this.#location, this.#table, { id: this.id, data: this.#data })); }
}

/** An episode: its text is a column of its own (the recall index needs it), the rest is JSON. */
class StoredEpisode extends LazyRow<Omit<Episode, 'text'>> {
  readonly text: string;
  constructor(id: string, text: string, data: string, location: string) { super(id, data, location, 'episodes'); this.text = text; }
  get record() { return this.fields().record; }
  get value() { return this.fields().value; }
  get rationale() { return this.fields().rationale; }
  get feedbackIds() { return this.fields().feedbackIds; }
  get hash() { return this.fields().hash; }
  get createdVersion() { return this.fields().createdVersion; }
  get judgeVerdict() { return this.fields().judgeVerdict; }
  get disagreed() { return this.fields().disagreed; }
  get distilled() { return this.fields().distilled; }
  get tokens() { return this.fields().tokens; }
  toJSON(): Episode { return { ...this.fields(), text: this.text }; }
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

/** Feedback (`plainFeedback` makes a plain object of it). */
class StoredFeedback extends LazyRow<Feedback> {
  constructor(id: string, data: string, location: string) { super(id, data, location, 'feedback'); }
  get record() { return this.fields().record; }
  get value() { return this.fields().value; }
  get rationale() { return this.fields().rationale; }
  get author() { return this.fields().author; }
  get createdAt() { return this.fields().createdAt; }
  get judgeVerdict() { return this.fields().judgeVerdict; }
  toJSON(): Feedback { return { ...this.fields(), id: this.id }; }
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
