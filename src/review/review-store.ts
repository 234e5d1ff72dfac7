import type { JudgedRecord, VerdictValue } from '../core/types.ts';
import type { MemoryStore } from '../store/memory-store.ts';
import { ConflictError, ForbiddenError, NotFoundError, StoreError, ValidationError } from '../core/errors.ts';
import { recordContentKey } from '../core/feedback/identity.ts';
import { contentHash } from '../core/text/hash.ts';
import { isPostgresUrl } from '../store/postgres/connection.ts';
import { lockRows, postgresSql, sqliteSql, type Sql, type SqlRow, type SqlValue } from './sql.ts';
import { migrateReview } from './review-schema.ts';
import type { Account, AuditEntry, Evaluation, ItemReason, ItemVerdict, Page, QueueItem, QueueProgress, Review, ReviewQueue, Role } from './types.ts';

/** A new item for a queue: a record, and optionally the verdict it already has (from a verdicts file). */
export interface NewItem { record: JudgedRecord; verdict?: ItemVerdict; memoryVersion?: number }

/** Where a judged item goes in the queue. */
export interface Placement { id: string; verdict: ItemVerdict | null; memoryVersion: number | null; priority: number; reason: ItemReason; why: string; error?: string }

/** A review to submit: what the reviewer says (the verdict seen defaults to the item's). */
export interface ReviewInput extends Pick<Review, 'queue' | 'item' | 'reviewer' | 'value' | 'rationale' | 'expected' | 'verdictSeen'> {
  /** The client's key for this submission: a retry with the same key returns the first answer. */
  idempotencyKey?: string;
  /** May review items assigned to someone else (admins). */
  override?: boolean;
}

/** A review ready to align: the review and the item's record. */
export interface ReviewToAlign { review: Review; record: JudgedRecord; calibration: boolean }

/** Options of `openReviewStore`. */
export interface ReviewStoreOptions { now?: () => Date }

const PAGE = 50;

// A judge's reviews not aligned yet (v), with their items (i): `unaligned` reads them, `unalignedCounts` counts them.
const UNALIGNED = `FROM {p}review_reviews v JOIN {p}review_items i ON i.queue = v.queue AND i.id = v.item
  JOIN {p}review_queues q ON q.id = v.queue WHERE q.judge = ? AND v.aligned_version IS NULL`;

/**
 * Review queues, reviews, accounts, sessions and the audit log, beside a judge's memory: in the
 * same SQLite file or the same PostgreSQL schema as the memory store. Every change is one
 * transaction; reviews are never overwritten (a reviewer's resubmission supersedes the previous
 * one, which is kept in history, as the library's feedback identity rules do).
 *
 * @example
 * const reviews = await openReviewStore(ma.store);
 * const queue = await reviews.createQueue({ judge: 'sql', name: 'triage', createdBy: 'ann' });
 */
export async function openReviewStore(store: MemoryStore | string, options: ReviewStoreOptions = {}): Promise<ReviewStore> {
  let sql: Sql;
  let prefix = '';
  let location: string;
  if (typeof store === 'object' && 'pool' in store && 'schema' in store) {
    const pg = store as unknown as { pool: import('pg').Pool; schema: string; location: string };
    sql = postgresSql(pg.pool);
    prefix = `"${pg.schema}".`;
    location = pg.location;
  } else {
    location = typeof store === 'string' ? store : store.location;
    if (isPostgresUrl(location)) throw new StoreError('Open the PostgreSQL memory store first (openStore) and pass it: the review tables share its connection pool.');
    sql = sqliteSql(location);
  }
  await migrateReview(sql, prefix, location);
  return new ReviewStore(sql, prefix, location, options.now ?? (() => new Date()), typeof store === 'string');
}

export class ReviewStore {
  readonly location: string;
  private readonly sql: Sql;
  private readonly p: string;
  private readonly now: () => Date;
  private readonly ownsSql: boolean;
  private readonly texts = new Map<string, string>();

  constructor(sql: Sql, prefix: string, location: string, now: () => Date, ownsSql: boolean) {
    this.sql = sql;
    this.p = prefix;
    this.location = location;
    this.now = now;
    this.ownsSql = ownsSql;
  }

  /** A statement with the table prefix filled in. */
  private q(text: string): string {
    let s = this.texts.get(text);
    if (s === undefined) { s = text.replaceAll('{p}', this.p); this.texts.set(text, s); }
    return s;
  }

  private iso(): string { return this.now().toISOString(); }

  // ---- accounts, tokens, sessions ----

  async addUser(name: string, role: Role, passwordHash: string | null): Promise<Account> {
    checkName(name);
    return this.sql.tx(async (tx) => {
      if (await tx.get(this.q('SELECT name FROM {p}review_users WHERE name = ?'), [name])) throw new ConflictError(`There is already a user "${name}": choose another name, or change their role or password.`);
      const at = this.iso();
      await tx.run(this.q('INSERT INTO {p}review_users (name, role, password, created_at, disabled) VALUES (?, ?, ?, ?, 0)'), [name, role, passwordHash, at]);
      return { name, role, createdAt: at, disabled: false };
    });
  }

