import { MemalignError } from '../core/errors.ts';
import type { Feedback, Guideline, Json, JudgeDefinition, JudgedRecord, LogEntryLike, OutputKind, VerdictValue } from './types.ts';
import type { Evaluation, Page, QueueItem, QueueProgress, Review, ReviewQueue, Account, Role } from '../review/types.ts';
import type { ReviewerAgreement } from '../review/agreement.ts';
import type { MemoryOverview } from '../store/memory-store.ts';
import type { MemoryExport } from '../engine/memory-export.ts';

/** Options of `createClient`. */
export interface ClientOptions {
  /** The server, e.g. `http://127.0.0.1:8787`. */
  baseUrl: string;
  /** An API token (`memalign user token <name>`); not needed with `--no-auth`. */
  token?: string;
  /** Default: the global fetch. */
  fetch?: typeof fetch;
}

/** An error the server answered with: its stable `code`, HTTP status and validation issues. */
export class ApiError extends MemalignError {
  readonly status: number;
  readonly issues: unknown[];
  constructor(status: number, code: string, message: string, issues: unknown[] = []) {
    super(code, message, { retryable: status >= 500 || status === 429 });
    this.name = 'ApiError';
    this.status = status;
    this.issues = issues;
  }
}

/** One event of a background job (align, judging new items). */
export interface JobEvent { type: 'progress' | 'note' | 'done' | 'failed'; data: Json }

/**
 * A small typed client of the review server's API, for scripts: everything the app does.
 *
 * @example
 * const api = createClient({ baseUrl: 'http://127.0.0.1:8787', token: process.env.MEMALIGN_TOKEN });
 * const queue = await api.createQueue('sql-review', { name: 'nightly' });
 * await api.addItems(queue.id, { records });
 */
