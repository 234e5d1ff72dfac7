import {
  alignReviews, checkValue, placementOf, parseTable, parseMapping, checkMapping, rowToRecord, rowIssue, ConflictError, ForbiddenError, judgeItems, NotFoundError, parseRecord, reviewerAgreement, ROLES, ValidationError,
  type Account, type AlignOutcome, type Episode, type Evaluation, type Feedback, type Guideline, type Issue, type ItemVerdict, type JudgedRecord, type LogEntry,
  type Memalign, type MemalignEvent, type NewItem, type Page, type QueueItem, type Review, type ReviewerAgreement, type ReviewQueue, type ReviewStore, type Role, type VerdictValue,
} from '../index.ts';
import { hashPassword, may, newSecret, secretHash, type Permission } from './auth.ts';
import { Jobs, type Job } from './jobs.ts';

/** Settings of the review service. */
export interface ServiceOptions {
  /** How long a reviewer holds an item they opened, in ms (default 10 minutes). */
  reservationMs?: number;
  /** Model calls in flight when judging queue items (default 4). */
  concurrency?: number;
  /** Items re-judged after an align (default 200). */
  rejudgeLimit?: number;
}

/** What the focus view shows of an item: the item, the reviews the user may see, the verdict's memory. */
export interface ItemView {
  item: QueueItem;
  queue: ReviewQueue;
  /** The user's own review, if any. */
  mine: Review | null;
  /** Other reviewers' reviews: admins only (reviewers are blind to each other). */
  others: Review[];
  guidelines: Guideline[];
  precedents: { id: string; score: number; episode: Omit<Episode, 'text'> | null }[];
  history: { memoryVersion: number; value: VerdictValue; rationale: string }[];
}

/** The memory diff of one version: what it changed and how verdicts moved. */
export interface VersionDiff {
  version: number;
  entries: LogEntry[];
  guidelinesAdded: (Guideline | { id: string; text: string })[];
  guidelinesRevised: { id: string; text: string }[];
  guidelinesRemoved: { id: string; text: string }[];
  episodesAdded: string[];
  episodesRemoved: string[];
  flips: { queue: string; item: string; before: VerdictValue; after: VerdictValue }[];
  evaluation: Evaluation | null;
  previous: Evaluation | null;
}

const ID_PROBLEM = /[\u0000-\u001f\u007f]/;

/**
 * Everything the review app and the API do, with one set of rules: who may do what (roles),
 * validation of what a browser sends, and one store transaction per change. The HTTP layer only
 * translates requests to these calls.
 */
export class ReviewService {
  readonly reviews: ReviewStore;
  readonly jobs = new Jobs();
  private readonly judgesByName: Map<string, Memalign>;
  private readonly options: Required<ServiceOptions>;
  /** Queues by id: a queue's settings never change, so each request need not read them again. */
  private readonly queueCache = new Map<string, ReviewQueue>();

  constructor(judges: Memalign[], reviews: ReviewStore, options: ServiceOptions = {}) {
    this.judgesByName = new Map(judges.map((j) => [j.definition.name, j]));
    this.reviews = reviews;
    this.options = { reservationMs: options.reservationMs ?? 600_000, concurrency: options.concurrency ?? 4, rejudgeLimit: options.rejudgeLimit ?? 200 };
  }

  need(user: Account, permission: Permission): void {
    if (!may(user, permission)) {
      const what = { read: 'read', review: 'review items', admin: 'do this (admins only: judges, align, memory edits, accounts)' }[permission];
      throw new ForbiddenError(`${user.name} (${user.role}) may not ${what}.`);
    }
  }

  judges(): Memalign[] {
    return [...this.judgesByName.values()];
  }

  judge(name: string): Memalign {
    const ma = this.judgesByName.get(name);
    if (!ma) throw new NotFoundError(`No judge "${name}" in this project. Judges: ${[...this.judgesByName.keys()].join(', ') || 'none'}.`);
    return ma;
  }

  // ---- queues and items ----

  async createQueue(user: Account, judge: string, input: { name: string; description?: string; reviewers?: number; overlap?: number; calibration?: number }): Promise<ReviewQueue> {
    this.need(user, 'admin');
    this.judge(judge);
    return this.reviews.createQueue({ ...input, judge, createdBy: user.name });
  }

  async queue(user: Account, id: string): Promise<ReviewQueue> {
    this.need(user, 'read');
    return this.queueOf(id);
  }