  async user(name: string): Promise<(Account & { passwordHash: string | null }) | undefined> {
    const r = await this.sql.get(this.q('SELECT * FROM {p}review_users WHERE name = ?'), [name]);
    return r && { ...account(r), passwordHash: (r.password as string | null) ?? null };
  }

  async users(): Promise<Account[]> {
    return (await this.sql.all(this.q('SELECT * FROM {p}review_users ORDER BY name'))).map(account);
  }

  async updateUser(name: string, changes: { role?: Role; passwordHash?: string; disabled?: boolean }): Promise<Account> {
    return this.sql.tx(async (tx) => {
      const r = await tx.get(this.q(`SELECT * FROM {p}review_users WHERE name = ?${lockRows(tx)}`), [name]);
      if (!r) throw new NotFoundError(`No user "${name}". List users with "memalign user list".`);
      const next = { role: changes.role ?? r.role, password: changes.passwordHash ?? r.password, disabled: changes.disabled === undefined ? Number(r.disabled) : changes.disabled ? 1 : 0 };
      await tx.run(this.q('UPDATE {p}review_users SET role = ?, password = ?, disabled = ? WHERE name = ?'), [next.role as string, next.password as string | null, next.disabled, name]);
      // A changed password or a disabled account ends the user's sessions.
      if (changes.passwordHash !== undefined || changes.disabled) await tx.run(this.q('DELETE FROM {p}review_sessions WHERE user_name = ?'), [name]);
      return account({ ...r, ...next });
    });
  }

  async addToken(hash: string, user: string, label: string): Promise<void> {
    await this.sql.run(this.q('INSERT INTO {p}review_tokens (hash, user_name, label, created_at) VALUES (?, ?, ?, ?)'), [hash, user, label, this.iso()]);
  }

  /** The (enabled) account a token hash belongs to. */
  async tokenUser(hash: string): Promise<Account | undefined> {
    const r = await this.sql.get(this.q('SELECT u.* FROM {p}review_tokens t JOIN {p}review_users u ON u.name = t.user_name WHERE t.hash = ? AND u.disabled = 0'), [hash]);
    return r && account(r);
  }

  async createSession(hash: string, user: string, csrf: string, expiresAt: number): Promise<void> {
    await this.sql.tx(async (tx) => {
      await tx.run(this.q('DELETE FROM {p}review_sessions WHERE expires_at < ?'), [this.now().getTime()]);
      await tx.run(this.q('INSERT INTO {p}review_sessions (hash, user_name, csrf, expires_at) VALUES (?, ?, ?, ?)'), [hash, user, csrf, expiresAt]);
    });
  }

  /** The session's (enabled) account and CSRF token, when the session is live. */
  async session(hash: string): Promise<{ account: Account; csrf: string; expiresAt: number } | undefined> {
    const r = await this.sql.get(this.q('SELECT u.*, s.csrf, s.expires_at FROM {p}review_sessions s JOIN {p}review_users u ON u.name = s.user_name WHERE s.hash = ? AND u.disabled = 0 AND s.expires_at > ?'), [hash, this.now().getTime()]);
    return r && { account: account(r), csrf: r.csrf as string, expiresAt: Number(r.expires_at) };
  }

  async deleteSession(hash: string): Promise<void> {
    await this.sql.run(this.q('DELETE FROM {p}review_sessions WHERE hash = ?'), [hash]);
  }

  // ---- queues ----

