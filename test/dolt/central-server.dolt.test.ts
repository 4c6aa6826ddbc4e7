// `grava server`: init, start (detached and foreground), readiness, users
// and grants over the remotesapi, kill -9 recovery, 64 SQL connections with
// 50 concurrent clones and fetches, backup → restore, stop. Real Dolt, loopback,
// free ports. Measured figures are printed.

import { execFile } from 'node:child_process';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configureDoltHome, mainHead, userGrants } from '../../src/storage/versioning/central-admin.js';
import { exec, openDb, rows, type Db } from '../../src/storage/dolt/db.js';
import { DoltServer, type DoltServerState } from '../../src/storage/dolt/dolt-server.js';
import { commandLine, findProcesses, freePort, isAlive, sleep, terminate } from '../../src/storage/dolt/process-util.js';
import { stopServer } from '../../src/server/control.js';
import { centralPaths, type CentralPaths } from '../../src/server/paths.js';
import { adminTarget } from '../../src/server/readiness.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

const SYNC_USER = 'syncer';
const SYNC_PASSWORD = 'sync-Secret-4711';
const READER = 'reader';
const READER_PASSWORD = 'reader-Secret-0815';
const ROOT_PASSWORD = 'root-Secret-2342';
const ENV = {
  GRAVA_REMOTE_USER: SYNC_USER,
  GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD,
  GRAVA_SERVER_READONLY_USER: READER,
  GRAVA_SERVER_READONLY_PASSWORD: READER_PASSWORD,
  GRAVA_SERVER_ROOT_PASSWORD: undefined,
};
const SECRETS = [SYNC_PASSWORD, READER_PASSWORD, ROOT_PASSWORD];

interface Ports { sql: number; remotesapi: number; http: number; metrics: number }
interface StatusJson {
  running: boolean; ready: boolean; supervisor_pid: number | null; dolt_pid: number | null; restarts: number; remote_url: string;
  ports: Ports; backup: { last_outcome: string | null; stored: number };
}
interface BackupJson { url: string; main_head: string; manifest: string | null; pruned: string[]; kept: number }

let root: string;
let dataDir: string;
let paths: CentralPaths;
let ports: Ports;
let url: string;
let doltHome: string;
const restoredDirs: string[] = [];
const workspaceServers: DoltServer[] = [];
const children: ChildProcess[] = [];

async function freePorts(): Promise<Ports> {
  const seen = new Set<number>();
  const one = async (): Promise<number> => {
    for (;;) {
      const p = await freePort();
      if (!seen.has(p)) { seen.add(p); return p; }
    }
  };
  return { sql: await one(), remotesapi: await one(), http: await one(), metrics: await one() };
}

const portFlags = (p: Ports): string[] => ['--port', String(p.sql), '--remotesapi-port', String(p.remotesapi), '--http-port', String(p.http), '--metrics-port', String(p.metrics)];

const status = async (dir = dataDir): Promise<StatusJson> => (await ok(root, ['server', 'status', '--data-dir', dir, '--json'], ENV)).json as StatusJson;

