// The central merge queue (issue 17) against a real central server and real
// workspaces: workspaces push ws/<actor>, the central's supervisor merges each
// head into main one at a time, and a sync returns once main holds its head.

import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Replica } from '../../src/storage/replica.js';
import { rows } from '../../src/storage/dolt/db.js';
import { openDb } from '../../src/storage/dolt/db.js';
import { syncOnce } from '../../src/transport/sync.js';
import { pushRemote } from '../../src/storage/versioning/remotes.js';
import { commitAll } from '../../src/storage/dolt/version-control.js';
import { centralPaths } from '../../src/server/paths.js';
import { adminTarget } from '../../src/server/readiness.js';
import { readSupervisorState } from '../../src/server/supervisor.js';
import { workspaceBranch } from '../../src/storage/versioning/queue-merge.js';
import { centralReplica, snapshot, startCentral, type Central } from '../helpers/central.js';
import { ok } from '../helpers/workspace.js';

let central: Central;
const open: Replica[] = [];
const workspace = (name: string): Promise<Replica> => centralReplica(central, name, open);

/** Reads the central's database as root, over its socket. */
async function onCentral<T>(sql: string, bindings: unknown[] = []): Promise<T[]> {
  const db = openDb(adminTarget(centralPaths(central.dataDir), central.rootPassword), 'grava', 1);
  try { return await rows<T>(db, sql, bindings); } finally { await db.destroy(); }
}

async function isAncestorOnCentral(head: string): Promise<boolean> {
  const r = await onCentral<{ b: string | null }>("SELECT DOLT_MERGE_BASE(?, 'main') AS b", [head]);
  return r[0]?.b === head;
}

/**
 * The real central's GET /v1/main with the queue depth (and the line for transfer slots) a test chooses, made the workspaces' GRAVA_REMOTE_API
 * until closed. Every other call is not answered (404), so a sync that waits for its merge looks at main itself.
 */
async function fakeMainCall(depth: () => number, slotsWaiting: () => number = () => 0): Promise<{ close: () => Promise<void> }> {
  const fake = createServer((req, res) => {
    if (req.method !== 'GET' || !req.url?.startsWith('/v1/main')) { res.writeHead(404).end(); return; }
    void onCentral<{ h: string }>("SELECT HASHOF('main') AS h").then(([m]) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ main: m!.h, queue_depth: depth(), slots_waiting: slotsWaiting() }));
    }, (e: unknown) => { res.writeHead(500).end(String(e)); });
  });
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r));
  process.env.GRAVA_REMOTE_API = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  return {
    close: async () => {
      process.env.GRAVA_REMOTE_API = central.env.GRAVA_REMOTE_API;
      await new Promise((r) => fake.close(r));
    },
  };
}

beforeAll(async () => {
  // Merged branches idle for 3 s are deleted (24 h by default), so the "offline for a day" case runs here.
  process.env.GRAVA_QUEUE_BRANCH_TTL_MS = '3000';
  central = await startCentral('central-queue');
  delete process.env.GRAVA_QUEUE_BRANCH_TTL_MS;
  Object.assign(process.env, central.env);
}, 120_000);
afterAll(async () => {
  for (const r of open) await r.close();
  await central?.stop();
});