  async createQueue(input: { judge: string; name: string; description?: string; reviewers?: number; overlap?: number; calibration?: number; createdBy: string }): Promise<ReviewQueue> {
    checkName(input.name, 'queue name');
    const reviewers = input.reviewers ?? 1;
    const overlap = input.overlap ?? (reviewers > 1 ? 0.2 : 0);
    const calibration = input.calibration ?? 0.05;
    const problems: { path: string; message: string }[] = [];
    if (!Number.isInteger(reviewers) || reviewers < 1 || reviewers > 10) problems.push({ path: 'reviewers', message: 'give a whole number of reviewers from 1 to 10' });
    if (!(overlap >= 0 && overlap <= 1)) problems.push({ path: 'overlap', message: 'give the share of items with several reviewers, from 0 to 1 (e.g. 0.2)' });
    if (!(calibration >= 0 && calibration <= 0.5)) problems.push({ path: 'calibration', message: 'give the share of items held out for calibration, from 0 to 0.5 (e.g. 0.05)' });
    if (problems.length) throw new ValidationError('queue', problems);
    const queue: ReviewQueue = { id: `q_${contentHash({ judge: input.judge, name: input.name }, 12)}`, judge: input.judge, name: input.name, description: input.description ?? '', reviewers, overlap, calibration, createdBy: input.createdBy, createdAt: this.iso() };
    return this.sql.tx(async (tx) => {
      if (await tx.get(this.q('SELECT id FROM {p}review_queues WHERE judge = ? AND name = ?'), [queue.judge, queue.name])) throw new ConflictError(`Judge "${queue.judge}" already has a queue "${queue.name}": add items to it, or choose another name.`);
      await tx.run(this.q('INSERT INTO {p}review_queues (id, judge, name, description, reviewers, overlap, calibration, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
        [queue.id, queue.judge, queue.name, queue.description, queue.reviewers, queue.overlap, queue.calibration, queue.createdBy, queue.createdAt]);
      await this.auditIn(tx, input.createdBy, 'queue.create', queue.id, `${queue.judge}/${queue.name}`);
      return queue;
    });
  }

  async queue(id: string): Promise<ReviewQueue> {
    const r = await this.sql.get(this.q('SELECT * FROM {p}review_queues WHERE id = ?'), [id]);
    if (!r) throw new NotFoundError(`No review queue "${id}". List queues with GET /api/queues.`);
    return queueOf(r);
  }

  async queues(judge?: string): Promise<ReviewQueue[]> {
    const rows = judge === undefined ? await this.sql.all(this.q('SELECT * FROM {p}review_queues ORDER BY created_at, id')) : await this.sql.all(this.q('SELECT * FROM {p}review_queues WHERE judge = ? ORDER BY created_at, id'), [judge]);
    return rows.map(queueOf);
  }

  async deleteQueue(id: string, by: string): Promise<void> {
    await this.sql.tx(async (tx) => {
      const n = await tx.run(this.q('DELETE FROM {p}review_queues WHERE id = ?'), [id]);
      if (n === 0) throw new NotFoundError(`No review queue "${id}".`);
      await this.auditIn(tx, by, 'queue.delete', id, '');
    });
  }

  async progress(queue: string): Promise<QueueProgress> {
    const rows = await this.sql.all(this.q('SELECT state, COUNT(*) AS n FROM {p}review_items WHERE queue = ? GROUP BY state'), [queue]);
    const by = await this.sql.all(this.q('SELECT reviewer, COUNT(*) AS n FROM {p}review_reviews WHERE queue = ? GROUP BY reviewer ORDER BY reviewer'), [queue]);
    const p: QueueProgress = { total: 0, judging: 0, open: 0, done: 0, failed: 0, reviews: 0, byReviewer: by.map((r) => ({ reviewer: r.reviewer as string, reviews: Number(r.n) })) };
    for (const r of rows) { p[r.state as 'open'] = Number(r.n); p.total += Number(r.n); }
    p.reviews = p.byReviewer.reduce((a, b) => a + b.reviews, 0);
    return p;
  }

  // ---- items ----

  /**
   * Adds records to a queue, in order. A record already in the queue with the same content is
   * left as it is; the same id with other content is an error naming it (nothing is added).
   * Which items get several reviewers or join the calibration sample is decided here, reproducibly.
   */
  async addItems(queueId: string, items: NewItem[], by: string): Promise<{ added: string[]; unchanged: number }> {
    const queue = await this.queue(queueId);
    const result = await this.sql.tx(async (tx) => {
      const last = await tx.get(this.q('SELECT MAX(seq) AS seq FROM {p}review_items WHERE queue = ?'), [queueId]);
      let seq = Number(last?.seq ?? 0);
      const added: string[] = [];
      let unchanged = 0;
      const seen = new Set<string>();
      for (const [index, item] of items.entries()) {
        const id = item.record.id;
        if (seen.has(id)) throw new ValidationError('items', [{ path: `[${index}].record.id`, message: `record id "${id}" appears twice: give each record its own id` }]);
        seen.add(id);
        const content = recordContentKey(item.record);
        const existing = await tx.get(this.q('SELECT content FROM {p}review_items WHERE queue = ? AND id = ?'), [queueId, id]);
        if (existing) {
          if (existing.content !== content) throw new ValidationError('items', [{ path: `[${index}].record`, message: `record "${id}" is already in queue "${queue.name}" with other content: give the new record another id` }]);
          unchanged += 1;
          continue;
        }
        const draw = sampleOf(queue.id, id);
        const calibration = draw < queue.calibration;
        const needed = queue.reviewers > 1 && draw >= queue.calibration && draw < queue.calibration + queue.overlap ? queue.reviewers : 1;
        const judged = item.verdict !== undefined;
        await tx.run(this.q(`INSERT INTO {p}review_items (queue, id, seq, record, content, verdict, memory_version, state, priority, reason, needed, reviews, assigned_to, calibration, error)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, 0, NULL, ?, NULL)`),
          [queueId, id, ++seq, JSON.stringify(item.record), content, judged ? JSON.stringify(item.verdict) : null, item.memoryVersion ?? null, judged ? 'open' : 'judging',
            JSON.stringify({ reason: judged ? 'routine' : 'pending', why: judged ? 'No signal that it needs an expert more than others.' : 'Being judged.' }), needed, calibration ? 1 : 0]);
        added.push(id);
      }
      if (added.length) await this.auditIn(tx, by, 'items.add', queueId, `${added.length} item(s)`);
      return { added, unchanged };
    });
    // PostgreSQL plans next() from table statistics: after a bulk load, refresh them now rather
    // than whenever autovacuum gets to it (stale counts chose slow plans meanwhile).
    if (this.sql.dialect === 'postgres' && result.added.length >= 500) await this.sql.run(this.q('ANALYZE {p}review_items'));
    return result;
  }

  /** Records verdicts (or failures) of items and where they go in the queue; keeps each verdict in the item's history by memory version. */
  async place(queueId: string, placements: Placement[]): Promise<void> {
    await this.sql.tx(async (tx) => {
      for (const p of placements) {
        const verdict = p.verdict ? JSON.stringify(p.verdict) : null;
        const reason = JSON.stringify({ reason: p.reason, why: p.why });
        if (p.error) {
          await tx.run(this.q("UPDATE {p}review_items SET priority = ?, reason = ?, error = ?, state = 'failed' WHERE queue = ? AND id = ?"), [p.priority, reason, p.error, queueId, p.id]);
          continue;
        }
        await tx.run(this.q(`UPDATE {p}review_items SET verdict = ?, memory_version = ?, priority = ?, reason = ?, error = NULL,
            state = CASE WHEN state IN ('judging', 'failed') THEN 'open' ELSE state END WHERE queue = ? AND id = ?`), [verdict, p.memoryVersion, p.priority, reason, queueId, p.id]);
        if (p.verdict && p.memoryVersion !== null) {
          await tx.run(this.q(`INSERT INTO {p}review_verdicts (queue, item, memory_version, value, rationale) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (queue, item, memory_version) DO UPDATE SET value = excluded.value, rationale = excluded.rationale`), [queueId, p.id, p.memoryVersion, JSON.stringify(p.verdict.value), p.verdict.rationale]);
        }
      }
    });
  }

  async item(queueId: string, id: string): Promise<QueueItem> {
    const r = await this.sql.get(this.q('SELECT * FROM {p}review_items WHERE queue = ? AND id = ?'), [queueId, id]);
    if (!r) throw new NotFoundError(`No item "${id}" in review queue "${queueId}".`);
    return itemOf(r);
  }

  /** Items of a queue in queue order (most needed first), a page at a time. */
  async items(queueId: string, options: { state?: QueueItem['state']; limit?: number; cursor?: string | null } = {}): Promise<Page<QueueItem>> {
    const limit = Math.min(Math.max(1, options.limit ?? PAGE), 500);
    const offset = cursorNumber(options.cursor, 0);
    const params: SqlValue[] = [queueId];
    let where = 'queue = ?';
    if (options.state) { where += ' AND state = ?'; params.push(options.state); }
    const rows = await this.sql.all(this.q(`SELECT * FROM {p}review_items WHERE ${where} ORDER BY priority DESC, seq LIMIT ? OFFSET ?`), [...params, limit + 1, offset]);
    return { items: rows.slice(0, limit).map(itemOf), next: rows.length > limit ? String(offset + limit) : null };
  }

  /** The items of a queue with these ids (unknown ids are left out), in queue order. */
  async itemsById(queueId: string, ids: string[]): Promise<QueueItem[]> {
    const found: QueueItem[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500);
      found.push(...(await this.sql.all(this.q(`SELECT * FROM {p}review_items WHERE queue = ? AND id IN (${part.map(() => '?').join(', ')})`), [queueId, ...part])).map(itemOf));
    }
    return found.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
  }

