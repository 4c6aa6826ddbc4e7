// Invariants a merge of two replicas can break, repaired deterministically
// (MERGE_SPEC §14), across real workspaces and a real central.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Replica } from '../../src/storage/replica.js';
import { rows } from '../../src/storage/dolt/db.js';
import { syncOnce } from '../../src/transport/sync.js';
import { centralReplica, startCentral, type Central } from '../helpers/central.js';
import { splitId } from '../../src/storage/issues/ids.js';

let central: Central;
const open: Replica[] = [];

const workspace = (name: string): Promise<Replica> => centralReplica(central, name, open);

const liveBlocks = async (r: Replica, ids: readonly string[]): Promise<string[]> =>
  (await rows<{ e: string }>(r.db, `SELECT CONCAT(issue_id, '>', depends_on) AS e FROM dependencies WHERE deleted = 0 AND type = 'blocks' AND issue_id IN (${ids.map(() => '?').join(', ')}) ORDER BY e`, ids)).map((x) => x.e);

beforeAll(async () => { central = await startCentral('central-inv'); }, 120_000);
afterAll(async () => {
  for (const r of open) await r.close();
  await central?.stop();
});

describe('dependency cycles made in two workspaces', () => {
  for (const order of ['older edge syncs first', 'newer edge syncs first'] as const) {
    it(`are broken by removing the newer edge, the same everywhere (${order})`, async () => {
      const [one, two] = [await workspace('cyc-one'), await workspace('cyc-two')];
      const a = await one.issues.create({ title: 'A' });
      const b = await one.issues.create({ title: 'B' });
      await syncOnce(one);
      await syncOnce(two);
      // A → B in one workspace, then (later) B → A in the other; each is fine locally.
      await one.issues.addDependency(a.id, b.id);
      await new Promise((r) => setTimeout(r, 20));
      await two.issues.addDependency(b.id, a.id);
      const [first, second] = order === 'older edge syncs first' ? [one, two] : [two, one];
      await syncOnce(first);
      const merged = await syncOnce(second);
      await syncOnce(first);
      // The merge reported the repair, and recorded it as an event.
      expect(merged.repairs).toEqual([{ kind: 'dependency_cycle', issue_id: b.id, depends_on: a.id }]);
      for (const r of [one, two]) {
        expect(await liveBlocks(r, [a.id, b.id])).toEqual([`${a.id}>${b.id}`]);
        // No deadlock: B (which A waits for) is ready.
        expect((await r.issues.ready()).map((i) => i.id)).toContain(b.id);
      }
      const ev = await rows<{ kind: string; data: string }>(second.db, "SELECT kind, data FROM events WHERE kind = 'merge_repair' AND issue_id = ?", [b.id]);
      expect(ev).toHaveLength(1);
      expect(JSON.parse(ev[0]!.data)).toMatchObject({ repair: 'dependency_cycle', depends_on: a.id });
    });
  }
});

describe('two issues that drew the same id in two workspaces', () => {
  for (const order of ['the second issue syncs first', 'the first issue syncs first'] as const) {
  it(`are both kept whole on every replica, the second under a derived id (${order})`, async () => {
    const tag = order.startsWith('the second') ? 'a' : 'b';
    const [one, two, three] = [await workspace(`col-one${tag}`), await workspace(`col-two${tag}`), await workspace(`col-three${tag}`)];
    const first = await one.issues.create({ title: 'made first, in one' });
    await new Promise((r) => setTimeout(r, 20));
    const second = await two.issues.create({ title: 'made second, in two' });
    await two.issues.addLabel(second.id, 'from-two');
    await two.issues.comment(second.id, 'a note on the second');
    // Force the collision: the second issue drew the first one's id (a rare draw, made certain here).
    for (const t of ['issues SET id', 'labels SET issue_id', 'comments SET issue_id', 'events SET issue_id']) {
      await rows(two.db, `UPDATE ${t} = ? WHERE ${t.endsWith('SET id') ? 'id' : 'issue_id'} = ?`, [first.id, second.id]);
    }
    const [early, late] = tag === 'a' ? [two, one] : [one, two];
    await syncOnce(early);
    const merged = await syncOnce(late);
    const moved = splitId(first.id, `col-two${tag}`, second.created_at);
    expect(merged.repairs).toEqual([{ kind: 'id_collision', issue_id: first.id, new_id: moved }]);
    for (let k = 0; k < 2; k++) for (const r of [one, two, three]) await syncOnce(r);
    const snapshot = async (r: Replica): Promise<string> => JSON.stringify(await Promise.all(['issues', 'labels', 'comments'].map((t) => rows(r.db, `SELECT * FROM ${t} ORDER BY 1, 2`))));
    const want = await snapshot(one);
    for (const r of [two, three]) {
      expect(await snapshot(r)).toBe(want);
      expect((await r.issues.get(first.id)).title).toBe('made first, in one');
      const other = await r.issues.get(moved);
      expect(other).toMatchObject({ title: 'made second, in two', labels: ['from-two'] });
      expect((await r.issues.get(first.id)).labels).toEqual([]);
    }
  });
  }
});

