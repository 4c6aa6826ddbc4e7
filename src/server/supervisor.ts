// The central server's supervisor: one process that keeps `dolt sql-server`
// running (restarting it with backoff when it dies or stops answering),
// serves /healthz, /readyz and /metrics, and takes backups on a schedule.
//
// Built from three loops that all stop through one AbortController: the Dolt
// watchdog, the backup schedule and the HTTP service. The order on stop is
// backups (an in-flight one may finish), HTTP, then Dolt.

import { readdirSync, lstatSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { GravaError } from '../errors/grava-error.js';
import { isSyncUser, mainCommitCount } from '../storage/versioning/central-admin.js';
import { openDb, type Db } from '../storage/dolt/db.js';
import { findDolt } from '../storage/dolt/dolt-binary.js';
import { ping, type DoltServer } from '../storage/dolt/dolt-server.js';
import { withFileLock } from '../storage/dolt/file-lock.js';
import { commandLine, isAlive, terminate } from '../storage/dolt/process-util.js';
import { writeFileAtomic } from '../storage/dolt/layout.js';
import { readBackupState, runBackup } from './backup.js';
import { centralDoltServer } from './central.js';
import { startSettings, type ServerSettings, type Tunables } from './config.js';
import { buildHttpApp } from './http.js';
import { RemoteSlots, remoteSlotLeaseMs, remoteSlotLimit } from './remote-slots.js';
import type { Log } from './log.js';
import { centralMetricFamilies, renderMetrics } from './metrics.js';
import { MergeQueue } from './merge-queue.js';
import { branchHeadNow } from '../storage/versioning/queue-merge.js';
import type { CentralPaths } from './paths.js';
import { adminTarget, checkReadiness, type ReadinessReport } from './readiness.js';
import { readSettings, rootPassword, writeSettings } from './settings.js';
import { isObject, readJsonFile } from '../storage/dolt/json-file.js';

export interface SupervisorState {
  readonly pid: number;
  readonly data_dir: string;
  readonly host: string;
  readonly http_port: number;
  readonly started_at: string;
  readonly dolt_pid: number | null;
  readonly restarts: number;
  readonly last_restart_at: string | null;
  readonly backup_interval_seconds: number;
  readonly backup_keep: number;
}

export function readSupervisorState(paths: CentralPaths): SupervisorState | undefined {
  // Missing or corrupt: no supervisor state to report (the supervisor rewrites it every few seconds).
  const r = readJsonFile(paths.supervisorState, isObject);
  return r.status === 'ok' ? (r.value as unknown as SupervisorState) : undefined;
}

/** True when pid is alive and is a `grava server start` process. */
export function isSupervisorProcess(pid: number): boolean {
  if (!isAlive(pid)) return false;
  const cmd = commandLine(pid);
  return cmd !== undefined && cmd.includes('server') && cmd.includes('start');
}

export interface SupervisorOptions {
  readonly paths: CentralPaths;
  readonly settings: ServerSettings;
  readonly doltPath: string;
  readonly rootPassword: string;
  readonly backupIntervalSeconds: number;
  readonly backupKeep: number;
  readonly log: Log;
  readonly now?: () => number;
  /** How often the watchdog looks at the Dolt process (ms). */
  readonly pollMs?: number;
}

/** Backoff before restart attempt `streak` (1 = the first since Dolt last ran healthily for a minute):
 *  at once, then 0.5 s, 1 s, 2 s … up to 30 s while it keeps dying or failing to start. */
export function restartDelayMs(streak: number): number {
  return streak <= 1 ? 0 : Math.min(30_000, 500 * 2 ** (streak - 2));
}

const HEALTHY_RUN_MS = 60_000;
const PING_EVERY_MS = 2_000;
const PING_FAILURES_BEFORE_RESTART = 10;

async function within<T>(ms: number, p: Promise<T>): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<null>((r) => { timer = setTimeout(() => r(null), ms); })]);
  } catch {
    return null;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

function dirBytes(path: string, depth = 0): number {
  if (depth > 32) return 0;
  let total = 0;
  let entries: string[];
  try { entries = readdirSync(path); } catch { return 0; }
  for (const name of entries) {
    const p = join(path, name);
    try {
      const st = lstatSync(p);
      total += st.isDirectory() ? dirBytes(p, depth + 1) : st.size;
    } catch { /* vanished while walking */ }
  }
  return total;
}

export class Supervisor {
  private readonly abort = new AbortController();
  private readonly now: () => number;
  private readonly dolt: DoltServer;
  private readonly startedAtMs: number;
  private doltPid: number | null = null;
  private doltStartedAtMs = 0;
  private restarts = 0;
  private lastRestartAt: string | null = null;
  private app: FastifyInstance | undefined;
  private loops: Promise<void>[] = [];
  private backupInFlight: Promise<unknown> | undefined;
  private stopping: Promise<void> | undefined;
  private starting: Promise<void> | undefined;
  private wakeWatchdog: (() => void) | undefined;
  readonly queue: MergeQueue;
  /** Turns for the workspaces' Dolt fetches and pushes (POST /v1/slots). */
  readonly slots: RemoteSlots;
  private auth: Db | undefined;

  /** root's pool for checking HTTP callers' credentials: kept, so a burst of calls does not open one each. */
  private authDb(): Db {
    this.auth ??= openDb(adminTarget(this.o.paths, this.o.rootPassword), undefined, 4);
    return this.auth;
  }

  constructor(readonly o: SupervisorOptions) {
    this.now = o.now ?? Date.now;
    this.startedAtMs = this.now();
    this.queue = new MergeQueue({
      target: adminTarget(o.paths, o.rootPassword), database: o.settings.database, dataDir: o.paths.dir,
      log: o.log, signal: this.abort.signal, now: this.now,
    });
    this.slots = new RemoteSlots(remoteSlotLimit(), remoteSlotLeaseMs());
    this.dolt = centralDoltServer(o.paths, o.settings, o.doltPath, o.rootPassword, {
      onExit: (pid) => { if (pid === this.doltPid) this.wakeWatchdog?.(); },
    });
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** Starts Dolt and the HTTP service, then the loops. Throws (having cleaned up) if either cannot start.
   *  A stop() that arrives meanwhile waits for this to finish, then shuts down what it started. */
  start(): Promise<void> {
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    const { paths, settings, log } = this.o;
    try {
      const state = await this.dolt.ensureRunning();
      this.doltPid = state.pid;
      this.doltStartedAtMs = this.now();
      log.info('dolt sql-server running', { dolt_pid: state.pid, sql_port: settings.port, remotesapi_port: settings.remotesapiPort });
      this.app = buildHttpApp({
        health: () => ({ pid: process.pid, uptime_seconds: (this.now() - this.startedAtMs) / 1000, dolt_pid: this.doltPid, queue: this.queue.stats(), slots: this.slots.stats() }),
        readiness: () => this.readiness(),
        metrics: () => this.metricsText(),
        authenticate: (user, password) => isSyncUser(this.authDb(), user, password),
        claim: (job) => this.queue.claim(job),
        waitFor: (branch, head, timeoutMs) => this.queue.waitFor(branch, head, timeoutMs),
        mainHead: () => this.queue.mainHead(),
        queueDepth: () => this.queue.stats().depth,
        slotsWaiting: () => this.slots.stats().waiting,
        branchHead: (branch) => branchHeadNow(this.authDb(), this.o.settings.database, branch),
        ...(this.slots.limit > 0 ? {
          acquireSlot: (timeoutMs: number, signal: AbortSignal) => this.slots.acquire(timeoutMs, signal),
          releaseSlot: (id: string) => this.slots.release(id),
        } : {}),
      });
      try {
        await this.app.listen({ host: settings.host, port: settings.httpPort });
      } catch (e) {
        throw new GravaError('GRAVA_E_SERVER', `cannot serve HTTP on ${settings.host}:${settings.httpPort}: ${(e as Error).message}`);
      }
      log.info('http service listening', { host: settings.host, http_port: settings.httpPort });
      this.writeState();
    } catch (e) {
      await this.app?.close().catch(() => undefined);
      await this.dolt.stop(10_000).catch(() => undefined);
      rmSync(paths.supervisorState, { force: true });
      throw e;
    }
    if (!this.abort.signal.aborted) this.loops = [this.watchdog(), this.backupSchedule(), this.queue.run()];
  }

  /** Resolves once the supervisor has stopped (after stop(), or a fatal error in a loop). */
  async done(): Promise<void> {
    await Promise.all(this.loops);
    await this.stopping;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const { log, paths } = this.o;
      log.info('stopping');
      this.abort.abort();
      this.wakeWatchdog?.();
      await this.starting?.catch(() => undefined);
      if (this.backupInFlight) await within(30_000, this.backupInFlight);
      await Promise.all(this.loops);
      this.slots.close();
      await this.app?.close().catch(() => undefined);
      await this.auth?.destroy().catch(() => undefined);
      const result = await this.dolt.stop(20_000).catch((e: unknown) => { log.error('stopping dolt failed', { error: (e as Error).message }); return 'failed'; });
      rmSync(paths.supervisorState, { force: true });
      log.info('stopped', { dolt: result });
    })();
    return this.stopping;
  }

  private writeState(): void {
    const { paths, settings } = this.o;
    const state: SupervisorState = {
      pid: process.pid,
      data_dir: paths.dir,
      host: settings.host,
      http_port: settings.httpPort,
      started_at: new Date(this.startedAtMs).toISOString(),
      dolt_pid: this.doltPid,
      restarts: this.restarts,
      last_restart_at: this.lastRestartAt,
      backup_interval_seconds: this.o.backupIntervalSeconds,
      backup_keep: this.o.backupKeep,
    };
    try {
      writeFileAtomic(paths.supervisorState, `${JSON.stringify(state, null, 2)}\n`, 0o600);
    } catch (e) {
      // A full disk must not take the watchdog down; status reads a stale file until the next write.
      this.o.log.error('cannot write the supervisor state file', { path: paths.supervisorState, error: (e as Error).message });
    }
  }

  /** Waits `ms`, or less when woken (Dolt exited) or stopped. */
  private pause(ms: number): Promise<void> {
    if (this.abort.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.abort.signal.removeEventListener('abort', finish);
        if (this.wakeWatchdog === finish) this.wakeWatchdog = undefined;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.abort.signal.addEventListener('abort', finish, { once: true });
      this.wakeWatchdog = finish;
    });
  }

  private async watchdog(): Promise<void> {
    const { log } = this.o;
    const target = adminTarget(this.o.paths, this.o.rootPassword);
    let lastPing = this.now();
    let failures = 0;
    let streak = 0;
    while (!this.abort.signal.aborted) {
      await this.pause(this.o.pollMs ?? 200);
      if (this.abort.signal.aborted) break;
      const pid = this.doltPid;
      let reason: string | undefined;
      if (pid === null || !isAlive(pid)) {
        reason = 'dolt sql-server exited';
      } else if (this.now() - lastPing >= PING_EVERY_MS) {
        lastPing = this.now();
        if (await ping(target, 5_000)) failures = 0;
        else if (++failures >= PING_FAILURES_BEFORE_RESTART) {
          reason = `dolt sql-server stopped answering (${failures} failed pings)`;
          await terminate(pid, 5_000);
        }
      }
      if (reason === undefined) continue;
      failures = 0;
      streak = this.now() - this.doltStartedAtMs >= HEALTHY_RUN_MS ? 1 : streak + 1;
      log.warn(reason, { dolt_pid: pid });
      this.doltPid = null;
      this.writeState();
      // Restart with backoff until it works or the supervisor stops.
      while (!this.abort.signal.aborted) {
        const delay = restartDelayMs(streak);
        if (delay > 0) await this.pause(delay);
        if (this.abort.signal.aborted) break;
        try {
          const state = await this.dolt.ensureRunning();
          this.doltPid = state.pid;
          this.doltStartedAtMs = this.now();
          this.restarts++;
          this.lastRestartAt = new Date(this.now()).toISOString();
          lastPing = this.now();
          this.writeState();
          log.info('dolt sql-server restarted', { dolt_pid: state.pid, restarts: this.restarts, after_ms: delay });
          // The queue may be backing off from the outage: it resumes now, not at the end of its pause.
          this.queue.resume();
          break;
        } catch (e) {
          streak++;
          log.error('restarting dolt sql-server failed', { error: (e as Error).message, next_delay_ms: restartDelayMs(streak) });
        }
      }
    }
  }

  private async backupSchedule(): Promise<void> {
    const { backupIntervalSeconds, log, paths, settings } = this.o;
    if (backupIntervalSeconds <= 0) return;
    while (!this.abort.signal.aborted) {
      await new Promise<void>((resolve) => {
        const signal = this.abort.signal;
        const timer = setTimeout(done, backupIntervalSeconds * 1000);
        function done(): void {
          clearTimeout(timer);
          signal.removeEventListener('abort', done);
          resolve();
        }
        signal.addEventListener('abort', done, { once: true });
      });
      if (this.abort.signal.aborted) break;
      if (this.doltPid === null) {
        log.warn('scheduled backup skipped: dolt sql-server is not running');
        continue;
      }
      this.backupInFlight = runBackup({ paths, settings, target: adminTarget(paths, this.o.rootPassword), keep: this.o.backupKeep, log })
        .catch(() => undefined); // recorded in backup-state.json and logged by runBackup
      await this.backupInFlight;
      this.backupInFlight = undefined;
    }
  }

  async readiness(): Promise<ReadinessReport> {
    return checkReadiness(this.o.paths, this.o.settings, adminTarget(this.o.paths, this.o.rootPassword));
  }

  private async doltMetrics(): Promise<string | null> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.o.settings.metricsPort}/metrics`, { signal: AbortSignal.timeout(2_000) });
      return res.ok ? await res.text() : null;
    } catch {
      return null;
    }
  }

  async metricsText(): Promise<string> {
    const { paths, settings } = this.o;
    const target = adminTarget(paths, this.o.rootPassword);
    const [ready, commits, doltText] = await Promise.all([
      this.readiness(),
      within(3_000, mainCommitCount(target, settings.database)),
      this.doltMetrics(),
    ]);
    const backup = readBackupState(paths);
    const own = renderMetrics(centralMetricFamilies({
      nowMs: this.now(),
      supervisorStartedAtMs: this.startedAtMs,
      ready: ready.ready,
      checks: Object.fromEntries(Object.entries(ready.checks).map(([k, v]) => [k, v.ok])),
      doltUp: this.doltPid !== null && isAlive(this.doltPid),
      doltRestarts: this.restarts,
      backupIntervalSeconds: this.o.backupIntervalSeconds,
      lastBackupSuccessAtMs: backup.lastSuccessAt ? Date.parse(backup.lastSuccessAt) : null,
      lastBackupOutcome: backup.lastOutcome,
      backupSuccesses: backup.successes,
      backupFailures: backup.failures,
      databaseSizeBytes: dirBytes(join(paths.dataDir, settings.database)),
      mainCommits: commits,
      diskFreeBytes: ready.checks.disk.free_bytes,
      doltMetricsUp: doltText !== null,
      queue: (({ depth, oldest_wait_ms, merged_total, up_to_date_total, main_moved_total, refused_total, failures_total, last_merge_ms, main_restored_total, claims_total }) => ({
        depth, oldestWaitMs: oldest_wait_ms, merged: merged_total, upToDate: up_to_date_total, mainMoved: main_moved_total,
        refused: refused_total, failures: failures_total, lastMergeMs: last_merge_ms, mainRestored: main_restored_total, claims: claims_total,
      }))(this.queue.stats()),
      slots: this.slots.stats(),
    }));
    return doltText === null ? own : `${own}# Dolt's own metrics (dolt sql-server on 127.0.0.1:${settings.metricsPort})\n${doltText}`;
  }
}

