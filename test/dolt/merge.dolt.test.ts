// The merge engine over real Dolt branches in one workspace: every spec case
// resolved by grava, cell by cell, newest write wins.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileClock } from '../../src/storage/issues/clock-store.js';
import { openDb, rows, exec, type Db } from '../../src/storage/dolt/db.js';
import { IssuesRepo } from '../../src/storage/issues/issues-repo.js';
import { mergeRef } from '../../src/storage/versioning/merge-runner.js';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { commitAll, createBranch, isDirty } from '../../src/storage/dolt/version-control.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { newWorkspace } from '../helpers/workspace.js';
import { splitId } from '../../src/storage/issues/ids.js';

let replica: Replica;
let dir: string;
let n = 0;
const branchDbs: Db[] = [];

/** A controllable wall clock so tests can order writes t1 < t2 < t3. */
function fakeNow(start: number): { now: () => number; set: (t: number) => void } {
  let t = start;
  return { now: () => t, set: (v) => { t = v; } };
}

interface Side { db: Db; repo: IssuesRepo; clock: FileClock; time: ReturnType<typeof fakeNow> }

function sides(): { ours: Side; theirs: Side; branch: string } {
  const branch = `b${++n}`;
  const t0 = 1_900_000_000_000 + n * 1_000_000;
  const ot = fakeNow(t0);
  const tt = fakeNow(t0);
  const ourClock = new FileClock(join(dir, `.grava/clock-ours-${n}.json`), 'alice', ot.now);
  const theirClock = new FileClock(join(dir, `.grava/clock-theirs-${n}.json`), 'bob', tt.now);
  const ours = { db: replica.db, repo: new IssuesRepo({ db: replica.db, clock: ourClock, prefix: 'gr' }), clock: ourClock, time: ot };
  const theirDb = openDb(replica.server.target(replica.state), `grava/${branch}`);
  branchDbs.push(theirDb);
  return { ours, theirs: { db: theirDb, repo: new IssuesRepo({ db: theirDb, clock: theirClock, prefix: 'gr' }), clock: theirClock, time: tt }, branch };
}

async function branchFromMain(branch: string): Promise<void> {
  await commitAll(replica.db, 'test: base', 'alice');
  await createBranch(replica.db, branch);
}

async function commitBoth(s: { ours: Side; theirs: Side }): Promise<void> {
  await commitAll(s.ours.db, 'test: ours', 'alice');
  await commitAll(s.theirs.db, 'test: theirs', 'bob');
}

beforeAll(async () => {
  dir = await newWorkspace('merge');
  replica = await openReplica(workspacePaths(dir));
});
afterAll(async () => {
  for (const db of branchDbs) await db.destroy();
  await replica.close();
});

