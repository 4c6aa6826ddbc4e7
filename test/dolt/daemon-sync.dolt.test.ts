// Automatic sync through the daemon against a real central server: batches
// become one commit pushed once, other workspaces receive them with no
// command run there, kill -9 at any moment loses nothing, graceful stop
// pushes, and a central outage backs off without stopping local work.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { startCentral, type Central } from '../helpers/central.js';
import { testDir } from '../helpers/workspace.js';
import { dcli, dok, status, until } from '../helpers/daemon.js';
import { prng } from '../helpers/prng.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { openReplica } from '../../src/storage/replica.js';
import { rows } from '../../src/storage/dolt/db.js';
import { isAlive } from '../../src/storage/dolt/process-util.js';

let central: Central;
const roots: string[] = [];

async function clone(name: string, settings: Record<string, string> = {}): Promise<string> {
  const dir = testDir(name);
  await dok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  roots.push(dir);
  for (const [k, v] of Object.entries(settings)) await dok(dir, ['config', 'set', k, v], central.env);
  return dir;
}

/** Reads a workspace's database without running any grava command there. */
async function query<T>(root: string, sql: string): Promise<T[]> {
  const r = await openReplica(workspacePaths(root));
  try { return await rows<T>(r.db, sql); } finally { await r.close(); }
}
const titles = async (root: string): Promise<string[]> => (await query<{ title: string }>(root, 'SELECT title FROM issues WHERE deleted = 0 ORDER BY title')).map((r) => r.title);
const commitCount = async (root: string): Promise<number> => Number((await query<{ n: number }>(root, 'SELECT COUNT(*) AS n FROM dolt_log'))[0]?.n);

interface LastSync { at: string; writes: number; pushed: number; pulled: number; error: { code: string } | null; reason: string }

beforeAll(async () => { central = await startCentral('daemon-central'); });
afterAll(async () => {
  for (const r of roots) await dcli(r, ['daemon', 'stop'], central.env);
  await central?.stop();
});

