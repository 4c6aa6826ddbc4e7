// The workspace daemon: one process per workspace, listening on
// `.grava/bd.sock`. It owns the workspace's dolt sql-server (starts or adopts
// it and keeps a connection pool), the clock and the sync lock in memory, and
// runs the sync cycle on its own (src/daemon/scheduler.ts). Built from
// services (RPC server, scheduler, sync runner, server owner) with time and
// timers injected. See docs/ARCHITECTURE.md, "The daemon".

import { existsSync, lstatSync, rmSync, symlinkSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { GravaError, asGravaError, type ErrorCode } from '../errors/grava-error.js';
import { holdFileLock } from '../storage/dolt/file-lock.js';
import { ensurePrivateDir, readConfig, writeFileAtomic, type WorkspacePaths } from '../storage/dolt/layout.js';
import { remoteAccess } from '../transport/remote-access.js';
import { parseRemote } from '../transport/remote-url.js';
import { commitAll, isDirty } from '../storage/dolt/version-control.js';
import { DaemonClock } from '../storage/issues/clock-store.js';
import { openReplica, type Replica } from '../storage/replica.js';
import type { RpcRequest } from '../transport/rpc-codec.js';
import { syncOnce, type SyncPhase, type SyncResult } from '../transport/sync.js';
import { buildVersion } from '../transport/version.js';
import type { Logger } from './log.js';
import { METHODS, isMethod, runMethod, type MethodContext } from './methods.js';
import { RpcServer } from './rpc-server.js';
import { Scheduler, realTimers, type CycleRecord, type CycleReason, type Timers } from './scheduler.js';
import { effectiveSettings, syncSettings, type SyncSettings } from './settings.js';
import { envInteger } from '../shared/env-integer.js';

export interface DaemonState {
  readonly pid: number;
  readonly socket: string;
  readonly version: string;
  readonly started_at: string;
}

export type CycleSummary = SyncResult | { duration_ms: number; pulled: 0; pushed: 0; conflicts_resolved: 0; retries: 0; noop: boolean; local_commit: string | null };

export interface DaemonOptions {
  readonly paths: WorkspacePaths;
  readonly log: Logger;
  readonly timers?: Timers;
  readonly frameTimeoutMs?: number;
  /** Bound on the final sync at shutdown. */
  readonly finalSyncMs?: number;
}

/** How often the daemon looks whether its workspace still exists. */
const WORKSPACE_CHECK_MS = 5_000;
/**
 * How long an idle replica may yield to a busy merge queue: while heads wait on the central its idle pulls
 * fetch nothing (main is about to move again, and fetching every move costs the central and this machine
 * what the queue needs), but never when the last look at main began longer ago than this.
 * GRAVA_YIELD_TO_QUEUE_MS overrides it (0: never yield).
 */
export const YIELD_TO_QUEUE_MS = 15_000;

export function yieldToQueueMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_YIELD_TO_QUEUE_MS', YIELD_TO_QUEUE_MS, 0);
}

export class Daemon {
  private replica!: Replica;
  private scheduler!: Scheduler<CycleSummary>;
  private rpc!: RpcServer;
  private releaseLock: (() => void) | undefined;
  private settings!: SyncSettings;
  private readonly startedAt: number;
  private stopping: Promise<void> | undefined;
  private readonly timers: Timers;
  private readonly version = buildVersion();
  private workspaceCheck: unknown = null;
  /** When the last cycle that looked at the central's main began (null: none yet), and idle pulls deferred since start. */
  private lookedAt: number | null = null;
  /** Aborted when the daemon stops: a cycle waiting for the central's queue stops waiting (its branch is pushed). */
  private readonly stopWaiting = new AbortController();
  private deferredPulls = 0;
  /** The running cycle's phase and when it began (null between cycles). */
  private phase: { readonly name: SyncPhase; readonly since: number } | null = null;

  constructor(private readonly o: DaemonOptions) {
    this.timers = o.timers ?? realTimers;
    this.startedAt = this.timers.now();
  }

