// The CI guard's arithmetic: true percentiles, and each bar it enforces.

import { fleetSvg } from '../../bench/fleet-plot.js';
import type { FleetResult } from '../../bench/fleet-bench.js';
import { describe, expect, it } from 'vitest';
import { percentile, summarize } from '../../bench/stats.js';
import { guardFailures } from '../../bench/guard.js';
import type { SyncBenchResult } from '../../bench/sync-bench.js';

describe('percentile', () => {
  it('interpolates between the closest ranks instead of calling the maximum p95', () => {
    const eight = [100, 110, 120, 130, 140, 150, 160, 1000];
    expect(percentile(eight, 95)).toBeCloseTo(160 + (1000 - 160) * 0.65);
    expect(percentile(eight, 95)).toBeLessThan(1000);
    expect(percentile([1, 2, 3, 4], 50)).toBe(2.5);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile(Array.from({ length: 21 }, (_, i) => i), 95)).toBe(19);
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

const run = (cycle: number[], floor: number[], concurrent: { cycle: number[]; lost: number } | null, queued: number[] | null = cycle.map((x) => x * 1.5), noCall: number[] | null = cycle.map((x) => x * 1.6)): SyncBenchResult => {
  const c = summarize(cycle);
  const f = summarize(floor);
  const zero = summarize([0]);
  const figures = (q: number[]) => ({ cycle: summarize(q), wait_ms: zero, ratio_to_direct_p50: summarize(q).p50 / c.p50 });
  return {
    transport: 'server', issues: 10_000, clone_ms: 700, cycle: c, floor: f, ratio_p50: c.p50 / f.p50, noop: zero, conflicts_per_cycle: [],
    ...(queued ? { queue: figures(queued) } : {}),
    ...(noCall ? { queue_no_call: figures(noCall) } : {}),
    phases: { commit_ms: zero, fetch_ms: zero, merge_ms: zero, push_ms: zero, wait_ms: zero },
    ...(concurrent ? { concurrent: { workspaces: 4, rounds: 5, cycle: summarize(concurrent.cycle), retries: zero, total_retries: 3, lost: concurrent.lost } } : {}),
  };
};
const twenty = (ms: number): number[] => Array.from({ length: 20 }, (_, i) => ms + i);

describe('the guard', () => {
  it('passes a run within every bar', () => {
    expect(guardFailures(run(twenty(200), twenty(190), { cycle: twenty(400), lost: 0 }))).toEqual([]);
  });

  it('fails a run slower than 1.5x its own floor although far under 2 s (a regression on a fast machine)', () => {
    const f = guardFailures(run(twenty(160), twenty(100), { cycle: twenty(400), lost: 0 }));
    expect(f).toHaveLength(1);
    expect(f[0]).toMatch(/1\.5x/);
  });

  it('fails on p95 over 2 s, on too few samples, on a lost write, and without the concurrent scenario', () => {
    expect(guardFailures(run([...twenty(1500).slice(0, 18), 2500, 2600], twenty(1400), { cycle: twenty(400), lost: 0 })).join()).toMatch(/p95/);
    expect(guardFailures(run(twenty(200).slice(0, 8), twenty(200).slice(0, 8), { cycle: twenty(400), lost: 0 })).join()).toMatch(/only 8 samples/);
    expect(guardFailures(run(twenty(200), twenty(200), { cycle: twenty(400), lost: 2 })).join()).toMatch(/2 acknowledged writes were lost/);
    expect(guardFailures(run(twenty(200), twenty(200), { cycle: [...twenty(400).slice(0, 18), 2100, 2200], lost: 0 })).join()).toMatch(/syncing at once/);
    expect(guardFailures(run(twenty(200), twenty(200), null)).join()).toMatch(/did not run/);
  });

  it('fails when the queue-mode cycle was not measured, passes 2 s at p95, or costs over 2.5x the direct one', () => {
    expect(guardFailures(run(twenty(200), twenty(190), { cycle: twenty(400), lost: 0 }, null)).join()).toMatch(/queue-mode cycle was not measured/);
    const slow = guardFailures(run(twenty(200), twenty(190), { cycle: twenty(400), lost: 0 }, twenty(600)));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(/2\.5x/);
    expect(guardFailures(run(twenty(900), twenty(800), { cycle: twenty(400), lost: 0 }, [...twenty(1500).slice(0, 18), 2100, 2300], twenty(900))).join()).toMatch(/queue-mode cycle's p95/);
  });

  it('holds the queue-mode cycle without the wait call to the same bars, and names that path', () => {
    expect(guardFailures(run(twenty(200), twenty(190), { cycle: twenty(400), lost: 0 }, twenty(300), null))).toEqual(['the queue-mode cycle without the wait call was not measured']);
    const slow = guardFailures(run(twenty(200), twenty(190), { cycle: twenty(400), lost: 0 }, twenty(300), twenty(600)));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatch(/without the wait call's median is 2\.91x .*2\.5x/);
    const late = guardFailures(run(twenty(900), twenty(800), { cycle: twenty(400), lost: 0 }, twenty(900), [...twenty(1500).slice(0, 18), 2100, 2300]));
    expect(late).toHaveLength(1);
    expect(late[0]).toMatch(/without the wait call's p95/);
  });
});

describe('the fleet plot', () => {
  it('draws both modes in both panels, and leaves out a run that did not converge', () => {
    const z = summarize([100]);
    const r = (workspaces: number, mode: 'queue' | 'direct', convergence: number): FleetResult => ({
      workspaces, mode, driver: 'daemon', steady_seconds: 1, writes: 1, write_interval_ms: 1000, syncs: 1, failed_syncs: 0, failures: {}, steady_cycle: z, burst_cycle: summarize([workspaces * 10]), burst_failed: 0,
      convergence_ms: convergence, merges_per_second: null, max_queue_depth: null, central_cpu_seconds: 0, central_rss_mb: 0, fleet_rss_mb: 0, lost_writes: 0,
    });
    const svg = fleetSvg([r(10, 'queue', 1000), r(25, 'queue', 2000), r(10, 'direct', 1500), r(25, 'direct', Number.NaN)]);
    expect(svg.startsWith('<svg')).toBe(true);
    // Two panels × two modes; the direct line of the convergence panel has one point only.
    expect(svg.match(/<polyline/g)).toHaveLength(4);
    expect(svg.match(/<circle/g)).toHaveLength(7);
    expect(svg).not.toContain('NaN');
  });
});
