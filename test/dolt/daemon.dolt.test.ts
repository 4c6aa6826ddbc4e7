// The workspace daemon against real Dolt, as a user runs it: lifecycle,
// race-free start, version handshake, crash safety and shutdown, without a
// central server. Sync through the daemon is in daemon-sync.dolt.test.ts.

import { afterAll, describe, expect, it } from 'vitest';
import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import fc from 'fast-check';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { isAlive } from '../../src/storage/dolt/process-util.js';
import { openReplica } from '../../src/storage/replica.js';
import { rows } from '../../src/storage/dolt/db.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';
import { daemonPids, dcli, dok, status, until, workspaceProcesses } from '../helpers/daemon.js';

const roots: string[] = [];

async function daemonWorkspace(name: string, extra: readonly string[] = []): Promise<string> {
  const dir = testDir(name);
  await dok(dir, ['init', '--actor', name, ...extra]);
  roots.push(dir);
  return dir;
}

afterAll(async () => {
  for (const r of roots) await dcli(r, ['daemon', 'stop']);
});

/** One raw connection to the daemon's socket. */
function raw(root: string): Promise<{ send(text: string | Buffer): void; replies(n: number, timeoutMs?: number): Promise<Record<string, unknown>[]>; closed(): Promise<void>; end(): void }> {
  return new Promise((resolve, reject) => {
    const s = connect({ path: workspacePaths(root).daemonSocket });
    let buf = '';
    const waiting: (() => void)[] = [];
    let isClosed = false;
    s.on('data', (d) => { buf += d.toString(); waiting.splice(0).forEach((w) => w()); });
    s.on('close', () => { isClosed = true; waiting.splice(0).forEach((w) => w()); });
    s.on('error', () => undefined);
    s.once('connect', () => resolve({
      send: (t) => { s.write(t); },
      replies: async (n, timeoutMs = 10_000) => {
        const deadline = Date.now() + timeoutMs;
        while (buf.split('\n').filter(Boolean).length < n && !isClosed && Date.now() < deadline) {
          await new Promise<void>((r) => { waiting.push(r); setTimeout(r, 50); });
        }
        return buf.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
      },
      closed: async () => { while (!isClosed) await new Promise<void>((r) => { waiting.push(r); setTimeout(r, 50); }); },
      end: () => s.destroy(),
    }));
    s.once('error', reject);
  });
}