  /**
   * Starts every service. Returns false when another live daemon already
   * holds the workspace (nothing was started).
   */
  async start(): Promise<boolean> {
    const { paths, log } = this.o;
    this.releaseLock = holdFileLock(paths.daemonLock);
    if (!this.releaseLock) return false;
    try {
      // Credentials are read once, here, from this process's environment or the 0600 config, and handed to the server.
      this.replica = await openReplica(paths, { poolMax: 8, clock: (p, c) => DaemonClock.open(p.clockDaemon, p.clock, c.actor) });
      this.settings = this.readSettings();
      this.scheduler = new Scheduler<CycleSummary>({
        settings: this.settings,
        timers: this.timers,
        runCycle: (reason, writes) => this.cycle(reason, writes),
        onCycle: (r) => this.logCycle(r),
      });
      // Writes acknowledged before a crash are in the working set: commit and sync them first.
      const dirty = await isDirty(this.replica.db);
      if (paths.daemonSocket !== paths.daemonSocketLink) ensurePrivateDir(dirname(paths.daemonSocket));
      this.rpc = new RpcServer({ socketPath: paths.daemonSocket, handle: (req) => this.handle(req), log, ...(this.o.frameTimeoutMs !== undefined ? { frameTimeoutMs: this.o.frameTimeoutMs } : {}) });
      await this.rpc.listen();
      this.linkSocket();
      const state: DaemonState = { pid: process.pid, socket: paths.daemonSocket, version: this.version, started_at: new Date(this.startedAt).toISOString() };
      writeFileAtomic(paths.daemonState, `${JSON.stringify(state, null, 2)}\n`, 0o600);
      this.scheduler.start(dirty ? 1 : 0);
      this.watchWorkspace();
      log.info({ version: this.version, socket: paths.daemonSocket, server_pid: this.replica.state.pid, remote: this.replica.config.remote ?? null, dirty_at_start: dirty, settings: this.settings }, 'daemon started');
      return true;
    } catch (e) {
      this.releaseLock();
      this.releaseLock = undefined;
      throw e;
    }
  }

  /** Resolves when the daemon has stopped. */
  async run(): Promise<void> {
    await this.rpc.run();
    if (this.stopping) await this.stopping;
  }

  private readSettings(): SyncSettings {
    const config = readConfig(this.o.paths);
    const { values, errors } = effectiveSettings(config.settings);
    for (const e of errors) this.o.log.warn({ setting_error: e }, 'invalid setting ignored; using the default');
    return syncSettings(values, config.remote !== undefined ? parseRemote(config.remote) : undefined);
  }

  reloadSettings(): void {
    this.settings = this.readSettings();
    this.scheduler.updateSettings(this.settings);
    this.o.log.info({ settings: this.settings }, 'settings applied');
  }

  /**
   * A workspace removed under a running daemon (`rm -rf` of the project, a test's temporary folder) stops its
   * daemon and workspace server within WORKSPACE_CHECK_MS, instead of leaving both running with nothing to serve.
   */
  private watchWorkspace(): void {
    const check = (): void => {
      if (this.stopping) return;
      if (existsSync(this.o.paths.config)) {
        this.workspaceCheck = this.timers.setTimeout(check, WORKSPACE_CHECK_MS);
        return;
      }
      this.o.log.warn({ config: this.o.paths.config }, 'the workspace was removed; stopping');
      void this.shutdown('workspace removed');
    };
    this.workspaceCheck = this.timers.setTimeout(check, WORKSPACE_CHECK_MS);
  }

  /** When the path is too long for a socket, `.grava/bd.sock` is a link to the real one. */
  private linkSocket(): void {
    const { daemonSocket, daemonSocketLink } = this.o.paths;
    if (daemonSocket === daemonSocketLink) return;
    try { if (lstatSync(daemonSocketLink)) unlinkSync(daemonSocketLink); } catch { /* none */ }
    symlinkSync(daemonSocket, daemonSocketLink);
  }

