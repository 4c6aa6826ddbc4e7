// Many connections writing the same cell of one issue at once: Dolt lets one
// transaction commit and fails the others with "this transaction conflicts
// with a committed transaction"; each is redone until it lands. A daemon and a
// dozen direct-mode processes on one issue made a CI run fail when the budget
// was five attempts.

import { afterAll, describe, expect, it } from 'vitest';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { rows } from '../../src/storage/dolt/db.js';
import { ok, testDir } from '../helpers/workspace.js';

let r: Replica | undefined;
afterAll(async () => { await r?.close(); });

describe('write contention on one cell', () => {
  it('16 transactions updating one issue\'s description at once all land, after retries', async () => {
    const dir = testDir('contention');
    await ok(dir, ['init', '--actor', 'racer']);
    r = await openReplica(workspacePaths(dir), { poolMax: 12 });
    const issue = await r.issues.create({ title: 'contended' });
    const values = Array.from({ length: 16 }, (_, i) => `value ${i}`);
    await Promise.all(values.map((v) => r!.issues.update(issue.id, { description: v })));
    expect(r.issues.contentionRetries).toBeGreaterThan(0);
    expect(values).toContain((await r.issues.show(issue.id)).description);
    const updates = await rows<{ n: number }>(r.db, "SELECT COUNT(*) AS n FROM events WHERE issue_id = ? AND kind = 'updated'", [issue.id]);
    expect(Number(updates[0]?.n)).toBe(16);
  });
});
