// `grava server start --init`, the container image's entry point, against
// real Dolt: an empty volume (lost+found only) is initialised from the
// environment and _FILE secrets; a non-empty one is reused; every
// GRAVA_SERVER_* setting given to a start replaces the recorded one; Dolt's
// log can go to stderr; bad input is refused with a stable code and changes
// nothing.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isAlive, sleep } from '../../src/storage/dolt/process-util.js';
import { stopServer } from '../../src/server/control.js';
import { centralPaths } from '../../src/server/paths.js';
import { cli, errorCode, testDir } from '../helpers/workspace.js';

const ROOT_PASSWORD = 'root-Secret-9001';
const SYNC_PASSWORD = 'sync-Secret-9002';
const BIN = new URL('../../bin/grava.js', import.meta.url).pathname;

let root: string;
let secrets: string;
const children: ChildProcess[] = [];
const dataDirs: string[] = [];

interface Running { child: ChildProcess; out: () => string; err: () => string; exited: Promise<number | null> }

function startForeground(dataDir: string, env: Record<string, string | undefined>): Running {
  const child = spawn(process.execPath, [BIN, 'server', 'start', '--data-dir', dataDir, '--init'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  child.stderr?.on('data', (d: Buffer) => { err += d.toString(); });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out: () => out, err: () => err, exited };
}

async function readyz(port: number, r: Running): Promise<void> {
  const t = Date.now();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
    } catch { /* not listening yet */ }
    if (r.child.exitCode !== null) throw new Error(`the server exited: ${r.err().slice(-2000)}`);
    if (Date.now() - t > 120_000) throw new Error('the server did not become ready');
    await sleep(100);
  }
}

async function ports(n: number): Promise<number[]> {
  const seen = new Set<number>();
  while (seen.size < n) seen.add(await freePort());
  return [...seen];
}

function settingsOf(dataDir: string): Record<string, unknown> {
  return JSON.parse(readFileSync(centralPaths(dataDir).settings, 'utf8')) as Record<string, unknown>;
}

beforeAll(() => {
  root = testDir('server-start-init');
  secrets = join(root, 'secrets');
  mkdirSync(secrets, { recursive: true, mode: 0o700 });
  writeFileSync(join(secrets, 'root'), `${ROOT_PASSWORD}\n`, { mode: 0o600 });
  writeFileSync(join(secrets, 'sync-user'), 'agent-fleet\n', { mode: 0o600 });
  writeFileSync(join(secrets, 'sync-password'), `${SYNC_PASSWORD}\n`, { mode: 0o600 });
});

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dataDirs) await stopServer(centralPaths(d), 10_000).catch(() => undefined);
});