export function createClient(options: ClientOptions) {
  const base = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;
  const enc = encodeURIComponent;
  async function call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
    const res = await doFetch(`${base}${path}`, {
      method,
      headers: { Accept: 'application/json', ...(options.token ? { Authorization: `Bearer ${options.token}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let data: unknown = null;
    try { data = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    if (!res.ok) {
      const e = (data as { error?: { code?: string; message?: string; issues?: unknown[] } } | null)?.error;
      throw new ApiError(res.status, e?.code ?? 'http_error', e?.message ?? `HTTP ${res.status} from ${method} ${path}`, e?.issues);
    }
    return data as T;
  }
  const query = (q: Record<string, string | number | undefined | null>) => {
    const s = new URLSearchParams(Object.entries(q).filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => [k, String(v)])).toString();
    return s ? `?${s}` : '';
  };
  return {
    me: () => call<{ user: { name: string; role: Role }; csrf: string | null; auth: boolean }>('GET', '/api/me'),
    judges: () => call<{ judges: { name: string; output: OutputKind; version: number; guidelines: number; episodes: number; feedback: number; queues: ReviewQueue[] }[] }>('GET', '/api/judges'),
    judge: (judge: string) => call<{ definition: JudgeDefinition; overview: MemoryOverview }>('GET', `/api/judges/${enc(judge)}`),
    queues: (judge: string) => call<{ queues: ReviewQueue[] }>('GET', `/api/judges/${enc(judge)}/queues`),
    createQueue: (judge: string, body: { name: string; description?: string; reviewers?: number; overlap?: number; calibration?: number }) => call<ReviewQueue>('POST', `/api/judges/${enc(judge)}/queues`, body),
    queue: (id: string) => call<{ queue: ReviewQueue; progress: QueueProgress; agreement: ReviewerAgreement }>('GET', `/api/queues/${enc(id)}`),
    deleteQueue: (id: string) => call<{ ok: true }>('DELETE', `/api/queues/${enc(id)}`),
    /** Records are judged on arrival (follow `job`); verdicts-file lines keep their verdict. */
    addItems: (id: string, body: { records?: JudgedRecord[]; verdicts?: { record: JudgedRecord; result: unknown }[] }) => call<{ added: number; unchanged: number; job: string | null }>('POST', `/api/queues/${enc(id)}/items`, body),
    items: (id: string, q: { state?: QueueItem['state']; limit?: number; cursor?: string | null } = {}) => call<Page<QueueItem>>('GET', `/api/queues/${enc(id)}/items${query(q)}`),
    item: (id: string, item: string) => call<{ item: QueueItem; mine: Review | null; others: Review[]; guidelines: Guideline[] }>('GET', `/api/queues/${enc(id)}/items/${enc(item)}`),
    next: (id: string) => call<{ item: QueueItem | null }>('POST', `/api/queues/${enc(id)}/next`),
    /** With an idempotency key, a retry of the same submission is stored once. */
    review: (id: string, item: string, body: { value?: VerdictValue; rationale?: string; expected?: string }, idempotencyKey?: string) =>
      call<{ review: Review; replayed: boolean }>('POST', `/api/queues/${enc(id)}/items/${enc(item)}/reviews`, body, idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {}),
    skip: (id: string, item: string) => call<{ ok: true }>('POST', `/api/queues/${enc(id)}/items/${enc(item)}/skip`),
    release: (id: string, item: string) => call<{ ok: true }>('POST', `/api/queues/${enc(id)}/items/${enc(item)}/release`),
    assign: (id: string, items: string[], reviewer: string | null) => call<{ assigned: number }>('POST', `/api/queues/${enc(id)}/assign`, { items, reviewer }),
    agreement: (judge: string) => call<{ reviewers: ReviewerAgreement; evaluations: Evaluation[]; pending: number; heldOut: number }>('GET', `/api/judges/${enc(judge)}/agreement`),
    align: (judge: string) => call<{ job: string }>('POST', `/api/judges/${enc(judge)}/align`),
    job: (id: string) => call<{ id: string; kind: string; finished: boolean; events: JobEvent[] }>('GET', `/api/jobs/${enc(id)}`),
    /** Waits for a job to finish (polling), and returns its result; a failed job throws its error. */
    async waitForJob(id: string, options: { intervalMs?: number; timeoutMs?: number } = {}): Promise<Json> {
      const deadline = Date.now() + (options.timeoutMs ?? 600_000);
      for (;;) {
        const job = await call<{ finished: boolean; events: JobEvent[] }>('GET', `/api/jobs/${enc(id)}`);
        const last = job.events.at(-1);
        if (job.finished && last) {
          if (last.type === 'failed') { const d = last.data as { code: string; message: string }; throw new ApiError(200, d.code, d.message); }
          return last.data;
        }
        if (Date.now() > deadline) throw new ApiError(0, 'timeout', `Job ${id} did not finish in time.`);
        await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
      }
    },
    guidelines: (judge: string, q?: string) => call<{ version: number; guidelines: Guideline[]; deleted: Guideline[] }>('GET', `/api/judges/${enc(judge)}/guidelines${query({ q })}`),
    addGuideline: (judge: string, text: string, pinned = false) => call<Guideline>('POST', `/api/judges/${enc(judge)}/guidelines`, { text, pinned }),
    updateGuideline: (judge: string, id: string, changes: { text?: string; pinned?: boolean }) => call<Guideline>('PATCH', `/api/judges/${enc(judge)}/guidelines/${enc(id)}`, changes),
    deleteGuideline: (judge: string, id: string) => call<Guideline>('DELETE', `/api/judges/${enc(judge)}/guidelines/${enc(id)}`),
    restoreGuideline: (judge: string, id: string) => call<Guideline>('POST', `/api/judges/${enc(judge)}/guidelines/${enc(id)}/restore`),
    episodes: (judge: string, q: { q?: string; limit?: number; cursor?: string | null } = {}) => call<Page<Json> & { total: number }>('GET', `/api/judges/${enc(judge)}/episodes${query(q)}`),
    feedback: (judge: string, q: { q?: string; limit?: number; cursor?: string | null } = {}) => call<Page<Feedback> & { total: number }>('GET', `/api/judges/${enc(judge)}/feedback${query(q)}`),
    forget: (judge: string, ids: string[]) => call<{ version: number; changed: boolean }>('POST', `/api/judges/${enc(judge)}/forget`, { ids }),
    log: (judge: string, q: { limit?: number; cursor?: string | null } = {}) => call<{ entries: LogEntryLike[]; next: string | null }>('GET', `/api/judges/${enc(judge)}/log${query(q)}`),
    version: (judge: string, version: number) => call<Json>('GET', `/api/judges/${enc(judge)}/versions/${version}`),
    exportMemory: (judge: string) => call<MemoryExport>('GET', `/api/judges/${enc(judge)}/export`),
    audit: (q: { limit?: number; cursor?: string | null } = {}) => call<Page<{ seq: number; at: string; user: string; action: string; target: string; detail: string }>>('GET', `/api/audit${query(q)}`),
    users: () => call<{ users: Account[] }>('GET', '/api/users'),
    addUser: (body: { name: string; role: Role; password: string }) => call<Account>('POST', '/api/users', body),
    updateUser: (name: string, changes: { role?: Role; password?: string; disabled?: boolean }) => call<Account>('PATCH', `/api/users/${enc(name)}`, changes),
    createToken: (name: string, label?: string) => call<{ token: string }>('POST', `/api/users/${enc(name)}/tokens`, { label }),
    openApi: () => call<Json>('GET', '/api/openapi.json'),
    health: () => call<{ ok: boolean; version: string; uptimeS?: number; memory?: { rssMb: number; heapUsedMb: number; heapTotalMb: number; externalMb: number }; jobs?: number }>('GET', '/api/health'),
  };
}

/** The client `createClient` returns. */
export type MemalignClient = ReturnType<typeof createClient>;