describe('daemon lifecycle', () => {
  it('init starts it; the socket is private; commands go through it; status has the contract fields', async () => {
    const root = await daemonWorkspace('life');
    const paths = workspacePaths(root);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    expect(statSync(paths.daemonSocket).mode & 0o777).toBe(0o600);
    expect(statSync(paths.daemonLog).mode & 0o777).toBe(0o600);
    const before = await status(root);
    for (const k of ['running', 'pid', 'socket', 'version', 'uptime_ms', 'pending_writes', 'debounce_ms', 'next_sync_at', 'last_sync']) expect(before).toHaveProperty(k);
    expect(before).toMatchObject({ running: true, pending_writes: 0, debounce_ms: 5_000, last_sync: null, socket: paths.daemonSocket });
    const created = (await dok(root, ['create', 'through the daemon', '--json'])).json as { id: string };
    const after = await status(root);
    expect(after.pid).toBe(before.pid);
    expect(after.pending_writes).toBe(1);
    expect(Number(after.requests)).toBeGreaterThan(Number(before.requests));
    expect(typeof after.next_sync_at).toBe('string');
    // The same answer in direct mode: one core, two paths.
    const direct = (await ok(root, ['show', created.id, '--json'])).json as { title: string };
    expect(direct.title).toBe('through the daemon');
    // The log holds events, never the workspace's secrets.
    const log = readFileSync(paths.daemonLog, 'utf8');
    expect(log).toMatch(/"msg":"daemon started"/);
    const config = JSON.parse(readFileSync(paths.config, 'utf8')) as { localPassword: string };
    expect(log).not.toContain(config.localPassword);
    expect(log).not.toContain('through the daemon');
  });

  it('stop commits the pending batch as one Dolt commit and leaves no process of the workspace', async () => {
    const root = await daemonWorkspace('stop');
    await dok(root, ['create', 'made just before stop']);
    const commitsBefore = (await ok(root, ['dolt', 'status', '--json'])).json;
    expect(commitsBefore).toMatchObject({ running: true });
    const st = (await dok(root, ['daemon', 'stop', '--json'])).json as { pid: number; killed: boolean };
    expect(st.killed).toBe(false);
    expect(workspaceProcesses(root)).toEqual([]);
    const paths = workspacePaths(root);
    expect(() => lstatSync(paths.daemonSocket)).toThrow();
    expect(() => lstatSync(paths.daemonState)).toThrow();
    expect((await status(root)).running).toBe(false);
    // The write is committed (a clean working set) and still there.
    const log = readFileSync(paths.daemonLog, 'utf8');
    expect(log).toMatch(/pending batch committed/);
    const issues = (await ok(root, ['list', '--json'])).json as { title: string }[];
    expect(issues.map((i) => i.title)).toEqual(['made just before stop']);
    await dok(root, ['daemon', 'stop']);
  });

  it('a workspace removed under its running daemon stops the daemon and its workspace server', async () => {
    const root = await daemonWorkspace('removed');
    await dok(root, ['create', 'about to vanish']);
    const st = await status(root);
    const pids = [Number(st.pid), Number(st.server_pid)];
    expect(pids.every((p) => p > 0 && isAlive(p))).toBe(true);
    rmSync(root, { recursive: true, force: true });
    await until('the daemon and its server to exit', () => Promise.resolve(pids.every((p) => !isAlive(p))), 30_000);
  });

  it('ten commands started at once leave exactly one daemon', async () => {
    const root = await daemonWorkspace('race');
    await dok(root, ['daemon', 'stop']);
    expect(daemonPids(root)).toEqual([]);
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => dcli(root, ['create', `racer ${i}`, '--json'])));
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join('')).toEqual(Array(10).fill(0));
    expect(daemonPids(root)).toHaveLength(1);
    const list = (await dok(root, ['list', '--json'])).json as unknown[];
    expect(list).toHaveLength(10);
    expect((await status(root)).pending_writes).toBe(10);
  });

  it('kill -9 right after an acknowledged write loses nothing: the next command replaces the stale socket and pid and commits it', async () => {
    const root = await daemonWorkspace('crash');
    const paths = workspacePaths(root);
    await dok(root, ['config', 'set', 'sync.debounce_ms', '60000']);
    const pid = Number((await status(root)).pid);
    const made = (await dok(root, ['create', 'acknowledged then killed', '--json'])).json as { id: string };
    process.kill(pid, 'SIGKILL');
    await until('the daemon to die', () => Promise.resolve(!isAlive(pid)));
    expect(lstatSync(paths.daemonSocket).isSocket()).toBe(true); // left behind
    const shown = (await dok(root, ['show', made.id, '--json'])).json as { title: string };
    expect(shown.title).toBe('acknowledged then killed');
    const st = await status(root);
    expect(st.pid).not.toBe(pid);
    // The restarted daemon found the write in the working set and committed it at once.
    await until('the startup cycle', async () => ((await status(root)).last_sync as { reason: string } | null)?.reason === 'startup');
    expect(readFileSync(paths.daemonLog, 'utf8')).toMatch(/"dirty_at_start":true/);
  });

  it('a CLI of another build gets the daemon replaced, never a silent mismatch', async () => {
    const root = await daemonWorkspace('version');
    await dok(root, ['daemon', 'stop']);
    await dok(root, ['daemon', 'start'], { GRAVA_TEST_BUILD: 'old-build' });
    const old = await status(root).catch(() => undefined); // this CLI is another build: status says so
    expect(old).toMatchObject({ running: true, stale_build: true, version: 'old-build' });
    const oldPid = Number(old?.pid);
    await dok(root, ['list']);
    const now = await status(root);
    expect(now.version).not.toBe('old-build');
    expect(now.pid).not.toBe(oldPid);
    expect(isAlive(oldPid)).toBe(false);
    expect(daemonPids(root)).toHaveLength(1);
  });

  it('config set is validated, applied by the running daemon without a restart, and a bad value changes nothing', async () => {
    const root = await daemonWorkspace('config');
    const pid = (await status(root)).pid;
    const bad = await dcli(root, ['config', 'set', 'sync.debounce_ms', '-5', '--json']);
    expect(bad.code).toBe(1);
    expect(errorCode(bad)).toBe('GRAVA_E_INVALID');
    const unknown = await dcli(root, ['config', 'set', 'sync.nope', '1']);
    expect(errorCode(unknown)).toBe('GRAVA_E_INVALID');
    expect(((await dok(root, ['config', 'get', 'sync.debounce_ms', '--json'])).json as { value: number }).value).toBe(5_000);
    await dok(root, ['config', 'set', 'sync.debounce_ms', '750']);
    const st = await status(root);
    expect(st).toMatchObject({ debounce_ms: 750, pid });
    const list = (await dok(root, ['config', 'list', '--json'])).json as { key: string; set: boolean }[];
    expect(list.find((s) => s.key === 'sync.debounce_ms')?.set).toBe(true);
    // A write is synced (here: committed locally) about 750 ms later.
    await dok(root, ['create', 'soon committed']);
    await until('the debounced commit', async () => ((await status(root)).last_sync as { writes: number } | null)?.writes === 1, 10_000);
  });

  it('a workspace whose path is too long for a socket gets a private socket and .grava/bd.sock links to it', async () => {
    const base = testDir('long');
    const deep = join(base, 'x'.repeat(60), 'y'.repeat(60));
    mkdirSync(deep, { recursive: true });
    await dok(deep, ['init', '--actor', 'longpath']);
    roots.push(deep);
    const paths = workspacePaths(deep);
    expect(paths.daemonSocket).not.toBe(paths.daemonSocketLink);
    expect(lstatSync(paths.daemonSocketLink).isSymbolicLink()).toBe(true);
    expect(statSync(paths.daemonSocket).mode & 0o777).toBe(0o600);
    expect(statSync(join(paths.daemonSocket, '..')).mode & 0o777).toBe(0o700);
    await dok(deep, ['create', 'long path']);
    await dok(deep, ['daemon', 'stop']);
    expect(() => lstatSync(paths.daemonSocketLink)).toThrow();
    expect(workspaceProcesses(deep)).toEqual([]);
  });

  it('the log is rotated by size and old files are pruned', async () => {
    const root = testDir('logrot');
    await dok(root, ['init', '--actor', 'logrot', '--no-daemon']);
    roots.push(root);
    await dok(root, ['daemon', 'start'], { GRAVA_DAEMON_LOG_MAX_BYTES: '2048' });
    for (let i = 0; i < 40; i++) await dok(root, ['config', 'set', 'sync.debounce_ms', String(1000 + i)]);
    const files = readdirSync(join(root, '.grava')).filter((f) => f.endsWith('daemon.log'));
    const rotated = files.filter((f) => f !== 'daemon.log');
    expect(rotated.length).toBeGreaterThan(0);
    expect(rotated.length).toBeLessThanOrEqual(3);
    for (const f of files) {
      const st = statSync(join(root, '.grava', f));
      expect(st.size).toBeLessThan(2048 + 1024); // the limit plus at most one line
      expect(st.mode & 0o777).toBe(0o600);
    }
  });

  it('--no-daemon and GRAVA_NO_DAEMON=1 work directly and start nothing', async () => {
    const dir = testDir('nodaemon');
    await dok(dir, ['init', '--actor', 'nd', '--no-daemon']);
    roots.push(dir);
    expect(daemonPids(dir)).toEqual([]);
    await dok(dir, ['--no-daemon', 'create', 'direct']);
    await ok(dir, ['list']);
    expect(daemonPids(dir)).toEqual([]);
    expect((await status(dir)).running).toBe(false);
  });
});

