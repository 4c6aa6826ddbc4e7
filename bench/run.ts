// `npm run bench`: every benchmark, figures on stdout (and JSON with --json).
// `--guard`: the CI guard, a sync run of 20 rounds that fails if the typical
// cycle's p95 reaches 2 s, if grava's median exceeds 1.5x the floor measured
// in the same run, if the queue-mode cycle (with the central's wait call, and
// without it) reaches a p95 of 2 s or 2.5x the direct median, or if 3
// workspaces syncing at the same instant (queue mode) lose a write or reach a
// p95 of 2 s (their retries included).
// `--only=sync-dir,...` runs some; `--profile-sql` adds the statements of
// grava's cycle (sync benchmarks) with their time per cycle.

import { benchSync, reportSync } from './sync-bench.js';
import { GUARD_FLOOR_RATIO, GUARD_P95_MS, GUARD_QUEUE_RATIO, GUARD_ROUNDS, guardFailures } from './guard.js';

async function main(): Promise<number> {
  const guard = process.argv.includes('--guard');
  const json = process.argv.includes('--json');
  const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
  const results: Record<string, unknown> = {};
  const lines: string[] = [];
  if (guard) {
    const r = await benchSync({ rounds: GUARD_ROUNDS, noops: 10, concurrent: { workspaces: 3, rounds: 7 } });
    process.stdout.write(`${reportSync(r)}\n`);
    const failures = guardFailures(r);
    for (const f of failures) process.stderr.write(`GUARD FAILED: ${f}\n`);
    if (failures.length > 0) return 1;
    process.stdout.write(`guard passed: p95 ${r.cycle.p95.toFixed(0)} ms < ${GUARD_P95_MS} ms; median ${r.ratio_p50.toFixed(2)}x the floor <= ${GUARD_FLOOR_RATIO}x; ` +
      `queue mode p95 ${r.queue!.cycle.p95.toFixed(0)} ms, median ${r.queue!.ratio_to_direct_p50.toFixed(2)}x direct <= ${GUARD_QUEUE_RATIO}x ` +
      `(without the wait call p95 ${r.queue_no_call!.cycle.p95.toFixed(0)} ms, ${r.queue_no_call!.ratio_to_direct_p50.toFixed(2)}x); ` +
      `${r.concurrent!.workspaces} concurrent pushers p95 ${r.concurrent!.cycle.p95.toFixed(0)} ms < ${GUARD_P95_MS} ms with ${r.concurrent!.total_retries} retries, nothing lost\n`);
    return 0;
  }
  const want = (name: string): boolean => only === undefined || only.split(',').includes(name);
  if (want('merge')) {
    const { benchMergeThroughput } = await import('./merge-throughput.js');
    const m = await benchMergeThroughput();
    results.merge = m;
    lines.push(`pure cell resolution: ${Math.round(m.cellsPerSecond).toLocaleString('en')} cells/s (median)`);
  }
  if (want('cli')) {
    const { benchCli, reportCli } = await import('./cli-bench.js');
    const c = await benchCli();
    results.cli = c;
    lines.push(reportCli(c));
  }
  if (want('daemon')) {
    const { benchDaemon, reportDaemon } = await import('./daemon-bench.js');
    const d = await benchDaemon();
    results.daemon = d;
    lines.push(reportDaemon(d));
  }
  if (want('dialect')) {
    const { benchDialect, reportDialect } = await import('./dialect-bench.js');
    const d = await benchDialect();
    results.dialect = d;
    lines.push(reportDialect(d));
  }
  if (want('export')) {
    const { benchExport, reportExport } = await import('./export-bench.js');
    const e = await benchExport();
    results.export = e;
    lines.push(reportExport(e));
  }
  if (want('claims')) {
    const { benchClaims, reportClaims } = await import('./claim-bench.js');
    const c = await benchClaims();
    results.claims = c;
    lines.push(reportClaims(c));
  }
  if (want('dolt-merge')) {
    const { benchDoltMerge } = await import('./dolt-merge-bench.js');
    const d = await benchDoltMerge();
    results.dolt_merge = d;
    lines.push(`resolve 10,000 conflicting rows in Dolt: ${d.resolve_ms} ms (${d.conflict_rows} rows, ${d.conflict_cells} cells)`);
  }
  // The sync cycle over each transport, each next to its own raw-Dolt floor measured in the same run.
  for (const [name, transport] of [['sync', 'server'], ['sync-git', 'git'], ['sync-dir', 'dir']] as const) {
    if (!want(name)) continue;
    const s = await benchSync({ transport, profileSql: process.argv.includes('--profile-sql') });
    results[name] = s;
    lines.push(reportSync(s));
  }
  process.stdout.write(json ? `${JSON.stringify(results, null, 2)}\n` : `${lines.join('\n\n')}\n`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => { process.stderr.write(`bench failed: ${String(e)}\n`); process.exitCode = 1; });
