import { createRequire } from 'node:module';
import type pg from 'pg';
import type { Db as IDatabase, PgBoss } from 'pg-boss';
import { ConfigError, StoreError } from '../core/errors.ts';
import type { PostgresStore } from '../store/postgres/postgres-store.ts';
import { checkSchemaName } from '../store/postgres/schema.ts';

const require = createRequire(import.meta.url);

/** The pg-boss queue every batch's jobs go to: one job per record. */
export const JUDGE_QUEUE = 'memalign-judge';

/** How the job engine treats a job (seconds): a worker that stops heart-beating loses its jobs to others. */
export interface JobTimings {
  /** A job whose worker sent no heartbeat for this long is retried elsewhere (pg-boss minimum 10). */
  heartbeatSeconds: number;
  /** How often the engine looks for such jobs. */
  superviseSeconds: number;
}

export const DEFAULT_TIMINGS: JobTimings = { heartbeatSeconds: 10, superviseSeconds: 2 };

/**
 * Starts pg-boss on the store's database, its tables in `<schema>_jobs`, and makes sure the judge
 * queue exists. pg-boss installs and migrates its schema under its own advisory lock.
 *
 * @example
 * const boss = await startJobEngine(store);
 */
export async function startJobEngine(store: PostgresStore, options: { timings?: Partial<JobTimings>; supervise?: boolean; poolSize?: number } = {}): Promise<PgBoss> {
  let PgBossClass: typeof PgBoss;
  try {
    ({ PgBoss: PgBossClass } = require('pg-boss') as typeof import('pg-boss'));
  } catch (error) {
    throw new ConfigError(`Batch judging needs the "pg-boss" package, which could not be loaded (${(error as Error).message}): reinstall memalign with its dependencies.`);
  }
  const timings = { ...DEFAULT_TIMINGS, ...options.timings };
  const boss = new PgBossClass({
    connectionString: store.connectionString, schema: `${store.schema}_jobs`, max: options.poolSize ?? 4, application_name: 'memalign-jobs',
    supervise: options.supervise ?? true, superviseIntervalSeconds: timings.superviseSeconds, monitorIntervalSeconds: timings.superviseSeconds, schedule: false,
  });
  boss.on('error', () => { /* connection blips are retried by pg-boss itself */ });
  try {
    await boss.start();
    if (!(await boss.getQueue(JUDGE_QUEUE))) {
      await boss.createQueue(JUDGE_QUEUE, { heartbeatSeconds: timings.heartbeatSeconds, retryLimit: 3, retryDelay: 2, retryBackoff: true, retryDelayMax: 60 }).catch(async (error) => {
        // Another process created it between the check and the create.
        if (!(await boss.getQueue(JUDGE_QUEUE))) throw error;
      });
    }
  } catch (error) {
    await boss.stop({ graceful: false }).catch(() => {});
    throw new StoreError(`Could not start the job engine (pg-boss) on ${store.location}: ${(error as Error).message}`, error);
  }
  return boss;
}

/** A pg-boss database handle on one connection inside a transaction, so its calls commit with ours. */
export function inTransaction(client: pg.PoolClient): IDatabase {
  return { executeSql: (text: string, values?: unknown[]) => client.query(text, values as unknown[]) };
}

/**
 * Refreshes the planner's statistics of the judge queue's job table and of the batch items after
 * a batch queued many jobs at once. Until autovacuum gets to it (a minute or more later), the
 * planner believes the table holds the handful of rows it last counted, and pg-boss's fetch then
 * reads and sorts every queued job to hand out a few: 7 ms a fetch at 20 000 queued jobs, against
 * 0.25 ms along its index (measured with EXPLAIN ANALYZE; see BENCHMARKS.md). Best effort: a role
 * not allowed to ANALYZE gets the same jobs, fetched the slow way until autovacuum runs.
 *
 * @example
 * await refreshQueueStatistics(store, boss);
 */
export async function refreshQueueStatistics(store: PostgresStore, boss: PgBoss): Promise<void> {
  const queue = await boss.getQueue(JUDGE_QUEUE).catch(() => null);
  const tables = [`${checkSchemaName(store.schema)}.batch_items`];
  if (queue?.table && /^[a-z_][a-z0-9_]*$/.test(queue.table)) tables.push(`${checkSchemaName(`${store.schema}_jobs`)}."${queue.table}"`);
  for (const table of tables) await store.pool.query(`ANALYZE ${table}`).catch(() => { /* not the owner: autovacuum will do it */ });
}
