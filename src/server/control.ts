// Controlling a central server from another process: start it detached,
// stop it, report its status.

import { spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { GravaError } from '../errors/grava-error.js';
import { commandLine, findProcesses, isAlive, readTail, sleep, terminate } from '../storage/dolt/process-util.js';
import { listBackups, readBackupState, runBackup, type BackupResult } from './backup.js';
import { centralDoltServer } from './central.js';
import { dialHost, remoteUrl, type ServerSettings } from './config.js';
import type { CentralPaths } from './paths.js';
import { adminTarget, checkReadiness, type ReadinessReport } from './readiness.js';
import { readSettings, rootPassword } from './settings.js';
import { isSupervisorProcess, readSupervisorState } from './supervisor.js';
import type { QueueStats } from './merge-queue.js';
import type { SlotStats } from './remote-slots.js';
import { hasPid, readJsonFile } from '../storage/dolt/json-file.js';
import { createUser, dropUser, listUsers, type CentralUser, type UserRole } from '../storage/versioning/central-admin.js';
import { generateSecret } from '../storage/dolt/layout.js';
import type { ConnectionTarget } from '../storage/dolt/dolt-server.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface ServerStatus {
  readonly data_dir: string;
  readonly database: string;
  readonly remote_url: string;
  readonly host: string;
  readonly running: boolean;
  readonly ready: boolean;
  readonly supervisor_pid: number | null;
  readonly dolt_pid: number | null;
  readonly dolt_running: boolean;
  readonly ports: { readonly sql: number; readonly remotesapi: number; readonly http: number; readonly metrics: number };
  readonly restarts: number;
  readonly started_at: string | null;
  readonly last_restart_at: string | null;
  readonly checks: ReadinessReport['checks'] | null;
  readonly backup: {
    readonly interval_seconds: number;
    readonly keep: number;
    readonly stored: number;
    readonly last_success_at: string | null;
    readonly last_outcome: 'success' | 'failure' | null;
    readonly last_url: string | null;
    readonly last_main_head: string | null;
    readonly last_error: string | null;
  };
  /** The merge queue, as the running supervisor reports it (null when it is not running or did not answer). */
  readonly queue: QueueStats | null;
  /** Turns for the workspaces' Dolt fetches and pushes (remote-slots.ts), as the running supervisor reports them. */
  readonly slots: SlotStats | null;
}

function doltPidOf(paths: CentralPaths): number | null {
  // No state, or a corrupt one: no pid to trust (a process found by another way is not ours to signal).
  const r = readJsonFile(paths.doltState, hasPid);
  if (r.status !== 'ok') return null;
  const { pid } = r.value;
  const cmd = commandLine(pid);
  return isAlive(pid) && cmd !== undefined && cmd.includes(paths.doltConfig) ? pid : null;
}

async function httpReadiness(settings: Pick<ServerSettings, 'host' | 'httpPort'>): Promise<ReadinessReport | null> {
  try {
    const res = await fetch(`http://${dialHost(settings.host)}:${settings.httpPort}/readyz`, { signal: AbortSignal.timeout(3_000) });
    return (await res.json()) as ReadinessReport;
  } catch {
    return null;
  }
}

async function httpQueue(settings: Pick<ServerSettings, 'host' | 'httpPort'>): Promise<{ queue: QueueStats | null; slots: SlotStats | null }> {
  try {
    const res = await fetch(`http://${dialHost(settings.host)}:${settings.httpPort}/healthz`, { signal: AbortSignal.timeout(3_000) });
    const body = (await res.json()) as { queue?: QueueStats; slots?: SlotStats };
    return { queue: body.queue ?? null, slots: body.slots ?? null };
  } catch {
    return { queue: null, slots: null };
  }
}

