import type { ChatModel, ChatRequest, ChatResponse } from '../model/chat-model.ts';
import type { PostgresStore } from '../store/postgres/postgres-store.ts';
import { checkSchemaName } from '../store/postgres/schema.ts';
import { ValidationError } from '../core/errors.ts';

/** A request rate limit every process shares. */
export interface SharedRateLimit {
  readonly key: string;
  /** Waits until this process may send one more request under the limit. */
  acquire(signal?: AbortSignal): Promise<void>;
}

/**
 * A rate limit held in PostgreSQL, so it holds across every worker on every machine: at most
 * `perMinute` requests a minute per key, with up to `burst` at once after a quiet spell. Each
 * acquisition is one atomic statement (the generic cell rate algorithm: the row keeps the
 * theoretical arrival time of the next request, on the database's clock, so machines' clocks do
 * not matter); it reserves the caller's slot and says how long to wait for it, never a retry loop.
 *
 * @example
 * const limit = sharedRateLimit(store, 'model:openai:gpt-4.1-mini', { perMinute: 500 });
 * await limit.acquire();
 */
export function sharedRateLimit(store: PostgresStore, key: string, options: { perMinute: number; burst?: number }): SharedRateLimit {
  const { perMinute } = options;
  const burst = options.burst ?? 1;
  if (!(perMinute > 0) || !Number.isFinite(perMinute)) throw new ValidationError('rate limit', [{ path: 'perMinute', message: 'must be a positive number of requests per minute (e.g. 500)' }]);
  if (!Number.isInteger(burst) || burst < 1) throw new ValidationError('rate limit', [{ path: 'burst', message: 'must be a whole number of at least 1' }]);
  const s = checkSchemaName(store.schema);
  const interval = 60 / perMinute;
  const tolerance = (burst - 1) * interval;
  // old = max(tat, now); the request may start at max(now, old − tolerance); tat becomes old + interval.
  const sql = `INSERT INTO ${s}.rate_limits AS r (key, tat) VALUES ($1, extract(epoch FROM statement_timestamp()) + $2)
    ON CONFLICT (key) DO UPDATE SET tat = GREATEST(r.tat, extract(epoch FROM statement_timestamp())) + $2
    RETURNING GREATEST(0, tat - $2 - $3 - extract(epoch FROM statement_timestamp())) AS wait`;
  return {
    key,
    async acquire(signal) {
      signal?.throwIfAborted();
      const wait = Number((await store.pool.query({ name: `memalign_rate_${store.schema}`, text: sql, values: [key, interval, tolerance] })).rows[0].wait) * 1000;
      if (wait > 0) {
        await new Promise<void>((resolve, reject) => {
          const t = setTimeout(resolve, wait);
          signal?.addEventListener('abort', () => { clearTimeout(t); reject(signal.reason); }, { once: true });
        });
      }
    },
  };
}

/** A chat model whose every request (retries included) first passes a shared rate limit. */
export function rateLimitedModel(model: ChatModel, limit: SharedRateLimit): ChatModel {
  return {
    id: model.id,
    async generate(request: ChatRequest): Promise<ChatResponse> {
      await limit.acquire(request.abortSignal);
      return model.generate(request);
    },
  };
}
