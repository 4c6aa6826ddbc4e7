// Where a cycle's time goes inside the workspace's Dolt: every statement a
// knex instance sends, timed from send to answer and summed by its text
// (bindings left out). Used by `npm run bench -- --profile-sql` to compare
// grava's cycle with the raw-procedure floor statement by statement.

import type { Db } from '../src/storage/dolt/db.js';

export interface StatementCost {
  readonly sql: string;
  readonly count: number;
  readonly total_ms: number;
}

export interface SqlProfile {
  /** Cost per statement text, costliest first, over every cycle profiled. */
  stop(): StatementCost[];
}

export function profileSql(db: Db): SqlProfile {
  const started = new Map<string, { sql: string; t: number }>();
  const sums = new Map<string, { count: number; total: number }>();
  const onQuery = (q: { __knexQueryUid?: string; sql?: string }): void => {
    if (q.__knexQueryUid && q.sql) started.set(q.__knexQueryUid, { sql: q.sql.replace(/\s+/g, ' ').slice(0, 140), t: performance.now() });
  };
  const onDone = (_r: unknown, q: { __knexQueryUid?: string }): void => {
    const s = q.__knexQueryUid ? started.get(q.__knexQueryUid) : undefined;
    if (!s || !q.__knexQueryUid) return;
    started.delete(q.__knexQueryUid);
    const sum = sums.get(s.sql) ?? { count: 0, total: 0 };
    sum.count++;
    sum.total += performance.now() - s.t;
    sums.set(s.sql, sum);
  };
  const onError = (_e: unknown, q: { __knexQueryUid?: string }): void => onDone(undefined, q);
  db.on('query', onQuery).on('query-response', onDone).on('query-error', onError);
  return {
    stop: () => {
      db.off('query', onQuery).off('query-response', onDone).off('query-error', onError);
      return [...sums].map(([sql, s]) => ({ sql, count: s.count, total_ms: s.total })).sort((a, b) => b.total_ms - a.total_ms);
    },
  };
}