  /** Every item of a queue in a given state (for re-judging), in queue order. */
  async allItems(queueId: string, states: QueueItem['state'][]): Promise<QueueItem[]> {
    const rows = await this.sql.all(this.q(`SELECT * FROM {p}review_items WHERE queue = ? AND state IN (${states.map(() => '?').join(', ')}) ORDER BY priority DESC, seq`), [queueId, ...states]);
    return rows.map(itemOf);
  }

  async assign(queueId: string, ids: string[], reviewer: string | null, by: string): Promise<number> {
    return this.sql.tx(async (tx) => {
      let n = 0;
      for (const id of ids) n += await tx.run(this.q('UPDATE {p}review_items SET assigned_to = ? WHERE queue = ? AND id = ?'), [reviewer, queueId, id]);
      await this.auditIn(tx, by, 'items.assign', queueId, `${n} item(s) to ${reviewer ?? 'nobody'}`);
      return n;
    });
  }

  /**
   * The next item a reviewer should look at, reserved for them until `ttlMs` from now: the most
   * needed open item they have not reviewed or skipped, assigned to them or to nobody, that still
   * lacks reviews once others' live reservations are counted. A reviewer holds one item per queue:
   * taking the next one gives up the last. Undefined when nothing is left.
   *
   * PostgreSQL: the candidate row is locked (skipping rows another reviewer is picking), and the
   * reservation is written only if the item still qualifies in a fresh statement, which sees the
   * reservation of whoever held the lock before; an item that no longer qualifies is passed over.
   */
  async next(queueId: string, reviewer: string, ttlMs: number): Promise<QueueItem | undefined> {
    const now = this.now().getTime();
    const open = `i.queue = ? AND i.state = 'open' AND (i.assigned_to IS NULL OR i.assigned_to = ?)
          AND NOT EXISTS (SELECT 1 FROM {p}review_reviews v WHERE v.queue = i.queue AND v.item = i.id AND v.reviewer = ?)
          AND NOT EXISTS (SELECT 1 FROM {p}review_skips k WHERE k.queue = i.queue AND k.item = i.id AND k.reviewer = ?)
          AND i.reviews + (SELECT COUNT(*) FROM {p}review_reservations z WHERE z.queue = i.queue AND z.item = i.id AND z.until > ? AND z.reviewer <> ?) < i.needed`;
    const params: SqlValue[] = [queueId, reviewer, reviewer, reviewer, now, reviewer];
    const reserve = `INSERT INTO {p}review_reservations (queue, item, reviewer, until) SELECT i.queue, i.id, ?, ? FROM {p}review_items i WHERE ${open} AND i.id = ?
      ON CONFLICT (queue, item, reviewer) DO UPDATE SET until = excluded.until RETURNING item`;
    return this.sql.tx(async (tx) => {
      const passed: string[] = [];
      for (let attempt = 0; attempt < 20; attempt++) {
        const skip = passed.length ? ` AND i.id NOT IN (${passed.map(() => '?').join(', ')})` : '';
        const lock = tx.dialect === 'postgres' ? ' FOR UPDATE OF i SKIP LOCKED' : '';
        const row = await tx.get(this.q(`SELECT i.* FROM {p}review_items i WHERE ${open}${skip} ORDER BY i.priority DESC, i.seq LIMIT 1${lock}`), [...params, ...passed]);
        if (!row) return undefined;
        const id = row.id as string;
        const got = tx.dialect === 'postgres'
          ? await tx.get(this.q(`WITH gone AS (DELETE FROM {p}review_reservations WHERE queue = ? AND reviewer = ? AND item <> ?) ${reserve}`), [queueId, reviewer, id, reviewer, now + ttlMs, ...params, id])
          : await tx.get(this.q(reserve), [reviewer, now + ttlMs, ...params, id]);
        if (got) {
          if (tx.dialect === 'sqlite') await tx.run(this.q('DELETE FROM {p}review_reservations WHERE queue = ? AND reviewer = ? AND item <> ?'), [queueId, reviewer, id]);
          return itemOf(row);
        }
        passed.push(id);
      }
      return undefined;
    });
  }

