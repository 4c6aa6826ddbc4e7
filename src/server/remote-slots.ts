// How many Dolt fetches and pushes the central serves at once (POST /v1/slots).
//
// A workspace in queue mode asks for a slot before each fetch or push of a sync cycle and hands it back
// after; past the limit it waits in line (first come, first served). The central's Dolt then serves a few
// remotesapi transfers at a time instead of every workspace's at once: measured with 16 workspaces syncing
// at the same instant, two slots cut the CPU per sync and the burst's wall time by a fifth to a third
// (docs/BENCHMARKS.md, run 7). A slot is a lease: one that is not handed back (a workspace killed mid-push)
// is taken back when it expires, so a lost workspace holds up the line for at most the lease. A workspace
// that waits too long, or cannot ask, fetches or pushes anyway: the slots shape the load (a bound the
// workspaces keep, not one Dolt enforces), they never decide what syncs.

import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { envInteger } from '../shared/env-integer.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Slots (GRAVA_REMOTE_SLOTS; default the central's cores, at least 2; 0 turns the call off). */
export function remoteSlotLimit(env: Env = process.env, cores = availableParallelism()): number {
  return envInteger(env, 'GRAVA_REMOTE_SLOTS', Math.max(2, cores), 0, 1024);
}

/** How long a slot is held before it is taken back (GRAVA_REMOTE_SLOT_LEASE_MS; default 30 s, 1 s to 10 min). A
 *  transfer still running then goes on outside the count; one that never ends holds up the line no longer. */
export function remoteSlotLeaseMs(env: Env = process.env): number {
  return envInteger(env, 'GRAVA_REMOTE_SLOT_LEASE_MS', 30_000, 1_000, 600_000);
}

export interface SlotStats {
  readonly limit: number;
  readonly in_use: number;
  readonly waiting: number;
  readonly granted_total: number;
  /** Grants that had to wait in line. */
  readonly queued_total: number;
  /** Asks that gave up waiting (the workspace then went ahead without a slot). */
  readonly timed_out_total: number;
  /** Slots taken back at the end of their lease (a workspace gone, or a transfer longer than the lease). */
  readonly expired_total: number;
}

interface Waiter {
  readonly grant: (id: string) => void;
  readonly dismiss: () => void;
}

export class RemoteSlots {
  private readonly held = new Map<string, NodeJS.Timeout>();
  private readonly line: Waiter[] = [];
  private granted = 0;
  private queued = 0;
  private timedOut = 0;
  private expired = 0;
  private closed = false;

  constructor(readonly limit: number, private readonly leaseMs: number) {}

  /** A slot, waiting in line at most `timeoutMs`; null when none came in time, `signal` aborted or the slots closed. */
  acquire(timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
    if (signal?.aborted || this.closed) return Promise.resolve(null);
    // A slot handed back goes to the line at once (drop), so a free slot means nobody waits.
    if (this.held.size < this.limit) return Promise.resolve(this.take());
    return new Promise((resolve) => {
      const leave = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.line.indexOf(waiter);
        if (i >= 0) this.line.splice(i, 1);
      };
      const waiter: Waiter = {
        grant: (id) => { leave(); this.queued++; resolve(id); },
        dismiss: () => { leave(); resolve(null); },
      };
      const onAbort = waiter.dismiss;
      const timer = setTimeout(() => { leave(); this.timedOut++; resolve(null); }, timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.line.push(waiter);
    });
  }

  /** Hands a slot back; false when it is not held (handed back already, or its lease ended). Its id, a random
   *  UUID given only to the sync user who asked, is all it takes. */
  release(id: string): boolean {
    if (!this.held.has(id)) return false;
    this.drop(id);
    return true;
  }

  stats(): SlotStats {
    return { limit: this.limit, in_use: this.held.size, waiting: this.line.length, granted_total: this.granted, queued_total: this.queued, timed_out_total: this.timedOut, expired_total: this.expired };
  }

  /** Sends everyone in line away without a slot, and takes every slot back (the central stopping). */
  close(): void {
    this.closed = true;
    for (const w of [...this.line]) w.dismiss();
    for (const id of [...this.held.keys()]) this.drop(id);
  }

  private take(): string {
    const id = randomUUID();
    const timer = setTimeout(() => { this.expired++; this.drop(id); }, this.leaseMs);
    timer.unref();
    this.held.set(id, timer);
    this.granted++;
    return id;
  }

  /** Frees a slot and gives it to the first in line. */
  private drop(id: string): void {
    const timer = this.held.get(id);
    if (!timer) return;
    clearTimeout(timer);
    this.held.delete(id);
    const next = this.line.shift();
    if (next) next.grant(this.take());
  }
}
