import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * Prepared statements of one connection, compiled once each (node:sqlite compiles anew on every
 * `prepare`: for an align's thousands of puts that cost more than running them). With `arrays`,
 * the statement returns rows as arrays, for bulk reads (no object per row).
 *
 * @example
 * const statement = statementCache(db); statement('SELECT 1').get();
 */
export function statementCache(db: DatabaseSync): (sql: string, options?: { arrays?: boolean }) => StatementSync {
  const statements = new Map<string, StatementSync>();
  return (sql, options = {}) => {
    const key = options.arrays ? `arrays\u0000${sql}` : sql;
    let s = statements.get(key);
    if (!s) {
      s = db.prepare(sql);
      if (options.arrays) s.setReturnArrays(true);
      statements.set(key, s);
    }
    return s;
  };
}
