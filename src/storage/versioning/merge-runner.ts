// Merging a ref into the working branch, with every conflicting cell decided
// by src/merge. One pinned connection, autocommit off, conflicts allowed; on
// any error the transaction rolls back and the working set is as it was.

import { GravaError } from '../../errors/grava-error.js';
import { decideRow, type RowDecision } from '../../merge/decide.js';
import { tableSpec, type Row, type TableSpec } from '../../merge/tables.js';
import type { Clock } from '../issues/clock-store.js';
import { deleteRows, readConflicts, upsertRows } from './conflict-rows.js';
import { commitTx, exec, rows, type Db, type Tx } from '../dolt/db.js';
import { insertEvents } from '../issues/events.js';
import { dependenciesHash, repairDependencyCycles, type Repair } from './invariant-repair.js';
import { splitIdCollisions, type Collision, type Split } from './id-collision.js';
import { authorOf, isDirty } from '../dolt/version-control.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../issues/schema.js';
import { isConnectionError } from '../dolt/contention.js';

export interface MergeResult {
  readonly ref: string;
  readonly fastForward: boolean;
  readonly upToDate: boolean;
  /** Rows Dolt reported as conflicting, all resolved. */
  readonly conflictRows: number;
  /** Cells where both sides changed the same cell to different values. */
  readonly conflictCells: number;
  readonly constraintViolations: number;
  readonly decisions: readonly RowDecision[];
  /** Invariants the merged data broke and the merge repaired (MERGE_SPEC §13b). */
  readonly repairs: readonly Repair[];
  readonly commit: string | null;
}

export interface MergeOptions {
  readonly clock: Clock;
  /** Wall time for flagging far-future stamps. */
  readonly now?: number;
  /** Record one event per resolved row (default true). */
  readonly recordEvents?: boolean;
  /** The caller already ran refuseNewerSchema for this ref (the central's queue, beside its other checks). */
  readonly schemaChecked?: boolean;
  readonly message?: string;
  /**
   * Commit uncommitted writes first, on the merge's own connection and
   * transaction, as this message. Without it a dirty working set is refused.
   * (Other processes may write between a caller's commit and the merge.)
   */
  readonly commitPendingAs?: string;
}

function issueIdOf(d: RowDecision): string | null {
  const k = d.key;
  const v = d.table === 'issues' ? k.id : k.issue_id;
  return typeof v === 'string' ? v : null;
}

async function refuseSchemaConflicts(tx: Tx): Promise<void> {
  const schema = await rows<{ table_name: string; description?: string }>(tx, 'SELECT table_name, description FROM dolt_schema_conflicts');
  if (schema.length > 0) {
    throw new GravaError('GRAVA_E_SCHEMA_CONFLICT', `schema conflict in ${schema.map((s) => s.table_name).join(', ')}; grava will not guess a schema, so the merge was aborted`, { tables: schema.map((s) => s.table_name) });
  }
}

async function resolveTable(tx: Tx, spec: TableSpec, opts: MergeOptions, sides: Map<RowDecision, { ours: Row | null; theirs: Row | null; base: Row | null }>): Promise<RowDecision[]> {
  const conflicts = await readConflicts(tx, spec);
  const decisions = conflicts.map((c) => {
    const d = decideRow(spec, c.base, c.ours, c.theirs, { now: opts.now ?? Date.now() });
    sides.set(d, c);
    return d;
  });
  await upsertRows(tx, spec, decisions.flatMap((d) => (d.merged ? [d.merged] : [])));
  await deleteRows(tx, spec, decisions.filter((d) => !d.merged).map((d) => d.key));
  await exec(tx, `DELETE FROM \`dolt_conflicts_${spec.name}\``);
  return decisions;
}

