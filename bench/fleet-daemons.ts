// The fleet benchmark with a real daemon per workspace (the default driver of
// `npm run bench:fleet`): N workspaces, each with its own dolt sql-server and
// its own `grava daemon` (debounce 1 s, pull every 2 s, as in the daemon
// issue's propagation benchmark), against one real central on loopback.
// Writes go to each daemon over its socket, as an agent's CLI sends them; the
// daemons decide when to sync. The cycle figures come from the daemons' own
// logs; convergence is read from every replica's main and the central's.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { openDb, rows, type Db } from '../src/storage/dolt/db.js';
import { adminTarget } from '../src/server/readiness.js';
import { openReplica, type Replica } from '../src/storage/replica.js';
import { workspacePaths, type WorkspacePaths } from '../src/storage/dolt/layout.js';
import { setSetting } from '../src/daemon/settings.js';
import { RpcClient } from '../src/transport/rpc-client.js';
import { cloneWorkspace } from '../src/transport/clone.js';
import { findDolt } from '../src/storage/dolt/dolt-binary.js';
import { readSupervisorState } from '../src/server/supervisor.js';
import { centralPaths } from '../src/server/paths.js';
import { startCentralAt } from '../test/helpers/central-core.js';
import { prng } from '../test/helpers/prng.js';
import { summarize } from './stats.js';
import { healthQueue, proc, steadyWrites } from './fleet-probes.js';
import type { FleetOptions, FleetResult } from './fleet-bench.js';

interface Ws {
  readonly paths: WorkspacePaths;
  readonly replica: Replica;
  /** One request to the workspace's daemon on a connection of its own, as an agent's CLI sends it (the
   *  daemon closes idle connections, so none is kept). */
  readonly rpc: { call(method: string, params?: Record<string, unknown>): Promise<unknown> };
}

function daemonAt(paths: WorkspacePaths): Ws['rpc'] {
  return {
    call: async (method, params = {}) => {
      const c = await RpcClient.connect(paths.daemonSocket, { timeoutMs: 10_000 });
      try { return await c.call(method, params); } finally { c.close(); }
    },
  };
}

interface CycleLine {
  readonly at: number;
  readonly duration_ms: number;
  readonly writes: number;
  readonly code: string | null;
  readonly message: string | null;
  readonly phases: Readonly<Record<string, number>> | null;
  readonly fetches: number;
}

/** The daemon's sync cycles, from its log (one JSON line per cycle that did something or failed). */
function cyclesOf(paths: WorkspacePaths): CycleLine[] {
  let text = '';
  try { text = readFileSync(paths.daemonLog, 'utf8'); } catch { return []; }
  const out: CycleLine[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"msg":"sync')) continue;
    try {
      const j = JSON.parse(line) as { msg: string; time: string; duration_ms?: number; writes?: number; error?: { code?: string; message?: string }; phases?: Record<string, number>; fetches?: number };
      if (j.msg !== 'sync' && j.msg !== 'sync failed') continue;
      out.push({
        at: Date.parse(j.time), duration_ms: j.duration_ms ?? 0, writes: j.writes ?? 0, code: j.msg === 'sync failed' ? (j.error?.code ?? 'error') : null,
        message: j.error?.message ?? null, phases: j.phases ?? null, fetches: j.fetches ?? 0,
      });
    } catch { /* a line cut by rotation */ }
  }
  return out;
}

const run = promisify(execFile);
const BIN = new URL('../../bin/grava.js', import.meta.url).pathname;

// A daemon may restart its workspace server (a fetch or push past GRAVA_REMOTE_TIMEOUT_MS): a read that fails
// meanwhile counts as not converged yet.
const mainOf = async (db: Db): Promise<string> => (await rows<{ h: string }>(db, "SELECT HASHOF('main') AS h").catch(() => []))[0]?.h ?? '?';

