// After a merge, the invariants the CLI enforces locally are checked again on
// the merged data and repaired deterministically, inside the merge's
// transaction (docs/MERGE_SPEC.md §13b). Each repair is a stamped write like
// any other, so it merges everywhere by the usual cell rules, and an event.

import { cycleBreakers } from '../../merge/invariants.js';
import { exec, rows, type Tx } from '../dolt/db.js';
import { insertEvents } from '../issues/events.js';
import type { Clock } from '../issues/clock-store.js';

export type Repair =
  /** A cycle of blocking dependencies; the edge issue_id → depends_on was removed. */
  | { readonly kind: 'dependency_cycle'; readonly issue_id: string; readonly depends_on: string }
  /** Two different issues under issue_id; the one created second now lives at new_id. */
  | { readonly kind: 'id_collision'; readonly issue_id: string; readonly new_id: string };

/** The state of the dependencies table in the transaction's working set (DOLT_HASHOF_TABLE, under 1 ms). */
export async function dependenciesHash(tx: Tx): Promise<string> {
  return (await rows<{ h: string }>(tx, "SELECT DOLT_HASHOF_TABLE('dependencies') AS h"))[0]?.h ?? '';
}

/**
 * Breaks every cycle of blocking dependencies the merge made, by the
 * creation-order rule of merge/invariants.ts. `before` is the table's hash
 * before the merge: HEAD holds no cycle (every merge repairs, every command
 * checks), so a merge that left the table as it was cannot have made one and
 * the edges are not read at all.
 */
export async function repairDependencyCycles(tx: Tx, clock: Clock, before?: string): Promise<Repair[]> {
  if (before !== undefined && before === (await dependenciesHash(tx))) return [];
  const edges = await rows<{ issue_id: string; depends_on: string; created_at: string; deleted_clk: string | null }>(tx,
    "SELECT issue_id, depends_on, created_at, deleted_clk FROM dependencies WHERE deleted = 0 AND type = 'blocks'");
  const breakers = cycleBreakers(edges.map((x) => ({ from: x.issue_id, to: x.depends_on, createdAt: String(x.created_at) })));
  const repairs: Repair[] = [];
  for (const b of breakers) {
    const row = edges.find((x) => x.issue_id === b.from && x.depends_on === b.to)!;
    const at = clock.next(row.deleted_clk);
    await exec(tx, 'UPDATE dependencies SET deleted = 1, deleted_clk = ? WHERE issue_id = ? AND depends_on = ?', [at, b.from, b.to]);
    await insertEvents(tx, [{ issueId: b.from, kind: 'merge_repair', actor: clock.actor, at, data: { repair: 'dependency_cycle', depends_on: b.to, created_at: b.createdAt, rule: 'the newest edge of a cycle of blocking dependencies is removed' } }]);
    repairs.push({ kind: 'dependency_cycle', issue_id: b.from, depends_on: b.to });
  }
  return repairs;
}