describe('grava server start --init', () => {
  const volume = (): string => join(root, 'volume');

  it('initialises an empty volume from _FILE secrets and GRAVA_SERVER_* variables, with Dolt logging to stderr', async () => {
    const dataDir = volume();
    dataDirs.push(dataDir);
    mkdirSync(join(dataDir, 'lost+found'), { recursive: true }); // what a fresh ext4 volume holds
    mkdirSync(join(dataDir, 'backups', 'lost+found'), { recursive: true }); // a backups volume's mount point (deploy/)
    const [sql, remotesapi, httpPort] = await ports(3);
    const env = {
      GRAVA_SERVER_ROOT_PASSWORD: undefined,
      GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root'),
      GRAVA_REMOTE_USER: undefined,
      GRAVA_REMOTE_USER_FILE: join(secrets, 'sync-user'),
      GRAVA_REMOTE_PASSWORD: undefined,
      GRAVA_REMOTE_PASSWORD_FILE: join(secrets, 'sync-password'),
      GRAVA_SERVER_PORT: String(sql),
      GRAVA_SERVER_REMOTESAPI_PORT: String(remotesapi),
      GRAVA_SERVER_HTTP_PORT: String(httpPort),
      GRAVA_SERVER_BACKUP_INTERVAL: '0',
      GRAVA_SERVER_DOLT_LOG: 'stderr',
    };
    const r = startForeground(dataDir, env);
    await readyz(httpPort ?? 0, r);
    const s = settingsOf(dataDir);
    expect(s).toMatchObject({ database: 'grava', port: sql, remotesapiPort: remotesapi, httpPort, syncUser: 'agent-fleet', rootPasswordSource: 'env', doltLog: 'stderr', backupIntervalSeconds: 0 });
    expect(existsSync(centralPaths(dataDir).rootPassword)).toBe(false); // given by the secret file, so not stored
    expect(readdirSync(dataDir)).toContain('lost+found');
    // The supervisor's lines and Dolt's own JSON lines share stderr; server.log stays empty.
    // Every line is JSON but Dolt's one plain-text banner per start ("Starting server with Config …").
    const all = r.err().trim().split('\n');
    expect(all.filter((l) => !l.startsWith('{')).every((l) => l.startsWith('Starting server with Config'))).toBe(true);
    const lines = all.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines.some((l) => l.component === 'grava-server' && l.msg === 'initialised an empty data dir')).toBe(true);
    expect(lines.some((l) => l.component === undefined && l.msg === 'Server ready. Accepting connections.')).toBe(true);
    // Dolt binds the remotesapi on every interface: without TLS the supervisor says so.
    expect(lines.some((l) => l.component === 'grava-server' && l.level === 'warning' && /every interface without TLS/.test(String(l.msg)))).toBe(true);
    const doltLog = centralPaths(dataDir).doltLog;
    expect(existsSync(doltLog) ? statSync(doltLog).size : 0).toBe(0);
    for (const secret of [ROOT_PASSWORD, SYNC_PASSWORD]) expect(r.out() + r.err()).not.toContain(secret);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  it('reuses the data on the next start and records settings given to it (the metrics port follows the HTTP port)', async () => {
    const dataDir = volume();
    const before = settingsOf(dataDir);
    const [httpPort] = await ports(1);
    const r = startForeground(dataDir, { GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root'), GRAVA_SERVER_HTTP_PORT: String(httpPort), GRAVA_SERVER_DOLT_LOG: 'file' });
    await readyz(httpPort ?? 0, r);
    const after = settingsOf(dataDir);
    expect(after).toMatchObject({ httpPort, metricsPort: (httpPort ?? 0) + 1, port: before.port, createdAt: before.createdAt, syncUser: 'agent-fleet' });
    expect(after.doltLog).toBeUndefined();
    expect(r.err()).not.toContain('initialised an empty data dir');
    expect(r.err()).toContain('settings given to this start recorded');
    expect(statSync(centralPaths(dataDir).doltLog).size).toBeGreaterThan(0);
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
  });

  it('a detached start given a new HTTP port waits for readiness on that port', async () => {
    const dataDir = volume();
    const [httpPort] = await ports(1);
    const env = { GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root') };
    const r = await cli(root, ['server', 'start', '--data-dir', dataDir, '--detach', '--json', '--http-port', String(httpPort)], env);
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ running: true, ready: true, already_running: false });
    expect(settingsOf(dataDir).httpPort).toBe(httpPort);
    expect((await cli(root, ['server', 'stop', '--data-dir', dataDir, '--json'], env)).code).toBe(0);
  });

  it('a start that fails with the settings given to it leaves the recorded ones alone', async () => {
    const dataDir = volume();
    const before = readFileSync(centralPaths(dataDir).settings, 'utf8');
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', () => resolve()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await cli(root, ['server', 'start', '--data-dir', dataDir, '--port', String(port)], { GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root') });
      expect(r.code).not.toBe(0);
      expect(errorCode(r)).toBe('GRAVA_E_SERVER');
    } finally {
      busy.close();
    }
    expect(readFileSync(centralPaths(dataDir).settings, 'utf8')).toBe(before);
  });

  it('refuses another database name, or a secret given twice, and changes nothing', async () => {
    const dataDir = volume();
    const before = readFileSync(centralPaths(dataDir).settings, 'utf8');
    const renamed = await cli(root, ['server', 'start', '--data-dir', dataDir, '--init'], { GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root'), GRAVA_SERVER_DATABASE: 'other' });
    expect(errorCode(renamed)).toBe('GRAVA_E_USAGE');
    expect(renamed.stderr).toMatch(/fixed at init/);
    const twice = await cli(root, ['server', 'start', '--data-dir', dataDir], { GRAVA_SERVER_ROOT_PASSWORD: ROOT_PASSWORD, GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'root') });
    expect(errorCode(twice)).toBe('GRAVA_E_USAGE');
    expect(twice.stderr).toMatch(/not both/);
    expect(twice.stderr).not.toContain(ROOT_PASSWORD);
    const missing = await cli(root, ['server', 'start', '--data-dir', dataDir], { GRAVA_SERVER_ROOT_PASSWORD: undefined, GRAVA_SERVER_ROOT_PASSWORD_FILE: join(secrets, 'nope') });
    expect(errorCode(missing)).toBe('GRAVA_E_AUTH');
    expect(missing.stderr).toMatch(/ENOENT/);
    expect(readFileSync(centralPaths(dataDir).settings, 'utf8')).toBe(before);
  });

  it('generates a root password when none is given, stores it 0600 and never prints it', async () => {
    const dataDir = join(root, 'generated');
    dataDirs.push(dataDir);
    const [sql, remotesapi, httpPort] = await ports(3);
    const r = startForeground(dataDir, {
      GRAVA_SERVER_ROOT_PASSWORD: undefined, GRAVA_REMOTE_USER: 'syncer', GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD,
      GRAVA_SERVER_PORT: String(sql), GRAVA_SERVER_REMOTESAPI_PORT: String(remotesapi), GRAVA_SERVER_HTTP_PORT: String(httpPort), GRAVA_SERVER_BACKUP_INTERVAL: '0',
    });
    await readyz(httpPort ?? 0, r);
    const file = centralPaths(dataDir).rootPassword;
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const generated = readFileSync(file, 'utf8').trim();
    expect(generated.length).toBeGreaterThanOrEqual(24);
    expect(r.out() + r.err()).not.toContain(generated);
    expect(r.err()).toContain('generated and stored in root-password (0600)');
    r.child.kill('SIGTERM');
    expect(await r.exited).toBe(0);
    expect(isAlive(r.child.pid ?? 0)).toBe(false);
  });

  it('refuses a volume with no server but with backups in backups/, pointing at restore', async () => {
    const dataDir = join(root, 'orphaned-backups');
    mkdirSync(join(dataDir, 'backups', '2026-11-26T00-00-00Z'), { recursive: true });
    const r = await cli(root, ['server', 'start', '--data-dir', dataDir, '--init'], { GRAVA_REMOTE_USER: 'syncer', GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD });
    expect(errorCode(r)).toBe('GRAVA_E_SERVER_EXISTS');
    expect(r.stderr).toMatch(/grava server restore/);
    expect(readdirSync(join(dataDir, 'backups'))).toEqual(['2026-11-26T00-00-00Z']);
    expect(readdirSync(dataDir)).toEqual(['backups']);
  });

  it('refuses a non-empty directory that holds no server, and leaves its files alone', async () => {
    const dataDir = join(root, 'stray');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'notes.txt'), 'keep me\n');
    const r = await cli(root, ['server', 'start', '--data-dir', dataDir, '--init'], { GRAVA_REMOTE_USER: 'syncer', GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD });
    expect(errorCode(r)).toBe('GRAVA_E_SERVER_EXISTS');
    expect(readdirSync(dataDir)).toEqual(['notes.txt']);
  });
});