export async function benchFleetDaemons(o: FleetOptions): Promise<FleetResult> {
  const log = o.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const seconds = o.seconds ?? 30;
  const interval = o.intervalMs ?? 5_000;
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-fleetd-'));
  await findDolt();
  const central = await startCentralAt(dir);
  // The daemons are started from this process and inherit the central's credentials and its calls' address.
  Object.assign(process.env, central.env);
  delete process.env.GRAVA_NO_DAEMON;
  const fleet: Ws[] = [];
  // Every workspace cloned, from the moment it exists: all of them are stopped at the end, whatever failed.
  const roots: string[] = [];
  const paths = centralPaths(central.dataDir);
  const centralDb = openDb(adminTarget(paths, central.rootPassword), 'grava', 1);
  try {
    const sup = readSupervisorState(paths)!;
    log(`fleet ${o.workspaces} (${o.mode}, daemons): cloning and starting daemons ...`);
    for (let n = 0; n < o.workspaces; n++) {
      const root = mkdtempSync(join(dir, `ws${n}-`));
      roots.push(root);
      const w = await cloneWorkspace({ root, remote: central.url, actor: `fleet${n}` });
      const p = workspacePaths(w.root);
      setSetting(p, 'sync.debounce_ms', '1000');
      setSetting(p, 'sync.pull_interval_ms', String(o.pullMs ?? 2_000));
      if (o.mode === 'direct') setSetting(p, 'sync.mode', 'direct');
      // Started by the CLI, as a user would: this benchmark is a build of its own (dist-bench), the daemon is grava's.
      await run(process.execPath, [BIN, 'daemon', 'start'], { cwd: w.root, env: process.env });
      fleet.push({ paths: p, replica: await openReplica(p), rpc: daemonAt(p) });
    }
    const rand = prng(17);
    const shared: string[] = [];
    for (let k = 0; k < 5; k++) shared.push(((await fleet[0]!.rpc.call('issue.create', { title: `shared ${k}` })) as { id: string }).id);
    // Everyone holds the shared issues before the clock starts.
    const t0 = Date.now();
    while (!(await everyoneHas(fleet, shared)) && Date.now() - t0 < 120_000) await new Promise((r) => setTimeout(r, 500));
    const written: string[] = [];
    const pids = await Promise.all(fleet.map(async (w) => (await w.rpc.call('daemon.status')) as { pid: number; server_pid: number }));
    const cpuNow = (): CpuByRole => cpuByRole(sup, pids);
    const steadyCpu0 = cpuNow();
    const steadyFrom = Date.now();
    const until = steadyFrom + seconds * 1000;
    let writes = 0;
    await Promise.all(fleet.map(({ rpc }, n) => steadyWrites({
      create: async (title) => ((await rpc.call('issue.create', { title })) as { id: string }).id,
      update: async (id, patch) => { await rpc.call('issue.update', { id, ...patch }); },
      comment: async (id, text) => { await rpc.call('comment.add', { id, text }); },
    }, n, shared, { until, intervalMs: interval, rand, written, after: () => { writes++; return Promise.resolve(); } })));
    log(`fleet ${o.workspaces} (${o.mode}, daemons): burst ...`);
    const before = await healthQueue(sup.http_port);
    const burstCpu0 = cpuNow();
    const burstFrom = Date.now();
    await Promise.all(fleet.map(async ({ rpc }, n) => {
      const title = `fleet burst w${n}`;
      await rpc.call('issue.create', { title });
      written.push(title);
    }));
    const lastWrite = Date.now();
    // Convergence: every replica's main is the central's main, and the queue holds nothing. The look is kept
    // cheap (it shares the 2 cores with the fleet): the replicas' heads are read one by one up to the first that
    // differs, and their titles only once every head matches.
    let maxDepth = 0;
    let convergedAt: number | null = null;
    let mergedAfter: number | null = null;
    while (Date.now() - lastWrite < 600_000) {
      const q = await healthQueue(sup.http_port);
      if (q) maxDepth = Math.max(maxDepth, q.depth);
      if (q && before && mergedAfter === null && q.merged_total - before.merged_total >= o.workspaces && q.depth === 0) mergedAfter = Date.now();
      const centralMain = await mainOf(centralDb);
      if ((q === null || q.depth === 0) && centralMain !== '?' && (await everyHeadIs(fleet, centralMain)) && (await everyoneHasTitles(fleet, written))) {
        convergedAt = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const burstCpu1 = cpuNow();
    const after = await healthQueue(sup.http_port);
    // Lost: a write found on no replica at all (its own workspace acknowledged it). Missing: (replica, write)
    // pairs not there yet, which is 0 once the fleet converged.
    let missing = 0;
    const anywhere = new Set<string>();
    for (const w of fleet) {
      const read = (): Promise<{ title: string }[]> => rows<{ title: string }>(w.replica.db, "SELECT title FROM issues WHERE title LIKE 'fleet %'");
      const titles = new Set((await read().catch(async () => { await new Promise((r) => setTimeout(r, 5_000)); return read(); })).map((r) => r.title));
      for (const t of titles) anywhere.add(t);
      missing += written.filter((t) => !titles.has(t)).length;
    }
    const lost = written.filter((t) => !anywhere.has(t)).length;
    const burstTo = convergedAt ?? Date.now();
    const status = await Promise.all(fleet.map(async (w) => (await w.rpc.call('daemon.status')) as { pid: number; server_pid: number; deferred_pulls?: number }));
    const fleetRss = status.reduce((sum, s) => sum + proc(s.pid).rss + proc(s.server_pid).rss, 0);
    const cycles = fleet.flatMap((w) => cyclesOf(w.paths));
    const steady = cycles.filter((c) => c.at >= steadyFrom && c.at < burstFrom && c.writes > 0 && c.code === null);
    const burst = cycles.filter((c) => c.at >= burstFrom && c.writes > 0);
    const failures: Record<string, number> = {};
    const failureMessages: Record<string, string> = {};
    for (const c of cycles) {
      if (c.at < steadyFrom || !c.code) continue;
      failures[c.code] = (failures[c.code] ?? 0) + 1;
      failureMessages[c.code] ??= (c.message ?? '').slice(0, 300);
    }
    const burstMs = (mergedAfter ?? convergedAt ?? Date.now()) - burstFrom;
    return {
      workspaces: o.workspaces,
      mode: o.mode,
      driver: 'daemon',
      steady_seconds: seconds,
      write_interval_ms: interval,
      pull_interval_ms: o.pullMs ?? 2_000,
      syncs: cycles.filter((c) => c.at >= steadyFrom && c.at < burstFrom && c.writes > 0).length,
      writes,
      failed_syncs: Object.values(failures).reduce((a, b) => a + b, 0),
      failures,
      failure_examples: failureMessages,
      steady_cycle: summarize(steady.map((c) => c.duration_ms)),
      steady_phases_p50: phaseMedians(steady),
      burst_cycle: summarize(burst.filter((c) => c.code === null).map((c) => c.duration_ms)),
      burst_failed: burst.filter((c) => c.code !== null).length,
      convergence_ms: convergedAt === null ? Number.NaN : convergedAt - lastWrite,
      merges_per_second: before && after ? (after.merged_total - before.merged_total) / (burstMs / 1000) : null,
      max_queue_depth: o.mode === 'queue' ? maxDepth : null,
      central_cpu_seconds: centralCpu(burstCpu1) - centralCpu(steadyCpu0),
      central_rss_mb: proc(sup.pid).rss + proc(sup.dolt_pid).rss,
      fleet_rss_mb: fleetRss,
      lost_writes: lost,
      missing_at_end: missing,
      deferred_pulls: status.reduce((sum, s) => sum + (s.deferred_pulls ?? 0), 0),
      // Cycles that ended with a result (a failed cycle logs no count); an idle look that found main unmoved is
      // logged at debug level only, and fetched nothing.
      fetches: cycles.reduce((sum, c) => sum + c.fetches, 0),
      cpu_by_role: {
        steady: coresUsed(steadyCpu0, burstCpu0, burstFrom - steadyFrom),
        burst: coresUsed(burstCpu0, burstCpu1, burstTo - burstFrom),
      },
    };
  } finally {
    for (const w of fleet) await w.replica.close().catch(() => undefined);
    // `grava daemon stop` as a user would: a graceful stop (final sync, then its workspace server), a kill when
    // the daemon does not answer, and the server stopped whatever state the workspace is in.
    for (let i = 0; i < roots.length; i += 10) {
      await Promise.all(roots.slice(i, i + 10).map((root) => run(process.execPath, [BIN, 'daemon', 'stop'], { cwd: root, env: process.env, timeout: 120_000 }).catch(() => undefined)));
    }
    await centralDb.destroy().catch(() => undefined);
    await central.stop().catch(() => undefined);
    // GRAVA_BENCH_KEEP=1 keeps every workspace (daemon and Dolt logs) and the central's data dir to read afterwards.
    if (process.env.GRAVA_BENCH_KEEP === '1') log(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of each phase over the cycles that logged them. */
function phaseMedians(cycles: readonly CycleLine[]): Record<string, number> {
  const by: Record<string, number[]> = {};
  for (const c of cycles) for (const [k, v] of Object.entries(c.phases ?? {})) (by[k] ??= []).push(v);
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, summarize(v).p50]));
}

/** CPU seconds spent so far by each role of the fleet on this machine (from /proc; the benchmark's own from Node). */
export interface CpuByRole {
  workspace_dolt: number;
  daemons: number;
  central_dolt: number;
  central_supervisor: number;
  benchmark: number;
}

function cpuByRole(sup: { pid: number; dolt_pid: number | null }, fleet: readonly { pid: number; server_pid: number }[]): CpuByRole {
  const self = process.cpuUsage();
  return {
    workspace_dolt: fleet.reduce((s, p) => s + proc(p.server_pid).cpu, 0),
    daemons: fleet.reduce((s, p) => s + proc(p.pid).cpu, 0),
    central_dolt: proc(sup.dolt_pid).cpu,
    central_supervisor: proc(sup.pid).cpu,
    benchmark: (self.user + self.system) / 1e6,
  };
}

const centralCpu = (c: CpuByRole): number => c.central_dolt + c.central_supervisor;

/** The cores each role used between two readings (CPU seconds over wall seconds), and the wall time. */
function coresUsed(a: CpuByRole, b: CpuByRole, wallMs: number): Record<string, number> {
  const out: Record<string, number> = { wall_s: Math.round(wallMs / 100) / 10 };
  for (const k of Object.keys(a) as (keyof CpuByRole)[]) out[k] = Math.round((Math.max(0, b[k] - a[k]) / Math.max(0.001, wallMs / 1000)) * 100) / 100;
  return out;
}

/** Every replica's main is `head`: read one replica at a time, stopping at the first that differs. */
async function everyHeadIs(fleet: readonly Ws[], head: string): Promise<boolean> {
  for (const w of fleet) if ((await mainOf(w.replica.db)) !== head) return false;
  return true;
}

async function everyoneHas(fleet: readonly Ws[], ids: readonly string[]): Promise<boolean> {
  for (const w of fleet) {
    const n = Number((await rows<{ n: number }>(w.replica.db, `SELECT COUNT(*) AS n FROM issues WHERE id IN (${ids.map(() => '?').join(',')})`, [...ids]).catch(() => []))[0]?.n ?? 0);
    if (n !== ids.length) return false;
  }
  return true;
}

async function everyoneHasTitles(fleet: readonly Ws[], titles: readonly string[]): Promise<boolean> {
  for (const w of fleet) {
    const n = Number((await rows<{ n: number }>(w.replica.db, "SELECT COUNT(*) AS n FROM issues WHERE title LIKE 'fleet %'").catch(() => []))[0]?.n ?? 0);
    if (n < titles.length) return false;
  }
  return true;
}
