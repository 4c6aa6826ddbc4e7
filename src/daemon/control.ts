// The CLI's side of the daemon: find it, start it (race-free), talk to it,
// stop it. Kept light: no database driver is loaded here, so a command that
// the daemon answers costs a Node start-up and one round trip.
//
// Starting: whichever CLI process takes `.grava/daemon.start.lock` spawns
// `grava daemon run` and waits until it answers; the others wait on the lock
// and then find it running. The daemon itself holds `.grava/daemon.lock` for
// its whole life, so even two starters that raced past the start lock leave
// one daemon: the second exits at once.

import { spawn } from 'node:child_process';
import { openSync, closeSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { GravaError, asGravaError } from '../errors/grava-error.js';
import { packageRoot } from '../storage/dolt/dolt-binary.js';
import { lockHolder, withFileLock } from '../storage/dolt/file-lock.js';
import type { WorkspacePaths } from '../storage/dolt/layout.js';
import { isAlive, readTail, waitFor } from '../storage/dolt/process-util.js';
import { RpcClient } from '../transport/rpc-client.js';
import { buildVersion } from '../transport/version.js';
import { tryConnect } from './client.js';

/** The daemon's version and pid, or undefined when none answers. */
export async function health(paths: WorkspacePaths): Promise<{ version: string; pid: number } | undefined> {
  let c: RpcClient;
  try { c = await RpcClient.connect(paths.daemonSocket, { timeoutMs: 2_000 }); } catch { return undefined; }
  try {
    return (await c.call('daemon.health', {}, 5_000)) as { version: string; pid: number };
  } catch {
    return undefined;
  } finally {
    c.close();
  }
}

/** Starts the daemon unless one of this build answers. Returns its pid and whether this call started it. */
export async function startDaemon(paths: WorkspacePaths, opts: { timeoutMs?: number } = {}): Promise<{ pid: number; started: boolean }> {
  const h = await health(paths);
  if (h && h.version === buildVersion()) return { pid: h.pid, started: false };
  return withFileLock(paths.daemonStartLock, async () => {
    const again = await health(paths);
    if (again && again.version === buildVersion()) return { pid: again.pid, started: false };
    if (again) await stopDaemon(paths, { keepServer: true }); // another build: replace it
    const out = openSync(paths.daemonOut, 'a', 0o600);
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.GRAVA_NO_DAEMON;
    const child = spawn(process.execPath, [join(packageRoot(), 'bin', 'grava.js'), 'daemon', 'run'], { cwd: paths.root, detached: true, stdio: ['ignore', out, out], env });
    closeSync(out);
    child.unref();
    const pid = child.pid;
    if (pid === undefined) throw new GravaError('GRAVA_E_DAEMON', 'could not start the daemon process');
    let exited = false;
    child.once('exit', () => { exited = true; });
    let answered: { version: string; pid: number } | undefined;
    await waitFor(async () => {
      answered = await health(paths);
      return exited || answered?.version === buildVersion();
    }, opts.timeoutMs ?? 90_000, 25);
    // A daemon that exited at once because another one won the race is fine if that one answers.
    if (exited && answered?.version !== buildVersion()) answered = await health(paths);
    if (answered?.version === buildVersion()) return { pid: answered.pid, started: answered.pid === pid };
    const tail = readTail(paths.daemonOut, 600).split('\n').filter(Boolean).slice(-2).join(' | ');
    throw new GravaError('GRAVA_E_DAEMON', `the daemon did not start${exited ? ' (it exited)' : ''}; see ${paths.daemonLog}${tail ? `: ${tail}` : ''}`);
  }, 120_000);
}

/**
 * Stops the daemon gracefully (it commits its batch, syncs once, stops the
 * workspace server), then makes sure no process of the workspace remains:
 * a daemon that does not stop in time is killed, and a server it left
 * behind (after a kill -9) is stopped too.
 */
export async function stopDaemon(paths: WorkspacePaths, opts: { timeoutMs?: number; keepServer?: boolean } = {}): Promise<{ stopped: boolean; pid: number | null; killed: boolean; server: 'stopped' | 'not-running' | 'kept' }> {
  const pid = lockHolder(paths.daemonLock) ?? null;
  let stopped = false;
  let killed = false;
  const c = await tryConnect(paths).catch(() => undefined);
  if (c) {
    try { await c.call('daemon.stop', {}, 10_000); stopped = true; } catch { /* falls back to signals below */ } finally { c.close(); }
  }
  if (pid !== null) {
    if (!stopped) { try { process.kill(pid, 'SIGTERM'); stopped = true; } catch { /* gone */ } }
    if (!(await waitFor(() => !isAlive(pid), opts.timeoutMs ?? 30_000, 25))) {
      try { process.kill(pid, 'SIGKILL'); killed = true; } catch { /* gone */ }
      await waitFor(() => !isAlive(pid), 5_000, 25);
    }
    stopped = true;
  }
  let server: 'stopped' | 'not-running' | 'kept' = 'kept';
  if (!opts.keepServer) {
    const { localServer } = await import('../storage/replica.js');
    server = await (await localServer(paths)).stop(10_000);
  }
  // Leftovers of a daemon that could not clean up (kill -9).
  if (lockHolder(paths.daemonLock) === undefined) {
    rmSync(paths.daemonState, { force: true });
    if (paths.daemonSocket !== paths.daemonSocketLink) rmSync(paths.daemonSocketLink, { force: true });
    rmSync(paths.daemonSocket, { force: true });
  }
  return { stopped, pid, killed, server };
}

export async function daemonStatus(paths: WorkspacePaths): Promise<Record<string, unknown>> {
  const c = await tryConnect(paths).catch(() => undefined);
  if (c) {
    try { return (await c.call('daemon.status', {}, 10_000)) as Record<string, unknown>; } catch (e) {
      if (asGravaError(e).code !== 'GRAVA_E_DAEMON_VERSION') throw e;
      const h = await health(paths);
      return { running: true, pid: h?.pid ?? null, socket: paths.daemonSocket, version: h?.version ?? null, stale_build: true, cli_version: buildVersion() };
    } finally { c.close(); }
  }
  return { running: false, pid: null, socket: paths.daemonSocket, version: buildVersion(), uptime_ms: null, pending_writes: null, debounce_ms: null, next_sync_at: null, last_sync: null };
}
