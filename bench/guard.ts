// The CI guard's bars (`npm run bench:guard`, run by .ci/run). A benchmark is
// not a timed test: these compare figures measured in one run, and the ratio
// to the floor catches a regression on a fast machine too.

import type { SyncBenchResult } from './sync-bench.js';

/** The promise: a full sync under 2 s. */
export const GUARD_P95_MS = 2_000;
/** grava's median cycle may cost at most this multiple of the floor's median, measured in the same run. */
export const GUARD_FLOOR_RATIO = 1.5;
export const GUARD_ROUNDS = 20;
/** The queue-mode cycle (push the branch, wait for the central's merge, take main in), with the central's wait
 *  call and without it, may cost at most this multiple of the direct cycle's median, measured in the same rounds. */
export const GUARD_QUEUE_RATIO = 2.5;

/** What the CI guard refuses: every bar that a run misses, in words. */
export function guardFailures(r: SyncBenchResult): string[] {
  const out: string[] = [];
  if (r.cycle.n < GUARD_ROUNDS) out.push(`only ${r.cycle.n} samples, the guard needs ${GUARD_ROUNDS}`);
  if (!(r.cycle.p95 < GUARD_P95_MS)) out.push(`the typical sync cycle's p95 is ${r.cycle.p95.toFixed(0)} ms, the bar is ${GUARD_P95_MS} ms`);
  if (!(r.ratio_p50 <= GUARD_FLOOR_RATIO)) out.push(`grava's median cycle is ${r.ratio_p50.toFixed(2)}x the floor measured in the same run (${r.cycle.p50.toFixed(0)} vs ${r.floor.p50.toFixed(0)} ms), the bar is ${GUARD_FLOOR_RATIO}x`);
  if (r.transport === 'server') {
    for (const [name, q] of [['queue-mode cycle', r.queue], ['queue-mode cycle without the wait call', r.queue_no_call]] as const) {
      if (!q) { out.push(`the ${name} was not measured`); continue; }
      if (!(q.cycle.p95 < GUARD_P95_MS)) out.push(`the ${name}'s p95 is ${q.cycle.p95.toFixed(0)} ms, the bar is ${GUARD_P95_MS} ms`);
      if (!(q.ratio_to_direct_p50 <= GUARD_QUEUE_RATIO)) out.push(`the ${name}'s median is ${q.ratio_to_direct_p50.toFixed(2)}x the direct one in the same run (${q.cycle.p50.toFixed(0)} vs ${r.cycle.p50.toFixed(0)} ms), the bar is ${GUARD_QUEUE_RATIO}x`);
    }
  }
  const c = r.concurrent;
  if (!c) out.push('the concurrent-pushers scenario did not run');
  else {
    if (c.lost > 0) out.push(`${c.lost} acknowledged writes were lost with ${c.workspaces} concurrent pushers`);
    if (!(c.cycle.p95 < GUARD_P95_MS)) out.push(`with ${c.workspaces} workspaces syncing at once the cycle's p95 is ${c.cycle.p95.toFixed(0)} ms, the bar is ${GUARD_P95_MS} ms`);
  }
  return out;
}