describe('daemon RPC: bad input never crashes or wedges it', () => {
  it('answers each bad frame with GRAVA_E_PROTOCOL, closes on an oversized one, survives a client vanishing mid-request', async () => {
    const root = await daemonWorkspace('rpc');
    const pid = Number((await status(root)).pid);
    const c = await raw(root);
    c.send('this is not json\n');
    c.send(`${JSON.stringify({ id: 1, method: 'no.such.method', params: {} })}\n`);
    c.send(`${JSON.stringify({ id: 2, method: 'issue.create', params: { title: 42 } })}\n`);
    c.send(`${JSON.stringify({ id: 3, method: 'issue.show', params: [] })}\n`);
    c.send(`${JSON.stringify({ id: 4, method: 'issue.list', params: {} })}\n`);
    c.send(`${JSON.stringify({ id: 5, method: 'issue.list', params: {}, version: 'another-build' })}\n`);
    const replies = await c.replies(6);
    const byId = new Map(replies.map((r) => [r.id, r]));
    expect((byId.get(null)?.error as { code: string }).code).toBe('GRAVA_E_PROTOCOL');
    for (const id of [1, 2, 3]) expect((byId.get(id)?.error as { code: string }).code).toBe('GRAVA_E_PROTOCOL');
    expect(byId.get(4)?.result).toEqual([]);
    expect((byId.get(5)?.error as { code: string }).code).toBe('GRAVA_E_DAEMON_VERSION');
    c.end();
    const big = await raw(root);
    big.send(Buffer.alloc(1024 * 1024 + 10, 'a'));
    const r = await big.replies(1);
    expect((r[0]?.error as { code: string }).code).toBe('GRAVA_E_PROTOCOL');
    await big.closed();
    // A client that sends a request and disconnects at once.
    const gone = await raw(root);
    gone.send(`${JSON.stringify({ id: 9, method: 'issue.create', params: { title: 'client left' } })}\n`);
    gone.end();
    await until('the orphaned write', async () => ((await dok(root, ['list', '--json'])).json as unknown[]).length === 1);
    expect((await status(root)).pid).toBe(pid);
  });

  it('a client that sends half a frame and stalls is cut off after the frame timeout while others are served', async () => {
    const root = testDir('stall');
    await dok(root, ['init', '--actor', 'stall', '--no-daemon']);
    roots.push(root);
    await dok(root, ['daemon', 'start'], { GRAVA_DAEMON_FRAME_TIMEOUT_MS: '600' });
    const staller = await raw(root);
    staller.send('{"id": 1, "method": "issue.li');
    const t = Date.now();
    for (let i = 0; i < 3; i++) await dok(root, ['list']);
    await staller.closed();
    expect(Date.now() - t).toBeGreaterThanOrEqual(400);
  });

  it('survives thousands of random frames, then still answers', async () => {
    const root = await daemonWorkspace('fuzz');
    const pid = Number((await status(root)).pid);
    const methods = ['issue.list', 'issue.show', 'issue.create', 'dep.add', 'config.get', 'sync', 'daemon.health', 'x', ''];
    const frame = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), fc.constant(null)), method: fc.constantFrom(...methods), params: fc.jsonValue({ maxDepth: 2 }) }).map((v) => JSON.stringify(v)),
      fc.record({ id: fc.integer(), method: fc.constantFrom('issue.show', 'issue.list', 'label.add'), params: fc.record({ id: fc.string({ maxLength: 30 }), label: fc.string({ maxLength: 30 }), status: fc.string({ maxLength: 10 }) }, { requiredKeys: [] }) }).map((v) => JSON.stringify(v)),
    );
    const runs = process.env.CI ? 3_000 : 1_500;
    const frames = fc.sample(frame, { numRuns: runs, seed: Number(process.env.GRAVA_FC_SEED ?? 7) });
    for (let batch = 0; batch < frames.length; batch += 250) {
      const c = await raw(root);
      c.send(`${frames.slice(batch, batch + 250).map((f) => f.replace(/\n/g, ' ')).join('\n')}\n`);
      await c.replies(1, 2_000);
      c.end();
    }
    expect((await status(root)).pid).toBe(pid);
    const made = (await dok(root, ['create', 'after the fuzz', '--json'])).json as { id: string };
    expect(((await dok(root, ['show', made.id, '--json'])).json as { title: string }).title).toBe('after the fuzz');
  });
});

