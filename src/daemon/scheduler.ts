// When the daemon syncs. Pure logic over injected time and timers, so every
// rule is tested with fake time (test/unit/daemon-scheduler.test.ts).
//
// States: idle (no pending writes; a pull is due every pull interval),
// pending (a sync is due debounce after the last write, but no later than
// max delay after the first one, or at once at the batch limit), running (a
// cycle is under way; writes meanwhile belong to the next cycle), backing
// off (the last cycle failed; the next try waits, doubling up to a cap).
// The scheduler queues no row data: only counts and times.

import type { SyncSettings } from './settings.js';
import { backoffDelay } from '../errors/retry.js';

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type CycleReason = 'debounce' | 'max-delay' | 'batch' | 'force' | 'pull' | 'retry' | 'startup';

export interface CycleRecord<R> {
  readonly at: number;
  readonly reason: CycleReason;
  readonly duration_ms: number;
  /** Acknowledged writes the cycle carried. */
  readonly writes: number;
  readonly result: R | null;
  readonly error: { code: string; message: string } | null;
}

export interface SchedulerOptions<R> {
  readonly settings: SyncSettings;
  readonly timers: Timers;
  /** One sync cycle; throws on failure. */
  readonly runCycle: (reason: CycleReason, writes: number) => Promise<R>;
  readonly onCycle?: (record: CycleRecord<R>) => void;
  readonly backoffBaseMs?: number;
  readonly backoffMaxMs?: number;
  readonly random?: () => number;
}

export class Scheduler<R> {
  private settings: SyncSettings;
  private pending = 0;
  private firstPendingAt: number | null = null;
  private lastWriteAt: number | null = null;
  private lastCycleEndAt: number;
  private failures = 0;
  private backoffUntil = 0;
  private timer: unknown = null;
  private dueAt: number | null = null;
  private dueReason: CycleReason | null = null;
  private running: Promise<CycleRecord<R>> | null = null;
  private forced: Promise<CycleRecord<R>> | null = null; // queued, not started
  private forcedToken: object | null = null;
  private stopped = false;
  private last: CycleRecord<R> | null = null;
  private cycles = 0;

  constructor(private readonly o: SchedulerOptions<R>) {
    this.settings = o.settings;
    this.lastCycleEndAt = o.timers.now();
  }

  /** Starts the idle-pull timer (and a first cycle at once when `startupWrites` > 0). */
  start(startupWrites = 0): void {
    if (startupWrites > 0) {
      this.pending += startupWrites;
      this.firstPendingAt = this.o.timers.now();
      this.lastWriteAt = this.firstPendingAt;
      this.arm(this.o.timers.now(), 'startup');
      return;
    }
    this.reschedule();
  }

  /** An acknowledged write. */
  noteWrite(): void {
    if (this.stopped) return;
    const now = this.o.timers.now();
    this.pending++;
    this.firstPendingAt ??= now;
    this.lastWriteAt = now;
    if (!this.running) this.reschedule();
  }

  updateSettings(settings: SyncSettings): void {
    this.settings = settings;
    if (!this.running) this.reschedule();
  }

  /**
   * A cycle now, whatever the timers say (and past any backoff). If one is
   * running, a new one starts after it, since writes may have landed after
   * its commit; concurrent callers share that one.
   */
  async runNow(): Promise<CycleRecord<R>> {
    // A forced cycle that has not started yet covers every caller until it starts.
    if (this.forced) return this.forced;
    const token = {};
    this.forcedToken = token;
    const queued = (async () => {
      await Promise.resolve(); // let `this.forced` be set before it is cleared below
      while (this.running) await this.running.catch(() => undefined);
      if (this.forcedToken === token) { this.forced = null; this.forcedToken = null; }
      return this.cycle('force');
    })();
    this.forced = queued;
    return queued;
  }

