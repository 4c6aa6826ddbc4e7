// `npm run bench:fleet -- --workspaces N[,N…] [--mode queue|direct|both] [--driver daemon|inline] [--seconds S] [--interval-ms MS] [--pull-ms MS] [--json] [--out F.json] [--svg F.svg]`
// N workspaces, each with its own dolt sql-server, against one real central on
// loopback. Each writes at a steady rate for a fixed time (creates, updates of
// its own and of shared issues, comments); then all write at the same instant
// (the burst). With `--driver daemon` (the default, bench/fleet-daemons.ts)
// every workspace runs its own daemon (debounce 1 s, pull 2 s), which decides
// when to sync; with `--driver inline` the syncs run in this process, one
// after each write. Reported per N and mode: failed syncs, the cycle at the
// workspace, time from the last write until every replica and the central are
// identical, the central's merge throughput, queue depth, CPU and RSS, the
// fleet's memory, and acknowledged writes lost (must be 0). Not a test: one
// run's medians on a shared machine.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDolt } from '../src/storage/dolt/dolt-binary.js';
import { rows } from '../src/storage/dolt/db.js';
import { openReplica, type Replica } from '../src/storage/replica.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { cloneWorkspace } from '../src/transport/clone.js';
import { syncOnce, type SyncMode } from '../src/transport/sync.js';
import { startCentralAt, SYNC_PASSWORD, SYNC_USER } from '../test/helpers/central-core.js';
import { readSupervisorState } from '../src/server/supervisor.js';
import { centralPaths } from '../src/server/paths.js';
import { summarize, fmt, type Summary } from './stats.js';
import { prng } from '../test/helpers/prng.js';
import { fleetSvg } from './fleet-plot.js';
import { healthQueue, proc, steadyWrites } from './fleet-probes.js';
import { benchFleetDaemons } from './fleet-daemons.js';

export type FleetDriver = 'daemon' | 'inline';

export interface FleetOptions {
  readonly workspaces: number;
  readonly mode: SyncMode;
  readonly seconds?: number;
  readonly intervalMs?: number;
  /** Daemon driver: the daemons' idle pull interval (default 2000 ms, as in the daemon issue's propagation benchmark). */
  readonly pullMs?: number;
  readonly log?: (m: string) => void;
}

export interface FleetResult {
  workspaces: number;
  mode: SyncMode;
  driver: FleetDriver;
  steady_seconds: number;
  write_interval_ms: number;
  /** Daemon driver: the daemons' idle pull interval. */
  pull_interval_ms?: number;
  syncs: number;
  /** Writes acknowledged in the steady phase. */
  writes: number;
  failed_syncs: number;
  failures: Record<string, number>;
  /** Daemon driver: the first message of each failure code, from the daemons' logs. */
  failure_examples?: Record<string, string>;
  steady_cycle: Summary;
  /** Daemon driver: the median of each phase of the steady cycles (commit, fetch, merge, push, wait). */
  steady_phases_p50?: Record<string, number>;
  burst_cycle: Summary;
  burst_failed: number;
  /** From the last write until every replica and the central hold the same main. */
  convergence_ms: number;
  /** Branches the central merged per second during the burst (queue mode). */
  merges_per_second: number | null;
  max_queue_depth: number | null;
  central_cpu_seconds: number;
  central_rss_mb: number;
  fleet_rss_mb: number;
  lost_writes: number;
  /** Daemon driver: (replica, write) pairs not on that replica at the end; 0 once converged. */
  missing_at_end?: number;
  /** Daemon driver: idle pulls that yielded to a busy merge queue (fetched nothing), over the whole run. */
  deferred_pulls?: number;
  /** Daemon driver: Dolt fetches of the cycles the daemons logged, over the whole run. */
  fetches?: number;
  /** Daemon driver: cores used by each role (workspace Dolt servers, daemons, the central's Dolt and supervisor,
   *  the benchmark itself) in the steady phase and from the burst to convergence, with each phase's wall time. */
  cpu_by_role?: { steady: Record<string, number>; burst: Record<string, number> };
}

export async function benchFleet(o: FleetOptions & { driver?: FleetDriver }): Promise<FleetResult> {
  return (o.driver ?? 'daemon') === 'daemon' ? benchFleetDaemons(o) : benchFleetInline(o);
}