  private async cycle(reason: CycleReason, writes: number): Promise<CycleSummary> {
    const r = this.replica;
    if (r.config.remote) {
      // An idle pull yields to a busy merge queue, for at most YIELD_TO_QUEUE_MS since main was last looked at
      // (a clock set back counts as too long), and never while cycles are failing: a deferred cycle is no success.
      const started = this.timers.now();
      const since = this.lookedAt === null ? null : started - this.lookedAt;
      const yieldToBusyQueue = reason === 'pull' && since !== null && since >= 0 && since < yieldToQueueMs() && this.scheduler.status().consecutive_failures === 0;
      const onPhase = (name: SyncPhase): void => { this.phase = { name, since: this.timers.now() }; };
      const res = await syncOnce(r, { yieldToBusyQueue, signal: this.stopWaiting.signal, onPhase }).finally(() => { this.phase = null; });
      if (res.deferred) this.deferredPulls++;
      else this.lookedAt = started;
      return res;
    }
    // A local-only workspace: the batch still becomes one Dolt commit.
    const t = this.timers.now();
    const commit = await commitAll(r.db, 'grava: local changes', r.config.actor);
    this.o.log.debug({ reason, writes }, 'local commit');
    return { duration_ms: this.timers.now() - t, pulled: 0, pushed: 0, conflicts_resolved: 0, retries: 0, noop: commit === null, local_commit: commit };
  }

  private logCycle(r: CycleRecord<CycleSummary>): void {
    const res = r.result;
    const lost = res && 'lost_claims' in res ? res.lost_claims : [];
    const fields = {
      reason: r.reason, writes: r.writes, duration_ms: r.duration_ms,
      ...(res ? { pulled: res.pulled, pushed: res.pushed, conflicts_resolved: res.conflicts_resolved, retries: res.retries, noop: res.noop } : {}),
      ...(res && 'deferred' in res && res.deferred ? { deferred: true } : {}),
      // Where the cycle's time went (commit, fetch, merge, push, wait for the central's queue).
      ...(res && 'phases' in res ? { phases: res.phases, fetches: res.fetches } : {}),
      ...(r.error ? { error: r.error } : {}),
      ...(lost.length > 0 ? { lost_claims: lost } : {}),
    };
    if (lost.length > 0) this.o.log.warn({ lost_claims: lost }, 'a claim made here was lost to another agent');
    if (r.error) this.o.log.warn(fields, 'sync failed');
    else if (res?.noop) this.o.log.debug(fields, 'sync (nothing to do)');
    else this.o.log.info(fields, 'sync');
  }

  status(): Record<string, unknown> {
    const s = this.scheduler.status();
    const last = s.last;
    return {
      running: true,
      pid: process.pid,
      socket: this.o.paths.daemonSocket,
      version: this.version,
      uptime_ms: this.timers.now() - this.startedAt,
      pending_writes: s.pending_writes,
      debounce_ms: this.settings.debounceMs,
      max_delay_ms: this.settings.maxDelayMs,
      max_batch_writes: this.settings.maxBatchWrites,
      pull_interval_ms: this.settings.pullIntervalMs,
      next_sync_at: s.next_sync_at === null ? null : new Date(s.next_sync_at).toISOString(),
      next_sync_reason: s.next_reason,
      syncing: s.running,
      // What the running cycle is doing, and for how long (null between cycles).
      sync_phase: this.phase?.name ?? null,
      sync_phase_ms: this.phase === null ? null : this.timers.now() - this.phase.since,
      consecutive_failures: s.consecutive_failures,
      cycles: s.cycles,
      deferred_pulls: this.deferredPulls,
      remote: this.replica.config.remote ?? null,
      server_pid: this.replica.state.pid,
      rss_bytes: process.memoryUsage().rss,
      connections: this.rpc.stats.connections,
      requests: this.rpc.stats.requests,
      last_sync: last === null ? null : {
        at: new Date(last.at).toISOString(),
        reason: last.reason,
        duration_ms: last.duration_ms,
        pulled: last.result?.pulled ?? 0,
        pushed: last.result?.pushed ?? 0,
        conflicts_resolved: last.result?.conflicts_resolved ?? 0,
        writes: last.writes,
        error: last.error,
        lost_claims: last.result && 'lost_claims' in last.result ? last.result.lost_claims : [],
      },
    };
  }

  private context(): MethodContext {
    return {
      replica: this.replica,
      sync: async () => {
        remoteAccess(this.replica.config); // no remote, or a central server without credentials: a clear error now
        const rec = await this.scheduler.runNow();
        if (rec.error) throw GravaError.fromJSON({ code: rec.error.code as ErrorCode, message: rec.error.message });
        return { ...(rec.result as SyncResult), writes: rec.writes };
      },
      settingsChanged: () => this.reloadSettings(),
      stopping: this.stopWaiting.signal,
    };
  }