export async function serverStatus(paths: CentralPaths, env: Env = process.env): Promise<ServerStatus> {
  const settings = readSettings(paths);
  const sup = readSupervisorState(paths);
  const supervisorPid = sup && isSupervisorProcess(sup.pid) ? sup.pid : null;
  const doltPid = doltPidOf(paths);
  let password: string | undefined;
  try { password = rootPassword(paths, env); } catch { password = undefined; }
  // Without the root password here, ask the running supervisor (which has it).
  const readiness = password !== undefined ? await checkReadiness(paths, settings, adminTarget(paths, password)) : supervisorPid !== null ? await httpReadiness(settings) : null;
  const backup = readBackupState(paths);
  const supState = supervisorPid !== null ? sup : undefined;
  const { queue, slots } = supervisorPid !== null ? await httpQueue(supState ? { host: supState.host, httpPort: supState.http_port } : settings) : { queue: null, slots: null };
  return {
    data_dir: paths.dir,
    database: settings.database,
    remote_url: remoteUrl(settings),
    host: settings.host,
    running: supervisorPid !== null,
    ready: readiness?.ready ?? false,
    supervisor_pid: supervisorPid,
    dolt_pid: doltPid,
    dolt_running: doltPid !== null,
    ports: { sql: settings.port, remotesapi: settings.remotesapiPort, http: settings.httpPort, metrics: settings.metricsPort },
    restarts: supState?.restarts ?? 0,
    started_at: supState?.started_at ?? null,
    last_restart_at: supState?.last_restart_at ?? null,
    checks: readiness?.checks ?? null,
    backup: {
      interval_seconds: supState?.backup_interval_seconds ?? settings.backupIntervalSeconds,
      keep: supState?.backup_keep ?? settings.backupKeep,
      stored: listBackups(paths).filter((b) => b.complete).length,
      last_success_at: backup.lastSuccessAt,
      last_outcome: backup.lastOutcome,
      last_url: backup.lastUrl,
      last_main_head: backup.lastMainHead,
      last_error: backup.lastError,
    },
    queue,
    slots,
  };
}

export interface StopResult {
  readonly stopped: boolean;
  readonly supervisor_pid: number | null;
  readonly dolt_pid: number | null;
  readonly supervisor: 'terminated' | 'killed' | 'not-running';
  readonly dolt: 'stopped' | 'not-running';
  readonly duration_ms: number;
}

/** Stops the supervisor (SIGTERM: it stops Dolt), forcibly after `graceMs`, then any Dolt of this data dir that is left. Leaves no process behind. */
export async function stopServer(paths: CentralPaths, graceMs = 30_000): Promise<StopResult> {
  const t = Date.now();
  const settings = readSettings(paths);
  const sup = readSupervisorState(paths);
  const supervisorPid = sup && isSupervisorProcess(sup.pid) ? sup.pid : null;
  const doltPid = doltPidOf(paths);
  let supervisor: StopResult['supervisor'] = 'not-running';
  if (supervisorPid !== null) {
    const r = await terminate(supervisorPid, graceMs);
    supervisor = r === 'killed' ? 'killed' : 'terminated';
  }
  // The supervisor stops Dolt itself; this catches a Dolt left by a supervisor that was killed.
  const dolt = await centralDoltServer(paths, settings, 'dolt', '').stop(10_000);
  rmSync(paths.supervisorState, { force: true });
  const left = [...findProcesses('sql-server', paths.doltConfig), ...(supervisorPid !== null && isAlive(supervisorPid) ? [supervisorPid] : [])];
  if (left.length > 0) throw new GravaError('GRAVA_E_SERVER', `processes still running after stop: ${left.join(', ')}`);
  return {
    stopped: supervisorPid !== null || doltPid !== null || dolt === 'stopped',
    supervisor_pid: supervisorPid,
    dolt_pid: doltPid,
    supervisor,
    dolt: doltPid !== null ? 'stopped' : dolt,
    duration_ms: Date.now() - t,
  };
}

function logTail(path: string, bytes = 4_000): string {
  const lines = readTail(path, bytes).split('\n').filter(Boolean);
  // The CLI's own error line (GRAVA_E_…) says most; otherwise the last lines.
  const coded = lines.filter((l) => /^GRAVA_E_[A-Z_]+:/.test(l)).at(-1);
  return coded ?? lines.slice(-3).join(' | ');
}

export interface DetachedStart {
  readonly supervisor_pid: number;
  readonly already_running: boolean;
  readonly ready_ms: number;
}