describe('direct mode beside a running daemon', () => {
  it('a direct-mode process never issues a stamp the daemon issued, and its environment never restarts the server', async () => {
    const root = await daemonWorkspace('mixed');
    const serverPid = (await status(root)).server_pid;
    const made = (await dok(root, ['create', 'shared', '--json'])).json as { id: string };
    const writes = [];
    for (let i = 0; i < 6; i++) {
      writes.push(dcli(root, ['update', made.id, '--description', `daemon ${i}`]));
      writes.push(cli(root, ['comment', made.id, `direct ${i}`], { GRAVA_REMOTE_PASSWORD: 'something else', GRAVA_REMOTE_USER: 'other' }));
    }
    const done = await Promise.all(writes);
    expect(done.filter((r) => r.code !== 0).map((r) => r.stderr)).toEqual([]);
    expect((await status(root)).server_pid).toBe(serverPid);
    // Every stamp is distinct, and both kinds of writer stamped (daemon even counters, direct odd).
    const r = await openReplica(workspacePaths(root));
    try {
      const stamps = (await rows<{ at: string }>(r.db, 'SELECT at FROM events')).map((e) => e.at);
      expect(stamps.length).toBeGreaterThanOrEqual(13);
      expect(new Set(stamps).size).toBe(stamps.length);
      const parities = new Set(stamps.map((st) => Number(st.split('-')[1]) % 2));
      expect([...parities].sort()).toEqual([0, 1]);
    } finally {
      await r.close();
    }
  });
});
