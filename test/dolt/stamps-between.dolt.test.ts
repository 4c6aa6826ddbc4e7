// The clock's look at what a pull brought in (stampsBetween): every stamp of
// every table whose data changed between two commits, and nothing from the
// tables that did not change (they are skipped after one dolt_diff_summary).

import { afterAll, describe, expect, it } from 'vitest';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { rows } from '../../src/storage/dolt/db.js';
import { commitAll } from '../../src/storage/dolt/version-control.js';
import { stampsBetween } from '../../src/storage/versioning/conflict-rows.js';
import { TABLES } from '../../src/merge/tables.js';
import { ok, testDir } from '../helpers/workspace.js';

let r: Replica | undefined;
afterAll(async () => { await r?.close(); });

describe('stamps between two commits', () => {
  it('holds the stamps of a label and of the events written between them, and none of an unchanged issue', async () => {
    const dir = testDir('stamps');
    await ok(dir, ['init', '--actor', 'stamper']);
    r = await openReplica(workspacePaths(dir));
    const untouched = await r.issues.create({ title: 'untouched' });
    const labelled = await r.issues.create({ title: 'labelled' });
    const from = await commitAll(r.db, 'before', 'stamper');
    await r.issues.addLabel(labelled.id, 'urgent');
    const to = await commitAll(r.db, 'after', 'stamper');
    expect(from).not.toBeNull();
    expect(to).not.toBeNull();
    const stamps = new Set(await stampsBetween(r.db, TABLES, from!, to!));
    const label = (await rows<{ deleted_clk: string }>(r.db, 'SELECT deleted_clk FROM labels WHERE issue_id = ?', [labelled.id]))[0]!;
    const events = await rows<{ at: string; issue_id: string }>(r.db, 'SELECT at, issue_id FROM events');
    expect(stamps.has(label.deleted_clk)).toBe(true);
    // Of the labelled issue's events, only the label's (its creation came before `from`).
    expect(events.filter((e) => e.issue_id === labelled.id)).toHaveLength(2);
    expect(events.filter((e) => e.issue_id === labelled.id && stamps.has(e.at))).toHaveLength(1);
    // The untouched issue's own stamps and its creation event were before `from`.
    const before = await rows<{ title_clk: string }>(r.db, 'SELECT title_clk FROM issues WHERE id = ?', [untouched.id]);
    expect(stamps.has(before[0]!.title_clk)).toBe(false);
    const created = events.filter((e) => e.issue_id === untouched.id).map((e) => e.at);
    expect(created.length).toBeGreaterThan(0);
    expect(created.some((at) => stamps.has(at))).toBe(false);
    // Nothing changed between a commit and itself.
    expect(await stampsBetween(r.db, TABLES, to!, to!)).toEqual([]);
  });
});
