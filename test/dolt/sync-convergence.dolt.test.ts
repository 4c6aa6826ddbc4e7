// Convergence, push races and outages, across real workspaces and a real
// central server. Replay a failing random script with GRAVA_SYNC_SEED.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Replica } from '../../src/storage/replica.js';
import { commitTx, rows, storageError } from '../../src/storage/dolt/db.js';
import { isLocalContention } from '../../src/storage/dolt/contention.js';
import { syncOnce } from '../../src/transport/sync.js';
import { centralReplica, snapshot, startCentral, type Central } from '../helpers/central.js';
import { ok } from '../helpers/workspace.js';
import { prng } from '../helpers/prng.js';

let central: Central;
const open: Replica[] = [];

const workspace = (name: string): Promise<Replica> => centralReplica(central, name, open);


async function settle(replicas: readonly Replica[]): Promise<void> {
  for (let round = 0; round < 2; round++) for (const r of replicas) await syncOnce(r);
}

beforeAll(async () => {
  central = await startCentral('central-conv');
}, 120_000);
afterAll(async () => {
  for (const r of open) await r.close();
  await central?.stop();
});

describe('convergence', () => {
  it('random edit scripts and sync orders end identical everywhere, each cell holding its newest write', async () => {
    const seed = Number(process.env.GRAVA_SYNC_SEED ?? Date.now() % 1_000_000);
    const rnd = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    const ws = [await workspace('conv-a'), await workspace('conv-b'), await workspace('conv-c')];
    const seedIssue = await ws[0]!.issues.create({ title: 'seed' });
    await syncOnce(ws[0]!);
    await settle(ws);
    const ids = [seedIssue.id];
    // Every write's (stamp, value) per cell: the oracle picks the greatest stamp.
    const writes = new Map<string, { stamp: string; value: string | number }[]>();
    const record = async (r: Replica, id: string, col: string, value: string | number): Promise<void> => {
      const stamp = (await rows<{ s: string }>(r.db, `SELECT \`${col}_clk\` AS s FROM issues WHERE id = ?`, [id]))[0]!.s;
      writes.set(`${id}.${col}`, [...(writes.get(`${id}.${col}`) ?? []), { stamp, value }]);
    };
    for (let step = 0; step < 36; step++) {
      const r = pick(ws);
      const op = rnd();
      try {
        if (op < 0.15) {
          const i = await r.issues.create({ title: `new ${step}` });
          ids.push(i.id);
        } else if (op < 0.5) {
          const id = pick(ids);
          const title = `t${step}-${r.config.actor}`;
          await r.issues.update(id, { title });
          await record(r, id, 'title', title);
        } else if (op < 0.7) {
          const id = pick(ids);
          const priority = Math.floor(rnd() * 5);
          await r.issues.update(id, { priority });
          await record(r, id, 'priority', priority);
        } else if (op < 0.8) {
          await r.issues.addLabel(pick(ids), pick(['x', 'y', 'z']));
        } else {
          await syncOnce(r);
        }
      } catch (e) {
        // An issue created elsewhere and not yet pulled here is not found: that is fine.
        if ((e as { code?: string }).code !== 'GRAVA_E_NOT_FOUND') throw new Error(`seed ${seed}, step ${step}: ${String(e)}`);
      }
    }
    await settle(ws);
    const snaps = await Promise.all(ws.map(snapshot));
    expect(new Set(snaps).size, `seed ${seed}`).toBe(1);
    const heads = await Promise.all(ws.map(async (r) => (await rows<{ h: string }>(r.db, "SELECT HASHOF('main') AS h"))[0]!.h));
    expect(new Set(heads).size, `seed ${seed}`).toBe(1);
    for (const [cell, list] of writes) {
      const [id, col] = cell.split('.') as [string, string];
      const newest = [...list].sort((a, b) => (a.stamp < b.stamp ? 1 : -1))[0]!;
      const got = (await rows<Record<string, string | number>>(ws[0]!.db, `SELECT \`${col}\` AS v FROM issues WHERE id = ?`, [id]))[0]!.v;
      expect(got, `seed ${seed}: ${cell}`).toBe(newest.value);
    }
  });

  it('issues created offline in several workspaces, with dependencies between them, all arrive', async () => {
    const [a, b] = [await workspace('off-a'), await workspace('off-b')];
    const a1 = await a.issues.create({ title: 'a1' });
    const a2 = await a.issues.create({ title: 'a2' });
    await a.issues.addDependency(a2.id, a1.id);
    const b1 = await b.issues.create({ title: 'b1' });
    await b.issues.comment(b1.id, 'offline note');
    await settle([a, b]);
    for (const r of [a, b]) {
      const titles = (await r.issues.list()).map((i) => i.title);
      expect(titles).toEqual(expect.arrayContaining(['a1', 'a2', 'b1']));
      expect((await r.issues.show(a2.id)).dependencies.map((d) => d.id)).toEqual([a1.id]);
      expect((await r.issues.show(b1.id)).comments.map((c) => c.body)).toEqual(['offline note']);
    }
  });
});