  private async handle(req: RpcRequest): Promise<unknown> {
    if (req.version !== undefined && req.version !== this.version) {
      throw new GravaError('GRAVA_E_DAEMON_VERSION', `the daemon runs grava ${this.version}, this CLI ${req.version}`, { daemon: this.version });
    }
    switch (req.method) {
      case 'daemon.health': return { version: this.version, pid: process.pid, root: this.o.paths.root };
      case 'daemon.status': return this.status();
      case 'daemon.stop': {
        // Reply first; stop once the reply is out.
        setImmediate(() => { void this.shutdown('rpc'); });
        return { stopping: true, pid: process.pid };
      }
      default: break;
    }
    const result = await runMethod(this.context(), req.method, req.params);
    if (isMethod(req.method) && METHODS[req.method].write) this.scheduler.noteWrite();
    return result;
  }

  /**
   * Graceful stop: stop accepting, finish in-flight requests, commit the
   * pending batch as one Dolt commit, try one final sync (bounded), stop the
   * workspace server, remove the socket and state file, release the lock.
   */
  shutdown(why: string): Promise<void> {
    this.stopping ??= this.doShutdown(why);
    return this.stopping;
  }

  private async doShutdown(why: string): Promise<void> {
    const { log, paths } = this.o;
    const t = this.timers.now();
    log.info({ why }, 'daemon stopping');
    this.timers.clearTimeout(this.workspaceCheck);
    // First: a request in flight (a `grava sync` through the daemon) may be a cycle waiting for the queue,
    // which the RPC server's stop would otherwise wait out.
    this.stopWaiting.abort();
    await this.rpc.stop();
    await this.scheduler.stop();
    const pending = this.scheduler.status().pending_writes;
    try {
      const commit = await commitAll(this.replica.db, 'grava: local changes', this.replica.config.actor);
      if (commit) log.info({ commit }, 'pending batch committed');
      if (this.replica.config.remote && (pending > 0 || commit !== null)) {
        const bound = this.o.finalSyncMs ?? 5_000;
        let timer: NodeJS.Timeout | undefined;
        const outcome = await Promise.race([
          // Its wait for the queue ends just before the bound: the batch is pushed, and the queue merges it.
          syncOnce(this.replica, { signal: AbortSignal.timeout(Math.max(0, bound - 500)) }).then((r) => ({ ok: true as const, r }), (e: unknown) => ({ ok: false as const, e: asGravaError(e) })),
          new Promise<{ ok: false; e: GravaError }>((resolve) => { timer = setTimeout(() => resolve({ ok: false, e: new GravaError('GRAVA_E_REMOTE', `final sync did not finish in ${bound} ms`) }), bound); }),
        ]);
        if (timer) clearTimeout(timer);
        if (outcome.ok) log.info({ pushed: outcome.r.pushed, pulled: outcome.r.pulled }, 'final sync');
        else if (outcome.e.code === 'GRAVA_E_QUEUE_TIMEOUT') log.info({ error: { code: outcome.e.code, message: outcome.e.message } }, "final sync pushed the batch; the central's queue merges it");
        else log.warn({ error: { code: outcome.e.code, message: outcome.e.message } }, 'final sync skipped; the next start sends the batch');
      }
      await this.replica.clock.persist();
    } catch (e) {
      const err = asGravaError(e);
      log.error({ error: { code: err.code, message: err.message } }, 'committing the pending batch failed; it stays in the working set');
    }
    await this.replica.close().catch(() => undefined);
    await this.replica.server.stop(10_000).catch((e: unknown) => log.error({ err: String(e) }, 'stopping the workspace server failed'));
    rmSync(paths.daemonState, { force: true });
    if (paths.daemonSocket !== paths.daemonSocketLink) {
      rmSync(paths.daemonSocketLink, { force: true });
      const dir = dirname(paths.daemonSocket);
      if (dirname(dir) === tmpdir() && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    }
    this.releaseLock?.();
    log.info({ duration_ms: this.timers.now() - t }, 'daemon stopped');
  }
}