/** Runs a supervisor for the data dir until it is stopped (SIGINT, SIGTERM, SIGHUP). One per data dir (supervisor.lock).
 *  `options` is called once the lock is held. `onReady` runs once it serves. Whatever happens, Dolt is stopped before this returns. */
export async function superviseLocked(paths: CentralPaths, options: () => SupervisorOptions, onReady: (s: Supervisor) => void | Promise<void>): Promise<void> {
  await withFileLock(paths.supervisorLock, async () => {
    const s = new Supervisor(options());
    const stop = (): void => { void s.stop(); };
    const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
    for (const sig of signals) process.on(sig, stop);
    try {
      await s.start();
      if (!s.signal.aborted) await onReady(s);
      await s.done();
    } finally {
      await s.stop();
      for (const sig of signals) process.removeListener(sig, stop);
    }
  }, 2_000).catch((e: unknown) => {
    if (e instanceof GravaError && e.code === 'GRAVA_E_LOCKED') throw new GravaError('GRAVA_E_LOCKED', `a supervisor already runs for ${paths.dir}: ${e.message}`);
    throw e;
  });
}

export interface ServeOptions {
  readonly paths: CentralPaths;
  /** Settings given to this start (flags, GRAVA_SERVER_* variables): they replace the recorded ones, and are recorded. */
  readonly values?: Partial<Tunables>;
  readonly log: Log;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** `grava server start` in the foreground: supervise until SIGINT/SIGTERM. */
export async function serve(o: ServeOptions, onReady: (s: Supervisor) => void | Promise<void>): Promise<void> {
  readSettings(o.paths); // a missing or unreadable data dir is reported before anything else
  const password = rootPassword(o.paths, o.env ?? process.env);
  const dolt = await findDolt();
  let record: (() => void) | undefined;
  await superviseLocked(o.paths, () => {
    const recorded = readSettings(o.paths);
    const { settings, errors, changed } = startSettings(recorded, o.values ?? {});
    if (errors.length > 0) throw new GravaError('GRAVA_E_USAGE', errors.join('; '));
    // Recorded once Dolt and the HTTP service run with them: a start that fails leaves the old settings.
    if (changed.length > 0) {
      record = () => {
        writeSettings(o.paths, settings);
        o.log.info('settings given to this start recorded', { changed: changed.join(',') });
      };
    }
    // Dolt binds the remotesapi on every interface whatever --host says (docs/OPERATIONS.md, "Ports").
    if (!settings.tlsCert) o.log.warn('the remotesapi listens on every interface without TLS: sync passwords and data cross the network in clear text; set --tls-cert and --tls-key, or keep this port behind a firewall', { remotesapi_port: settings.remotesapiPort });
    if (dolt.version !== settings.doltVersion) o.log.warn('Dolt version differs from the one this data dir was created with; keep workspaces on the same version', { dolt_version: dolt.version, created_with: settings.doltVersion });
    return {
      paths: o.paths,
      settings,
      doltPath: dolt.path,
      rootPassword: password,
      backupIntervalSeconds: settings.backupIntervalSeconds,
      backupKeep: settings.backupKeep,
      log: o.log,
    };
  }, async (s) => {
    record?.();
    await onReady(s);
  });
}