  /** Gives up a reservation without reviewing; with `skip`, the item is not offered to this reviewer again. */
  async release(queueId: string, item: string, reviewer: string, options: { skip?: boolean } = {}): Promise<void> {
    await this.sql.tx(async (tx) => {
      await tx.run(this.q('DELETE FROM {p}review_reservations WHERE queue = ? AND item = ? AND reviewer = ?'), [queueId, item, reviewer]);
      if (options.skip) await tx.run(this.q('INSERT INTO {p}review_skips (queue, item, reviewer) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'), [queueId, item, reviewer]);
    });
  }

  // ---- reviews ----

  /**
   * Stores a review in one transaction: the reviewer's earlier review of the item (if any) moves
   * to history, the item counts the review, the reservation ends, and the audit log notes it. A
   * retry with the same idempotency key returns the first result without storing anything.
   */
  async submit(input: ReviewInput): Promise<{ review: Review; replayed: boolean }> {
    const request = contentHash({ queue: input.queue, item: input.item, value: input.value ?? null, rationale: input.rationale ?? null, expected: input.expected ?? null });
    return this.sql.tx(async (tx) => {
      // One read: the item (locked), the reviewer's current review of it, and the idempotency key's earlier use.
      const row = await tx.get(this.q(`SELECT i.*, v.revision AS v_revision, v.value AS v_value, v.rationale AS v_rationale, v.expected AS v_expected, v.verdict_seen AS v_verdict_seen,
          v.created_at AS v_created_at, v.aligned_version AS v_aligned_version, d.request AS d_request, d.response AS d_response
        FROM {p}review_items i LEFT JOIN {p}review_reviews v ON v.queue = i.queue AND v.item = i.id AND v.reviewer = ?
        LEFT JOIN {p}review_idempotency d ON d.user_name = ? AND d.key = ?
        WHERE i.queue = ? AND i.id = ?${tx.dialect === 'postgres' ? ' FOR UPDATE OF i' : ''}`), [input.reviewer, input.reviewer, input.idempotencyKey ?? null, input.queue, input.item]);
      if (row?.d_request !== null && row?.d_request !== undefined) {
        if (row.d_request !== request) throw new ConflictError(`Idempotency key "${input.idempotencyKey}" was used for another request: use a new key for each new submission.`, 'idempotency_conflict');
        return { review: JSON.parse(row.d_response as string) as Review, replayed: true };
      }
      if (!row) {
        if (input.idempotencyKey) {
          const seen = await tx.get(this.q('SELECT request FROM {p}review_idempotency WHERE user_name = ? AND key = ?'), [input.reviewer, input.idempotencyKey]);
          if (seen) throw new ConflictError(`Idempotency key "${input.idempotencyKey}" was used for another request: use a new key for each new submission.`, 'idempotency_conflict');
        }
        throw new NotFoundError(`No item "${input.item}" in review queue "${input.queue}".`);
      }
      const item = row;
      if (item.state === 'judging') throw new ConflictError(`Item "${input.item}" is still being judged: review it once its verdict is in.`, 'not_ready');
      if (item.assigned_to && item.assigned_to !== input.reviewer && !input.override) throw new ForbiddenError(`Item "${input.item}" is assigned to ${item.assigned_to}: only they (or an admin) may review it.`);
      const previous = row.v_revision === null || row.v_revision === undefined ? undefined : reviewOf({ queue: input.queue, item: input.item, reviewer: input.reviewer, value: row.v_value, rationale: row.v_rationale, expected: row.v_expected, verdict_seen: row.v_verdict_seen, created_at: row.v_created_at, revision: row.v_revision, aligned_version: row.v_aligned_version });
      // The verdict the reviewer answered: the item's verdict now, unless the caller says which one they saw.
      const shown = item.verdict ? JSON.parse(item.verdict as string) as ItemVerdict : undefined;
      const verdictSeen = input.verdictSeen ?? (shown ? { value: shown.value, rationale: shown.rationale } : undefined);
      const review: Review = {
        queue: input.queue, item: input.item, reviewer: input.reviewer, createdAt: this.iso(), revision: previous ? previous.revision + 1 : 1, alignedVersion: null,
        ...(input.value !== undefined ? { value: input.value } : {}), ...(input.rationale ? { rationale: input.rationale } : {}),
        ...(input.expected ? { expected: input.expected } : {}), ...(verdictSeen ? { verdictSeen } : {}),
      };
      const writes: [string, SqlValue[]][] = [];
      if (previous) {
        writes.push([this.q('INSERT INTO {p}review_history (queue, item, reviewer, revision, data, superseded_at) VALUES (?, ?, ?, ?, ?, ?)'), [input.queue, input.item, input.reviewer, previous.revision, JSON.stringify(previous), review.createdAt]]);
        writes.push([this.q('UPDATE {p}review_reviews SET value = ?, rationale = ?, expected = ?, verdict_seen = ?, created_at = ?, revision = ?, aligned_version = NULL WHERE queue = ? AND item = ? AND reviewer = ?'),
          [...reviewColumns(review), review.createdAt, review.revision, input.queue, input.item, input.reviewer]]);
      } else {
        writes.push([this.q('INSERT INTO {p}review_reviews (queue, item, reviewer, value, rationale, expected, verdict_seen, created_at, revision, aligned_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)'),
          [input.queue, input.item, input.reviewer, ...reviewColumns(review), review.createdAt, review.revision]]);
        writes.push([this.q(`UPDATE {p}review_items SET reviews = reviews + 1, state = CASE WHEN reviews + 1 >= needed THEN 'done' ELSE state END WHERE queue = ? AND id = ?`), [input.queue, input.item]]);
      }
      writes.push([this.q('DELETE FROM {p}review_reservations WHERE queue = ? AND item = ? AND reviewer = ?'), [input.queue, input.item, input.reviewer]]);
      if (input.idempotencyKey) {
        writes.push([this.q('INSERT INTO {p}review_idempotency (user_name, key, request, response, created_at) VALUES (?, ?, ?, ?, ?)'), [input.reviewer, input.idempotencyKey, request, JSON.stringify(review), review.createdAt]]);
      }
      writes.push(this.auditStatement(input.reviewer, previous ? 'review.revise' : 'review.submit', `${input.queue}/${input.item}`, review.value !== undefined ? `value=${JSON.stringify(review.value)}` : 'rationale only'));
      await tx.batch(writes);
      return { review, replayed: false };
    });
  }

