// The one backoff: how long to wait before retry `attempt` after losing a
// race or failing a cycle. Pure (the random source is injected) so timing
// logic stays testable; every retry loop in grava uses it.

export interface Backoff {
  /** The ceiling of the first retry (ms); it doubles each attempt. */
  readonly baseMs: number;
  /** The ceiling never exceeds this (ms). */
  readonly maxMs: number;
}

/** Pushes that lost a race (a sync cycle redoes fetch and merge): retry soon, spread out. */
export const PUSH_BACKOFF: Backoff = { baseMs: 50, maxMs: 2_000 };
/** A claim that lost a push race: agents wait on it, so the ceiling stays low. */
export const CLAIM_BACKOFF: Backoff = { baseMs: 25, maxMs: 1_000 };
/** One local SQL transaction that lost to another connection's. */
export const TRANSACTION_BACKOFF: Backoff = { baseMs: 10, maxMs: 200 };
/**
 * How many times one local transaction is redone after losing a race. Every
 * writer of a cell conflicts with every other (Dolt merges concurrent
 * transactions cell by cell), so a burst of N writers on one issue needs up
 * to N-1 retries for the last; 20 covers a daemon's and a dozen direct
 * processes' writes to one issue on a loaded machine (about 3.5 s of backoff).
 */
export const TRANSACTION_RETRIES = 20;

/**
 * Jittered exponential backoff, "equal jitter": uniform in
 * [ceiling/2, ceiling] where ceiling = min(max, base * 2^attempt), attempt
 * counting from 0. Racers spread out, and no retry comes sooner than half
 * its step.
 */
export function backoffDelay(attempt: number, b: Backoff, random: () => number = Math.random): number {
  const ceiling = Math.min(b.maxMs, b.baseMs * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.floor(ceiling / 2 + random() * (ceiling / 2));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