  /** No more timers; waits for a running cycle. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.disarm();
    if (this.forced) await this.forced.catch(() => undefined);
    if (this.running) await this.running.catch(() => undefined);
  }

  status(): { pending_writes: number; next_sync_at: number | null; next_reason: CycleReason | null; running: boolean; consecutive_failures: number; cycles: number; last: CycleRecord<R> | null } {
    return {
      pending_writes: this.pending,
      next_sync_at: this.dueAt,
      next_reason: this.dueReason,
      running: this.running !== null,
      consecutive_failures: this.failures,
      cycles: this.cycles,
      last: this.last,
    };
  }

  private disarm(): void {
    if (this.timer !== null) this.o.timers.clearTimeout(this.timer);
    this.timer = null;
    this.dueAt = null;
    this.dueReason = null;
  }

  private arm(at: number, reason: CycleReason): void {
    this.disarm();
    if (this.stopped) return;
    this.dueAt = at;
    this.dueReason = reason;
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = null;
      this.dueAt = null;
      this.dueReason = null;
      void this.cycle(reason).catch(() => undefined);
    }, Math.max(0, at - this.o.timers.now()));
  }

  /** Works out the next due cycle from the state. */
  private reschedule(): void {
    if (this.stopped || this.running) return;
    const s = this.settings;
    const now = this.o.timers.now();
    if (this.pending > 0 && this.firstPendingAt !== null && this.lastWriteAt !== null) {
      let at: number;
      let reason: CycleReason;
      if (this.pending >= s.maxBatchWrites) { at = now; reason = 'batch'; }
      else {
        const debounced = this.lastWriteAt + s.debounceMs;
        const capped = this.firstPendingAt + s.maxDelayMs;
        [at, reason] = debounced <= capped ? [debounced, 'debounce'] : [capped, 'max-delay'];
      }
      if (this.backoffUntil > at) { at = this.backoffUntil; reason = 'retry'; }
      this.arm(at, reason);
      return;
    }
    if (s.pullIntervalMs > 0) {
      const at = Math.max(this.lastCycleEndAt + s.pullIntervalMs, this.backoffUntil);
      this.arm(at, at === this.backoffUntil && this.failures > 0 ? 'retry' : 'pull');
      return;
    }
    this.disarm();
  }

  private backoffDelay(): number {
    return backoffDelay(this.failures - 1, { baseMs: this.o.backoffBaseMs ?? 1_000, maxMs: this.o.backoffMaxMs ?? 60_000 }, this.o.random ?? Math.random);
  }

  private cycle(reason: CycleReason): Promise<CycleRecord<R>> {
    this.disarm();
    const carried = this.pending;
    const started = this.o.timers.now();
    // Writes from here on belong to the next cycle.
    this.pending = 0;
    this.firstPendingAt = null;
    this.lastWriteAt = null;
    const run = (async (): Promise<CycleRecord<R>> => {
      let record: CycleRecord<R>;
      try {
        const result = await this.o.runCycle(reason, carried);
        this.failures = 0;
        this.backoffUntil = 0;
        record = { at: started, reason, duration_ms: this.o.timers.now() - started, writes: carried, result, error: null };
      } catch (e) {
        const err = e as { code?: string; message?: string };
        // The carried writes are still unsynced: they go back into the batch.
        this.pending += carried;
        if (carried > 0) this.firstPendingAt = Math.min(this.firstPendingAt ?? started, started);
        // Their debounce is over: the retry waits only for the backoff.
        this.lastWriteAt ??= started - this.settings.debounceMs;
        this.failures++;
        this.backoffUntil = this.o.timers.now() + this.backoffDelay();
        record = { at: started, reason, duration_ms: this.o.timers.now() - started, writes: carried, result: null, error: { code: err.code ?? 'GRAVA_E_INTERNAL', message: err.message ?? String(e) } };
      }
      this.cycles++;
      this.last = record;
      this.lastCycleEndAt = this.o.timers.now();
      this.o.onCycle?.(record);
      return record;
    })();
    this.running = run;
    void run.finally(() => {
      if (this.running === run) this.running = null;
      this.reschedule();
    });
    return run;
  }
}
