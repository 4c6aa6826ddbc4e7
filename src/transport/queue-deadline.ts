// How long a queue-mode sync waits for the central to merge its branch. Pure: the time comes in.
//
// A sync fails only when the queue stops moving, not while it works through a line of heads ahead of this
// one: `GRAVA_QUEUE_WAIT_MS` (60 s) bounds the wait since main last moved, and `GRAVA_QUEUE_WAIT_MAX_MS`
// (5 min) the whole wait. The queue takes waiting branches oldest first (src/server/merge-queue.ts), so
// while main moves the heads ahead of this one are being merged.

import { envInteger } from '../shared/env-integer.js';

export interface QueueWaitLimits {
  /** Longest wait with main not moving. */
  readonly stallMs: number;
  /** Longest wait in all. */
  readonly maxMs: number;
}

const DEFAULT_STALL_MS = 60_000;
const DEFAULT_MAX_MS = 300_000;

export function queueWaitLimits(env: Readonly<Record<string, string | undefined>> = process.env): QueueWaitLimits {
  const stallMs = envInteger(env, 'GRAVA_QUEUE_WAIT_MS', DEFAULT_STALL_MS);
  return { stallMs, maxMs: Math.max(stallMs, envInteger(env, 'GRAVA_QUEUE_WAIT_MAX_MS', DEFAULT_MAX_MS)) };
}

/**
 * How long a caller waits for `.grava/sync.lock` (a sync or a claim behind a running sync): the running
 * sync's whole wait for the queue, and a minute for its own fetch, merge and push.
 */
export function syncLockWaitMs(limits: QueueWaitLimits = queueWaitLimits()): number {
  return limits.maxMs + 60_000;
}

/** Milliseconds as seconds for a message: 1.5, 60. */
export function seconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}

export type QueueWaitEnd = 'stalled' | 'max';

export class QueueDeadline {
  private lastMain: string | null | undefined;
  private movedAt: number;
  private moves = 0;

  constructor(private readonly start: number, private readonly limits: QueueWaitLimits) {
    this.movedAt = start;
  }

  /** Records main's head as last seen; a head other than the one seen before is progress. */
  saw(main: string | null, at: number): void {
    if (this.lastMain !== undefined && main !== this.lastMain) {
      this.movedAt = at;
      this.moves++;
    }
    this.lastMain = main;
  }

  /** When the wait ends unless main moves first. */
  until(): number {
    return Math.min(this.movedAt + this.limits.stallMs, this.start + this.limits.maxMs);
  }

  /** Why the wait is over at `at`, or undefined while it goes on. */
  ended(at: number): QueueWaitEnd | undefined {
    if (at >= this.start + this.limits.maxMs) return 'max';
    return at >= this.movedAt + this.limits.stallMs ? 'stalled' : undefined;
  }

  /** Times main was seen to move during the wait. */
  get mainMoves(): number {
    return this.moves;
  }
}
