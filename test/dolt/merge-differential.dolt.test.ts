// Differential test against Dolt's own merge: random concurrent edits on two
// branches. Where Dolt merges a row cleanly, grava's engine must produce the
// same row; the rows where grava must decide a cell (both sides changed it,
// to a different value or stamp) must be exactly Dolt's conflict rows.
// Replay with GRAVA_DIFF_SEED.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISSUES, clockColumn, columnsOf, type Row } from '../../src/merge/tables.js';
import { exec, openDb, rows, type Db } from '../../src/storage/dolt/db.js';
import { inspect, previewTarget } from '../../src/storage/versioning/merge-preview.js';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { commitAll, createBranch } from '../../src/storage/dolt/version-control.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { newWorkspace } from '../helpers/workspace.js';
import { prng } from '../helpers/prng.js';

let replica: Replica;
const extra: Db[] = [];


const stamp = (t: number, actor: string): string => `${String(t).padStart(16, '0')}-000000-${actor}`;
const ISSUES_PER_ROUND = 60;
const CELLS = { title: ['a', 'b', 'c'], status: ['open', 'blocked', 'closed'], priority: [0, 1, 2] } as const;

beforeAll(async () => {
  replica = await openReplica(workspacePaths(await newWorkspace('diff')));
});
afterAll(async () => {
  for (const db of extra) await db.destroy();
  await replica.close();
});

describe('grava agrees with Dolt', () => {
  const base = Number(process.env.GRAVA_DIFF_SEED ?? 1 + (Date.now() % 100_000));
  it.each([0, 1, 2, 3, 4])('random round %i', async (round) => {
    const seed = base + round;
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const prefix = `d${round}`;
    const db = replica.db;
    const cols = columnsOf(ISSUES);
    for (let i = 0; i < ISSUES_PER_ROUND; i++) {
      const s = stamp(1000 + i, 'base');
      const row: Record<string, unknown> = { id: `${prefix}-${String(i).padStart(4, '0')}`, created_at: '2030-01-01T00:00:00.000Z', created_by: 'base', title: 'a', description: '', status: 'open', priority: 2, type: 'task', assignee: null, close_reason: null, deleted: 0 };
      for (const c of ISSUES.clocked) row[clockColumn(c)] = s;
      await exec(db, `INSERT INTO issues (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`, cols.map((c) => row[c] ?? null));
    }
    await commitAll(db, `diff ${round}: base`, 'base');
    const branch = `diff-${round}`;
    await createBranch(db, branch);
    const theirs = openDb(replica.server.target(replica.state), `grava/${branch}`, 1);
    extra.push(theirs);
    let t = 2000;
    for (const [side, sdb] of [['ours', db], ['theirs', theirs]] as const) {
      for (let i = 0; i < ISSUES_PER_ROUND; i++) {
        const edits = Math.floor(rnd() * 3);
        for (let e = 0; e < edits; e++) {
          const col = pick(Object.keys(CELLS) as (keyof typeof CELLS)[]);
          // Shared stamps now and then, to exercise equal-clock ties.
          const st = rnd() < 0.1 ? stamp(1500, 'tie') : stamp(t++, side);
          await exec(sdb, `UPDATE issues SET \`${col}\` = ?, \`${col}_clk\` = ? WHERE id = ?`, [pick<string | number>(CELLS[col]), st, `${prefix}-${String(i).padStart(4, '0')}`]);
        }
      }
    }
    await commitAll(db, `diff ${round}: ours`, 'alice');
    await commitAll(theirs, `diff ${round}: theirs`, 'bob');

    const decisions = (await inspect(db, await previewTarget(db, branch), { table: 'issues', now: 0 })).filter((d) => String(d.key.id).startsWith(prefix));
    const mustDecide = new Set<string>();
    for (const d of decisions) {
      for (const c of d.cells) {
        // Dolt merges the value column and the stamp column separately: a row
        // conflicts when either collides (both sides changed it, differently).
        const valueConflict = c.ours !== c.base && c.theirs !== c.base && c.ours !== c.theirs;
        const clockConflict = c.oursClock !== c.baseClock && c.theirsClock !== c.baseClock && c.oursClock !== c.theirsClock;
        if (valueConflict || clockConflict) mustDecide.add(String(d.key.id));
      }
    }
    const tx = await db.transaction();
    let doltConflicts: Set<string>;
    let doltRows: Map<string, Row>;
    try {
      await exec(tx, 'SET @@dolt_allow_commit_conflicts = 1');
      await exec(tx, "CALL DOLT_MERGE('--no-commit', ?)", [branch]);
      doltConflicts = new Set((await rows<{ id: string }>(tx, 'SELECT our_id AS id FROM dolt_conflicts_issues')).map((r) => r.id).filter((id) => id.startsWith(prefix)));
      doltRows = new Map((await rows<Row>(tx, `SELECT ${cols.join(', ')} FROM issues WHERE id LIKE ?`, [`${prefix}-%`])).map((r) => [String(r.id), r]));
    } finally {
      await tx.rollback();
    }
    expect([...mustDecide].sort(), `seed ${seed}`).toEqual([...doltConflicts].sort());
    let compared = 0;
    for (const d of decisions) {
      const id = String(d.key.id);
      if (doltConflicts.has(id)) continue;
      const mine = Object.fromEntries(cols.map((c) => [c, d.merged?.[c] ?? null]));
      const dolts = Object.fromEntries(cols.map((c) => [c, doltRows.get(id)?.[c] ?? null]));
      expect(mine, `seed ${seed}, row ${id}`).toEqual(dolts);
      compared++;
    }
    expect(compared + doltConflicts.size).toBe(decisions.length);
    // With 60 issues the chance of a round without any same-cell conflict is about 1e-5.
    expect(doltConflicts.size, `seed ${seed}`).toBeGreaterThan(0);
  });
});