/** Rows left pointing at a missing issue are removed; the full row is kept in the event. */
async function resolveViolations(tx: Tx, clock: Clock): Promise<number> {
  const tables = await rows<{ table: string; num_violations: number }>(tx, 'SELECT `table`, num_violations FROM dolt_constraint_violations');
  let n = 0;
  for (const t of tables) {
    const spec = tableSpec(t.table);
    if (!spec) throw new GravaError('GRAVA_E_MERGE', `constraint violations in ${t.table}, which grava does not merge`);
    const viol = await rows<Record<string, string | number | null>>(tx, `SELECT * FROM \`dolt_constraint_violations_${spec.name}\``);
    for (const v of viol) {
      const key = Object.fromEntries(spec.pk.map((c) => [c, v[c] ?? null]));
      await deleteRows(tx, spec, [key]);
      const at = clock.next();
      const row = Object.fromEntries(Object.entries(v).filter(([c]) => !c.startsWith('from_root_ish')));
      await insertEvents(tx, [{ issueId: null, kind: 'merge_violation_removed', actor: clock.actor, at, data: { table: spec.name, row } }]);
      n++;
    }
    await exec(tx, `DELETE FROM \`dolt_constraint_violations_${spec.name}\``);
  }
  return n;
}

/**
 * Two workspaces that created different issues under one id (insert/insert
 * with different creators or creation times). The merge keeps one row, cell
 * by cell; both original rows go into an event so nothing is lost.
 */
function idCollisions(decisions: readonly RowDecision[], conflicts: ReadonlyMap<RowDecision, { ours: Row | null; theirs: Row | null; base: Row | null }>): Collision[] {
  const out: Collision[] = [];
  for (const d of decisions) {
    if (d.table !== 'issues') continue;
    const c = conflicts.get(d);
    if (!c || c.base !== null || !c.ours || !c.theirs) continue;
    if (c.ours.created_by !== c.theirs.created_by || c.ours.created_at !== c.theirs.created_at) out.push({ id: issueIdOf(d)!, ours: c.ours, theirs: c.theirs });
  }
  return out;
}

async function recordDecisions(tx: Tx, decisions: readonly RowDecision[], clock: Clock, collisions: readonly (Collision & Split)[]): Promise<void> {
  if (decisions.length === 0) return;
  // One stamp for the whole merge: its events are one act, and ids keep them apart.
  const at = clock.next();
  const split = collisions.map((c) => ({ issueId: c.id, kind: 'merge_id_collision', actor: clock.actor, at, data: { ours: c.ours, theirs: c.theirs, kept: c.kept, new_id: c.new_id } }));
  const resolved = decisions.map((d) => ({ issueId: issueIdOf(d), kind: 'merge_resolved', actor: clock.actor, at, data: {
    table: d.table,
    key: d.key,
    outcome: d.outcome,
    cells: d.cells.filter((c) => c.winner !== 'base').map((c) => ({ column: c.column, outcome: c.outcome, winner: c.winner, ours_clock: c.oursClock, theirs_clock: c.theirsClock })),
  } }));
  await insertEvents(tx, [...split, ...resolved]);
}

/**
 * MERGE_SPEC §13: a binary never merges a schema it does not know. If `ref`
 * carries a migration newer than this grava's, the merge is refused before
 * anything is touched (GRAVA_E_SCHEMA_NEWER): this grava would write only the
 * columns it knows, and push rows that lost cells.
 */
export async function refuseNewerSchema(db: Db, ref: string): Promise<void> {
  const known = MIGRATIONS.at(-1)?.version ?? 0;
  let theirs: number;
  try {
    theirs = Number((await rows<{ v: number | null }>(db, `SELECT MAX(version) AS v FROM ${MIGRATIONS_TABLE} AS OF ?`, [ref]))[0]?.v ?? 0);
  } catch (e) {
    // A link to Dolt that failed is not an answer (the queue runs this check on its own, beside others).
    if (isConnectionError(e)) throw e;
    return; // no migrations table at that ref (an empty remote): nothing newer there
  }
  if (theirs > known) {
    throw new GravaError('GRAVA_E_SCHEMA_NEWER', `${ref} is at schema version ${theirs}, newer than this grava knows (${known}); upgrade grava before syncing (nothing was merged or pushed)`, { ref, theirs, known });
  }
}

/**
 * Merges `ref` into the current branch. The working set must be clean (the
 * sync cycle commits pending writes first). Fast-forwards when possible.
 */