  /** The current reviews of an item (each reviewer's latest). */
  async reviews(queueId: string, item: string): Promise<Review[]> {
    return (await this.sql.all(this.q('SELECT * FROM {p}review_reviews WHERE queue = ? AND item = ? ORDER BY created_at, reviewer'), [queueId, item])).map(reviewOf);
  }

  /** Every current review of a queue, grouped per item (for agreement between reviewers and with the judge). */
  async queueReviews(queueId: string): Promise<Review[]> {
    return (await this.sql.all(this.q('SELECT * FROM {p}review_reviews WHERE queue = ? ORDER BY item, reviewer'), [queueId])).map(reviewOf);
  }

  /** What a reviewer said before resubmitting, oldest first. */
  async reviewHistory(queueId: string, item: string, reviewer: string): Promise<Review[]> {
    return (await this.sql.all(this.q('SELECT data FROM {p}review_history WHERE queue = ? AND item = ? AND reviewer = ? ORDER BY revision'), [queueId, item, reviewer])).map((r) => JSON.parse(r.data as string) as Review);
  }

  /** Reviews of a judge's queues not yet aligned (or changed since), with their records. */
  async unaligned(judge: string): Promise<ReviewToAlign[]> {
    const rows = await this.sql.all(this.q(`SELECT v.*, i.record AS item_record, i.calibration AS item_calibration ${UNALIGNED} ORDER BY v.created_at, v.queue, v.item, v.reviewer`), [judge]);
    return rows.map((r) => ({ review: reviewOf(r), record: JSON.parse(r.item_record as string) as JudgedRecord, calibration: Number(r.item_calibration) === 1 }));
  }

