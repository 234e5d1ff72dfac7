import type { Context } from 'hono';
import type { Account } from '../../index.ts';
import type { Operation } from '../openapi.ts';
import type { ReviewService } from '../service.ts';
import type { AppEnv } from '../app.ts';
import { json } from '../app.ts';
import { HttpError } from '../http-errors.ts';

type Handle = (op: Operation, fn: (c: Context<AppEnv>, user: Account) => Promise<unknown>) => void;

const page = [
  { name: 'limit', description: 'items per page (1–500, default 50)', type: 'integer' as const },
  { name: 'cursor', description: 'the "next" value of the previous page' },
];
const str = { type: 'string' };

/** Every API operation: each one documented (OpenAPI), checked for its permission, and passed to the service. */
export function apiRoutes(handle: Handle, s: ReviewService): void {
  const q = (c: Context, name: string) => c.req.query(name) || undefined;
  const int = (c: Context, name: string) => {
    const v = c.req.query(name);
    if (v === undefined || v === '') return undefined;
    if (!/^\d+$/.test(v)) throw new HttpError('invalid_input', `Query parameter "${name}" must be a whole number, not "${v.slice(0, 50)}".`);
    return Number(v);
  };
  const p = (c: Context, name: string) => c.req.param(name)!;

  handle({ method: 'get', path: '/api/judges', tag: 'judges', permission: 'read', summary: 'The project\'s judges, with their memory at a glance and their queues', returns: '{ judges: [...] }' }, async () => ({
    judges: await Promise.all(s.judges().map(async (ma) => {
      const o = await ma.overview();
      return { name: ma.definition.name, output: ma.definition.output, version: o.version, guidelines: o.guidelines.length, episodes: o.episodes, feedback: o.feedback, queues: await s.reviews.queues(ma.definition.name) };
    })),
  }));

  handle({ method: 'get', path: '/api/judges/:judge', tag: 'judges', permission: 'read', summary: 'A judge: its definition and memory overview', returns: '{ definition, overview }' }, async (c) => {
    const ma = s.judge(p(c, 'judge'));
    return { definition: ma.definition, overview: await ma.overview() };
  });

  handle({ method: 'get', path: '/api/judges/:judge/queues', tag: 'queues', permission: 'read', summary: 'A judge\'s review queues', returns: '{ queues }' }, async (c) => {
    s.judge(p(c, 'judge'));
    return { queues: await s.reviews.queues(p(c, 'judge')) };
  });

  handle({ method: 'post', path: '/api/judges/:judge/queues', tag: 'queues', permission: 'admin', summary: 'Create a review queue', returns: 'the queue',
    body: { type: 'object', required: ['name'], properties: { name: str, description: str, reviewers: { type: 'integer', minimum: 1, maximum: 10, description: 'independent reviews wanted on the overlap sample' }, overlap: { type: 'number', minimum: 0, maximum: 1 }, calibration: { type: 'number', minimum: 0, maximum: 0.5 } } } },
  async (c, user) => {
    const b = await json(c);
    return s.createQueue(user, p(c, 'judge'), { name: String(b.name ?? ''), description: typeof b.description === 'string' ? b.description.slice(0, 2000) : undefined, reviewers: num(b.reviewers), overlap: num(b.overlap), calibration: num(b.calibration) });
  });

  handle({ method: 'get', path: '/api/queues/:queue', tag: 'queues', permission: 'read', summary: 'A queue with its progress (per state and per reviewer) and the agreement between its reviewers', returns: '{ queue, progress, agreement }' }, async (c, user) => {
    const queue = await s.queue(user, p(c, 'queue'));
    return { queue, progress: await s.reviews.progress(queue.id), agreement: await s.queueAgreement(queue) };
  });

  handle({ method: 'delete', path: '/api/queues/:queue', tag: 'queues', permission: 'admin', summary: 'Delete a queue with its items and reviews (aligned feedback stays in memory)', returns: 'ok' }, async (c, user) => {
    await s.deleteQueue(user, p(c, 'queue'));
    return { ok: true };
  });

  handle({ method: 'post', path: '/api/queues/:queue/items', tag: 'queues', permission: 'admin', summary: 'Add records (judged on arrival, in the background), lines of a verdicts file, or an uploaded file (JSONL, JSON or CSV, read as the CLI reads it)', returns: '{ added, unchanged, job }: follow the job at /api/jobs/{id}/events',
    body: { type: 'object', properties: { records: { type: 'array', items: { type: 'object', required: ['id', 'inputs', 'outputs'] } }, verdicts: { type: 'array', items: { type: 'object', required: ['record', 'result'] } },
      file: { type: 'object', required: ['name', 'text'], properties: { name: { type: 'string', description: 'its extension picks the format: .csv, .json, else JSONL' }, text: { type: 'string' } } }, map: { type: 'string', description: 'column mapping, e.g. inputs=question,outputs=answer' } } } },
  async (c, user) => s.addItems(user, p(c, 'queue'), await json(c)));

  handle({ method: 'get', path: '/api/queues/:queue/items', tag: 'queues', permission: 'read', summary: 'Items in queue order (most needed first), with the reason for their place', returns: '{ items, next }',
    query: [{ name: 'state', description: 'judging | open | done | failed' }, ...page] }, async (c, user) => {
    const state = q(c, 'state');
    if (state && !['judging', 'open', 'done', 'failed'].includes(state)) throw new HttpError('invalid_input', 'Query parameter "state" must be judging, open, done or failed.');
    return s.items(user, p(c, 'queue'), { state: state as 'open', limit: int(c, 'limit'), cursor: q(c, 'cursor') });
  });

  handle({ method: 'get', path: '/api/queues/:queue/items/:item', tag: 'queues', permission: 'read', summary: 'An item with the verdict\'s guidelines and precedents, your review, and (admins) the others\'', returns: 'the item view' },
    async (c, user) => s.itemView(user, p(c, 'queue'), p(c, 'item')));

  handle({ method: 'post', path: '/api/queues/:queue/next', tag: 'review', permission: 'review', summary: 'Reserve the next item most in need of your review', returns: '{ item } (null when nothing is left)' },
    async (c, user) => ({ item: await s.next(user, p(c, 'queue')) }));

  handle({ method: 'post', path: '/api/queues/:queue/items/:item/reviews', tag: 'review', permission: 'review', summary: 'Submit your review of an item (your later review supersedes it; the earlier one is kept)', returns: '{ review, replayed }',
    headers: [{ name: 'Idempotency-Key', description: 'a key per submission: a retry with the same key returns the first answer' }],
    body: { type: 'object', properties: { value: { description: 'the right verdict (agree: the judge\'s value)' }, rationale: { type: 'string', description: 'why: it drives distillation' }, expected: { type: 'string', description: 'the answer you expected' } } } },
  async (c, user) => s.submit(user, p(c, 'queue'), p(c, 'item'), await json(c), c.req.header('idempotency-key') || undefined));

  handle({ method: 'post', path: '/api/queues/:queue/items/:item/skip', tag: 'review', permission: 'review', summary: 'Skip an item (it is not offered to you again)', returns: 'ok' }, async (c, user) => {
    await s.release(user, p(c, 'queue'), p(c, 'item'), true);
    return { ok: true };
  });

  handle({ method: 'post', path: '/api/queues/:queue/items/:item/release', tag: 'review', permission: 'review', summary: 'Give up your reservation of an item', returns: 'ok' }, async (c, user) => {
    await s.release(user, p(c, 'queue'), p(c, 'item'), false);
    return { ok: true };
  });

  handle({ method: 'post', path: '/api/queues/:queue/assign', tag: 'queues', permission: 'admin', summary: 'Assign items to a reviewer (null: to nobody)', returns: '{ assigned }',
    body: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: str }, reviewer: { type: ['string', 'null'] } } } },
  async (c, user) => ({ assigned: await s.assign(user, p(c, 'queue'), await json(c)) }));

  handle({ method: 'post', path: '/api/queues/:queue/retry', tag: 'queues', permission: 'admin', summary: 'Judge the queue\'s failed items again (and items a restart left unjudged)', returns: '{ job, items }' }, async (c, user) => s.retryFailed(user, p(c, 'queue')));

  handle({ method: 'get', path: '/api/judges/:judge/agreement', tag: 'align', permission: 'read', summary: 'Agreement between reviewers (Fleiss\' κ / Krippendorff\'s α, pairwise Cohen\'s κ) and judge↔human over memory versions', returns: '{ reviewers, evaluations, pending }' },
    async (c, user) => s.agreement(user, p(c, 'judge')));

  handle({ method: 'post', path: '/api/judges/:judge/align', tag: 'align', permission: 'admin', summary: 'Align the judge on its queues\' new reviews, then re-judge and measure (a background job)', returns: '{ job }: follow it at /api/jobs/{id}/events' },
    async (c, user) => ({ job: s.startAlign(user, p(c, 'judge')).id }));

  handle({ method: 'get', path: '/api/jobs/:id', tag: 'jobs', permission: 'read', summary: 'A job\'s state and events so far', returns: '{ id, kind, finished, events }' }, async (c) => {
    const job = s.jobs.get(p(c, 'id'));
    if (!job) throw new HttpError('not_found', `No job "${p(c, 'id')}" (finished jobs are kept for an hour).`);
    return { id: job.id, kind: job.kind, judge: job.judge, by: job.by, startedAt: job.startedAt, finished: job.finished, events: job.events };
  });

  handle({ method: 'get', path: '/api/judges/:judge/guidelines', tag: 'memory', permission: 'read', summary: 'Guidelines and deleted guidelines, optionally searched', returns: '{ version, guidelines, deleted }', query: [{ name: 'q', description: 'text to search for' }] },
    async (c, user) => s.guidelines(user, p(c, 'judge'), q(c, 'q')));

  handle({ method: 'post', path: '/api/judges/:judge/guidelines', tag: 'memory', permission: 'admin', summary: 'Write a guideline (it is the expert\'s: never rewritten by distillation)', returns: 'the guideline',
    body: { type: 'object', required: ['text'], properties: { text: str, pinned: { type: 'boolean' } } } }, async (c, user) => s.addGuideline(user, p(c, 'judge'), await json(c)));

  handle({ method: 'patch', path: '/api/judges/:judge/guidelines/:id', tag: 'memory', permission: 'admin', summary: 'Rewrite and/or pin or unpin a guideline', returns: 'the guideline',
    body: { type: 'object', properties: { text: str, pinned: { type: 'boolean' } } } }, async (c, user) => s.updateGuideline(user, p(c, 'judge'), p(c, 'id'), await json(c)));

  handle({ method: 'delete', path: '/api/judges/:judge/guidelines/:id', tag: 'memory', permission: 'admin', summary: 'Delete a guideline (a tombstone keeps distillation from bringing it back)', returns: 'the guideline' },
    async (c, user) => s.deleteGuideline(user, p(c, 'judge'), p(c, 'id')));

  handle({ method: 'post', path: '/api/judges/:judge/guidelines/:id/restore', tag: 'memory', permission: 'admin', summary: 'Restore a deleted guideline', returns: 'the guideline' },
    async (c, user) => s.restoreGuideline(user, p(c, 'judge'), p(c, 'id')));

  handle({ method: 'get', path: '/api/judges/:judge/episodes', tag: 'memory', permission: 'read', summary: 'Episodes (past examples), newest first, optionally searched', returns: '{ items, next, total }', query: [{ name: 'q', description: 'text to search for' }, ...page] },
    async (c, user) => s.episodes(user, p(c, 'judge'), { q: q(c, 'q'), limit: int(c, 'limit'), cursor: q(c, 'cursor') }));

  handle({ method: 'get', path: '/api/judges/:judge/feedback', tag: 'memory', permission: 'read', summary: 'Feedback in memory, newest first, optionally searched', returns: '{ items, next, total }', query: [{ name: 'q', description: 'text to search for' }, ...page] },
    async (c, user) => s.feedback(user, p(c, 'judge'), { q: q(c, 'q'), limit: int(c, 'limit'), cursor: q(c, 'cursor') }));

  handle({ method: 'post', path: '/api/judges/:judge/forget', tag: 'memory', permission: 'admin', summary: 'Forget feedback: its episodes go, guidelines it supported are revised or removed', returns: '{ version, changed }',
    body: { type: 'object', required: ['ids'], properties: { ids: { type: 'array', items: str } } } }, async (c, user) => s.forget(user, p(c, 'judge'), await json(c)));

  handle({ method: 'get', path: '/api/judges/:judge/log', tag: 'memory', permission: 'read', summary: 'The memory\'s version log, newest first (each entry names its cause and who)', returns: '{ entries, next }',
    query: [{ name: 'limit', description: 'entries per page', type: 'integer' }, { name: 'cursor', description: 'the "next" value of the previous page' }] },
  async (c, user) => s.log(user, p(c, 'judge'), { limit: int(c, 'limit'), before: int(c, 'cursor') }));

  handle({ method: 'get', path: '/api/judges/:judge/versions/:version', tag: 'memory', permission: 'read', summary: 'What a memory version changed (guidelines added, revised, removed; episodes), the verdicts that flipped, and agreement before and after', returns: 'the version diff' },
    async (c, user) => {
      const v = p(c, 'version');
      if (!/^\d+$/.test(v)) throw new HttpError('invalid_input', 'The version must be a whole number.');
      return s.version(user, p(c, 'judge'), Number(v));
    });

  handle({ method: 'get', path: '/api/judges/:judge/export', tag: 'memory', permission: 'read', summary: 'The judge\'s memory as JSON (guidelines, tombstones, feedback, episodes)', returns: 'a memory export' }, async (c) => {
    const data = await s.judge(p(c, 'judge')).export();
    c.header('Content-Disposition', `attachment; filename="${p(c, 'judge').replace(/[^\w.-]/g, '_')}.memory.json"`);
    return data;
  });

  handle({ method: 'get', path: '/api/audit', tag: 'admin', permission: 'admin', summary: 'The audit log: who changed what, newest first', returns: '{ items, next }', query: page },
    async (c, user) => s.audit(user, { limit: int(c, 'limit'), cursor: q(c, 'cursor') }));

  handle({ method: 'get', path: '/api/users', tag: 'admin', permission: 'admin', summary: 'Accounts', returns: '{ users }' }, async (_c, user) => ({ users: await s.users(user) }));

  handle({ method: 'post', path: '/api/users', tag: 'admin', permission: 'admin', summary: 'Create an account', returns: 'the account',
    body: { type: 'object', required: ['name', 'role', 'password'], properties: { name: str, role: { enum: ['admin', 'reviewer', 'viewer'] }, password: { type: 'string', minLength: 10 } } } },
  async (c, user) => s.addUser(user, await json(c)));

  handle({ method: 'patch', path: '/api/users/:name', tag: 'admin', permission: 'admin', summary: 'Change an account\'s role, password, or disable it (ends its sessions)', returns: 'the account',
    body: { type: 'object', properties: { role: { enum: ['admin', 'reviewer', 'viewer'] }, password: str, disabled: { type: 'boolean' } } } },
  async (c, user) => s.updateUser(user, p(c, 'name'), await json(c)));

  handle({ method: 'post', path: '/api/users/:name/tokens', tag: 'admin', permission: 'read', summary: 'Create an API token (your own; admins: anyone\'s); it is shown only once', returns: '{ token }',
    body: { type: 'object', properties: { label: str } } }, async (c, user) => s.createToken(user, p(c, 'name'), (await json(c)).label));
}

function num(v: unknown): number | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  return typeof v === 'number' ? v : Number(v);
}