async function http(path: string): Promise<{ code: number; body: string }> {
  try {
    const res = await fetch(`http://127.0.0.1:${ports.http}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { code: res.status, body: await res.text() };
  } catch {
    return { code: 0, body: '' };
  }
}

function rootPassword(): string {
  return readFileSync(paths.rootPassword, 'utf8').trim();
}

function doltPid(): number {
  return (JSON.parse(readFileSync(paths.doltState, 'utf8')) as { pid: number }).pid;
}

/** `dolt <args>` as a plain client process (its own DOLT_ROOT_PATH; the remote password only in its environment). */
function dolt(cwd: string, args: readonly string[], remotePassword?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const env: Record<string, string | undefined> = { ...process.env, DOLT_ROOT_PATH: doltHome, DOLT_REMOTE_PASSWORD: remotePassword };
    if (remotePassword === undefined) delete env.DOLT_REMOTE_PASSWORD;
    execFile(inject('doltPath'), args, { cwd, env, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** A throwaway workspace-style dolt sql-server whose remotes procedures authenticate with `remotePassword`. */
async function workspaceServer(name: string, remotePassword: string): Promise<{ server: DoltServer; state: DoltServerState; db: Db }> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  await configureDoltHome(inject('doltPath'), join(dir, 'home'), name);
  const server = new DoltServer({
    doltPath: inject('doltPath'),
    dataDir: join(dir, 'data'),
    doltHome: join(dir, 'home'),
    configPath: join(dir, 'server.yaml'),
    statePath: join(dir, 'server.json'),
    logPath: join(dir, 'server.log'),
    lockPath: join(dir, 'server.lock'),
    maxConnections: 200,
    user: 'root',
    password: 'ws-root',
    env: { DOLT_REMOTE_PASSWORD: remotePassword },
  });
  workspaceServers.push(server);
  const state = await server.ensureRunning();
  return { server, state, db: openDb(server.target(state), undefined, 60) };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
}

/** Peak resident memory of a process (Linux /proc), in MB. */
function memoryMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

function processesOf(dir: string): number[] {
  return findProcesses(dir).filter((pid) => (commandLine(pid) ?? []).some((a) => a.includes('sql-server') || a === 'server'));
}

beforeAll(async () => {
  root = testDir('central');
  dataDir = join(root, 'srv');
  paths = centralPaths(dataDir);
  ports = await freePorts();
  url = `http://127.0.0.1:${ports.remotesapi}/grava`;
  doltHome = join(root, 'client-home');
  await configureDoltHome(inject('doltPath'), doltHome, 'client');
});

afterAll(async () => {
  for (const c of children) if (c.pid !== undefined && isAlive(c.pid)) await terminate(c.pid, 5_000);
  for (const dir of [dataDir, ...restoredDirs]) {
    if (dir && existsSync(join(dir, 'grava-server.json'))) await stopServer(centralPaths(dir), 10_000).catch(() => undefined);
  }
  for (const s of workspaceServers) await s.stop(5_000).catch(() => undefined);
});

describe.sequential('grava server', () => {
  it('init creates a private data dir, the committed schema and the users; a second init changes nothing', async () => {
    const r = await ok(root, ['server', 'init', '--data-dir', dataDir, ...portFlags(ports), '--json'], ENV);
    const j = r.json as { main_head: string; remote_url: string; sync_user: string; readonly_user: string; ports: Ports };
    expect(j.main_head).toMatch(/^[0-9a-v]{32}$/);
    expect(j.remote_url).toBe(url);
    expect(j).toMatchObject({ sync_user: SYNC_USER, readonly_user: READER, ports });
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    for (const f of [paths.settings, paths.rootPassword, paths.doltConfig]) expect(statSync(f).mode & 0o777).toBe(0o600);
    for (const d of [paths.backups, paths.dataDir, paths.doltHome]) expect(statSync(d).mode & 0o777).toBe(0o700);
    const settingsText = readFileSync(paths.settings, 'utf8');
    for (const s of SECRETS) expect(settingsText).not.toContain(s);
    expect(JSON.parse(settingsText)).toMatchObject({ database: 'grava', port: ports.sql, remotesapiPort: ports.remotesapi, httpPort: ports.http, rootPasswordSource: 'file', syncUser: SYNC_USER });
    expect(rootPassword().length).toBeGreaterThanOrEqual(24);
    // No Dolt process is left running by init.
    expect(processesOf(dataDir)).toEqual([]);

    const before = readdirSync(dataDir).map((n) => `${n}:${statSync(join(dataDir, n)).mtimeMs}`).sort();
    const again = await cli(root, ['server', 'init', '--data-dir', dataDir, ...portFlags(ports)], ENV);
    expect(again.code).toBe(1);
    expect(errorCode(again)).toBe('GRAVA_E_SERVER_EXISTS');
    expect(readdirSync(dataDir).map((n) => `${n}:${statSync(join(dataDir, n)).mtimeMs}`).sort()).toEqual(before);
  });

  it('refuses bad usage with exit 2, missing credentials with GRAVA_E_AUTH, and writes nothing', async () => {
    const noDir = await cli(root, ['server', 'init'], ENV);
    expect(noDir.code).toBe(2);
    expect(errorCode(noDir)).toBe('GRAVA_E_USAGE');
    const badPort = await cli(root, ['server', 'init', '--data-dir', join(root, 'x1'), '--port', '99999', '--json'], ENV);
    expect(badPort.code).toBe(2);
    expect((badPort.json as { error: { code: string } }).error.code).toBe('GRAVA_E_USAGE');
    const noCreds = await cli(root, ['server', 'init', '--data-dir', join(root, 'x2')], { GRAVA_REMOTE_USER: SYNC_USER, GRAVA_REMOTE_PASSWORD: undefined });
    expect(errorCode(noCreds)).toBe('GRAVA_E_AUTH');
    expect(existsSync(join(root, 'x1')) || existsSync(join(root, 'x2'))).toBe(false);
    const none = await cli(root, ['server', 'status', '--data-dir', join(root, 'x3')], ENV);
    expect(errorCode(none)).toBe('GRAVA_E_NO_SERVER');
  });

  it('start --detach returns once ready; status, /healthz, /readyz and /metrics agree', async () => {
    const t = Date.now();
    const r = await ok(root, ['server', 'start', '--data-dir', dataDir, '--detach', '--backup-interval', '3', '--json'], ENV);
    const wall = Date.now() - t;
    const j = r.json as StatusJson & { ready_ms: number };
    console.log(`[central] time to ready on start: ${j.ready_ms} ms inside the CLI, ${wall} ms wall clock for \`grava server start --detach\``);
    expect(j.ready).toBe(true);
    expect(j.dolt_pid).toBeTypeOf('number');
    expect(j.supervisor_pid).toBeTypeOf('number');
    const s = await status();
    expect(s).toMatchObject({ running: true, ready: true, dolt_pid: j.dolt_pid, supervisor_pid: j.supervisor_pid, restarts: 0, ports });
    expect((await http('/healthz')).code).toBe(200);
    const ready = await http('/readyz');
    expect(ready.code).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ ready: true, checks: { sql: { ok: true }, remotesapi: { ok: true }, disk: { ok: true } } });
    const metrics = await http('/metrics');
    expect(metrics.body).toMatch(/^grava_ready 1$/m);
    expect(metrics.body).toMatch(/^grava_dolt_restarts_total 0$/m);
    expect(metrics.body).toMatch(/^grava_main_commits \d+$/m);
    expect(metrics.body).toMatch(/^grava_database_size_bytes \d+$/m);
    expect(metrics.body).toMatch(/^dss_concurrent_connections/m); // Dolt's own metrics, appended
    // A second detached start is a no-op that reports the running server.
    const again = (await ok(root, ['server', 'start', '--data-dir', dataDir, '--detach', '--json'], ENV)).json as { already_running: boolean; supervisor_pid: number };
    expect(again).toMatchObject({ already_running: true, supervisor_pid: j.supervisor_pid });
  });

  it('grants the sync user exactly CLONE_ADMIN and SUPER, and the read-only user CLONE_ADMIN', async () => {
    const target = adminTarget(paths, rootPassword());
    const sync = (await userGrants(target, SYNC_USER)).join('\n');
    expect(sync).toMatch(/GRANT SUPER ON \*\.\* TO `syncer`@`%`/);
    expect(sync).toMatch(/GRANT CLONE_ADMIN ON \*\.\* TO `syncer`@`%`/);
    expect(await userGrants(target, SYNC_USER)).toHaveLength(2);
    // Dolt lists a user without static privileges with a USAGE line (which grants nothing).
    expect((await userGrants(target, READER)).filter((g) => !g.startsWith('GRANT USAGE '))).toEqual(['GRANT CLONE_ADMIN ON *.* TO `reader`@`%`']);
    // The read-only user cannot read the data over SQL either.
    const conn = await mysql.createConnection({ host: '127.0.0.1', port: ports.sql, user: READER, password: READER_PASSWORD });
    try {
      await expect(conn.query('SELECT COUNT(*) FROM grava.issues')).rejects.toThrow(/denied/i);
    } finally {
      await conn.end();
    }
  });

  it('a workspace-style clone and push with the sync user work; a wrong password is refused', async () => {
    const ws = await workspaceServer('ws-sync', SYNC_PASSWORD);
    const t = Date.now();
    await exec(ws.db, 'CALL DOLT_CLONE(?, ?, ?, ?)', ['--user', SYNC_USER, url, 'grava']);
    console.log(`[central] workspace clone with the sync user: ${Date.now() - t} ms`);
    const tables = await rows<Record<string, string>>(ws.db, 'SHOW TABLES FROM grava');
    expect(tables.map((r) => Object.values(r)[0])).toContain('issues');
    const db = openDb(ws.server.target(ws.state), 'grava', 1);
    try {
      await exec(db, 'CREATE TABLE central_probe (id INT PRIMARY KEY)');
      await exec(db, "CALL DOLT_COMMIT('-Am', 'probe from a workspace')");
      await exec(db, 'CALL DOLT_PUSH(?, ?, ?, ?)', ['--user', SYNC_USER, 'origin', 'main']);
      const local = (await rows<{ h: string }>(db, "SELECT HASHOF('main') AS h"))[0]?.h;
      expect(await mainHead(adminTarget(paths, rootPassword()), 'grava')).toBe(local);
    } finally {
      await db.destroy();
    }

    const wrong = await workspaceServer('ws-wrong', 'not-the-password');
    await expect(exec(wrong.db, 'CALL DOLT_CLONE(?, ?, ?, ?)', ['--user', SYNC_USER, url, 'grava'])).rejects.toThrow(/Unauthenticated|Access denied/);
    await wrong.db.destroy();
    await wrong.server.stop();
  });

  it('unauthenticated clone and push are refused, and so is a push by a clone-only user', async () => {
    const dir = join(root, 'clients');
    mkdirSync(dir, { recursive: true });
    const anon = await dolt(dir, ['clone', url, 'anon']);
    expect(anon.code).not.toBe(0);
    expect(anon.out).toMatch(/Unauthenticated|Access denied/);
    const wrong = await dolt(dir, ['clone', '--user', SYNC_USER, url, 'wrongpw'], 'wrong-password');
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toMatch(/Unauthenticated/);
    expect(wrong.out).not.toContain(SYNC_PASSWORD);

    expect((await dolt(dir, ['clone', '--user', READER, url, 'reader'], READER_PASSWORD)).code).toBe(0);
    const readerDir = join(dir, 'reader');
    expect((await dolt(readerDir, ['sql', '-q', 'CREATE TABLE reader_probe (id INT PRIMARY KEY)'])).code).toBe(0);
    expect((await dolt(readerDir, ['commit', '-Am', 'reader tries to push'])).code).toBe(0);
    const readerPush = await dolt(readerDir, ['push', '--user', READER, 'origin', 'main'], READER_PASSWORD);
    expect(readerPush.code).not.toBe(0);
    expect(readerPush.out).toMatch(/PermissionDenied|SuperUser/);
    const anonPush = await dolt(readerDir, ['push', 'origin', 'main']);
    expect(anonPush.code).not.toBe(0);
    expect(anonPush.out).toMatch(/Unauthenticated|Access denied/);
    // The sync user's password works from a plain client too.
    expect((await dolt(dir, ['clone', '--user', SYNC_USER, url, 'syncclient'], SYNC_PASSWORD)).code).toBe(0);
  });

  it('a grava workspace clones, creates and syncs through the central server', async () => {
    const ws = testDir('central-ws');
    await ok(ws, ['init', '--remote', url, '--actor', 'centralws'], ENV);
    await ok(ws, ['create', 'synced through grava server']);
    const before = await mainHead(adminTarget(paths, rootPassword()), 'grava');
    await ok(ws, ['sync', '--json'], ENV);
    expect(await mainHead(adminTarget(paths, rootPassword()), 'grava')).not.toBe(before);
    await ok(ws, ['dolt', 'stop']);
  });

  it('kill -9 of Dolt: the supervisor restores readiness', async () => {
    const old = doltPid();
    const t = Date.now();
    process.kill(old, 'SIGKILL');
    let recovered = -1;
    while (Date.now() - t < 60_000) {
      const r = await http('/readyz');
      if (r.code === 200 && existsSync(paths.doltState) && doltPid() !== old) { recovered = Date.now() - t; break; }
      await sleep(25);
    }
    console.log(`[central] recovery after kill -9 of dolt sql-server: ${recovered} ms until /readyz answered 200 again`);
    expect(recovered).toBeGreaterThanOrEqual(0);
    expect(isAlive(old)).toBe(false);
    const s = await status();
    expect(s).toMatchObject({ running: true, ready: true, restarts: 1 });
    expect(s.dolt_pid).not.toBe(old);
    expect((await http('/metrics')).body).toMatch(/^grava_dolt_restarts_total 1$/m);
  });

  it('serves 64 concurrent SQL connections while 50 workspaces clone and fetch concurrently', async () => {
    const ws = await workspaceServer('ws-many', SYNC_PASSWORD);
    const conns = await Promise.all(Array.from({ length: 50 }, () => mysql.createConnection({ ...ws.server.target(ws.state) })));
    const sqlConns = await Promise.all(Array.from({ length: 64 }, () => mysql.createConnection({ host: '127.0.0.1', port: ports.sql, user: 'root', password: rootPassword(), database: 'grava' })));
    let sqlQueries = 0;
    let busy = true;
    const sqlLoad = Promise.all(sqlConns.map(async (c) => {
      do {
        await c.query("SELECT COUNT(*) AS n FROM dolt_log('main')");
        sqlQueries++;
        await sleep(20);
      } while (busy);
    }));
    sqlLoad.catch(() => undefined); // awaited below; a failure must not surface as an unhandled rejection first
    try {
      const tc = Date.now();
      const cloneTimes = await Promise.all(conns.map(async (c, i) => {
        const s = Date.now();
        await c.query('CALL DOLT_CLONE(?, ?, ?, ?)', ['--user', SYNC_USER, url, `c${i}`]);
        return Date.now() - s;
      }));
      const cloneWall = Date.now() - tc;
      // Something new on the central for every fetch to bring down.
      const pusher = await workspaceServer('ws-pusher', SYNC_PASSWORD);
      await exec(pusher.db, 'CALL DOLT_CLONE(?, ?, ?, ?)', ['--user', SYNC_USER, url, 'grava']);
      const pdb = openDb(pusher.server.target(pusher.state), 'grava', 1);
      try {
        await exec(pdb, 'INSERT INTO central_probe VALUES (1), (2), (3)');
        await exec(pdb, "CALL DOLT_COMMIT('-Am', 'more for the fetchers')");
        await exec(pdb, 'CALL DOLT_PUSH(?, ?, ?, ?)', ['--user', SYNC_USER, 'origin', 'main']);
      } finally {
        await pdb.destroy();
      }
      const tf = Date.now();
      const fetchTimes = await Promise.all(conns.map(async (c, i) => {
        await c.query(`USE c${i}`);
        const s = Date.now();
        await c.query('CALL DOLT_FETCH(?, ?, ?)', ['--user', SYNC_USER, 'origin']);
        return Date.now() - s;
      }));
      const fetchWall = Date.now() - tf;
      const central = await mainHead(adminTarget(paths, rootPassword()), 'grava');
      const fetched = await Promise.all(conns.map(async (c) => {
        const [r] = await c.query<mysql.RowDataPacket[]>("SELECT HASHOF('origin/main') AS h");
        return r[0]?.h as string | undefined;
      }));
      expect(new Set(fetched)).toEqual(new Set([central]));
      busy = false;
      await sqlLoad;
      console.log(`[central] 50 concurrent clones: median ${median(cloneTimes)} ms, max ${Math.max(...cloneTimes)} ms, wall ${cloneWall} ms`);
      console.log(`[central] 50 concurrent fetches: median ${median(fetchTimes)} ms, max ${Math.max(...fetchTimes)} ms, wall ${fetchWall} ms; 64 SQL connections ran ${sqlQueries} queries meanwhile`);
      const sup = JSON.parse(readFileSync(paths.supervisorState, 'utf8')) as { pid: number };
      console.log(`[central] memory: dolt sql-server peak RSS ${memoryMb(doltPid())} MB, supervisor peak RSS ${memoryMb(sup.pid)} MB`);
      expect(sqlQueries).toBeGreaterThanOrEqual(64);
    } finally {
      busy = false;
      await sqlLoad.catch(() => undefined);
      await Promise.all([...conns, ...sqlConns].map((c) => c.end().catch(() => undefined)));
    }
    expect((await status()).ready).toBe(true);
  });

  it('backup → restore round trip keeps the commit hashes; retention keeps the newest N; a wrong hash is refused', async () => {
    const b = (await ok(root, ['server', 'backup', '--data-dir', dataDir, '--json'], ENV)).json as BackupJson;
    const head = await mainHead(adminTarget(paths, rootPassword()), 'grava');
    expect(b.main_head).toBe(head);
    expect(b.url.startsWith(`file://${paths.backups}/`)).toBe(true);
    expect(b.manifest && statSync(b.manifest).mode & 0o777).toBe(0o600);

    const restored = join(root, 'restored');
    restoredDirs.push(restored);
    const rports = await freePorts();
    const t = Date.now();
    const r = (await ok(root, ['server', 'restore', '--data-dir', restored, '--from', b.url, ...portFlags(rports), '--json'], ENV)).json as { main_head: string; expected_head: string; verified: boolean };
    console.log(`[central] restore drill: ${Date.now() - t} ms to restore and verify ${r.main_head}`);
    expect(r).toMatchObject({ verified: true, main_head: head, expected_head: head });
    expect(processesOf(restored)).toEqual([]);
    // The restored server starts and serves the same commit, with the same users.
    await ok(root, ['server', 'start', '--data-dir', restored, '--detach', '--backup-interval', '0'], ENV);
    const rpaths = centralPaths(restored);
    expect(await mainHead(adminTarget(rpaths, readFileSync(rpaths.rootPassword, 'utf8').trim()), 'grava')).toBe(head);
    const check = join(root, 'clients');
    expect((await dolt(check, ['clone', '--user', SYNC_USER, `http://127.0.0.1:${rports.remotesapi}/grava`, 'fromrestored'], SYNC_PASSWORD)).code).toBe(0);
    expect((await dolt(join(check, 'fromrestored'), ['sql', '-r', 'csv', '-q', "SELECT HASHOF('main')"])).out).toContain(head);
    await ok(root, ['server', 'stop', '--data-dir', restored], ENV);

    const bad = await cli(root, ['server', 'restore', '--data-dir', join(root, 'restored-bad'), '--from', b.url, '--expect-commit', '0'.repeat(32), ...portFlags(await freePorts())], ENV);
    expect(errorCode(bad)).toBe('GRAVA_E_RESTORE_MISMATCH');
    expect(existsSync(join(root, 'restored-bad'))).toBe(false);

    const offsite = join(root, 'offsite', 'b1');
    const o = (await ok(root, ['server', 'backup', '--data-dir', dataDir, '--to', `file://${offsite}`, '--json'], ENV)).json as BackupJson;
    expect(o).toMatchObject({ url: `file://${offsite}`, main_head: head, pruned: [] });
    expect(existsSync(join(offsite, 'grava-backup.json'))).toBe(true);

    let last: BackupJson | undefined;
    for (let i = 0; i < 3; i++) last = (await ok(root, ['server', 'backup', '--data-dir', dataDir, '--backup-keep', '2', '--json'], ENV)).json as BackupJson;
    expect(last?.kept).toBe(2);
    expect(last?.pruned.length).toBeGreaterThan(0);
  });

  it('takes automatic backups on the interval and reports them in /metrics and status', async () => {
    // Started with --backup-interval 3 above.
    const s = await status();
    expect(s.backup.last_outcome).toBe('success');
    const metrics = (await http('/metrics')).body;
    expect(metrics).toMatch(/^grava_backup_last_outcome 1$/m);
    expect(metrics).toMatch(/^grava_backup_interval_seconds 3$/m);
    const age = Number(/^grava_backup_last_success_age_seconds (\S+)$/m.exec(metrics)?.[1]);
    expect(age).toBeLessThan(60);
    const log = readFileSync(paths.supervisorLog, 'utf8');
    expect(log).toMatch(/"msg":"backup done"/);
  });

  it('keeps passwords out of process listings, logs and files other than the secret ones', () => {
    const s = JSON.parse(readFileSync(paths.supervisorState, 'utf8')) as { pid: number; dolt_pid: number };
    for (const pid of [s.pid, s.dolt_pid]) {
      const argv = (commandLine(pid) ?? []).join(' ');
      expect(argv.length).toBeGreaterThan(0);
      for (const secret of [...SECRETS, rootPassword()]) expect(argv).not.toContain(secret);
    }
    const files = [paths.doltLog, paths.supervisorLog, paths.settings, paths.doltConfig, paths.backupState, paths.supervisorState];
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      for (const secret of [...SECRETS, rootPassword()]) expect(text, f).not.toContain(secret);
    }
  });

  it('stop leaves no process behind; status then says not running', async () => {
    const before = await status();
    const r = (await ok(root, ['server', 'stop', '--data-dir', dataDir, '--json'], ENV)).json as { stopped: boolean; supervisor: string };
    expect(r).toMatchObject({ stopped: true, supervisor: 'terminated' });
    expect(isAlive(before.supervisor_pid ?? 0)).toBe(false);
    expect(isAlive(before.dolt_pid ?? 0)).toBe(false);
    expect(findProcesses('sql-server', paths.doltConfig)).toEqual([]);
    expect(processesOf(dataDir)).toEqual([]);
    expect(existsSync(paths.supervisorState)).toBe(false);
    expect(await status()).toMatchObject({ running: false, ready: false, dolt_pid: null, supervisor_pid: null });
    const backup = await cli(root, ['server', 'backup', '--data-dir', dataDir], ENV);
    expect(errorCode(backup)).toBe('GRAVA_E_NOT_RUNNING');
  });

  it('runs in the foreground and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [new URL('../../bin/grava.js', import.meta.url).pathname, 'server', 'start', '--data-dir', dataDir, '--backup-interval', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...ENV } });
    children.push(child);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const t = Date.now();
    while ((await http('/readyz')).code !== 200) {
      if (Date.now() - t > 60_000 || child.exitCode !== null) throw new Error('the foreground server did not become ready');
      await sleep(50);
    }
    const dpid = doltPid();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(isAlive(dpid)).toBe(false);
    expect(processesOf(dataDir)).toEqual([]);
  });
});