async function benchFleetInline(o: FleetOptions): Promise<FleetResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const seconds = o.seconds ?? 20;
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-fleet-'));
  process.env.GRAVA_REMOTE_USER = SYNC_USER;
  process.env.GRAVA_REMOTE_PASSWORD = SYNC_PASSWORD;
  await findDolt();
  const open: Replica[] = [];
  const central = await startCentralAt(dir);
  // The central's calls (wait, main, claims) are on its HTTP port, a free port here.
  Object.assign(process.env, central.env);
  try {
    const paths = centralPaths(central.dataDir);
    const sup = readSupervisorState(paths)!;
    log(`fleet ${o.workspaces} (${o.mode}): cloning ...`);
    for (let n = 0; n < o.workspaces; n++) {
      const w = await cloneWorkspace({ root: mkdtempSync(join(dir, `ws${n}-`)), remote: central.url, actor: `fleet${n}` });
      open.push(await openReplica(workspacePaths(w.root)));
    }
    const rand = prng(17);
    const shared: string[] = [];
    for (let k = 0; k < 5; k++) shared.push((await open[0]!.issues.create({ title: `shared ${k}` })).id);
    await syncOnce(open[0]!, { mode: o.mode });
    for (const r of open) await syncOnce(r, { mode: o.mode });
    const written: string[] = [];
    const failures: Record<string, number> = {};
    const steady: number[] = [];
    let syncs = 0;
    const cpu0 = proc(sup.pid).cpu + proc(sup.dolt_pid).cpu;
    // Steady phase: each workspace writes every interval (±50 %) and syncs (a daemon with a 1 s debounce).
    const interval = o.intervalMs ?? 5_000;
    const until = Date.now() + seconds * 1000;
    await Promise.all(open.map((r, n) => steadyWrites({
      create: async (title) => (await r.issues.create({ title })).id,
      update: async (id, patch) => { await r.issues.update(id, patch); },
      comment: async (id, text) => { await r.issues.comment(id, text); },
    }, n, shared, {
      until, intervalMs: interval, rand, written,
      after: async () => {
        syncs++;
        try {
          steady.push((await syncOnce(r, { mode: o.mode })).duration_ms);
        } catch (e) {
          const code = (e as { code?: string }).code ?? 'error';
          failures[code] = (failures[code] ?? 0) + 1;
        }
      },
    })));
    // Burst: every workspace writes and syncs at the same instant.
    log(`fleet ${o.workspaces} (${o.mode}): burst ...`);
    for (const [n, r] of open.entries()) {
      const title = `fleet burst w${n}`;
      await r.issues.create({ title });
      written.push(title);
    }
    const lastWrite = Date.now();
    const before = await healthQueue(sup.http_port);
    let maxDepth = 0;
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const q = await healthQueue(sup.http_port);
        if (q) maxDepth = Math.max(maxDepth, q.depth);
        await new Promise((res) => setTimeout(res, 100));
      }
    })();
    const burstStart = Date.now();
    const burst = await Promise.all(open.map((r) => syncOnce(r, { mode: o.mode }).then((x) => x.duration_ms, (e: unknown) => {
      const code = (e as { code?: string }).code ?? 'error';
      failures[code] = (failures[code] ?? 0) + 1;
      return null;
    })));
    const burstMs = Date.now() - burstStart;
    polling = false;
    await poller;
    const after = await healthQueue(sup.http_port);
    // Convergence: every replica syncs at once (as daemons pulling on their interval would), until all mains
    // and the central's are the same commit.
    const centralHead = async (): Promise<string> => (await rows<{ h: string }>(open[0]!.db, "SELECT hash AS h FROM dolt_remote_branches WHERE name = 'remotes/origin/main'"))[0]?.h ?? '';
    let converged = false;
    for (let pass = 0; pass < 6 && !converged; pass++) {
      await Promise.all(open.map((r) => syncOnce(r, { mode: o.mode }).catch(() => undefined)));
      const heads = await Promise.all(open.map(async (r) => (await rows<{ h: string }>(r.db, "SELECT HASHOF('main') AS h"))[0]!.h));
      converged = new Set(heads).size === 1 && heads[0] === (await centralHead());
    }
    const convergenceMs = Date.now() - lastWrite;
    let lost = 0;
    for (const r of open) {
      const titles = new Set((await r.issues.list({ query: 'fleet ' })).map((i) => i.title));
      lost += written.filter((t) => !titles.has(t)).length;
    }
    const cpu1 = proc(sup.pid).cpu + proc(sup.dolt_pid).cpu;
    const fleetRss = open.reduce((sum, r) => sum + proc(r.state.pid).rss, 0);
    const ok = burst.filter((x): x is number => x !== null);
    return {
      workspaces: o.workspaces,
      mode: o.mode,
      driver: 'inline',
      steady_seconds: seconds,
      write_interval_ms: interval,
      syncs,
      writes: syncs,
      failed_syncs: Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
      steady_cycle: summarize(steady),
      burst_cycle: summarize(ok),
      burst_failed: burst.length - ok.length,
      convergence_ms: converged ? convergenceMs : Number.NaN,
      merges_per_second: before && after ? (after.merged_total - before.merged_total) / (burstMs / 1000) : null,
      max_queue_depth: o.mode === 'queue' ? maxDepth : null,
      central_cpu_seconds: cpu1 - cpu0,
      central_rss_mb: proc(sup.pid).rss + proc(sup.dolt_pid).rss,
      fleet_rss_mb: fleetRss,
      lost_writes: lost,
    };
  } finally {
    for (const r of open) { await r.server.stop().catch(() => undefined); await r.close().catch(() => undefined); }
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportFleet(r: FleetResult): string {
  return [
    `fleet of ${r.workspaces} workspaces, ${r.mode} mode, ${r.driver === 'daemon' ? `a daemon each (pull every ${(r.pull_interval_ms ?? 2000) / 1000} s)` : 'syncs in one process'} (${r.steady_seconds} s steady, a write every ${r.write_interval_ms / 1000} s ±50 % each, then a burst)`,
    `  writes: ${r.writes} steady + ${r.workspaces} burst; syncs that carried writes: ${r.syncs} steady; failed: ${r.failed_syncs}${r.failed_syncs ? ` ${JSON.stringify(r.failures)}` : ''}`,
    ...Object.entries(r.failure_examples ?? {}).map(([code, m]) => `    e.g. ${code}: ${m}`),
    `  steady cycle:  ${fmt(r.steady_cycle)}`,
    ...(r.steady_phases_p50 ? [`  steady phases p50 (ms): ${Object.entries(r.steady_phases_p50).map(([k, v]) => `${k.replace(/_ms$/, '')} ${Math.round(v)}`).join(', ')}`] : []),
    `  burst cycle:   ${fmt(r.burst_cycle)} (${r.burst_failed} failed)`,
    `  convergence after the last write: ${Number.isNaN(r.convergence_ms) ? 'NOT converged' : `${r.convergence_ms} ms`}`,
    `  central: ${r.merges_per_second === null ? '-' : `${r.merges_per_second.toFixed(1)} merges/s in the burst, `}max queue depth ${r.max_queue_depth ?? '-'}, CPU ${r.central_cpu_seconds.toFixed(1)} s, RSS ${r.central_rss_mb.toFixed(0)} MB; fleet RSS ${r.fleet_rss_mb.toFixed(0)} MB`,
    ...(r.cpu_by_role ? (['steady', 'burst'] as const).map((k) => `  cores used (${k}, ${r.cpu_by_role![k].wall_s} s): ${Object.entries(r.cpu_by_role![k]).filter(([n]) => n !== 'wall_s').map(([n, v]) => `${n} ${v}`).join(', ')}`) : []),
    ...(r.deferred_pulls !== undefined ? [`  idle pulls that yielded to a busy queue: ${r.deferred_pulls}`] : []),
    ...(r.fetches !== undefined ? [`  Dolt fetches by the logged cycles: ${r.fetches}`] : []),
    `  acknowledged writes lost: ${r.lost_writes}${r.missing_at_end ? ` (and ${r.missing_at_end} replica x write pairs not yet there: not converged)` : ''}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : process.argv.find((a) => a.startsWith(`${name}=`))?.slice(name.length + 1);
  };
  const sizes = (arg('--workspaces') ?? '10').split(',').map(Number);
  const modeArg = arg('--mode') ?? 'both';
  const modes: SyncMode[] = modeArg === 'both' ? ['queue', 'direct'] : [modeArg as SyncMode];
  const driver = (arg('--driver') ?? 'daemon') as FleetDriver;
  const pullMs = Number(arg('--pull-ms') ?? 2_000);
  if (!Number.isSafeInteger(pullMs) || pullMs < 100 || sizes.some((n) => !Number.isSafeInteger(n) || n < 2) || modes.some((m) => m !== 'queue' && m !== 'direct') || (driver !== 'daemon' && driver !== 'inline')) {
    process.stderr.write('usage: bench:fleet -- --workspaces N[,N...] (N >= 2) [--mode queue|direct|both] [--driver daemon|inline] [--seconds S] [--interval-ms MS] [--pull-ms MS] [--json] [--out FILE.json] [--svg FILE.svg]\n');
    return 2;
  }
  const results: FleetResult[] = [];
  let failed = false;
  for (const n of sizes) {
    for (const mode of modes) {
      let r: FleetResult;
      try {
        r = await benchFleet({ workspaces: n, mode, driver, seconds: Number(arg('--seconds') ?? 30), intervalMs: Number(arg('--interval-ms') ?? 5_000), pullMs });
      } catch (e) {
        // One size that fails does not lose the others: said here, and the exit code is 1.
        process.stderr.write(`fleet ${n} (${mode}) failed: ${String(e)}\n`);
        failed = true;
        continue;
      }
      results.push(r);
      if (!process.argv.includes('--json')) process.stdout.write(`${reportFleet(r)}\n\n`);
      // Written after every run, so a later run that fails keeps the earlier figures.
      if (arg('--out')) writeFileSync(arg('--out')!, `${JSON.stringify(results, null, 2)}\n`);
    }
  }
  const out = arg('--out');
  if (out) writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  const svg = arg('--svg');
  if (svg) writeFileSync(svg, fleetSvg(results));
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed || results.some((r) => r.lost_writes > 0) ? 1 : 0;
}

if (process.argv[1]?.endsWith('fleet-bench.js')) {
  main().then((code) => { process.exitCode = code; }, (e: unknown) => { process.stderr.write(`bench failed: ${String(e)}\n`); process.exitCode = 1; });
}