  private async queueOf(id: string): Promise<ReviewQueue> {
    let q = this.queueCache.get(id);
    if (!q) {
      q = await this.reviews.queue(id);
      if (this.queueCache.size > 10_000) this.queueCache.clear();
      this.queueCache.set(id, q);
    }
    return q;
  }

  async deleteQueue(user: Account, id: string): Promise<void> {
    this.need(user, 'admin');
    this.queueCache.delete(id);
    await this.reviews.deleteQueue(id, user.name);
  }

  async queueAgreement(queue: ReviewQueue): Promise<ReviewerAgreement> {
    return reviewerAgreement(this.judge(queue.judge).definition.output, await this.reviews.queueReviews(queue.id));
  }

  /**
   * Adds records (judged on arrival, in the background) or lines of a verdicts file (with the
   * judge's verdict already made) to a queue. Every problem is reported with its position; nothing
   * is added unless everything is valid.
   */
  async addItems(user: Account, queueId: string, body: { records?: unknown; verdicts?: unknown; file?: unknown; map?: unknown }): Promise<{ added: number; unchanged: number; job: string | null }> {
    this.need(user, 'admin');
    const queue = await this.reviews.queue(queueId);
    const ma = this.judge(queue.judge);
    const kind = ma.definition.output;
    const issues: Issue[] = [];
    const items: NewItem[] = [];
    type Line = { record?: unknown; result?: { ok?: boolean; value?: unknown; rationale?: unknown; provenance?: unknown } };
    // One entry: a record or a verdicts-file line, and how to name a problem in it.
    const add = (line: Line, verdictLine: boolean, at: (path: string, message: string) => void) => {
      if (verdictLine && (typeof line !== 'object' || line === null)) return at('', 'must be a line of a verdicts file: {"record": …, "result": …}');
      const prefix = verdictLine ? 'record' : '';
      const record = parseRecord(line.record, (p, m) => at([prefix, p].filter(Boolean).join('.'), m));
      if (!record) return;
      if (ID_PROBLEM.test(record.id)) return at(prefix ? 'record.id' : 'id', 'must not contain control characters');
      let verdict: ItemVerdict | undefined;
      const result = line.result;
      if (verdictLine && result && result.ok !== false) {
        const value = checkValue(kind, result.value);
        if (!value.ok) return at('result.value', value.message);
        if (typeof result.rationale !== 'string') return at('result.rationale', 'must be the judge\'s rationale (text)');
        const provenance = result.provenance as ItemVerdict['provenance'] | undefined;
        if (!provenance || typeof provenance !== 'object' || !Number.isInteger(provenance.memoryVersion)) return at('result.provenance', 'must be the provenance the judge wrote (with memoryVersion)');
        verdict = { value: value.value, rationale: result.rationale, provenance: { ...provenance, guidelineIds: arr(provenance.guidelineIds), episodes: arr(provenance.episodes) } };
      }
      items.push({ record, verdict, memoryVersion: verdict?.provenance.memoryVersion });
    };
    const take = (list: unknown, field: 'records' | 'verdicts') => {
      if (list === undefined) return;
      if (!Array.isArray(list)) { issues.push({ path: field, message: `must be a list of ${field === 'records' ? 'records' : 'verdicts-file lines'}` }); return; }
      if (list.length > 100_000) { issues.push({ path: field, message: 'at most 100 000 items per request: send them in parts' }); return; }
      list.forEach((raw, i) => add(field === 'verdicts' ? raw as Line : { record: raw }, field === 'verdicts', (path, message) => issues.push({ path: `${field}[${i}]${path ? `.${path}` : ''}`, message })));
    };
    const b = (body ?? {}) as { records?: unknown; verdicts?: unknown; file?: unknown; map?: unknown };
    take(b.records, 'records');
    take(b.verdicts, 'verdicts');
    if (b.file !== undefined) {
      // An uploaded file, read with the CLI's rules: JSONL, JSON or CSV by its name, columns mapped with "map".
      const file = b.file as { name?: unknown; text?: unknown };
      if (typeof file !== 'object' || file === null || typeof file.name !== 'string' || typeof file.text !== 'string') {
        issues.push({ path: 'file', message: 'send the file as {"name": "records.csv", "text": "…"}' });
      } else if (b.map !== undefined && typeof b.map !== 'string') {
        issues.push({ path: 'map', message: 'give the column mapping as text, e.g. "inputs=question,outputs=answer"' });
      } else {
        const name = file.name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 200) || 'upload';
        const rows = parseTable(file.text, name);
        const mapping = parseMapping(b.map as string | undefined);
        const verdictFile = rows.every((r) => 'record' in r.data && 'result' in r.data);
        if (!verdictFile) checkMapping(rows, mapping);
        if (rows.length > 100_000) issues.push({ file: name, path: '', message: 'at most 100 000 items per upload: split the file' });
        else for (const row of rows) add(verdictFile ? row.data as Line : { record: rowToRecord(row, mapping) }, verdictFile, (path, message) => issues.push(rowIssue(row, path, message)));
      }
    }
    if (b.records === undefined && b.verdicts === undefined && b.file === undefined) issues.push({ path: '', message: 'send "records" (judged on arrival), "verdicts" (lines of a verdicts file) or "file" (an uploaded file)' });
    if (issues.length) throw new ValidationError('items', issues);
    const { added, unchanged } = await this.reviews.addItems(queueId, items, user.name);
    const withVerdict = new Set(items.filter((i) => i.verdict).map((i) => i.record.id));
    // Verdicts from a file are placed now (priority needs the memory); records are judged in the background.
    const placed = added.filter((id) => withVerdict.has(id));
    if (placed.length) await this.place(queue, placed);
    const toJudge = added.filter((id) => !withVerdict.has(id));
    const job = toJudge.length ? this.judgeInBackground(user, queue, toJudge) : null;
    return { added: added.length, unchanged, job: job?.id ?? null };
  }

  private async place(queue: ReviewQueue, ids: string[]): Promise<void> {
    const ma = this.judge(queue.judge);
    const state = await ma.memory.refresh();
    const items = (await this.reviews.itemsById(queue.id, ids)).filter((i) => i.verdict);
    await this.reviews.place(queue.id, items.map((item) => placementOf(ma, state, item, item.verdict!)));
  }

  private judgeInBackground(user: Account, queue: ReviewQueue, ids: string[]): Job {
    return this.jobs.start('judge', queue.judge, user.name, async (emit) => {
      const items = await this.reviews.itemsById(queue.id, ids);
      emit({ type: 'progress', data: { stage: 'judge', done: 0, total: items.length } });
      return judgeItems(this.judge(queue.judge), this.reviews, queue.id, items, { concurrency: this.options.concurrency, onProgress: (p) => emit({ type: 'progress', data: { stage: 'judge', ...p } }) });
    });
  }

  /**
   * Judges the queue's failed items again, and items left `judging` when no judging runs for this
   * judge in this server (a restart ended the job that held them).
   */
  async retryFailed(user: Account, queueId: string): Promise<{ job: string | null; items: number }> {
    this.need(user, 'admin');
    const queue = await this.reviews.queue(queueId);
    const orphans = this.jobs.running('judge', queue.judge) ? [] : ['judging' as const];
    const failed = await this.reviews.allItems(queueId, ['failed', ...orphans]);
    if (failed.length === 0) return { job: null, items: 0 };
    return { job: this.judgeInBackground(user, queue, failed.map((i) => i.id)).id, items: failed.length };
  }

  async items(user: Account, queueId: string, options: { state?: QueueItem['state']; limit?: number; cursor?: string | null }): Promise<Page<QueueItem>> {
    this.need(user, 'read');
    await this.reviews.queue(queueId);
    return this.reviews.items(queueId, options);
  }

  /** An item as the user may see it: reviewers are blind to others' reviews. */
  async itemView(user: Account, queueId: string, itemId: string): Promise<ItemView> {
    this.need(user, 'read');
    const queue = await this.reviews.queue(queueId);
    const item = await this.reviews.item(queueId, itemId);
    const all = await this.reviews.reviews(queueId, itemId);
    const state = await this.judge(queue.judge).memory.refresh();
    const provenance = item.verdict?.provenance;
    const guidelines = (provenance?.guidelineIds ?? []).map((id) => state.guidelines.get(id) ?? state.tombstones.get(id)).filter((g): g is Guideline => g !== undefined);
    const precedents = (provenance?.episodes ?? []).map((e) => {
      const ep = state.episodes.get(e.id);
      return { id: e.id, score: e.score, episode: ep ? { id: ep.id, record: ep.record, value: ep.value, rationale: ep.rationale, feedbackIds: ep.feedbackIds, hash: ep.hash, createdVersion: ep.createdVersion } : null };
    });
    return {
      item, queue, mine: all.find((r) => r.reviewer === user.name) ?? null, others: may(user, 'admin') ? all.filter((r) => r.reviewer !== user.name) : [],
      guidelines, precedents, history: await this.reviews.verdictHistory(queueId, itemId),
    };
  }

  async next(user: Account, queueId: string): Promise<QueueItem | null> {
    this.need(user, 'review');
    await this.queueOf(queueId);
    return (await this.reviews.next(queueId, user.name, this.options.reservationMs)) ?? null;
  }

  async submit(user: Account, queueId: string, itemId: string, body: unknown, idempotencyKey?: string): Promise<{ review: Review; replayed: boolean }> {
    this.need(user, 'review');
    const queue = await this.queueOf(queueId);
    const kind = this.judge(queue.judge).definition.output;
    const b = (typeof body === 'object' && body !== null ? body : {}) as { value?: unknown; rationale?: unknown; expected?: unknown };
    const issues: Issue[] = [];
    let value: VerdictValue | undefined;
    if (b.value !== undefined && b.value !== null && b.value !== '') {
      const checked = checkValue(kind, b.value);
      if (checked.ok) value = checked.value; else issues.push({ path: 'value', message: checked.message });
    }
    const text = (field: 'rationale' | 'expected', max: number) => {
      const v = b[field];
      if (v === undefined || v === null || v === '') return undefined;
      if (typeof v !== 'string') { issues.push({ path: field, message: 'must be text' }); return undefined; }
      if (v.length > max) { issues.push({ path: field, message: `at most ${max} characters (this has ${v.length})` }); return undefined; }
      return v.trim() || undefined;
    };
    const rationale = text('rationale', 20_000);
    const expected = text('expected', 50_000);
    if (value === undefined && rationale === undefined && issues.length === 0) issues.push({ path: 'value', message: 'give a value, a rationale, or both' });
    if (idempotencyKey !== undefined && (idempotencyKey.length > 200 || ID_PROBLEM.test(idempotencyKey))) issues.push({ path: 'Idempotency-Key', message: 'at most 200 printable characters' });
    if (issues.length) throw new ValidationError('review', issues);
    return this.reviews.submit({ queue: queueId, item: itemId, reviewer: user.name, value, rationale, expected, idempotencyKey, override: may(user, 'admin') });
  }

  async release(user: Account, queueId: string, itemId: string, skip: boolean): Promise<void> {
    this.need(user, 'review');
    await this.reviews.item(queueId, itemId);
    await this.reviews.release(queueId, itemId, user.name, { skip });
  }

  async assign(user: Account, queueId: string, body: { items?: unknown; reviewer?: unknown }): Promise<number> {
    this.need(user, 'admin');
    const ids = body.items;
    if (!Array.isArray(ids) || !ids.every((i) => typeof i === 'string')) throw new ValidationError('assignment', [{ path: 'items', message: 'give the item ids to assign, as a list' }]);
    const reviewer = body.reviewer === null || body.reviewer === undefined || body.reviewer === '' ? null : String(body.reviewer);
    if (reviewer !== null && !(await this.reviews.user(reviewer))) throw new NotFoundError(`No user "${reviewer}" to assign items to.`);
    return this.reviews.assign(queueId, ids, reviewer, user.name);
  }

  // ---- align ----

  /** Starts aligning a judge on its queues' new reviews (one align per judge at a time). */
  startAlign(user: Account, judge: string): Job {
    this.need(user, 'admin');
    const ma = this.judge(judge);
    const running = this.jobs.running('align', judge);
    if (running) throw new ConflictError(`An align of "${judge}" is already running (job ${running.id}, started by ${running.by}): wait for it.`);
    return this.jobs.start('align', judge, user.name, async (emit) => {
      const stop = this.forwardEvents(ma, emit);
      try {
        emit({ type: 'note', data: { message: 'Aligning on new reviews…' } });
        const outcome: AlignOutcome = await alignReviews(ma, this.reviews, {
          by: user.name, rejudgeLimit: this.options.rejudgeLimit, concurrency: this.options.concurrency,
          onProgress: (stage, p) => emit({ type: 'progress', data: { stage, ...p } }),
        });
        return summary(outcome);
      } finally { stop(); }
    });
  }

  private forwardEvents(ma: Memalign, emit: (e: { type: 'progress' | 'note'; data: unknown }) => void): () => void {
    const listener = (e: MemalignEvent) => {
      if (e.judge !== ma.definition.name) return;
      if (e.type === 'task') emit({ type: 'progress', data: { stage: 'distil', done: e.done, total: e.total } });
      if (e.type === 'tasks') emit({ type: 'progress', data: { stage: 'distil', done: 0, total: e.total } });
      if (e.type === 'embed') emit({ type: 'note', data: { message: `Embedding ${e.count} examples` } });
    };
    judgeEvents.add(listener);
    return () => judgeEvents.delete(listener);
  }

  /** Agreement on the judge's queues: between reviewers, and judge↔human over memory versions. */
  async agreement(user: Account, judge: string): Promise<{ reviewers: ReviewerAgreement; evaluations: Evaluation[]; pending: number; heldOut: number }> {
    this.need(user, 'read');
    const ma = this.judge(judge);
    const all: Review[] = [];
    for (const q of await this.reviews.queues(judge)) all.push(...await this.reviews.queueReviews(q.id));
    const { pending, heldOut } = await this.reviews.unalignedCounts(judge);
    return { reviewers: reviewerAgreement(ma.definition.output, all), evaluations: await this.reviews.evaluations(judge), pending, heldOut };
  }

  // ---- memory ----

  async guidelines(user: Account, judge: string, query?: string): Promise<{ version: number; guidelines: Guideline[]; deleted: Guideline[] }> {
    this.need(user, 'read');
    const o = await this.judge(judge).overview();
    const match = (g: Guideline) => !query || g.text.toLowerCase().includes(query.toLowerCase()) || g.id === query;
    return { version: o.version, guidelines: o.guidelines.filter(match), deleted: o.tombstones.filter(match) };
  }

  async addGuideline(user: Account, judge: string, body: { text?: unknown; pinned?: unknown }): Promise<Guideline> {
    this.need(user, 'admin');
    if (typeof body.text !== 'string' || body.text.length > 2000) throw new ValidationError('guideline', [{ path: 'text', message: 'write the guideline (text, at most 2000 characters)' }]);
    const g = await this.judge(judge).addGuideline(body.text, { pinned: body.pinned === true, by: user.name });
    await this.reviews.audit(user.name, 'guideline.add', `${judge}/${g.id}`, g.text);
    return g;
  }

  async updateGuideline(user: Account, judge: string, id: string, body: { text?: unknown; pinned?: unknown }): Promise<Guideline> {
    this.need(user, 'admin');
    const ma = this.judge(judge);
    if (body.text === undefined && body.pinned === undefined) throw new ValidationError('guideline change', [{ path: '', message: 'give "text" (a rewrite) and/or "pinned" (true or false)' }]);
    if (body.text !== undefined && (typeof body.text !== 'string' || body.text.length > 2000)) throw new ValidationError('guideline change', [{ path: 'text', message: 'must be the new text, at most 2000 characters' }]);
    if (body.pinned !== undefined && typeof body.pinned !== 'boolean') throw new ValidationError('guideline change', [{ path: 'pinned', message: 'must be true or false' }]);
    let g: Guideline | undefined;
    if (typeof body.text === 'string') { g = await ma.editGuideline(id, body.text, { by: user.name }); await this.reviews.audit(user.name, 'guideline.edit', `${judge}/${id}`, g.text); }
    if (typeof body.pinned === 'boolean') { g = await ma.pinGuideline(id, body.pinned, { by: user.name }); await this.reviews.audit(user.name, body.pinned ? 'guideline.pin' : 'guideline.unpin', `${judge}/${id}`, g.text); }
    return g!;
  }

  async deleteGuideline(user: Account, judge: string, id: string): Promise<Guideline> {
    this.need(user, 'admin');
    const g = await this.judge(judge).deleteGuideline(id, { by: user.name });
    await this.reviews.audit(user.name, 'guideline.delete', `${judge}/${id}`, g.text);
    return g;
  }

  async restoreGuideline(user: Account, judge: string, id: string): Promise<Guideline> {
    this.need(user, 'admin');
    const g = await this.judge(judge).restoreGuideline(id, { by: user.name });
    await this.reviews.audit(user.name, 'guideline.restore', `${judge}/${id}`, g.text);
    return g;
  }

  async episodes(user: Account, judge: string, options: { q?: string; limit?: number; cursor?: string | null }): Promise<Page<Omit<Episode, 'text'>> & { total: number }> {
    this.need(user, 'read');
    const all = (await this.judge(judge).inspect()).episodes;
    const q = options.q?.toLowerCase();
    const hits = q ? all.filter((e) => e.id.toLowerCase().includes(q) || JSON.stringify(e.record).toLowerCase().includes(q) || (e.rationale ?? '').toLowerCase().includes(q)) : all;
    return { ...paged(hits.sort((a, b) => b.createdVersion - a.createdVersion || a.id.localeCompare(b.id)), options), total: hits.length };
  }

  async feedback(user: Account, judge: string, options: { q?: string; limit?: number; cursor?: string | null }): Promise<Page<Feedback> & { total: number }> {
    this.need(user, 'read');
    const all = (await this.judge(judge).inspect()).feedback;
    const q = options.q?.toLowerCase();
    const hits = q ? all.filter((f) => f.id === options.q || f.record.id.toLowerCase().includes(q) || (f.author ?? '').toLowerCase().includes(q) || (f.rationale ?? '').toLowerCase().includes(q)) : all;
    return { ...paged(hits.sort((a, b) => b.createdAt.localeCompare(a.createdAt)), options), total: hits.length };
  }

  async forget(user: Account, judge: string, body: { ids?: unknown }): Promise<{ version: number; changed: boolean }> {
    this.need(user, 'admin');
    if (!Array.isArray(body.ids) || body.ids.length === 0 || !body.ids.every((i) => typeof i === 'string')) throw new ValidationError('forget', [{ path: 'ids', message: 'give the feedback ids to forget, as a list' }]);
    const report = await this.judge(judge).forget(body.ids as string[], { by: user.name });
    await this.reviews.audit(user.name, 'feedback.forget', judge, `${body.ids.length} feedback: ${(body.ids as string[]).join(', ').slice(0, 500)}`);
    return { version: report.version, changed: report.changed };
  }

  async log(user: Account, judge: string, options: { limit?: number; before?: number }): Promise<{ entries: LogEntry[]; next: string | null }> {
    this.need(user, 'read');
    const limit = Math.min(Math.max(options.limit ?? 100, 1), 1000);
    // One page and one entry more (to know whether there is a next page), read from the store.
    const older = (await this.judge(judge).log({ limit: limit + 1, beforeSeq: options.before })).reverse();
    const entries = older.slice(0, limit);
    return { entries, next: older.length > limit ? String(entries[entries.length - 1].seq) : null };
  }

  /** What one memory version changed, the verdicts that flipped with it, and agreement before and after. */
  async version(user: Account, judge: string, version: number): Promise<VersionDiff> {
    this.need(user, 'read');
    const ma = this.judge(judge);
    // Every entry of that version (a large align writes thousands), however many came after it.
    const entries = await ma.log({ sinceVersion: version - 1, untilVersion: version, limit: Number.MAX_SAFE_INTEGER });
    if (entries.length === 0) throw new NotFoundError(`Judge "${judge}" has no memory version ${version} (it is at version ${ma.version}).`);
    const state = await ma.memory.refresh();
    const text = (id: string, fallback: string) => state.guidelines.get(id)?.text ?? state.tombstones.get(id)?.text ?? fallback;
    const diff: VersionDiff = { version, entries, guidelinesAdded: [], guidelinesRevised: [], guidelinesRemoved: [], episodesAdded: [], episodesRemoved: [], flips: [], evaluation: null, previous: null };
    for (const e of entries) {
      if (e.op === 'guideline.add') diff.guidelinesAdded.push(state.guidelines.get(e.target) ?? { id: e.target, text: e.detail });
      if (e.op === 'guideline.update' && !/^sources |^pinned$|^unpinned$/.test(e.detail)) diff.guidelinesRevised.push({ id: e.target, text: e.detail });
      if (e.op === 'guideline.delete' || e.op === 'guideline.purge') diff.guidelinesRemoved.push({ id: e.target, text: text(e.target, e.detail) });
      if (e.op === 'episode.put') diff.episodesAdded.push(e.target);
      if (e.op === 'episode.delete') diff.episodesRemoved.push(e.target);
    }
    for (const q of await this.reviews.queues(judge)) {
      for (const f of await this.reviews.flips(q.id, version)) diff.flips.push({ queue: q.id, ...f });
    }
    const evaluations = await this.reviews.evaluations(judge);
    diff.evaluation = evaluations.find((e) => e.version === version) ?? null;
    diff.previous = evaluations.filter((e) => e.version < version).at(-1) ?? null;
    return diff;
  }

  async audit(user: Account, options: { limit?: number; cursor?: string | null }) {
    this.need(user, 'admin');
    return this.reviews.auditLog(options);
  }

  // ---- accounts ----

  async users(user: Account): Promise<Account[]> {
    this.need(user, 'admin');
    return this.reviews.users();
  }

  async addUser(user: Account, body: { name?: unknown; role?: unknown; password?: unknown }): Promise<Account> {
    this.need(user, 'admin');
    const role = checkRole(body.role);
    const password = checkPassword(body.password);
    const account = await this.reviews.addUser(String(body.name ?? ''), role, await hashPassword(password));
    await this.reviews.audit(user.name, 'user.add', account.name, role);
    return account;
  }

  async updateUser(user: Account, name: string, body: { role?: unknown; password?: unknown; disabled?: unknown }): Promise<Account> {
    this.need(user, 'admin');
    const changes: { role?: Role; passwordHash?: string; disabled?: boolean } = {};
    if (body.role !== undefined) changes.role = checkRole(body.role);
    if (body.password !== undefined) changes.passwordHash = await hashPassword(checkPassword(body.password));
    if (body.disabled !== undefined) {
      if (typeof body.disabled !== 'boolean') throw new ValidationError('user change', [{ path: 'disabled', message: 'must be true or false' }]);
      changes.disabled = body.disabled;
    }
    if (name === user.name && (changes.disabled || (changes.role && changes.role !== 'admin'))) throw new ConflictError('You cannot disable yourself or take away your own admin role: ask another admin.');
    const account = await this.reviews.updateUser(name, changes);
    await this.reviews.audit(user.name, 'user.update', name, Object.keys(changes).join(', '));
    return account;
  }

  /** A new API token for a user (admins for anyone, others for themselves); shown once. */
  async createToken(user: Account, name: string, label: unknown): Promise<{ token: string }> {
    if (name !== user.name) this.need(user, 'admin');
    if (!(await this.reviews.user(name))) throw new NotFoundError(`No user "${name}".`);
    const token = newSecret('mat_');
    await this.reviews.addToken(secretHash(token), name, typeof label === 'string' ? label.slice(0, 100) : '');
    await this.reviews.audit(user.name, 'token.create', name, typeof label === 'string' ? label.slice(0, 100) : '');
    return { token };
  }
}

