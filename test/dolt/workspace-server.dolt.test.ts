// The workspace dolt sql-server: start, reuse, stop, orphans, stale sockets,
// and migrations that commit only when they change something.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { configureDoltHome } from '../../src/storage/versioning/central-admin.js';
import { DoltServer, ping, portTaken } from '../../src/storage/dolt/dolt-server.js';
import { openReplica } from '../../src/storage/replica.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { isAlive, commandLine, freePort } from '../../src/storage/dolt/process-util.js';
import { migrate, schemaVersion } from '../../src/storage/issues/migrations.js';
import { commitCount } from '../../src/storage/dolt/version-control.js';
import { MIGRATIONS } from '../../src/storage/issues/schema.js';
import { newWorkspace, ok, testDir } from '../helpers/workspace.js';

function statePid(root: string): number {
  return (JSON.parse(readFileSync(workspacePaths(root).serverState, 'utf8')) as { pid: number }).pid;
}

describe('workspace server', () => {
  it('is reused across commands rather than started per command', async () => {
    const ws = await newWorkspace('reuse');
    const pid = statePid(ws);
    await ok(ws, ['create', 'one']);
    await ok(ws, ['list']);
    expect(statePid(ws)).toBe(pid);
    expect(commandLine(pid)).toContain('sql-server');
  });

  it("gets only the environment Dolt, git and TLS need: none of the agent's secrets", async () => {
    const ws = await newWorkspace('child-env');
    await ok(ws, ['dolt', 'stop']);
    // The agent's environment: API keys and a password of its own, beside what git and ssh need.
    await ok(ws, ['list'], { OPENAI_API_KEY: 'sk-canary-1', AWS_SECRET_ACCESS_KEY: 'canary-2', GRAVA_SERVER_ROOT_PASSWORD: 'canary-3', SSH_AUTH_SOCK: '/tmp/agent.sock', GIT_SSH_COMMAND: 'ssh -i key', https_proxy: 'http://proxy:3128' });
    const environ = readFileSync(`/proc/${statePid(ws)}/environ`, 'utf8').split('\0');
    for (const secret of ['sk-canary-1', 'canary-2', 'canary-3']) expect(environ.some((e) => e.includes(secret))).toBe(false);
    expect(environ).toEqual(expect.arrayContaining(['SSH_AUTH_SOCK=/tmp/agent.sock', 'GIT_SSH_COMMAND=ssh -i key', 'https_proxy=http://proxy:3128', 'GIT_TERMINAL_PROMPT=0']));
    expect(environ.some((e) => e.startsWith('PATH='))).toBe(true);
  });

  it('a server killed with -9 is replaced on the next command, with nothing lost', async () => {
    const ws = await newWorkspace('kill9');
    await ok(ws, ['create', 'survives']);
    const pid = statePid(ws);
    process.kill(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    expect(isAlive(pid)).toBe(false);
    // The socket file is left behind by the crash; the next start must remove it.
    const list = (await ok(ws, ['list', '--json'])).json as { title: string }[];
    expect(list.map((i) => i.title)).toEqual(['survives']);
    const fresh = statePid(ws);
    expect(fresh).not.toBe(pid);
    expect(existsSync(workspacePaths(ws).socket)).toBe(true);
  });

  it('an orphan whose state file was lost is stopped and replaced', async () => {
    const ws = await newWorkspace('orphan');
    const paths = workspacePaths(ws);
    const pid = statePid(ws);
    // A stale state file pointing at a live process that is not a Dolt server of ours.
    writeFileSync(paths.serverState, JSON.stringify({ pid: process.pid, port: 1, host: '127.0.0.1', socket: paths.socket, configPath: paths.serverConfig, startedAt: '' }));
    const r = await openReplica(paths);
    try {
      expect(r.state.pid).not.toBe(process.pid);
      expect((await r.issues.list()).length).toBe(0);
    } finally {
      await r.close();
    }
    // The previous server still answers on its socket? Either reused or stopped: never two servers.
    await new Promise((res) => setTimeout(res, 200));
    const newPid = statePid(ws);
    if (newPid !== pid) expect(isAlive(pid)).toBe(false);
  });

  it('concurrent first commands start exactly one server', async () => {
    const ws = await newWorkspace('concurrent');
    await ok(ws, ['dolt', 'stop']);
    const results = await Promise.all([1, 2, 3, 4].map((n) => ok(ws, ['create', `c${n}`, '--json'])));
    expect(results).toHaveLength(4);
    const list = (await ok(ws, ['list', '--json'])).json as unknown[];
    expect(list).toHaveLength(4);
    // Exactly one dolt sql-server runs with this workspace's config.
    const config = workspacePaths(ws).serverConfig;
    const servers = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => (commandLine(Number(p)) ?? []).includes(config));
    expect(servers).toEqual([String(statePid(ws))]);
  });

  it('dolt stop stops the process and leaves no socket', async () => {
    const ws = await newWorkspace('stop');
    const pid = statePid(ws);
    const r = (await ok(ws, ['dolt', 'stop', '--json'])).json as { result: string };
    expect(r.result).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
    expect(existsSync(workspacePaths(ws).socket)).toBe(false);
    const status = (await ok(ws, ['dolt', 'status', '--json'])).json as { running: boolean };
    expect(status.running).toBe(false);
  });

  it('a port another process takes before Dolt binds it is given up, and the server starts on another', async () => {
    // Between picking a free port and Dolt binding it, another process can take it (seen in CI: Dolt 1.88.1
    // says "Port 44253 already in use." and exits). The start picks again.
    const dir = testDir('port-taken');
    await configureDoltHome(inject('doltPath'), join(dir, 'home'), 'port-taken');
    const taker = createServer();
    await new Promise<void>((r) => taker.listen(0, '127.0.0.1', r));
    const taken = (taker.address() as AddressInfo).port;
    const picked: number[] = [];
    const server = new DoltServer({
      doltPath: inject('doltPath'), dataDir: join(dir, 'data'), doltHome: join(dir, 'home'), configPath: join(dir, 'server.yaml'),
      statePath: join(dir, 'server.json'), logPath: join(dir, 'server.log'), lockPath: join(dir, 'server.lock'), user: 'root', password: 'pw',
      pickPort: async (host) => { const p = picked.length === 0 ? taken : await freePort(host); picked.push(p); return p; },
    });
    try {
      const state = await server.ensureRunning();
      expect(picked).toHaveLength(2);
      expect(state.port).toBe(picked[1]);
      expect(state.port).not.toBe(taken);
      expect(portTaken(readFileSync(join(dir, 'server.log'), 'utf8'))).toBe(true);
      expect(await ping(server.target(state))).toBe(true);
    } finally {
      await server.stop();
      await new Promise((r) => taker.close(r));
    }
  });

  it('two workspaces on one machine do not collide', async () => {
    const a = await newWorkspace('twin-a');
    const b = await newWorkspace('twin-b');
    await ok(a, ['create', 'in a']);
    expect(statePid(a)).not.toBe(statePid(b));
    expect((await ok(b, ['list', '--json'])).json).toEqual([]);
  });
});

