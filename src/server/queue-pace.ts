// How often the central's merge queue looks at the workspace branches. Pure: the environment is passed in.
//
// Busy (it merged something or heads are in line, a workspace waits on it, a claim is in line), it looks every
// 50 ms. Idle, its pause doubles up to 250 ms: an idle central then costs its Dolt about four looks a second
// instead of twenty. A wait or claim call wakes it at once, so only a head pushed with no call after it (a sync that
// could not reach the central's calls) waits for the longer pause.

import { envInteger } from '../shared/env-integer.js';

/** How often a busy queue looks for new branch heads (GRAVA_QUEUE_POLL_MS; default 50 ms, at least 10). */
export function queuePollMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_QUEUE_POLL_MS', 50, 10);
}

/** The longest pause of an idle queue (GRAVA_QUEUE_IDLE_POLL_MS; default 250 ms, at least 10). A sync that
 *  cannot reach the wait call (an https remote without GRAVA_REMOTE_API) waits for it; at 1 s the sync
 *  benchmark's queue-mode cycle, which takes that path, grew from about 1.4x to 2x the direct one. */
export function queueIdlePollMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_QUEUE_IDLE_POLL_MS', 250, 10);
}

/**
 * The pause before the queue's next look: the busy poll after a busy round (or the first), else twice the
 * previous pause, never beyond the idle poll and never below the busy one (a busy poll set above the idle
 * poll wins).
 */
export function nextQueuePause(previous: number | undefined, busy: boolean, pollMs: number, idlePollMs: number): number {
  if (busy || previous === undefined) return pollMs;
  return Math.max(pollMs, Math.min(idlePollMs, previous * 2));
}