describe('push races and outages', () => {
  it('writes made by other processes while a sync runs never make it fail, and all arrive', async () => {
    const [a, b] = [await workspace('busy-a'), await workspace('busy-b')];
    const shared = await a.issues.create({ title: 'shared' });
    await settle([a, b]);
    for (let round = 0; round < 3; round++) {
      await b.issues.update(shared.id, { title: `b ${round}` });
      await syncOnce(b);
      await a.issues.update(shared.id, { priority: round });
      // A sync that must merge, with other agents writing into the same workspace meanwhile.
      const writers = [1, 2, 3].map((k) => ok(a.paths.root, ['create', `busy ${round}.${k}`]));
      const [result] = await Promise.all([syncOnce(a), ...writers]);
      expect(result.pulled).toBeGreaterThan(0);
    }
    await settle([a, b]);
    const titles = (await b.issues.list()).map((i) => i.title);
    for (let round = 0; round < 3; round++) for (const k of [1, 2, 3]) expect(titles).toContain(`busy ${round}.${k}`);
    expect(await b.issues.get(shared.id)).toMatchObject({ title: 'b 2', priority: 2 });
  });

  it('direct mode: eight workspaces pushing main at once all succeed after retries, and nothing is lost', async () => {
    const names = Array.from({ length: 8 }, (_, n) => `race-${n}`);
    const ws = await Promise.all(names.map(workspace));
    // Each workspace holds work the central lacks, so every sync must push.
    await Promise.all(ws.map((r, n) => r.issues.create({ title: `racer ${n}` })));
    // The optimistic cycle (sync.mode=direct), which a grava server's merge queue replaces by default.
    const results = await Promise.all(ws.map((r) => syncOnce(r, { mode: 'direct' })));
    expect(results.every((x) => x.pushed > 0 && x.mode === 'direct')).toBe(true);
    // Eight pushes to one branch at once: all but the first lose the race at least once.
    const retries = results.reduce((n, x) => n + x.retries, 0);
    expect(retries).toBeGreaterThanOrEqual(1);
    expect(results.filter((x) => x.retries > 0).length).toBeGreaterThanOrEqual(1);
    console.log(`push race: 8 workspaces, ${retries} retries in total, durations ${results.map((x) => x.duration_ms).join('/')} ms`);
    await settle(ws);
    const want = names.map((_, n) => `racer ${n}`).sort();
    for (const r of ws) {
      const titles = (await r.issues.list()).map((i) => i.title).filter((t) => t.startsWith('racer '));
      expect(titles.sort()).toEqual(want);
    }
  });

  it("a transaction that lost to another connection's commit fails its commit and is recognised as contention (the real Dolt error)", async () => {
    const [a] = [await workspace('contend')];
    const issue = await a.issues.create({ title: 'contended' });
    const tx = await a.db.transaction();
    try {
      await tx.raw('UPDATE issues SET title = ? WHERE id = ?', ['from the transaction', issue.id]);
      // Another connection commits a write to the same cell first.
      await a.db.raw('UPDATE issues SET title = ? WHERE id = ?', ['from elsewhere', issue.id]);
      // knex's commit() resolves even then; commitTx (used by the merge) must fail.
      const err = await commitTx(tx).then(() => undefined, (e: unknown) => e);
      expect((err as { errno?: number }).errno).toBe(1213);
      expect(isLocalContention(err)).toBe(true);
      expect(isLocalContention(storageError(err, 'writing'))).toBe(true);
      expect((await a.issues.get(issue.id)).title).toBe('from elsewhere');
    } finally {
      if (!tx.isCompleted()) await tx.rollback().catch(() => undefined);
    }
  });

  it('with the central stopped, local work goes on and sync fails clearly; after a restart nothing is lost', async () => {
    const [a, b] = [await workspace('outage-a'), await workspace('outage-b')];
    await central.stop();
    try {
      const i = await a.issues.create({ title: 'written during the outage' });
      const failure = await syncOnce(a).then(() => undefined, (e: { code?: string }) => e);
      expect(['GRAVA_E_REMOTE', 'GRAVA_E_AUTH']).toContain(failure?.code);
      expect((await a.issues.get(i.id)).title).toBe('written during the outage');
      await a.issues.update(i.id, { priority: 0 });
    } finally {
      await central.start();
    }
    await settle([a, b]);
    const got = (await b.issues.list()).find((x) => x.title === 'written during the outage');
    expect(got?.priority).toBe(0);
  });
});