export async function mergeRef(db: Db, ref: string, opts: MergeOptions): Promise<MergeResult> {
  if (opts.schemaChecked !== true) await refuseNewerSchema(db, ref);
  const tx = await db.transaction();
  try {
    if (await isDirty(tx)) {
      if (opts.commitPendingAs === undefined) throw new GravaError('GRAVA_E_MERGE', 'the working set has uncommitted changes; commit them before merging');
      await exec(tx, "CALL DOLT_COMMIT('-Am', ?, '--author', ?)", [opts.commitPendingAs, authorOf(opts.clock.actor)]);
    }
    const depsBefore = await dependenciesHash(tx);
    await exec(tx, 'SET @@dolt_allow_commit_conflicts = 1');
    const m = (await rows<{ hash: string; fast_forward: number; conflicts: number; message: string }>(tx, "CALL DOLT_MERGE('--no-commit', ?)", [ref]))[0];
    if (!m) throw new GravaError('GRAVA_E_MERGE', `DOLT_MERGE(${ref}) returned nothing`);
    const fastForward = Number(m.fast_forward) === 1;
    const upToDate = /up to date/i.test(m.message ?? '');
    if (fastForward || upToDate) {
      await exec(tx, 'SET @@dolt_allow_commit_conflicts = 0');
      await commitTx(tx);
      return { ref, fastForward, upToDate, conflictRows: 0, conflictCells: 0, constraintViolations: 0, decisions: [], repairs: [], commit: null };
    }
    await refuseSchemaConflicts(tx);
    const decisions: RowDecision[] = [];
    const sides = new Map<RowDecision, { ours: Row | null; theirs: Row | null; base: Row | null }>();
    const conflicted = await rows<{ table: string }>(tx, 'SELECT `table` FROM dolt_conflicts');
    for (const { table } of conflicted) {
      const spec = tableSpec(table);
      if (!spec) throw new GravaError('GRAVA_E_SCHEMA_CONFLICT', `conflicting rows in ${table}, which is not a table grava merges; aborted`, { table });
      decisions.push(...(await resolveTable(tx, spec, opts, sides)));
    }
    // Two different issues under one id: both are kept (the second under a new id) before anything else reads them.
    const collisions = idCollisions(decisions, sides);
    const splits = await splitIdCollisions(tx, collisions, ref, opts.clock);
    const violations = await resolveViolations(tx, opts.clock);
    const repairs: Repair[] = [
      ...splits.map((x): Repair => ({ kind: 'id_collision', issue_id: x.id, new_id: x.new_id })),
      ...(await repairDependencyCycles(tx, opts.clock, depsBefore)),
    ];
    if (opts.recordEvents !== false) await recordDecisions(tx, decisions, opts.clock, collisions.map((c, i) => ({ ...c, ...splits[i]! })));
    const conflictCells = decisions.reduce((n, d) => n + d.cells.filter((c) => c.conflicting).length, 0);
    await opts.clock.persist();
    const message = opts.message ?? `grava: merge ${ref} (${decisions.length} conflicting rows resolved, newest write wins)`;
    // --allow-empty: a merge whose result equals HEAD (theirs' changes already here by another path)
    // must still be recorded, with both parents, or the next sync would try the same merge again.
    const c = (await rows<{ hash: string }>(tx, "CALL DOLT_COMMIT('-Am', ?, '--author', ?, '--allow-empty')", [message, authorOf(opts.clock.actor)]))[0];
    await exec(tx, 'SET @@dolt_allow_commit_conflicts = 0');
    await commitTx(tx);
    return { ref, fastForward: false, upToDate: false, conflictRows: decisions.length, conflictCells, constraintViolations: violations, decisions, repairs, commit: c?.hash ?? null };
  } catch (e) {
    await exec(tx, 'SET @@dolt_allow_commit_conflicts = 0').catch(() => undefined);
    await tx.rollback().catch(() => undefined);
    if (e instanceof GravaError) throw e;
    throw new GravaError('GRAVA_E_MERGE', `merging ${ref} failed: ${(e as Error).message.split('\n')[0] ?? ''}`, undefined, { cause: e });
  }
}
