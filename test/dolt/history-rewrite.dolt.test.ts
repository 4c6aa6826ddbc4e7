// The central's history moved by someone other than grava, against a real
// central server and the plain `dolt` CLI with the sync user's password:
//  - a force-push of an older main: the central's merge queue puts main back
//    within a poll and raises it (status, /metrics, its log);
//  - the central restored from an older backup (stop, restore, start): the
//    next sync pushes the missing commits back and reports remote_rewound;
//  - the attack from issue 18 (a clone, `dolt reset --hard`, `DELETE FROM
//    issues`, a commit and `dolt push --force`): the central puts main back,
//    also when it was made while the supervisor was down (main-guard.json);
//    where no central watches (a shared directory), a healthy workspace
//    refuses to merge it (GRAVA_E_HISTORY_REWRITE), keeps every issue and
//    pushes nothing.

import { execFile } from 'node:child_process';
import { mkdirSync, renameSync } from 'node:fs';
import { centralPaths } from '../../src/server/paths.js';
import { readSettings } from '../../src/server/settings.js';
import { readMainRecord } from '../../src/server/main-record.js';
import { readSupervisorState } from '../../src/server/supervisor.js';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configureDoltHome } from '../../src/storage/versioning/central-admin.js';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

let central: Central;
let root: string;
let home: string;