describe('the merge queue', () => {
  it('ten workspaces syncing at the same instant all succeed without a retry; all converge and every write is there', async () => {
    const names = Array.from({ length: 10 }, (_, n) => `q-${n}`);
    const ws = await Promise.all(names.map(workspace));
    const shared = await ws[0]!.issues.create({ title: 'shared' });
    await syncOnce(ws[0]!);
    for (const r of ws) await syncOnce(r);
    // Each writes its own issue, a comment and the same cell of the shared issue.
    const written = await Promise.all(ws.map(async (r, n) => {
      const own = await r.issues.create({ title: `queued ${n}` });
      await r.issues.comment(shared.id, `note from ${n}`);
      await r.issues.update(shared.id, { title: `shared by ${n}` });
      const stamp = (await rows<{ s: string }>(r.db, 'SELECT title_clk AS s FROM issues WHERE id = ?', [shared.id]))[0]!.s;
      return { own: own.id, stamp, title: `shared by ${n}` };
    }));
    const results = await Promise.all(ws.map((r) => syncOnce(r)));
    for (const [n, x] of results.entries()) {
      expect(x.mode).toBe('queue');
      expect(x.retries, `workspace ${n}`).toBe(0);
      expect(x.pushed).toBeGreaterThan(0);
      expect(x.merged_at).not.toBeNull();
      // Told by the central's wait call, not by polling it.
      expect(x.waited_by).toBe('call');
      // Exit 0 means the central's main holds this workspace's head.
      expect(await isAncestorOnCentral(x.head)).toBe(true);
    }
    console.log(`queue burst: 10 workspaces, durations ${results.map((x) => x.duration_ms).join('/')} ms`);
    for (const r of ws) await syncOnce(r);
    const snaps = await Promise.all(ws.map(snapshot));
    expect(new Set(snaps).size).toBe(1);
    const heads = await Promise.all(ws.map(async (r) => (await rows<{ h: string }>(r.db, "SELECT HASHOF('main') AS h"))[0]!.h));
    expect(new Set(heads).size).toBe(1);
    const mainHead = (await onCentral<{ h: string }>("SELECT HASHOF('main') AS h"))[0]!.h;
    expect(heads[0]).toBe(mainHead);
    // Every acknowledged write is on every replica; the shared title is the newest write.
    const list = await ws[5]!.issues.list();
    for (const w of written) expect(list.map((i) => i.id)).toContain(w.own);
    const newest = [...written].sort((a, b) => (a.stamp < b.stamp ? 1 : -1))[0]!;
    const got = await ws[7]!.issues.show(shared.id);
    expect(got.title).toBe(newest.title);
    expect(got.comments.map((c) => c.body).sort()).toEqual(names.map((_, n) => `note from ${n}`).sort());
    // The central made merges of its own, authored by the queue.
    const merges = await onCentral<{ n: number }>("SELECT COUNT(*) AS n FROM dolt_log('main') WHERE message LIKE 'grava: queue merge%'");
    expect(Number(merges[0]!.n)).toBeGreaterThan(0);
  });

  it('the same cell changed in two workspaces at once is decided by the central as a workspace decides it: newest stamp wins, on every replica', async () => {
    const [a, b] = [await workspace('cell-a'), await workspace('cell-b')];
    const issue = await a.issues.create({ title: 'contested' });
    await syncOnce(a);
    await syncOnce(b);
    let centralResolved = 0;
    for (const round of [1, 2, 3]) {
      // Written in either order, then pushed at the same instant: both branches start from the same main,
      // so the second one the queue takes is a real merge on the central with a conflicting cell.
      const [first, second] = round % 2 === 1 ? [a, b] : [b, a];
      await first.issues.update(issue.id, { title: `${first.config.actor} ${round}` });
      await second.issues.update(issue.id, { title: `${second.config.actor} ${round}` }); // the newer stamp
      const before = Number((await onCentral<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE kind = 'merge_resolved' AND actor = 'grava-central'"))[0]!.n);
      await Promise.all([syncOnce(a), syncOnce(b)]);
      await syncOnce(a);
      await syncOnce(b);
      const want = `${second.config.actor} ${round}`;
      for (const r of [a, b]) expect((await r.issues.get(issue.id)).title).toBe(want);
      expect((await onCentral<{ title: string }>('SELECT title FROM issues WHERE id = ?', [issue.id]))[0]!.title).toBe(want);
      centralResolved += Number((await onCentral<{ n: number }>("SELECT COUNT(*) AS n FROM events WHERE kind = 'merge_resolved' AND actor = 'grava-central'"))[0]!.n) - before;
    }
    // Not vacuous: the central itself resolved conflicting rows (its merge_resolved events).
    expect(centralResolved).toBeGreaterThan(0);
    // merge-inspect --commit explains a merge the central made, from any replica: ours is main before it,
    // theirs the workspace's head, every cell decided as the central did.
    const made = await rows<{ commit_hash: string }>(a.db, "SELECT commit_hash FROM dolt_log('main') WHERE message LIKE 'grava: queue merge%' ORDER BY date DESC LIMIT 1");
    expect(made).toHaveLength(1);
    const explained = (await ok(a.paths.root, ['merge-inspect', '--commit', made[0]!.commit_hash, '--id', issue.id, '--json'])).json as { merge: string; rows: { cells: { column: string; conflicting: boolean }[] }[] };
    expect(explained.merge).toBe(made[0]!.commit_hash);
    expect(explained.rows.some((r) => r.cells.some((c) => c.column === 'title'))).toBe(true);
  });

  it('a workspace pushing far faster than the others does not starve them: each round takes every waiting branch once', async () => {
    const [fast, ...others] = await Promise.all(['fair-fast', 'fair-1', 'fair-2', 'fair-3'].map(workspace));
    for (const r of [fast!, ...others]) await syncOnce(r);
    const branch = workspaceBranch(fast!.config.actor);
    let pushing = true;
    let pushes = 0;
    // The fast one pushes a new head of its branch as quickly as it can, never waiting for the queue.
    const flood = (async () => {
      while (pushing) {
        await fast!.issues.create({ title: `flood ${pushes}` });
        await commitAll(fast!.db, 'flood', fast!.config.actor);
        await pushRemote(fast!.db, central.env.GRAVA_REMOTE_USER, 'origin', `main:${branch}`);
        pushes++;
      }
    })();
    try {
      await new Promise((res) => setTimeout(res, 500));
      const results = await Promise.all(others.map(async (r, n) => {
        await r.issues.create({ title: `fair ${n}` });
        return syncOnce(r);
      }));
      for (const x of results) {
        expect(x.merged_at).not.toBeNull();
        expect(await isAncestorOnCentral(x.head)).toBe(true);
      }
      console.log(`fairness: ${pushes} pushes of one branch meanwhile; the others' syncs took ${results.map((x) => x.duration_ms).join('/')} ms`);
      expect(pushes).toBeGreaterThan(3);
    } finally {
      pushing = false;
      await flood;
    }
  });

  it("pushes only its own branch: the central holds ws/<actor> at the workspace's commit, and main holds it", async () => {
    const r = await workspace('own-branch');
    await r.issues.create({ title: 'mine' });
    const res = await syncOnce(r);
    const branch = workspaceBranch(r.config.actor);
    const onCentralBranch = await onCentral<{ hash: string }>('SELECT hash FROM dolt_branches WHERE name = ?', [branch]);
    expect(onCentralBranch[0]?.hash).toBe(res.local_commit);
    expect(await isAncestorOnCentral(res.local_commit!)).toBe(true);
    // The scratch branch is never left holding a merge that main lacks.
    const work = await onCentral<{ hash: string }>("SELECT hash FROM dolt_branches WHERE name = 'queue/work'");
    if (work[0]) expect(await isAncestorOnCentral(work[0].hash)).toBe(true);
  });

  it('each Dolt fetch and push of a queue-mode sync takes a transfer slot from the central and hands it back', async () => {
    const slots = async (): Promise<{ limit: number; in_use: number; granted_total: number }> =>
      ((await (await fetch(`http://127.0.0.1:${central.httpPort}/healthz`)).json()) as { slots: { limit: number; in_use: number; granted_total: number } }).slots;
    const r = await workspace('slot-user');
    await syncOnce(r);
    const before = await slots();
    await r.issues.create({ title: 'sent in a turn' });
    const res = await syncOnce(r);
    const after = await slots();
    expect(res.pushed).toBeGreaterThan(0);
    expect(res.fetches).toBeGreaterThan(0);
    // The push and every fetch (before the push, after the merge): one slot each, all handed back.
    expect(after.granted_total - before.granted_total).toBe(res.fetches + 1);
    expect(after.in_use).toBe(0);
    expect(after.limit).toBeGreaterThanOrEqual(2);
  });

  it('an idle pull told to yield fetches nothing while heads wait in the queue or workspaces in line for a transfer slot; a sync with something to send, or with both empty, fetches', async () => {
    const [x, y] = await Promise.all([workspace('yield-x'), workspace('yield-y')]);
    await syncOnce(x);
    await syncOnce(y);
    let depth = 3;
    let line = 0;
    const fake = await fakeMainCall(() => depth, () => line);
    try {
      const first = await y.issues.create({ title: 'made while the queue is busy' });
      await syncOnce(y);
      const yielded = await syncOnce(x, { yieldToBusyQueue: true });
      expect(yielded).toMatchObject({ deferred: true, fetches: 0, pulled: 0, pushed: 0, noop: true });
      await expect(x.issues.get(first.id)).rejects.toMatchObject({ code: 'GRAVA_E_NOT_FOUND' });
      // A sync not told to yield (the CLI's) fetches whatever the queue holds.
      const asked = await syncOnce(x);
      expect(asked).toMatchObject({ deferred: false, fetches: 1 });
      expect((await x.issues.get(first.id)).title).toBe('made while the queue is busy');
      // Something to send: never yields.
      const second = await y.issues.create({ title: 'second, queue still busy' });
      await syncOnce(y);
      await x.issues.create({ title: 'a write of its own' });
      const sending = await syncOnce(x, { yieldToBusyQueue: true });
      expect(sending.deferred).toBe(false);
      expect(sending.pushed).toBeGreaterThan(0);
      expect((await x.issues.get(second.id)).title).toBe('second, queue still busy');
      // The queue empty but workspaces in line for a slot: still yields.
      depth = 0;
      line = 2;
      const inLine = await y.issues.create({ title: 'made while workspaces wait for slots' });
      await syncOnce(y);
      expect(await syncOnce(x, { yieldToBusyQueue: true })).toMatchObject({ deferred: true, fetches: 0 });
      await expect(x.issues.get(inLine.id)).rejects.toMatchObject({ code: 'GRAVA_E_NOT_FOUND' });
      // Both empty: an idle pull fetches.
      line = 0;
      const third = await y.issues.create({ title: 'third, queue empty' });
      await syncOnce(y);
      const idle = await syncOnce(x, { yieldToBusyQueue: true });
      expect(idle).toMatchObject({ deferred: false, fetches: 1 });
      expect((await x.issues.get(third.id)).title).toBe('third, queue empty');
    } finally {
      await fake.close();
    }
  });

  it("an idle sync asks the central whether main moved (GET /v1/main) and fetches nothing when it did not; once main moves, it fetches and merges", async () => {
    const [x, y] = await Promise.all([workspace('idle-x'), workspace('idle-y')]);
    await syncOnce(x);
    await syncOnce(y);
    // A daemon looks this way every few seconds: three reads on its replica (the heads and whether anything is
    // uncommitted) and one call, nothing more.
    const statements: string[] = [];
    const count = (q: { sql: string }): void => { statements.push(q.sql); };
    x.db.on('query', count);
    const idle = await syncOnce(x).finally(() => x.db.off('query', count));
    expect(statements.map((q) => /FROM (\w+)/.exec(q)?.[1]).sort()).toEqual(['dolt_branches', 'dolt_remote_branches', 'dolt_status']);
    expect(idle.fetches).toBe(0);
    expect(idle.noop).toBe(true);
    expect(idle.head).toBe((await rows<{ h: string }>(x.db, "SELECT HASHOF('main') AS h"))[0]!.h);
    const main = (await onCentral<{ h: string }>("SELECT HASHOF('main') AS h"))[0]!.h;
    const auth = `Basic ${Buffer.from(`${central.env.GRAVA_REMOTE_USER!}:${central.env.GRAVA_REMOTE_PASSWORD!}`).toString('base64')}`;
    expect(await (await fetch(`http://127.0.0.1:${central.httpPort}/v1/main`, { headers: { authorization: auth } })).json()).toEqual({ main, queue_depth: 0, slots_waiting: 0 });
    expect((await fetch(`http://127.0.0.1:${central.httpPort}/v1/main`)).status).toBe(401);
    const made = await y.issues.create({ title: 'seen by an idle workspace' });
    await syncOnce(y);
    const moved = await syncOnce(x);
    expect(moved.fetches).toBe(1);
    expect(moved.pulled).toBeGreaterThan(0);
    expect((await x.issues.get(made.id)).title).toBe('seen by an idle workspace');
    // A write of its own (uncommitted until a sync: no daemon runs here) is committed and goes through the
    // queue without the fetch before its push.
    await x.issues.create({ title: 'pushed without a fetch first' });
    const pushed = await syncOnce(x);
    expect(pushed.pushed).toBeGreaterThan(0);
    expect(pushed.merged_at).not.toBeNull();
    expect(pushed.fetches).toBe(1);
    expect(pushed.local_commit).not.toBeNull();
    // Its first push made ws/<actor> on the central (a plain push); the next one finds its own copy there and
    // pushes with --force, which skips Dolt's fast-forward check.
    expect(pushed.push_forced).toBe(false);
    await x.issues.create({ title: 'pushed with --force' });
    const again = await syncOnce(x);
    expect(again.push_forced).toBe(true);
    expect(again.merged_at).not.toBeNull();
    expect(await isAncestorOnCentral(again.head)).toBe(true);
  });

  it('a merged branch nobody pushes to is deleted after the TTL; its workspace, back after a long absence, pushes and is merged again', async () => {
    const r = await workspace('long-gone');
    await r.issues.create({ title: 'before the absence' });
    await syncOnce(r);
    const branch = workspaceBranch(r.config.actor);
    expect(await onCentral('SELECT name FROM dolt_branches WHERE name = ?', [branch])).toHaveLength(1);
    const until = Date.now() + 20_000;
    while ((await onCentral('SELECT name FROM dolt_branches WHERE name = ?', [branch])).length > 0 && Date.now() < until) await new Promise((res) => setTimeout(res, 250));
    expect(await onCentral('SELECT name FROM dolt_branches WHERE name = ?', [branch])).toHaveLength(0);
    const back = await r.issues.create({ title: 'after the absence' });
    const res = await syncOnce(r);
    expect(res.merged_at).not.toBeNull();
    expect(await onCentral('SELECT id FROM issues WHERE id = ?', [back.id])).toHaveLength(1);
    const sup = readSupervisorState(centralPaths(central.dataDir))!;
    const health = (await (await fetch(`http://127.0.0.1:${sup.http_port}/healthz`)).json()) as { queue: { branches_deleted_total: number } };
    expect(health.queue.branches_deleted_total).toBeGreaterThan(0);
  });

  it('direct mode (sync.mode=direct) still pushes main itself', async () => {
    const r = await workspace('direct-one');
    await ok(r.paths.root, ['config', 'set', 'sync.mode', 'direct']);
    const issue = await r.issues.create({ title: 'pushed directly' });
    const res = (await ok(r.paths.root, ['sync', '--json'])).json as { mode: string; merged_at: string | null; head: string };
    expect(res.mode).toBe('direct');
    expect(res.merged_at).toBeNull();
    expect(await isAncestorOnCentral(res.head)).toBe(true);
    expect(await onCentral('SELECT id FROM issues WHERE id = ?', [issue.id])).toHaveLength(1);
  });

  it('the claim call answers a sync user only, refuses a bad request with a stable code, and says when the issue is not there', async () => {
    const r = await workspace('caller');
    const issue = await r.issues.create({ title: 'to claim by call' });
    await syncOnce(r);
    const call = (auth: string | null, body: unknown): Promise<Response> => fetch(`http://127.0.0.1:${central.httpPort}/v1/claims`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) }, body: JSON.stringify(body),
    });
    const user = central.env.GRAVA_REMOTE_USER!;
    const good = `${user}:${central.env.GRAVA_REMOTE_PASSWORD!}`;
    for (const auth of [null, `${user}:wrong`, `nobody:${central.env.GRAVA_REMOTE_PASSWORD!}`]) {
      const res = await call(auth, { id: issue.id, actor: 'someone' });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('GRAVA_E_AUTH');
    }
    for (const body of [{ id: 'not an id', actor: 'x' }, { id: issue.id, actor: 'has space' }, { id: issue.id, actor: 'x', extra: 1 }, { id: issue.id, actor: 'x', lease_ms: -5 }]) {
      const res = await call(good, body);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { code: string }).code).toBe('GRAVA_E_INVALID');
    }
    const absent = await call(good, { id: 'gr-zzzzzz', actor: 'someone' });
    expect(absent.status).toBe(404);
    expect(await absent.json()).toMatchObject({ code: 'GRAVA_E_NOT_FOUND', verdict: 'absent' });
    // Nothing above wrote anything: the issue is still unclaimed on main.
    expect(await onCentral('SELECT assignee FROM issues WHERE id = ?', [issue.id])).toEqual([{ assignee: null }]);
    const won = await call(good, { id: issue.id, actor: 'someone' });
    expect(won.status).toBe(200);
    expect(await won.json()).toMatchObject({ verdict: 'won', issue: { id: issue.id, assignee: 'someone', status: 'in_progress' } });
    const lost = await call(good, { id: issue.id, actor: 'another' });
    expect(lost.status).toBe(409);
    expect(await lost.json()).toMatchObject({ code: 'GRAVA_E_CONFLICT', verdict: 'refused', holder: 'someone' });
    // The wait call: the same credentials, a strict body, and an answer for a head main holds.
    const wait = (auth: string | null, body: unknown): Promise<Response> => fetch(`http://127.0.0.1:${central.httpPort}/v1/queue/wait`, {
      method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {}) }, body: JSON.stringify(body),
    });
    const branch = workspaceBranch(r.config.actor);
    const head = (await onCentral<{ hash: string }>('SELECT hash FROM dolt_branches WHERE name = ?', [branch]))[0]!.hash;
    expect((await wait(`${user}:wrong`, { branch, head })).status).toBe(401);
    expect((await wait(good, { branch, head: 'nothash' })).status).toBe(400);
    expect(await (await wait(good, { branch, head, timeout_ms: 5_000 })).json()).toMatchObject({ merged: true });
    // A head that is no commit here is not merged (and does not stop the queue: the next sync is merged); a wait
    // that times out names main's head as it stands (a workspace tells a moving queue from a stuck one).
    const mainNow = (await onCentral<{ h: string }>("SELECT HASHOF('main') AS h"))[0]!.h;
    const t0 = Date.now();
    expect(await (await wait(good, { branch, head: 'v'.repeat(32), timeout_ms: 1_000 })).json()).toEqual({ merged: false, main: mainNow });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(await (await wait(good, { branch: 'ws/nobody-pushed-this', head: 'v'.repeat(32), timeout_ms: 500 })).json()).toEqual({ merged: false, main: mainNow });
    await r.issues.create({ title: 'after a made-up head' });
    expect((await syncOnce(r)).waited_by).toBe('call');
  });

  it('an idle queue (looking less often: GRAVA_QUEUE_IDLE_POLL_MS) still merges a head that no wait call announces', async () => {
    const r = await workspace('unannounced');
    await syncOnce(r);
    // Two idle seconds: the queue's pause has grown to its idle pace.
    await new Promise((res) => setTimeout(res, 2_000));
    await r.issues.create({ title: 'pushed with nobody calling' });
    process.env.GRAVA_REMOTE_API = 'http://127.0.0.1:9';
    const res = await syncOnce(r).finally(() => { process.env.GRAVA_REMOTE_API = central.env.GRAVA_REMOTE_API; });
    expect(res.waited_by).toBe('poll');
    expect(res.merged_at).not.toBeNull();
    expect(await isAncestorOnCentral(res.head)).toBe(true);
  });

  it('a sync whose branch the queue does not merge in time fails with GRAVA_E_QUEUE_TIMEOUT, and the pushed branch stays', async () => {
    // A central whose queue looks at the branches once at start and then not for ten minutes.
    process.env.GRAVA_QUEUE_POLL_MS = '600000';
    const slow = await startCentral('central-slow-queue');
    delete process.env.GRAVA_QUEUE_POLL_MS;
    try {
      const r = await centralReplica(slow, 'slow-one', open);
      await r.issues.create({ title: 'waits' });
      // The wait call would wake the queue at once: this workspace cannot reach it, so it polls for itself.
      process.env.GRAVA_QUEUE_WAIT_MS = '1500';
      process.env.GRAVA_REMOTE_API = 'http://127.0.0.1:9';
      const err = await syncOnce(r).then(() => null, (e: unknown) => e as { code?: string; message: string });
      delete process.env.GRAVA_QUEUE_WAIT_MS;
      process.env.GRAVA_REMOTE_API = central.env.GRAVA_REMOTE_API;
      expect(err?.code).toBe('GRAVA_E_QUEUE_TIMEOUT');
      expect(err?.message).toMatch(/main did not move for 1.5 s as far as this workspace saw \(GRAVA_QUEUE_WAIT_MS\); nothing is lost/);
      const db = openDb(adminTarget(centralPaths(slow.dataDir), slow.rootPassword), 'grava', 1);
      try {
        const b = await rows<{ hash: string }>(db, 'SELECT hash FROM dolt_branches WHERE name = ?', [workspaceBranch(r.config.actor)]);
        expect(b[0]?.hash).toBe((await rows<{ h: string }>(r.db, "SELECT HASHOF('main') AS h"))[0]!.h);
        // A daemon stopping aborts the wait: the sync fails at once (not after the 60 s bound), its branch pushed.
        await r.issues.create({ title: 'pushed while the daemon stops' });
        process.env.GRAVA_REMOTE_API = 'http://127.0.0.1:9';
        const stopping = new AbortController();
        const t0 = Date.now();
        const pending = syncOnce(r, { signal: stopping.signal }).then(() => null, (e: unknown) => e as { code?: string; message: string });
        setTimeout(() => stopping.abort(), 1_000);
        const aborted = await pending;
        process.env.GRAVA_REMOTE_API = central.env.GRAVA_REMOTE_API;
        expect(aborted?.code).toBe('GRAVA_E_QUEUE_TIMEOUT');
        expect(aborted?.message).toMatch(/before this workspace stopped waiting \(its daemon is stopping\); nothing is lost/);
        expect(Date.now() - t0).toBeLessThan(30_000);
        const moved = await rows<{ hash: string }>(db, 'SELECT hash FROM dolt_branches WHERE name = ?', [workspaceBranch(r.config.actor)]);
        expect(moved[0]?.hash).toBe((await rows<{ h: string }>(r.db, "SELECT HASHOF('main') AS h"))[0]!.h);
        expect(moved[0]?.hash).not.toBe(b[0]?.hash);
      } finally { await db.destroy(); }
    } finally {
      delete process.env.GRAVA_QUEUE_WAIT_MS;
      process.env.GRAVA_REMOTE_API = central.env.GRAVA_REMOTE_API;
      await slow.stop();
    }
  });

  it('queue depth and merges are reported in /metrics, /healthz and server status', async () => {
    const status = (await ok(central.dataDir, ['server', 'status', '--data-dir', central.dataDir, '--json'])).json as { queue: { depth: number; merged_total: number } | null };
    expect(status.queue).not.toBeNull();
    expect(status.queue!.merged_total).toBeGreaterThan(0);
    const sup = readSupervisorState(centralPaths(central.dataDir))!;
    const metrics = await (await fetch(`http://127.0.0.1:${sup.http_port}/metrics`)).text();
    expect(metrics).toMatch(/^grava_queue_depth \d+$/m);
    expect(metrics).toMatch(/^grava_queue_merges_total\{outcome="merged"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^grava_queue_oldest_wait_seconds /m);
    expect(metrics).toMatch(/^grava_claims_total [1-9]/m);
    expect(metrics).toMatch(/^grava_main_restored_total 0$/m);
    expect(metrics).toMatch(/^grava_remote_slot_asks_total\{outcome="granted"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^grava_remote_slots_in_use 0$/m);
    const human = (await ok(central.dataDir, ['server', 'status', '--data-dir', central.dataDir])).stdout;
    expect(human).toMatch(/transfer slots: 0 of \d+ in use, 0 waiting; [1-9]\d* granted/);
  });

  it('kill -9 of the central (its Dolt, or the supervisor and its Dolt) while workspaces wait for the queue: restarted, the queue drains, nothing is lost', async () => {
    const names = Array.from({ length: 5 }, (_, n) => `crash-${n}`);
    const ws = await Promise.all(names.map(workspace));
    for (const r of ws) await syncOnce(r);
    const paths = centralPaths(central.dataDir);
    const rounds = Number(process.env.GRAVA_DRILL_RUNS ?? 4);
    let killed = 0;
    const recover: number[] = [];
    for (let round = 0; round < rounds; round++) {
      await Promise.all(ws.map((r, n) => r.issues.create({ title: `crash ${round}.${n}` })));
      const syncs = ws.map((r) => syncOnce(r).then(() => null, (e: unknown) => e));
      // Mid-queue: pushes are landing and the queue is merging.
      await new Promise((res) => setTimeout(res, 60 + (round % 3) * 40));
      const sup = readSupervisorState(paths);
      const mainBefore = (await onCentral<{ h: string }>("SELECT HASHOF('main') AS h").catch(() => [{ h: '' }]))[0]!.h;
      const t = Date.now();
      if (round % 2 === 0) {
        // Dolt alone: the supervisor restarts it; the waiting syncs ride it out.
        if (sup?.dolt_pid) { process.kill(sup.dolt_pid, 'SIGKILL'); killed++; }
      } else {
        // The supervisor and its Dolt, restarted as systemd or Kubernetes would: a new `grava server start`,
        // which replaces the orphaned Dolt.
        for (const pid of [sup?.pid, sup?.dolt_pid]) if (pid) { try { process.kill(pid, 'SIGKILL'); killed++; } catch { /* already gone */ } }
        await central.start();
      }
      const outcomes = await Promise.all(syncs);
      recover.push(Date.now() - t);
      // main after the crash is main before it or a descendant (never a half-done merge), with a clean working set.
      if (mainBefore) expect(await isAncestorOnCentral(mainBefore)).toBe(true);
      expect(await onCentral('SELECT * FROM dolt_status')).toEqual([]);
      for (const e of outcomes) if (e) expect(['GRAVA_E_REMOTE', 'GRAVA_E_QUEUE_TIMEOUT']).toContain((e as { code?: string }).code);
    }
    expect(killed).toBeGreaterThan(0);
    console.log(`central kill drill: ${rounds} rounds, ${killed} processes killed; until every waiting sync ended: ${recover.join('/')} ms`);
    // Everything converges once the queue drains: every write of every round is on every replica and on main.
    for (let pass = 0; pass < 2; pass++) for (const r of ws) await syncOnce(r);
    const want = names.flatMap((_, n) => Array.from({ length: rounds }, (_, round) => `crash ${round}.${n}`)).sort();
    for (const r of ws) expect((await r.issues.list()).map((i) => i.title).filter((t) => t.startsWith('crash ')).sort()).toEqual(want);
    const onMain = await onCentral<{ title: string }>("SELECT title FROM issues WHERE title LIKE 'crash %'");
    expect(onMain.map((x) => x.title).sort()).toEqual(want);
    expect(execFileSync('pgrep', ['-f', paths.doltConfig], { encoding: 'utf8' }).trim().split('\n')).toHaveLength(1);
  });
});