describe('migrations', () => {
  it('a fresh workspace is at the latest version with the schema committed', async () => {
    const ws = await newWorkspace('mig');
    const r = await openReplica(workspacePaths(ws));
    try {
      expect(await schemaVersion(r.db)).toBe(MIGRATIONS.at(-1)?.version);
      const commits = await commitCount(r.db);
      const again = await migrate(r.db, 'mig');
      expect(again.applied).toEqual([]);
      expect(again.commit).toBeNull();
      expect(await commitCount(r.db)).toBe(commits);
    } finally {
      await r.close();
    }
  });

  it('a new migration applies once and makes exactly one commit', async () => {
    const ws = await newWorkspace('mig2');
    const r = await openReplica(workspacePaths(ws));
    try {
      const before = await commitCount(r.db);
      const extra = [...MIGRATIONS, { version: 99, name: 'test index', statements: ['CREATE INDEX idx_test_status ON issues (status)'] }];
      const first = await migrate(r.db, 'mig2', extra);
      expect(first.applied).toEqual([99]);
      expect(first.commit).toMatch(/^[0-9a-v]{32}$/);
      expect(await commitCount(r.db)).toBe(before + 1);
      const second = await migrate(r.db, 'mig2', extra);
      expect(second.applied).toEqual([]);
      expect(await commitCount(r.db)).toBe(before + 1);
      await expect(migrate(r.db, 'mig2', MIGRATIONS)).rejects.toMatchObject({ code: 'GRAVA_E_STORAGE' });
    } finally {
      await r.close();
    }
  });
});