/** Listeners of judges' events (align progress); judges opened for the server send theirs to `dispatchJudgeEvent`. */
const judgeEvents = new Set<(e: MemalignEvent) => void>();

/** Give this as `onEvent` when opening judges for the server, so aligns show live progress. */
export function dispatchJudgeEvent(e: MemalignEvent): void {
  for (const l of judgeEvents) l(e);
}

function checkRole(role: unknown): Role {
  if (!ROLES.includes(role as Role)) throw new ValidationError('user', [{ path: 'role', message: `must be one of ${ROLES.join(', ')}` }]);
  return role as Role;
}

function checkPassword(password: unknown): string {
  if (typeof password !== 'string' || password.length < 10 || password.length > 1000) throw new ValidationError('user', [{ path: 'password', message: 'must be 10 to 1000 characters long' }]);
  return password;
}

function arr<T>(x: T[] | undefined): T[] {
  return Array.isArray(x) ? x : [];
}

function paged<T>(list: T[], options: { limit?: number; cursor?: string | null }): Page<T> {
  const limit = Math.min(Math.max(options.limit ?? 50, 1), 500);
  const offset = options.cursor && /^\d{1,15}$/.test(options.cursor) ? Number(options.cursor) : 0;
  return { items: list.slice(offset, offset + limit), next: offset + limit < list.length ? String(offset + limit) : null };
}

/** What the browser gets when an align finishes. */
function summary(o: AlignOutcome) {
  return {
    version: o.report.version, changed: o.report.changed, aligned: o.aligned, heldOut: o.heldOut, rejudged: o.rejudged, flips: o.flips,
    guidelinesAdded: o.report.guidelinesAdded.map((g) => ({ id: g.id, text: g.text, sources: g.sources })), guidelinesRevised: o.report.guidelinesRevised,
    guidelinesRemoved: o.report.guidelinesRemoved.map((g) => ({ id: g.id, text: g.text })), episodesAdded: o.report.episodesAdded.length,
    before: o.before, after: o.after, usage: o.report.usage,
  };
}

