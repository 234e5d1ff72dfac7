/** Runs a task when a slot is free. */
export type Limiter = <T>(fn: () => Promise<T>) => Promise<T>;

/**
 * A tiny semaphore: at most `concurrency` tasks run at once.
 *
 * @example
 * const limit = createLimiter(4); await Promise.all(urls.map((u) => limit(() => fetch(u))));
 */
export function createLimiter(concurrency: number): Limiter {
  const max = Math.max(1, Math.floor(concurrency));
  let active = 0;
  const waiting: (() => void)[] = [];
  // A finishing task hands its slot straight to the next waiter, so no newcomer can slip in between.
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active -= 1;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

/**
 * Maps with bounded concurrency, preserving input order in the result.
 *
 * @example
 * const lengths = await mapLimit(['a', 'bb'], 2, async (s) => s.length); // [1, 2]
 */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const limit = createLimiter(concurrency);
  return Promise.all(items.map((item, i) => limit(() => fn(item, i))));
}