/** Starts `command` (a `grava server start` without --detach) in the background and waits until it is ready. */
export async function startDetached(paths: CentralPaths, command: readonly string[], timeoutMs = 120_000): Promise<DetachedStart> {
  readSettings(paths); // a missing or unreadable data dir is reported before anything starts
  const t = Date.now();
  // The supervisor records the host and HTTP port it serves on (a start may have been given new ones).
  const ready = async (pid: number): Promise<boolean> => {
    const state = readSupervisorState(paths);
    if (state?.pid !== pid) return false;
    return (await httpReadiness({ host: state.host, httpPort: state.http_port }))?.ready === true;
  };
  const existing = readSupervisorState(paths);
  if (existing && isSupervisorProcess(existing.pid)) {
    const deadline = Date.now() + timeoutMs;
    while (!(await ready(existing.pid))) {
      if (Date.now() > deadline || !isAlive(existing.pid)) throw new GravaError('GRAVA_E_SERVER', `a supervisor runs (pid ${existing.pid}) but is not ready; see ${paths.supervisorLog}`);
      await sleep(100);
    }
    return { supervisor_pid: existing.pid, already_running: true, ready_ms: Date.now() - t };
  }
  const [exe, ...args] = command;
  if (!exe) throw new GravaError('GRAVA_E_INTERNAL', 'no command to start');
  const logFd = openSync(paths.supervisorLog, 'a', 0o600);
  const child = spawn(exe, args, { cwd: paths.dir, detached: true, stdio: ['ignore', logFd, logFd], env: process.env });
  closeSync(logFd);
  child.unref();
  const pid = child.pid;
  if (pid === undefined) throw new GravaError('GRAVA_E_SERVER', `could not start ${exe}`);
  let exited = false;
  child.once('exit', () => { exited = true; });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited || !isAlive(pid)) throw new GravaError('GRAVA_E_SERVER', `the supervisor exited before it was ready: ${logTail(paths.supervisorLog)}`);
    if (await ready(pid)) return { supervisor_pid: pid, already_running: false, ready_ms: Date.now() - t };
    if (Date.now() > deadline) {
      await terminate(pid, 20_000);
      throw new GravaError('GRAVA_E_SERVER', `the supervisor was not ready within ${Math.round(timeoutMs / 1000)} s and was stopped: ${logTail(paths.supervisorLog)}`);
    }
    await sleep(100);
  }
}

/** `grava server backup`: a backup of the running server now (one at a time with the scheduled ones). */
export async function backupNow(paths: CentralPaths, o: { to?: string; keep?: number }, env: Env = process.env): Promise<BackupResult> {
  const target = await runningAdmin(paths, env);
  const settings = readSettings(paths);
  return runBackup({ paths, settings, target, keep: o.keep ?? settings.backupKeep, ...(o.to !== undefined ? { to: o.to } : {}) });
}

/** An admin connection to the running server of `paths` (root over the unix socket). */
async function runningAdmin(paths: CentralPaths, env: Env): Promise<ConnectionTarget> {
  const settings = readSettings(paths);
  const password = rootPassword(paths, env);
  const status = await centralDoltServer(paths, settings, 'dolt', password).status();
  if (!status.running || !status.ready) throw new GravaError('GRAVA_E_NOT_RUNNING', `the server of ${paths.dir} is not running; start it with \`grava server start --data-dir ${paths.dir} --detach\``);
  return adminTarget(paths, password);
}

export interface UserAdded { readonly user: string; readonly role: UserRole; readonly password_generated: boolean; readonly password?: string }

/** `grava server user add`: a new user for one agent or workspace, effective at once. With no password given, one is
 *  generated and returned (printed once by the CLI, stored nowhere). */
export async function addUser(paths: CentralPaths, user: string, o: { role: UserRole; password?: string }, env: Env = process.env): Promise<UserAdded> {
  const target = await runningAdmin(paths, env);
  if ((await listUsers(target)).some((u) => u.name === user)) throw new GravaError('GRAVA_E_CONFLICT', `user ${user} already exists on this server; remove it first to change its password`, { user });
  const password = o.password ?? generateSecret();
  await createUser(target, user, password, o.role);
  return { user, role: o.role, password_generated: o.password === undefined, ...(o.password === undefined ? { password } : {}) };
}

export async function removeUser(paths: CentralPaths, user: string, env: Env = process.env): Promise<{ user: string; removed: true }> {
  await dropUser(await runningAdmin(paths, env), user);
  return { user, removed: true };
}

export async function usersOf(paths: CentralPaths, env: Env = process.env): Promise<(CentralUser & { initial: boolean })[]> {
  const settings = readSettings(paths);
  const users = await listUsers(await runningAdmin(paths, env));
  return users.map((u) => ({ ...u, initial: u.name === settings.syncUser || u.name === settings.readonlyUser }));
}
