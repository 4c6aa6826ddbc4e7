// Questions the sync cycle asks the replica: heads, ancestry, commit counts.

import { rows, type Db } from '../dolt/db.js';

export interface Heads {
  readonly local: string;
  readonly remote: string | null;
}

export async function heads(db: Db, branch = 'main', remote = 'origin'): Promise<Heads> {
  const [r, local] = await Promise.all([
    rows<{ name: string; hash: string }>(db, 'SELECT name, hash FROM dolt_remote_branches WHERE name = ?', [`remotes/${remote}/${branch}`]),
    rows<{ hash: string }>(db, 'SELECT hash FROM dolt_branches WHERE name = ?', [branch]),
  ]);
  return { local: local[0]?.hash ?? '', remote: r[0]?.hash ?? null };
}

/** Commits reachable from `from` but not from `not`. */
export async function commitsAhead(db: Db, from: string, not: string): Promise<number> {
  const r = await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dolt_log(?, ?, ?)', [from, '--not', not]);
  return Number(r[0]?.n ?? 0);
}