  /** How many reviews of a judge's queues are not aligned yet: to learn from, and held out for calibration. Counted, not read. */
  async unalignedCounts(judge: string): Promise<{ pending: number; heldOut: number }> {
    const rows = await this.sql.all(this.q(`SELECT i.calibration AS calibration, COUNT(*) AS n ${UNALIGNED} GROUP BY i.calibration`), [judge]);
    let pending = 0; let heldOut = 0;
    for (const r of rows) { if (Number(r.calibration) === 1) heldOut += Number(r.n); else pending += Number(r.n); }
    return { pending, heldOut };
  }

  /** Marks reviews as aligned into `version` — only the revisions that were aligned (a review resubmitted meanwhile stays pending). */
  async markAligned(reviews: Review[], version: number, by: string): Promise<void> {
    await this.sql.tx(async (tx) => {
      for (const r of reviews) {
        await tx.run(this.q('UPDATE {p}review_reviews SET aligned_version = ? WHERE queue = ? AND item = ? AND reviewer = ? AND revision = ?'), [version, r.queue, r.item, r.reviewer, r.revision]);
      }
      await this.auditIn(tx, by, 'align', reviews[0]?.queue ?? '', `${reviews.length} review(s) into memory version ${version}`);
    });
  }

  /** The items whose verdict at memory `version` differs from their verdict at the version before it (one query). */
  async flips(queueId: string, version: number): Promise<{ item: string; before: VerdictValue; after: VerdictValue }[]> {
    const rows = await this.sql.all(this.q(`SELECT n.item, n.value AS after, (SELECT p.value FROM {p}review_verdicts p WHERE p.queue = n.queue AND p.item = n.item AND p.memory_version < n.memory_version
        ORDER BY p.memory_version DESC LIMIT 1) AS before FROM {p}review_verdicts n WHERE n.queue = ? AND n.memory_version = ? ORDER BY n.item`), [queueId, version]);
    return rows.filter((r) => r.before !== null && r.before !== undefined && r.before !== r.after)
      .map((r) => ({ item: r.item as string, before: JSON.parse(r.before as string) as VerdictValue, after: JSON.parse(r.after as string) as VerdictValue }));
  }

  /** The verdicts an item had, by memory version (oldest first), for flips between versions. */
  async verdictHistory(queueId: string, item: string): Promise<{ memoryVersion: number; value: VerdictValue; rationale: string }[]> {
    return (await this.sql.all(this.q('SELECT * FROM {p}review_verdicts WHERE queue = ? AND item = ? ORDER BY memory_version'), [queueId, item]))
      .map((r) => ({ memoryVersion: Number(r.memory_version), value: JSON.parse(r.value as string) as VerdictValue, rationale: r.rationale as string }));
  }

  // ---- evaluations and audit ----

  async addEvaluation(e: Evaluation): Promise<void> {
    await this.sql.run(this.q('INSERT INTO {p}review_evaluations (judge, version, at, data) VALUES (?, ?, ?, ?) ON CONFLICT (judge, version) DO UPDATE SET at = excluded.at, data = excluded.data'), [e.judge, e.version, e.at, JSON.stringify(e)]);
  }

  async evaluations(judge: string): Promise<Evaluation[]> {
    return (await this.sql.all(this.q('SELECT data FROM {p}review_evaluations WHERE judge = ? ORDER BY version'), [judge])).map((r) => JSON.parse(r.data as string) as Evaluation);
  }

  async audit(user: string, action: string, target: string, detail: string): Promise<void> {
    await this.sql.tx((tx) => this.auditIn(tx, user, action, target, detail));
  }