/** `dolt <args>` as a plain client with the sync user's password in its environment (never on the command line). */
function dolt(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(inject('doltPath'), args, { cwd, env: { ...process.env, DOLT_ROOT_PATH: home, DOLT_REMOTE_PASSWORD: central.env.GRAVA_REMOTE_PASSWORD }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dolt ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A fresh plain-dolt clone of the central, as an attacker (or an operator) would make it. */
async function rawClone(name: string): Promise<string> {
  const dir = join(root, name);
  await dolt(root, ['clone', '--user', central.env.GRAVA_REMOTE_USER!, central.url, dir]);
  return dir;
}

const titles = async (ws: string): Promise<string[]> => ((await ok(ws, ['list', '--json'])).json as { title: string }[]).map((i) => i.title).sort();

async function centralHead(): Promise<string> {
  const dir = await rawClone(`peek-${Date.now()}`);
  return (await dolt(dir, ['sql', '-r', 'csv', '-q', "SELECT hash FROM dolt_branches WHERE name = 'main'"])).trim().split('\n')[1] ?? '';
}

beforeAll(async () => {
  central = await startCentral('rewrite-central');
  root = testDir('rewrite');
  home = join(root, 'dolt-home');
  mkdirSync(home, { recursive: true });
  await configureDoltHome(inject('doltPath'), home, 'someone');
});

afterAll(async () => {
  await central.stop();
});


describe("the central's history moved by hand", () => {
  let a: string;
  let b: string;

  it('a force-push that moves main back is undone by the central within a poll, and raised in status and /metrics', async () => {
    a = testDir('ws-a');
    await ok(a, ['init', '--remote', central.url, '--actor', 'ws-a'], central.env);
    await ok(a, ['create', 'first']);
    await ok(a, ['sync'], central.env);
    await ok(a, ['create', 'second']);
    const head = ((await ok(a, ['sync', '--json'], central.env)).json as { head: string }).head;
    const raw = await rawClone('rewinder');
    await dolt(raw, ['reset', '--hard', 'HEAD~1']);
    await dolt(raw, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    const t = Date.now();
    while ((await centralHead()) !== head && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(await centralHead()).toBe(head);
    console.log(`[rewrite] a force-pushed rewind undone by the central in ${Date.now() - t} ms (a clone included)`);
    const status = (await ok(root, ['server', 'status', '--data-dir', central.dataDir, '--json'])).json as { queue: { main_restored_total: number; last_main_restore: { to: string } | null } };
    expect(status.queue.main_restored_total).toBeGreaterThan(0);
    expect(status.queue.last_main_restore?.to).toBe(head);
    expect(await (await fetch(`http://127.0.0.1:${central.httpPort}/metrics`)).text()).toMatch(/^grava_main_restored_total [1-9]/m);
    const r = (await ok(a, ['sync', '--json'], central.env)).json as { remote_rewound: boolean };
    expect(r.remote_rewound).toBe(false);
  });

  it('the central restored from an older backup: the workspaces push back what it lacks, the rewind is reported, nothing is lost', async () => {
    const admin = { ...central.env, GRAVA_SERVER_ROOT_PASSWORD: central.rootPassword };
    const backup = (await ok(root, ['server', 'backup', '--data-dir', central.dataDir, '--json'], admin)).json as { url: string; main_head: string };
    await ok(a, ['create', 'third']);
    const head = ((await ok(a, ['sync', '--json'], central.env)).json as { head: string }).head;
    expect(head).not.toBe(backup.main_head);
    // The operator's drill (docs/OPERATIONS.md, "Restore"): stop, restore into a new dir on the same ports, start.
    const settings = readSettings(centralPaths(central.dataDir));
    await central.stop();
    renameSync(central.dataDir, `${central.dataDir}.old`);
    const ports = ['--port', String(settings.port), '--remotesapi-port', String(settings.remotesapiPort), '--http-port', String(settings.httpPort), '--metrics-port', String(settings.metricsPort)];
    const from = backup.url.replace(central.dataDir, `${central.dataDir}.old`); // the backups moved with the old dir
    await ok(root, ['server', 'restore', '--data-dir', central.dataDir, '--from', from, ...ports], admin);
    await central.start();
    expect(await centralHead()).toBe(backup.main_head);
    const t = Date.now();
    const r = (await ok(a, ['sync', '--json'], central.env)).json as { remote_rewound: boolean; pushed: number };
    console.log(`[rewrite] old-backup drill: the workspace's sync after the restore took ${Date.now() - t} ms`);
    expect(r.remote_rewound).toBe(true);
    expect(r.pushed).toBeGreaterThan(0);
    expect(await centralHead()).toBe(head);
    b = testDir('ws-b');
    await ok(b, ['init', '--remote', central.url, '--actor', 'ws-b'], central.env);
    expect(await titles(b)).toEqual(['first', 'second', 'third']);
  });

  it('the attack (reset, DELETE FROM issues, force-push): the central puts main back at once; no replica loses an issue', async () => {
    const before = await centralHead();
    const raw = await rawClone('attacker');
    await dolt(raw, ['reset', '--hard', 'HEAD~1']);
    await dolt(raw, ['sql', '-q', 'DELETE FROM issues']);
    await dolt(raw, ['commit', '-Am', 'gone']);
    await dolt(raw, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    const t = Date.now();
    while ((await centralHead()) !== before && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(await centralHead()).toBe(before);
    await ok(b, ['create', 'made after the attack']);
    await ok(b, ['sync'], central.env);
    await ok(a, ['sync'], central.env);
    for (const w of [a, b]) expect(await titles(w)).toEqual(['first', 'made after the attack', 'second', 'third']);
  });

  it('a plain push (no force) of a commit that deletes issues is put back too, and so is an unrelated history', async () => {
    const before = await centralHead();
    const raw = await rawClone('forward-deleter');
    await dolt(raw, ['sql', '-q', 'DELETE FROM issues']);
    await dolt(raw, ['commit', '-Am', 'gone, as a fast-forward']);
    await dolt(raw, ['push', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    const t = Date.now();
    while ((await centralHead()) !== before && Date.now() - t < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(await centralHead()).toBe(before);
    // A history that shares nothing with main's.
    const stranger = join(root, 'stranger');
    mkdirSync(stranger);
    await dolt(stranger, ['init']);
    await dolt(stranger, ['sql', '-q', 'CREATE TABLE t (x INT PRIMARY KEY)']);
    await dolt(stranger, ['commit', '-Am', 'unrelated']);
    await dolt(stranger, ['remote', 'add', 'origin', central.url]);
    await dolt(stranger, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    const t2 = Date.now();
    while ((await centralHead()) !== before && Date.now() - t2 < 10_000) await new Promise((r) => setTimeout(r, 100));
    expect(await centralHead()).toBe(before);
    // The same stranger pushed as a workspace branch is set aside; the queue goes on merging the others.
    await dolt(stranger, ['push', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main:ws/stranger']);
    await ok(a, ['create', 'merged beside the stranger']);
    const r = (await ok(a, ['sync', '--json'], central.env)).json as { merged_at: string | null };
    expect(r.merged_at).not.toBeNull();
    const status = (await ok(root, ['server', 'status', '--data-dir', central.dataDir, '--json'])).json as { queue: { refused: Record<string, string>; main_restored_total: number } };
    expect(Object.keys(status.queue.refused)).toContain('ws/stranger');
    expect(status.queue.main_restored_total).toBeGreaterThanOrEqual(3);
  });

  it('the attack made while the supervisor is down (kill -9; its Dolt orphaned and still serving) is put back at its next start', async () => {
    const before = await centralHead();
    const paths = centralPaths(central.dataDir);
    expect(readMainRecord(paths.dir)).toMatchObject({ status: 'ok', head: before });
    const sup = readSupervisorState(paths)!;
    process.kill(sup.pid, 'SIGKILL');
    const raw = await rawClone('attacker-while-down');
    await dolt(raw, ['reset', '--hard', 'HEAD~1']);
    await dolt(raw, ['sql', '-q', 'DELETE FROM issues']);
    await dolt(raw, ['commit', '-Am', 'gone while nobody watched']);
    await dolt(raw, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    expect(await centralHead()).not.toBe(before);
    // Restarted as systemd or Kubernetes would: the new supervisor adopts or replaces the orphaned Dolt.
    await central.start();
    const t = Date.now();
    while ((await centralHead()) !== before && Date.now() - t < 15_000) await new Promise((r) => setTimeout(r, 100));
    expect(await centralHead()).toBe(before);
    const status = (await ok(root, ['server', 'status', '--data-dir', central.dataDir, '--json'])).json as { queue: { main_restored_total: number; last_main_restore: { to: string } | null } };
    expect(status.queue.main_restored_total).toBe(1);
    expect(status.queue.last_main_restore?.to).toBe(before);
    await ok(a, ['sync'], central.env);
    expect(await titles(a)).toEqual(['first', 'made after the attack', 'merged beside the stranger', 'second', 'third']);
  });

  it("a workspace's branch on the central is never overwritten: a commit someone else put there is pushed over without --force and stays in it; once the central's copy is what it last pushed, it pushes with --force", async () => {
    // Someone else (a re-cloned workspace under the same actor, here a plain dolt client) moved ws/ws-a on.
    const raw = await rawClone('branch-writer');
    await dolt(raw, ['commit', '--allow-empty', '-m', 'not from ws-a']);
    const foreign = (await dolt(raw, ['sql', '-r', 'csv', '-q', "SELECT hash FROM dolt_branches WHERE name = 'main'"])).trim().split('\n')[1]!;
    await dolt(raw, ['push', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main:ws/ws-a']);
    await new Promise((r) => setTimeout(r, 1_200)); // one poll of the queue, idle (up to 1 s)
    await ok(a, ['create', 'pushed over a branch it did not hold']);
    // The central's copy is not what this workspace last pushed there: a plain push (a fast-forward if the
    // queue merged that commit into main first and the workspace took it in; else rejected, and the central's
    // copy adopted). Either way the commit stays in the branch.
    const r = (await ok(a, ['sync', '--json'], central.env)).json as { merged_at: string | null; push_forced: boolean };
    expect(r.push_forced).toBe(false);
    expect(r.merged_at).not.toBeNull();
    const branchHead = async (): Promise<string> => {
      const dir = await rawClone(`peek-branch-${Date.now()}`);
      return (await dolt(dir, ['sql', '-r', 'csv', '-q', "SELECT hash FROM dolt_remote_branches WHERE name = 'remotes/origin/ws/ws-a'"])).trim().split('\n')[1] ?? '';
    };
    const after = await branchHead();
    const peek = await rawClone(`peek-anc-${Date.now()}`);
    const base = (await dolt(peek, ['sql', '-r', 'csv', '-q', `SELECT DOLT_MERGE_BASE('${foreign}', '${after}') AS b`])).trim().split('\n')[1];
    expect(base).toBe(foreign);
    // Its next push finds its own copy there and skips Dolt's fast-forward check.
    await ok(a, ['create', 'pushed with --force']);
    const next = (await ok(a, ['sync', '--json'], central.env)).json as { push_forced: boolean; merged_at: string | null };
    expect(next.push_forced).toBe(true);
    expect(next.merged_at).not.toBeNull();
  });

  it('the attack on a remote no central watches (a shared directory) is refused by a healthy workspace, which keeps every issue and pushes nothing', async () => {
    const shared = join(root, 'shared-remote');
    mkdirSync(shared);
    const x = testDir('dir-x');
    await ok(x, ['init', '--remote', `file://${shared}`, '--actor', 'dir-x']);
    await ok(x, ['create', 'one']);
    await ok(x, ['sync']);
    await ok(x, ['create', 'two']);
    await ok(x, ['sync']);
    const dir = join(root, 'dir-attacker');
    await dolt(root, ['clone', `file://${shared}`, dir]);
    await dolt(dir, ['reset', '--hard', 'HEAD~1']);
    await dolt(dir, ['sql', '-q', 'DELETE FROM issues']);
    await dolt(dir, ['commit', '-Am', 'gone']);
    await dolt(dir, ['push', '--force', 'origin', 'main']);
    await ok(x, ['create', 'made after the attack']);
    const r = await cli(x, ['sync', '--json']);
    expect(errorCode(r)).toBe('GRAVA_E_HISTORY_REWRITE');
    expect(r.stderr).toMatch(/removes \d+ issue row/);
    expect(await titles(x)).toEqual(['made after the attack', 'one', 'two']);
    // Every later sync refuses the same way until the remote is repaired.
    expect(errorCode(await cli(x, ['sync']))).toBe('GRAVA_E_HISTORY_REWRITE');
  });
});
