// Two workspaces that created different issues under one id (an
// insert/insert of `issues` whose created_by or created_at differ). The merge
// keeps both (docs/MERGE_SPEC.md §13b): the issue created first keeps the id
// with its own cells (not a blend of the two), the other moves to an id
// derived from its creation fields, with the labels, dependencies, comments
// and events its side made. Runs in the merge's transaction, after Dolt's
// merge and grava's cell decisions.

import { ISSUES, type Row } from '../../merge/tables.js';
import { exec, rows, type Tx } from '../dolt/db.js';
import { splitId } from '../issues/ids.js';
import type { Clock } from '../issues/clock-store.js';
import { upsertRows } from './conflict-rows.js';

export interface Collision {
  readonly id: string;
  readonly ours: Row;
  readonly theirs: Row;
}

export interface Split {
  readonly id: string;
  /** Where the issue created second now lives. */
  readonly new_id: string;
  /** Which side's issue kept the id. */
  readonly kept: 'ours' | 'theirs';
}

const creation = (r: Row): string => `${String(r.created_at)}\0${String(r.created_by)}`;

async function freeId(tx: Tx, old: string, loser: Row): Promise<string> {
  for (let extra = 0; ; extra++) {
    const id = splitId(old, String(loser.created_by), String(loser.created_at), extra);
    const taken = await rows<{ created_by: string; created_at: string }>(tx, 'SELECT created_by, created_at FROM issues WHERE id = ?', [id]);
    // Already there with the same creation fields: another replica split this collision first.
    if (taken.length === 0 || creation(taken[0] as unknown as Row) === creation(loser)) return id;
  }
}

type Cells = Record<string, string | number | null>;

/**
 * Moves set rows (labels, dependencies) of the loser's side from the old id
 * to the new one: each is copied under the new id, and the row under the old
 * id is tombstoned unless the kept side has it too (both issues had it).
 */
async function moveSetRows(tx: Tx, clock: Clock, table: 'labels' | 'dependencies', loserRef: string, keptRef: string, old: string, id: string): Promise<void> {
  const second = table === 'labels' ? 'label' : 'depends_on';
  const where = table === 'labels' ? 'issue_id = ?' : '(issue_id = ? OR depends_on = ?)';
  const args = table === 'labels' ? [old] : [old, old];
  const keyOf = (r: Cells): string => `${String(r.issue_id)}\0${String(r[second])}`;
  const loser = await rows<Cells>(tx, `SELECT * FROM \`${table}\` AS OF ? WHERE ${where}`, [loserRef, ...args]);
  const kept = new Set((await rows<Cells>(tx, `SELECT * FROM \`${table}\` AS OF ? WHERE ${where}`, [keptRef, ...args])).map(keyOf));
  const renamed = (v: string | number | null | undefined): string | number | null => (v === old ? id : v ?? null);
  for (const r of loser) {
    const moved: Cells = { ...r, issue_id: renamed(r.issue_id), [second]: table === 'labels' ? r[second] ?? null : renamed(r[second]) };
    const cols = Object.keys(moved);
    await exec(tx, `INSERT IGNORE INTO \`${table}\` (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => moved[c] ?? null));
    if (kept.has(keyOf(r))) continue;
    const live = (await rows<{ deleted_clk: string | null }>(tx, `SELECT deleted_clk FROM \`${table}\` WHERE issue_id = ? AND \`${second}\` = ? AND deleted = 0`, [r.issue_id, r[second]]))[0];
    if (live) await exec(tx, `UPDATE \`${table}\` SET deleted = 1, deleted_clk = ? WHERE issue_id = ? AND \`${second}\` = ?`, [clock.next(live.deleted_clk), r.issue_id, r[second]]);
  }
}

/** Append-only rows (comments, events) that only the loser's side has: re-pointed at the new id. */
async function moveAppendOnly(tx: Tx, table: 'comments' | 'events', loserRef: string, keptRef: string, old: string, id: string): Promise<void> {
  const ids = (await rows<{ id: string }>(tx, `SELECT id FROM \`${table}\` AS OF ? WHERE issue_id = ? AND id NOT IN (SELECT id FROM \`${table}\` AS OF ? WHERE issue_id = ?)`, [loserRef, old, keptRef, old])).map((x) => x.id);
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    await exec(tx, `UPDATE \`${table}\` SET issue_id = ? WHERE id IN (${chunk.map(() => '?').join(', ')})`, [id, ...chunk]);
  }
}

/** Splits each collision into two issues. `ref` is the merged ref (theirs); ours is HEAD, which the merge has not moved yet. */
export async function splitIdCollisions(tx: Tx, collisions: readonly Collision[], ref: string, clock: Clock): Promise<Split[]> {
  const out: Split[] = [];
  for (const c of collisions) {
    const kept: 'ours' | 'theirs' = creation(c.ours) <= creation(c.theirs) ? 'ours' : 'theirs';
    const [winner, loser] = kept === 'ours' ? [c.ours, c.theirs] : [c.theirs, c.ours];
    const [keptRef, loserRef] = kept === 'ours' ? ['HEAD', ref] : [ref, 'HEAD'];
    const id = await freeId(tx, c.id, loser);
    // The issue row first (dependencies point at issues), each side's own cells and stamps.
    await upsertRows(tx, ISSUES, [winner, { ...loser, id }]);
    await moveSetRows(tx, clock, 'labels', loserRef, keptRef, c.id, id);
    await moveSetRows(tx, clock, 'dependencies', loserRef, keptRef, c.id, id);
    await moveAppendOnly(tx, 'comments', loserRef, keptRef, c.id, id);
    await moveAppendOnly(tx, 'events', loserRef, keptRef, c.id, id);
    out.push({ id: c.id, new_id: id, kept });
  }
  return out;
}