  /** The audit log, newest first, a page at a time. */
  async auditLog(options: { limit?: number; cursor?: string | null } = {}): Promise<Page<AuditEntry>> {
    const limit = Math.min(Math.max(1, options.limit ?? PAGE), 500);
    const before = cursorNumber(options.cursor, Number.MAX_SAFE_INTEGER);
    const rows = await this.sql.all(this.q('SELECT * FROM {p}review_audit WHERE seq < ? ORDER BY seq DESC LIMIT ?'), [before, limit + 1]);
    const items = rows.slice(0, limit).map((r) => ({ seq: Number(r.seq), at: r.at as string, user: r.user_name as string, action: r.action as string, target: r.target as string, detail: r.detail as string }));
    return { items, next: rows.length > limit ? String(items[items.length - 1].seq) : null };
  }

  private async auditIn(tx: Sql, user: string, action: string, target: string, detail: string): Promise<void> {
    const [sql, params] = this.auditStatement(user, action, target, detail);
    await tx.run(sql, params);
  }

  private auditStatement(user: string, action: string, target: string, detail: string): [string, SqlValue[]] {
    return [this.q('INSERT INTO {p}review_audit (at, user_name, action, target, detail) VALUES (?, ?, ?, ?, ?)'), [this.iso(), user, action, target, detail.slice(0, 2000)]];
  }

  async close(): Promise<void> {
    if (this.ownsSql || this.sql.dialect === 'sqlite') await this.sql.close();
  }
}

/** A page cursor as the number it stands for; anything else (a client's typo, a negative) is the first page. */
function cursorNumber(cursor: string | null | undefined, first: number): number {
  if (!cursor || !/^\d{1,15}$/.test(cursor)) return first;
  return Number(cursor);
}

/** A reproducible draw in [0, 1) per queue and item. */
function sampleOf(queue: string, item: string): number {
  return parseInt(contentHash({ queue, item }, 8), 16) / 0x100000000;
}

function checkName(name: string, what = 'user name'): void {
  if (typeof name !== 'string' || !/^[\p{L}\p{N}][\p{L}\p{N}._@-]{0,63}$/u.test(name)) {
    throw new ValidationError(what, [{ path: what, message: `"${String(name).slice(0, 80)}" is not a usable ${what}: use 1–64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit` }]);
  }
}

function account(r: SqlRow): Account {
  return { name: r.name as string, role: r.role as Role, createdAt: r.created_at as string, disabled: Number(r.disabled) === 1 };
}

function queueOf(r: SqlRow): ReviewQueue {
  return { id: r.id as string, judge: r.judge as string, name: r.name as string, description: r.description as string, reviewers: Number(r.reviewers), overlap: Number(r.overlap), calibration: Number(r.calibration), createdBy: r.created_by as string, createdAt: r.created_at as string };
}

function itemOf(r: SqlRow): QueueItem {
  const place = JSON.parse(r.reason as string) as { reason: ItemReason; why: string };
  return {
    queue: r.queue as string, id: r.id as string, seq: Number(r.seq), record: JSON.parse(r.record as string) as JudgedRecord,
    verdict: r.verdict ? JSON.parse(r.verdict as string) as ItemVerdict : null, memoryVersion: r.memory_version === null || r.memory_version === undefined ? null : Number(r.memory_version),
    state: r.state as QueueItem['state'], priority: Number(r.priority), reason: place.reason, why: place.why, needed: Number(r.needed), reviews: Number(r.reviews),
    assignedTo: (r.assigned_to as string | null) ?? null, calibration: Number(r.calibration) === 1, error: (r.error as string | null) ?? null,
  };
}

/** Free text is stored as JSON so any character (even U+0000) survives both databases. */
function reviewColumns(r: Review): SqlValue[] {
  return [r.value === undefined ? null : JSON.stringify(r.value), r.rationale === undefined ? null : JSON.stringify(r.rationale), r.expected === undefined ? null : JSON.stringify(r.expected), r.verdictSeen ? JSON.stringify(r.verdictSeen) : null];
}

function reviewOf(r: SqlRow): Review {
  const parse = (v: unknown) => (v === null || v === undefined ? undefined : JSON.parse(v as string));
  const review: Review = { queue: r.queue as string, item: r.item as string, reviewer: r.reviewer as string, createdAt: r.created_at as string, revision: Number(r.revision), alignedVersion: r.aligned_version === null || r.aligned_version === undefined ? null : Number(r.aligned_version) };
  const value = parse(r.value); if (value !== undefined) review.value = value;
  const rationale = parse(r.rationale); if (rationale !== undefined) review.rationale = rationale;
  const expected = parse(r.expected); if (expected !== undefined) review.expected = expected;
  const seen = parse(r.verdict_seen); if (seen !== undefined) review.verdictSeen = seen;
  return review;
}
