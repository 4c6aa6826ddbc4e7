// Sync between real workspaces through a real central dolt sql-server.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

interface IssueJson { id: string; title: string; status: string; priority: number; description: string; labels: string[] }
interface SyncJson { duration_ms: number; pulled: number; pushed: number; conflicts_resolved: number; retries: number; noop: boolean; phases: Record<string, number> }

let central: Central;

async function clone(name: string): Promise<string> {
  const dir = testDir(name);
  await ok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  return dir;
}
const sync = async (ws: string): Promise<SyncJson> => (await ok(ws, ['sync', '--json'], central.env)).json as SyncJson;
const show = async (ws: string, id: string): Promise<IssueJson> => (await ok(ws, ['show', id, '--json'])).json as IssueJson;
const list = async (ws: string): Promise<IssueJson[]> => (await ok(ws, ['list', '--json'])).json as IssueJson[];

beforeAll(async () => {
  central = await startCentral();
});
afterAll(async () => {
  await central?.stop();
});

describe('clone and sync', () => {
  it('clones, pushes and pulls; a no-op cycle makes no commit', async () => {
    const a = await clone('sa');
    const b = await clone('sb');
    const created = (await ok(a, ['create', 'from a', '--json'])).json as IssueJson;
    const s1 = await sync(a);
    expect(s1.pushed).toBeGreaterThan(0);
    const s2 = await sync(b);
    expect(s2.pulled).toBeGreaterThan(0);
    expect((await show(b, created.id)).title).toBe('from a');
    const noop = await sync(b);
    expect(noop).toMatchObject({ noop: true, pushed: 0, pulled: 0, conflicts_resolved: 0 });
    expect(noop.phases).toHaveProperty('fetch_ms');
    const doctor = (await ok(b, ['doctor', '--json'])).json as { ok: boolean; central: { url: string; reachable: boolean } };
    expect(doctor).toMatchObject({ ok: true, central: { url: central.url, reachable: true } });
  });

  it('wrong credentials are refused with a clear code and nothing is lost locally', async () => {
    const a = await clone('sbad');
    await ok(a, ['create', 'kept locally']);
    const dir = testDir('nocreds');
    const r = await cli(dir, ['init', '--remote', central.url], { GRAVA_REMOTE_USER: 'syncer', GRAVA_REMOTE_PASSWORD: 'wrong' });
    expect(r.code).toBe(1);
    expect(['GRAVA_E_AUTH', 'GRAVA_E_REMOTE']).toContain(errorCode(r));
    expect(r.stderr).not.toContain('wrong');
    expect((await list(a)).map((i) => i.title)).toContain('kept locally');
  });

  it('rejects a malformed remote URL before doing anything', async () => {
    const dir = testDir('badurl');
    const r = await cli(dir, ['init', '--remote', 'ftp://x/y'], central.env);
    expect(errorCode(r)).toBe('GRAVA_E_INVALID');
  });

  it('different cells of one issue edited in two workspaces both survive', async () => {
    const a = await clone('cells-a');
    const b = await clone('cells-b');
    const i = (await ok(a, ['create', 'shared', '--json'])).json as IssueJson;
    await sync(a);
    await sync(b);
    await ok(a, ['update', i.id, '--priority', '0']);
    await ok(b, ['update', i.id, '--description', 'from b']);
    await sync(a);
    await sync(b);
    await sync(a);
    for (const ws of [a, b]) expect(await show(ws, i.id)).toMatchObject({ priority: 0, description: 'from b' });
  });

  it('the same cell is won by the newest write whichever workspace syncs first', async () => {
    for (const firstSyncer of ['older', 'newer'] as const) {
      const a = await clone(`same-a-${firstSyncer}`);
      const b = await clone(`same-b-${firstSyncer}`);
      const i = (await ok(a, ['create', 'race', '--json'])).json as IssueJson;
      await sync(a);
      await sync(b);
      await ok(a, ['update', i.id, '--title', 'older']);
      await new Promise((r) => setTimeout(r, 20));
      await ok(b, ['update', i.id, '--title', 'newer']);
      const [first, second] = firstSyncer === 'older' ? [a, b] : [b, a];
      await sync(first);
      const s = await sync(second);
      expect(s.conflicts_resolved).toBe(1);
      await sync(first);
      expect((await show(a, i.id)).title).toBe('newer');
      expect((await show(b, i.id)).title).toBe('newer');
    }
  });

  it('merge-inspect previews a merge and explains the past merge commit with the same decisions', async () => {
    const a = await clone('insp-a');
    const b = await clone('insp-b');
    const i = (await ok(a, ['create', 'inspect me', '--json'])).json as IssueJson;
    await sync(a);
    await sync(b);
    await ok(a, ['update', i.id, '--title', 'from a']);
    await new Promise((r) => setTimeout(r, 20));
    await ok(b, ['update', i.id, '--title', 'from b', '--priority', '0']);
    await sync(b);
    interface Cell { column: string; outcome: string; winner: string; ours: unknown; theirs: unknown; sentence: string }
    interface Report { merge?: string; ours: string; rows: { table: string; key: Record<string, string>; cells: Cell[] }[] }
    // Before a syncs, the preview counts a's uncommitted write as ours: the same decision the sync will make.
    const pending = (await ok(a, ['merge-inspect', '--fetch', '--id', i.id, '--json'], central.env)).json as Report;
    expect(pending.ours).toBe('WORKING');
    expect(pending.rows[0]?.cells.find((c) => c.column === 'title')).toMatchObject({ outcome: 'newest-wins', winner: 'theirs', ours: 'from a' });
    await sync(a);
    // a has now merged b's write: explain that merge commit.
    const log = (await ok(a, ['merge-inspect', '--commit', 'HEAD', '--json'])).json as Report;
    const row = log.rows.find((r) => r.table === 'issues' && r.key.id === i.id);
    const title = row?.cells.find((c) => c.column === 'title');
    expect(title).toMatchObject({ outcome: 'newest-wins', winner: 'theirs', ours: 'from a', theirs: 'from b' });
    expect(title?.sentence).toMatch(/title/);
    expect(row?.cells.find((c) => c.column === 'priority')).toMatchObject({ outcome: 'theirs' });
    // A preview on b of a pending change from a, filtered by id, changes nothing.
    await ok(a, ['update', i.id, '--status', 'blocked']);
    await sync(a);
    const before = (await ok(b, ['show', i.id, '--json'])).json as IssueJson;
    const preview = (await ok(b, ['merge-inspect', '--fetch', '--id', i.id, '--json'], central.env)).json as Report;
    expect(preview.rows.flatMap((r) => r.cells).find((c) => c.column === 'status')).toMatchObject({ outcome: 'theirs', theirs: 'blocked' });
    expect((await ok(b, ['show', i.id, '--json'])).json).toEqual(before);
    const human = await ok(b, ['merge-inspect', '--id', i.id]);
    expect(human.stdout).toContain('status');
    expect(errorCode(await cli(b, ['merge-inspect', '--commit', 'HEAD~0', '--table', 'nonsense']))).toBe('GRAVA_E_INVALID');
  });

  it('per-cell example across workspaces: title at t1 in A, title at t2 in B, status at t3 in A', async () => {
    const a = await clone('t123-a');
    const b = await clone('t123-b');
    const i = (await ok(a, ['create', 'original', '--json'])).json as IssueJson;
    await sync(a);
    await sync(b);
    const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
    await ok(a, ['update', i.id, '--title', 'A at t1']);
    await tick();
    await ok(b, ['update', i.id, '--title', 'B at t2']);
    await tick();
    await ok(a, ['update', i.id, '--status', 'in_progress']);
    await sync(a);
    await sync(b);
    await sync(a);
    for (const ws of [a, b]) expect(await show(ws, i.id)).toMatchObject({ title: 'B at t2', status: 'in_progress' });
  });

  it('delete versus update, and labels and comments from both sides, across workspaces', async () => {
    const a = await clone('mix-a');
    const b = await clone('mix-b');
    const doomed = (await ok(a, ['create', 'doomed', '--json'])).json as IssueJson;
    const kept = (await ok(a, ['create', 'kept', '--json'])).json as IssueJson;
    await sync(a);
    await sync(b);
    await ok(a, ['delete', doomed.id]);
    await ok(b, ['update', doomed.id, '--title', 'edited while deleted elsewhere']);
    await ok(a, ['label', 'add', kept.id, 'from-a']);
    await ok(b, ['label', 'add', kept.id, 'from-b']);
    await ok(a, ['comment', kept.id, 'comment a']);
    await ok(b, ['comment', kept.id, 'comment b']);
    await sync(a);
    await sync(b);
    await sync(a);
    for (const ws of [a, b]) {
      expect(errorCode(await cli(ws, ['show', doomed.id]))).toBe('GRAVA_E_NOT_FOUND');
      const k = (await ok(ws, ['show', kept.id, '--json'])).json as IssueJson & { comments: { body: string }[] };
      expect(k.labels).toEqual(['from-a', 'from-b']);
      expect(k.comments.map((c) => c.body).sort()).toEqual(['comment a', 'comment b']);
    }
  });

  it('sync in a local-only workspace fails clearly', async () => {
    const dir = testDir('local-only');
    await ok(dir, ['init']);
    const r = await cli(dir, ['sync']);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('GRAVA_E_REMOTE');
  });
});