describe('merge over Dolt', () => {
  it('t1/t2/t3: title from the later title write, status from the later status write', async () => {
    const s = sides();
    s.ours.time.set(s.ours.time.now());
    const issue = await s.ours.repo.create({ title: 'original' });
    await branchFromMain(s.branch);
    const t = s.ours.time.now();
    s.ours.time.set(t + 1_000); // t1
    await s.ours.repo.update(issue.id, { title: 'A title at t1' });
    s.theirs.time.set(t + 2_000); // t2
    await s.theirs.repo.update(issue.id, { title: 'B title at t2' });
    s.ours.time.set(t + 3_000); // t3
    await s.ours.repo.update(issue.id, { status: 'in_progress' });
    await commitBoth(s);
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock, now: t + 3_000 });
    expect(r.conflictRows).toBe(1);
    const merged = await s.ours.repo.get(issue.id);
    expect(merged.title).toBe('B title at t2');
    expect(merged.status).toBe('in_progress');
    const title = r.decisions[0]?.cells.find((c) => c.column === 'title');
    expect(title).toMatchObject({ outcome: 'newest-wins', winner: 'theirs' });
    expect(await isDirty(replica.db)).toBe(false);
  });

  it('edits of different cells of one row merge cleanly in Dolt (no conflict at all)', async () => {
    const s = sides();
    const issue = await s.ours.repo.create({ title: 'two cells' });
    await branchFromMain(s.branch);
    await s.ours.repo.update(issue.id, { priority: 0 });
    await s.theirs.repo.update(issue.id, { description: 'from bob' });
    await commitBoth(s);
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    expect(r.conflictRows).toBe(0);
    expect(await s.ours.repo.get(issue.id)).toMatchObject({ priority: 0, description: 'from bob' });
  });

  it('the same cell set to the same value on both sides is clean', async () => {
    const s = sides();
    const issue = await s.ours.repo.create({ title: 'same value' });
    await branchFromMain(s.branch);
    await s.ours.repo.update(issue.id, { status: 'blocked' });
    await s.theirs.repo.update(issue.id, { status: 'blocked' });
    await commitBoth(s);
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    const cell = r.decisions.flatMap((d) => d.cells).find((c) => c.column === 'status');
    if (cell) expect(cell.outcome).toBe('clean');
    expect((await s.ours.repo.get(issue.id)).status).toBe('blocked');
  });

  it('delete (tombstone) versus update: the row stays deleted and keeps the update', async () => {
    const s = sides();
    const issue = await s.ours.repo.create({ title: 'doomed' });
    await branchFromMain(s.branch);
    await s.ours.repo.delete(issue.id);
    await s.theirs.repo.update(issue.id, { title: 'edited meanwhile' });
    await commitBoth(s);
    await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    await expect(s.ours.repo.get(issue.id)).rejects.toMatchObject({ code: 'GRAVA_E_NOT_FOUND' });
    const raw = await rows<{ title: string; deleted: number }>(replica.db, 'SELECT title, deleted FROM issues WHERE id = ?', [issue.id]);
    expect(raw[0]).toEqual({ title: 'edited meanwhile', deleted: 1 });
  });

  it('labels, dependencies and comments from both sides are all kept', async () => {
    const s = sides();
    const a = await s.ours.repo.create({ title: 'a' });
    const b = await s.ours.repo.create({ title: 'b' });
    await branchFromMain(s.branch);
    await s.ours.repo.addLabel(a.id, 'ours');
    await s.theirs.repo.addLabel(a.id, 'theirs');
    await s.ours.repo.addLabel(a.id, 'both');
    await s.theirs.repo.addLabel(a.id, 'both');
    await s.ours.repo.comment(a.id, 'from alice');
    await s.theirs.repo.comment(a.id, 'from bob');
    await s.theirs.repo.addDependency(a.id, b.id);
    await commitBoth(s);
    await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    const shown = await s.ours.repo.show(a.id);
    expect(shown.labels).toEqual(['both', 'ours', 'theirs']);
    expect(shown.comments.map((c) => c.body).sort()).toEqual(['from alice', 'from bob']);
    expect(shown.dependencies.map((d) => d.id)).toEqual([b.id]);
  });

  it('a label removed on one side and re-added later on the other: newest wins', async () => {
    const s = sides();
    const a = await s.ours.repo.create({ title: 'flip', labels: ['x'] });
    await branchFromMain(s.branch);
    const t = s.ours.time.now();
    s.ours.time.set(t + 10);
    await s.ours.repo.removeLabel(a.id, 'x');
    s.theirs.time.set(t + 20);
    await s.theirs.repo.removeLabel(a.id, 'x');
    await s.theirs.repo.addLabel(a.id, 'x');
    await commitBoth(s);
    await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    expect((await s.ours.repo.get(a.id)).labels).toEqual(['x']);
  });

  it('two different issues under one id (insert/insert, different creators): both are kept whole, the second under a derived id with its labels and comments', async () => {
    const s = sides();
    await branchFromMain(s.branch);
    const cols = "(id, created_at, created_by, title, title_clk, description, description_clk, status, status_clk, priority, priority_clk, type, type_clk, assignee, assignee_clk, close_reason, close_reason_clk, deleted, deleted_clk)";
    const stamp = (t: number, a: string): string => `${String(t).padStart(16, '0')}-000000-${a}`;
    const row = (title: string, t: number, a: string, created: string, priority: number): unknown[] => ['gr-same', created, a, title, stamp(t, a), '', stamp(t, a), 'open', stamp(t, a), priority, stamp(t, a), 'task', stamp(t, a), null, stamp(t, a), null, stamp(t, a), 0, stamp(t, a)];
    const label = (db: Db, l: string, a: string): Promise<unknown> => exec(db, 'INSERT INTO labels (issue_id, label, created_at, created_by, deleted, deleted_clk) VALUES (?, ?, ?, ?, 0, ?)', ['gr-same', l, '2030-01-03T00:00:00.000Z', a, stamp(9, a)]);
    // Ours (alice) created its issue second, with a newer title stamp; theirs (bob) first, with a higher priority.
    await exec(s.ours.db, `INSERT INTO issues ${cols} VALUES (${Array(19).fill('?').join(', ')})`, row('ours', 8, 'alice', '2030-01-02T00:00:00.000Z', 3));
    await exec(s.theirs.db, `INSERT INTO issues ${cols} VALUES (${Array(19).fill('?').join(', ')})`, row('theirs', 7, 'bob', '2030-01-01T00:00:00.000Z', 1));
    await label(s.ours.db, 'mine', 'alice');
    await label(s.ours.db, 'shared', 'alice');
    await label(s.theirs.db, 'yours', 'bob');
    await label(s.theirs.db, 'shared', 'bob');
    await exec(s.ours.db, 'INSERT INTO comments (id, issue_id, author, body, created_at) VALUES (?, ?, ?, ?, ?)', ['cm-ours', 'gr-same', 'alice', 'about the second issue', '2030-01-02T00:00:01.000Z']);
    await commitBoth(s);
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    const newId = splitId('gr-same', 'alice', '2030-01-02T00:00:00.000Z');
    expect(r.repairs).toEqual([{ kind: 'id_collision', issue_id: 'gr-same', new_id: newId }]);
    const issue = async (id: string): Promise<unknown> => (await rows(replica.db, 'SELECT title, priority, created_at, created_by FROM issues WHERE id = ?', [id]))[0];
    // No blend: each issue keeps its own cells and creation fields.
    expect(await issue('gr-same')).toEqual({ title: 'theirs', priority: 1, created_at: '2030-01-01T00:00:00.000Z', created_by: 'bob' });
    expect(await issue(newId)).toEqual({ title: 'ours', priority: 3, created_at: '2030-01-02T00:00:00.000Z', created_by: 'alice' });
    const labelsOf = async (id: string): Promise<string[]> => (await rows<{ label: string }>(replica.db, 'SELECT label FROM labels WHERE issue_id = ? AND deleted = 0 ORDER BY label', [id])).map((x) => x.label);
    expect(await labelsOf('gr-same')).toEqual(['shared', 'yours']);
    expect(await labelsOf(newId)).toEqual(['mine', 'shared']);
    expect((await rows<{ issue_id: string }>(replica.db, "SELECT issue_id FROM comments WHERE id = 'cm-ours'"))[0]?.issue_id).toBe(newId);
    // Both original rows are in the collision event, with where each went.
    const ev = await rows<{ data: string }>(replica.db, "SELECT data FROM events WHERE kind = 'merge_id_collision' AND issue_id = 'gr-same'");
    expect(ev).toHaveLength(1);
    const both = JSON.parse(ev[0]!.data) as { ours: { title: string }; theirs: { title: string }; kept: string; new_id: string };
    expect([both.ours.title, both.theirs.title, both.kept, both.new_id]).toEqual(['ours', 'theirs', 'theirs', newId]);
  });

  it('a dependency left pointing at a missing issue (constraint violation) is removed and recorded', async () => {
    const s = sides();
    const a = await s.ours.repo.create({ title: 'keeps' });
    const gone = await s.ours.repo.create({ title: 'purged' });
    await branchFromMain(s.branch);
    // A hard delete (only a purge would do this) on ours, a new dependency on theirs.
    await exec(s.ours.db, 'DELETE FROM issues WHERE id = ?', [gone.id]);
    await s.theirs.repo.addDependency(a.id, gone.id);
    await commitBoth(s);
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    expect(r.constraintViolations).toBe(1);
    expect((await s.ours.repo.show(a.id)).dependencies).toEqual([]);
    const ev = await rows<{ data: string }>(replica.db, "SELECT data FROM events WHERE kind = 'merge_violation_removed'");
    expect(ev.some((e) => e.data.includes(gone.id))).toBe(true);
    expect(await isDirty(replica.db)).toBe(false);
  });

  it('a schema conflict is refused and the working set is left as it was', async () => {
    const s = sides();
    await branchFromMain(s.branch);
    await exec(s.ours.db, 'ALTER TABLE labels ADD COLUMN note VARCHAR(10)');
    await exec(s.theirs.db, 'ALTER TABLE labels ADD COLUMN note INT');
    await commitBoth(s);
    const head = (await rows<{ h: string }>(replica.db, "SELECT HASHOF('HEAD') AS h"))[0]?.h;
    await expect(mergeRef(replica.db, s.branch, { clock: s.ours.clock })).rejects.toMatchObject({ code: 'GRAVA_E_SCHEMA_CONFLICT' });
    expect(await isDirty(replica.db)).toBe(false);
    expect((await rows<{ h: string }>(replica.db, "SELECT HASHOF('HEAD') AS h"))[0]?.h).toBe(head);
    // Undo the test's schema change on main so later tests see the real schema.
    await exec(replica.db, 'ALTER TABLE labels DROP COLUMN note');
    await commitAll(replica.db, 'test: undo', 'alice');
  });

  it('a fast-forward makes no merge commit', async () => {
    const s = sides();
    await branchFromMain(s.branch);
    await s.theirs.repo.create({ title: 'only theirs' });
    await commitAll(s.theirs.db, 'theirs', 'bob');
    const r = await mergeRef(replica.db, s.branch, { clock: s.ours.clock });
    expect(r.fastForward).toBe(true);
    expect(r.commit).toBeNull();
    expect((await s.ours.repo.list()).map((i) => i.title)).toContain('only theirs');
  });
});