describe('automatic sync', () => {
  it('30 rapid writes become one commit pushed once, and the other workspace receives them with no command run there', async () => {
    // A keeps the default debounce (5 s), so a loaded machine cannot split the 30 writes; B pulls often.
    const a = await clone('auto-a');
    const b = await clone('auto-b', { 'sync.pull_interval_ms': '500' });
    const before = await commitCount(a);
    for (let i = 0; i < 30; i++) await dok(a, ['create', `rapid ${String(i).padStart(2, '0')}`], central.env);
    const last = await until('A to sync the batch', async () => {
      const l = (await status(a)).last_sync as LastSync | null;
      return l && l.writes > 0 ? l : undefined;
    });
    expect(last).toMatchObject({ writes: 30, pushed: 1, error: null, reason: 'debounce' });
    expect(await commitCount(a)).toBe(before + 1);
    const syncs = readFileSync(workspacePaths(a).daemonLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"sync"') && !l.includes('"pushed":0'));
    expect(syncs).toHaveLength(1);
    const t = Date.now();
    await until('B to receive the batch', async () => (await titles(b)).length === 30);
    expect((await titles(b))[0]).toBe('rapid 00');
    expect(Date.now() - t).toBeLessThan(15_000);
  });

  it('grava sync asks the daemon for a cycle now and prints its summary', async () => {
    const a = await clone('force-a');
    await dok(a, ['create', 'forced'], central.env);
    const r = (await dok(a, ['sync', '--force', '--json'], central.env)).json as Record<string, unknown>;
    for (const k of ['duration_ms', 'pulled', 'pushed', 'conflicts_resolved', 'retries']) expect(r).toHaveProperty(k);
    // pushed counts commits: the batch's, plus a merge commit when others pushed meanwhile.
    expect(r.writes).toBe(1);
    expect(Number(r.pushed)).toBeGreaterThanOrEqual(1);
    expect((await status(a)).pending_writes).toBe(0);
    const bd = await dcli(a, ['sync', '--force'], central.env);
    expect(bd.code).toBe(0);
  });

  it("grava sync --progress says what a long cycle is doing (from the daemon status's sync_phase); --no-progress stays quiet", async () => {
    // A central whose queue looks at the branches once at start and then not for ten minutes, and a workspace
    // that cannot reach its wait call: the sync waits on the queue until GRAVA_QUEUE_WAIT_MS ends it.
    process.env.GRAVA_QUEUE_POLL_MS = '600000';
    const slow = await startCentral('daemon-slow-queue').finally(() => { delete process.env.GRAVA_QUEUE_POLL_MS; });
    const env = { ...slow.env, GRAVA_REMOTE_API: 'http://127.0.0.1:9', GRAVA_QUEUE_WAIT_MS: '10000' };
    const dir = testDir('progress-a');
    try {
      await dok(dir, ['init', '--remote', slow.url, '--actor', 'progress-a'], env);
      await dok(dir, ['create', 'waits for a slow queue'], env);
      const said = await dcli(dir, ['sync', '--progress'], env);
      expect(said.code).not.toBe(0);
      expect(said.stderr).toMatch(/^still syncing after \d+ s: waiting for the central's merge queue to merge this workspace's branch$/m);
      expect(said.stderr).toContain('GRAVA_E_QUEUE_TIMEOUT');
      await dok(dir, ['create', 'waits again'], env);
      const quiet = await dcli(dir, ['sync', '--progress', '--no-progress', '--json'], env);
      expect(quiet.code).not.toBe(0);
      expect(quiet.stderr).not.toContain('still syncing');
      expect((quiet.json as { error?: { code?: string } }).error?.code).toBe('GRAVA_E_QUEUE_TIMEOUT');
    } finally {
      await dcli(dir, ['daemon', 'stop'], env);
      await slow.stop();
    }
  });

  it('a graceful stop right after a write pushes it', async () => {
    const a = await clone('stop-a');
    const b = await clone('stop-b', { 'sync.pull_interval_ms': '300' });
    await dok(a, ['create', 'written just before stop'], central.env);
    await dok(a, ['daemon', 'stop'], central.env);
    await until('B to receive the write made before the stop', async () => (await titles(b)).includes('written just before stop'));
  });

  it('kill -9 of the daemon at random points during cycles loses no acknowledged write', async () => {
    const a = await clone('kill-a', { 'sync.debounce_ms': '50', 'sync.pull_interval_ms': '200' });
    const b = await clone('kill-b');
    const seed = Number(process.env.GRAVA_FC_SEED ?? 2026);
    const random = prng(seed);
    // `npm run test:drills` runs 100 (GRAVA_DRILL_RUNS).
    const runs = Number(process.env.GRAVA_DRILL_RUNS ?? (process.env.CI ? 20 : 12));
    const made: string[] = [];
    let killedDuringCycle = 0;
    for (let i = 0; i < runs; i++) {
      await dok(a, ['create', `survivor ${i}`], central.env);
      made.push(`survivor ${i}`);
      const pid = Number((await status(a)).pid);
      if (i % 2 === 0) {
        // Every other run: wait for a cycle to be under way, then kill it at a random point.
        const caught = await until('a cycle', async () => ((await status(a)) as { syncing?: boolean }).syncing === true, 3_000).then(() => true, () => false);
        await new Promise((r) => setTimeout(r, Math.floor(random() * 60)));
        if (caught) killedDuringCycle++;
      } else {
        await new Promise((r) => setTimeout(r, Math.floor(random() * 400)));
      }
      process.kill(pid, 'SIGKILL');
      await until('the killed daemon to go', () => Promise.resolve(!isAlive(pid)));
    }
    const s = (await dok(a, ['sync', '--json'], central.env)).json as { pushed: number };
    expect(s).toBeDefined();
    await dok(b, ['sync'], central.env);
    expect((await titles(b)).filter((t) => t.startsWith('survivor'))).toEqual([...made].sort());
    expect(await titles(a)).toEqual(await titles(b));
    expect(killedDuringCycle).toBeGreaterThan(0);
    process.stdout.write(`kill -9 drill: ${runs} runs, ${killedDuringCycle} killed while a cycle ran (seed ${seed})\n`);
  });

  it('with the central down, cycles fail with backoff shown in status while local writes go on; it catches up when the central returns', async () => {
    const a = await clone('down-a', { 'sync.debounce_ms': '100', 'sync.pull_interval_ms': '200' });
    await central.stop();
    try {
      await dok(a, ['create', 'written offline'], central.env);
      const st = await until('a failed cycle', async () => {
        const s = await status(a);
        return Number(s.consecutive_failures) >= 2 ? s : undefined;
      });
      expect((st.last_sync as LastSync).error?.code).toBe('GRAVA_E_REMOTE');
      expect(st.pending_writes).toBe(1);
      await dok(a, ['create', 'also offline'], central.env);
      expect(await titles(a)).toEqual(expect.arrayContaining(['also offline', 'written offline']));
    } finally {
      await central.start();
    }
    await dok(a, ['sync', '--force'], central.env);
    const after = await status(a);
    expect(after).toMatchObject({ consecutive_failures: 0, pending_writes: 0 });
    const b = await clone('down-b');
    expect(await titles(b)).toEqual(expect.arrayContaining(['also offline', 'written offline']));
  });
});
