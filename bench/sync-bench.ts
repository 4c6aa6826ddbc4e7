// The sync benchmark: the typical workload of docs/ARCHITECTURE.md's targets.
// A central with 10,000 issues (plus events, dependencies and labels); per
// cycle 20 remote and 20 local changes, 3 of them the same cell on both sides.
// grava's cycle and the floor (the same Dolt procedures through mysql2, with
// conflicts resolved wholesale by DOLT_CONFLICTS_RESOLVE) alternate on the
// same data in the same run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { findDolt } from '../src/storage/dolt/dolt-binary.js';
import { exec, openDb, type Db } from '../src/storage/dolt/db.js';
import { openReplica, type Replica } from '../src/storage/replica.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { cloneWorkspace } from '../src/transport/clone.js';
import { syncOnce, type SyncPhases } from '../src/transport/sync.js';
import { startCentralAt, SYNC_PASSWORD, SYNC_USER } from '../test/helpers/central-core.js';
import { fmt, summarize, type Summary } from './stats.js';
import { profileSql } from './sql-profile.js';
import { prng as rng } from '../test/helpers/prng.js';

export interface SyncBenchResult {
  transport: BenchTransport;
  issues: number;
  clone_ms: number;
  cycle: Summary;
  phases: Record<keyof SyncPhases, Summary>;
  floor: Summary;
  ratio_p50: number;
  /** A grava server: the same workload's cycle in queue mode (the default), measured in the same rounds;
   *  `cycle` and the floor are the direct mode's, which runs the same procedures as the floor. `queue` takes
   *  the central's wait call (GRAVA_REMOTE_API, or an http:// remote on the default HTTP port: most
   *  deployments); `queue_no_call` reaches no call, as an https:// remote without GRAVA_REMOTE_API or a central
   *  whose HTTP port is not exposed does, and looks for its head on the central's main with Dolt fetches. Here it
   *  is GRAVA_REMOTE_API unset, whose fallback (the http remote's host on port 50080) must find nothing listening. */
  queue?: QueueFigures;
  queue_no_call?: QueueFigures;
  noop: Summary;
  conflicts_per_cycle: number[];
  /** With --profile-sql: the statements of grava's direct cycles on the local replica, costliest first. */
  sql_profile?: { sql: string; per_cycle: number; ms_per_cycle: number }[];
  /** Several workspaces changing and syncing at the same instant: retries are part of each cycle. */
  concurrent?: ConcurrentResult;
}

export interface QueueFigures { cycle: Summary; wait_ms: Summary; ratio_to_direct_p50: number }

export interface ConcurrentResult {
  workspaces: number;
  rounds: number;
  /** Every cycle of every workspace, retries included. */
  cycle: Summary;
  retries: Summary;
  total_retries: number;
  /** Titles written during the scenario that some replica lacked at the end (must be 0). */
  lost: number;
}

const stamp = (t: number, actor: string): string => `${String(t).padStart(16, '0')}-000000-${actor}`;

async function seed(db: Db, issues: number): Promise<void> {
  {
    const t0 = 1_700_000_000_000;
    const clocked = ['title', 'description', 'status', 'priority', 'type', 'assignee', 'close_reason', 'deleted'];
    const cols = ['id', 'created_at', 'created_by', ...clocked.flatMap((c) => [c, `${c}_clk`])];
    for (let start = 0; start < issues; start += 500) {
      const chunk: unknown[][] = [];
      for (let i = start; i < Math.min(issues, start + 500); i++) {
        const s = stamp(t0 + i, 'seed');
        chunk.push([`gr-${i.toString(36).padStart(5, '0')}`, new Date(t0 + i).toISOString(), 'seed', `Seeded issue ${i}`, s, `Description of issue ${i}`, s, i % 7 === 0 ? 'closed' : 'open', s, i % 5, s, 'task', s, null, s, null, s, 0, s]);
      }
      await exec(db, `INSERT INTO issues (${cols.join(', ')}) VALUES ${chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`, chunk.flat());
      const ev = chunk.map((r) => [`ev-seed-${String(r[0])}`, r[0], 'created', 'seed', r[4], '{}']);
      await exec(db, `INSERT INTO events (id, issue_id, kind, actor, at, data) VALUES ${ev.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, ev.flat());
      const deps = chunk.filter((_, k) => k % 5 === 1).map((r) => [r[0], 'gr-00000', new Date(t0).toISOString(), 'seed', 'blocks', r[4], 0, r[4]]);
      if (deps.length) await exec(db, `INSERT INTO dependencies (issue_id, depends_on, created_at, created_by, type, type_clk, deleted, deleted_clk) VALUES ${deps.map(() => '(?, ?, ?, ?, ?, ?, ?, ?)').join(', ')}`, deps.flat());
      const labels = chunk.filter((_, k) => k % 3 === 0).map((r) => [r[0], 'seeded', new Date(t0).toISOString(), 'seed', 0, r[4]]);
      await exec(db, `INSERT INTO labels (issue_id, label, created_at, created_by, deleted, deleted_clk) VALUES ${labels.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`, labels.flat());
    }
    await exec(db, "CALL DOLT_COMMIT('-Am', 'bench: seed', '--author', 'seed <seed@grava.invalid>')");
  }
}

export type BenchTransport = 'server' | 'git' | 'dir';

/** The remote the benchmark syncs through, seeded with `issues` issues. */
async function seededRemote(transport: BenchTransport, dir: string, issues: number): Promise<{ url: string; user: string | undefined; api?: string | undefined; stop: () => Promise<void> }> {
  if (transport === 'server') {
    mkdirSync(join(dir, 'central'));
    const central = await startCentralAt(join(dir, 'central'));
    const db = openDb({ host: '127.0.0.1', port: central.sqlPort, user: 'root', password: central.rootPassword }, 'grava', 1);
    try { await seed(db, issues); } finally { await db.destroy(); }
    return { url: central.url, user: SYNC_USER, api: central.env.GRAVA_REMOTE_API, stop: () => central.stop() };
  }
  let url: string;
  if (transport === 'git') {
    const bare = join(dir, 'origin.git');
    const env = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
    execFileSync('git', ['init', '-q', '--bare', '-b', 'main', bare], { env });
    execFileSync('git', ['clone', '-q', bare, join(dir, 'git-work')], { env });
    execFileSync('git', ['-C', join(dir, 'git-work'), 'commit', '-q', '--allow-empty', '-m', 'first'], { env });
    execFileSync('git', ['-C', join(dir, 'git-work'), 'push', '-q', 'origin', 'HEAD:main'], { env });
    url = `git+file://${bare}`;
  } else {
    url = `file://${join(dir, 'shared')}`;
  }
  // The first workspace publishes the database; it is seeded there and pushed.
  const w = await cloneWorkspace({ root: mkdtempSync(join(dir, 'seeder-')), remote: url, actor: 'seed' });
  const r = await openReplica(workspacePaths(w.root));
  try {
    await seed(r.db, issues);
    await syncOnce(r);
  } finally {
    await r.server.stop();
    await r.close();
  }
  return { url, user: undefined, stop: () => Promise.resolve() };
}


/** 20 changes on each side; the first 3 issues get a title change on both sides. */
async function makeChanges(local: Replica, remote: Replica, issues: number, round: number, rand: () => number): Promise<void> {
  const id = (): string => `gr-${Math.floor(rand() * issues).toString(36).padStart(5, '0')}`;
  const shared = [id(), id(), id()];
  for (const s of shared) await remote.issues.update(s, { title: `remote title r${round}` });
  for (let k = 0; k < 17; k++) await remote.issues.update(id(), { priority: Math.floor(rand() * 5) });
  await syncOnce(remote);
  for (const s of shared) await local.issues.update(s, { title: `local title r${round}` });
  for (let k = 0; k < 17; k++) await local.issues.update(id(), { description: `local edit r${round}.${k}` });
}

/** The floor: the raw Dolt procedure sequence through one mysql2 connection. */
async function rawCycle(r: Replica, user: string | undefined): Promise<number> {
  const as = user === undefined ? [] : ['--user', user];
  const conn = await mysql.createConnection({ ...r.server.target(r.state), database: 'grava' });
  try {
    const t = performance.now();
    await conn.query("CALL DOLT_COMMIT('-Am', 'raw: local changes')");
    await conn.query(`CALL DOLT_FETCH(${[...as, 'origin'].map(() => '?').join(', ')})`, [...as, 'origin']);
    await conn.query('SET autocommit = 0');
    await conn.query('SET @@dolt_allow_commit_conflicts = 1');
    await conn.query("CALL DOLT_MERGE('origin/main')");
    const [conflicts] = await conn.query('SELECT `table` FROM dolt_conflicts');
    for (const c of conflicts as { table: string }[]) await conn.query("CALL DOLT_CONFLICTS_RESOLVE('--theirs', ?)", [c.table]);
    await conn.query("CALL DOLT_COMMIT('-Am', 'raw: merge')");
    await conn.query('SET autocommit = 1');
    await conn.query(`CALL DOLT_PUSH(${[...as, 'origin', 'main'].map(() => '?').join(', ')})`, [...as, 'origin', 'main']);
    return performance.now() - t;
  } finally {
    await conn.end();
  }
}

/**
 * N workspaces each make 5 changes (one on an issue all of them touch), then
 * all sync at the same instant; repeated for `rounds`. Every acknowledged
 * change must be on every replica afterwards.
 */
async function concurrentRounds(pushers: readonly Replica[], issues: number, rounds: number, rand: () => number, log: (m: string) => void): Promise<ConcurrentResult> {
  const id = (): string => `gr-${Math.floor(rand() * issues).toString(36).padStart(5, '0')}`;
  const cycle: number[] = [];
  const retries: number[] = [];
  const written: string[] = [];
  for (let round = 0; round < rounds; round++) {
    const shared = id();
    for (const [n, r] of pushers.entries()) {
      await r.issues.update(shared, { title: `shared r${round} by ${n}` });
      for (let k = 0; k < 3; k++) await r.issues.update(id(), { priority: Math.floor(rand() * 5) });
      const title = `concurrent r${round} w${n}`;
      await r.issues.create({ title });
      written.push(title);
    }
    const results = await Promise.all(pushers.map((r) => syncOnce(r)));
    for (const x of results) { cycle.push(x.duration_ms); retries.push(x.retries); }
    log(`concurrent round ${round + 1}/${rounds}: ${results.map((x) => `${x.duration_ms} ms/${x.retries}r`).join(', ')}`);
  }
  for (let k = 0; k < 2; k++) for (const r of pushers) await syncOnce(r);
  let lost = 0;
  for (const r of pushers) {
    const titles = new Set((await r.issues.list({ query: 'concurrent r' })).map((i) => i.title));
    lost += written.filter((t) => !titles.has(t)).length;
  }
  return { workspaces: pushers.length, rounds, cycle: summarize(cycle), retries: summarize(retries), total_retries: retries.reduce((a, b) => a + b, 0), lost };
}

export async function benchSync(opts: { issues?: number; rounds?: number; noops?: number; concurrent?: { workspaces: number; rounds: number }; transport?: BenchTransport; profileSql?: boolean; log?: (m: string) => void } = {}): Promise<SyncBenchResult> {
  const issues = opts.issues ?? 10_000;
  const rounds = opts.rounds ?? 12;
  const log = opts.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-sync-'));
  process.env.GRAVA_REMOTE_USER = SYNC_USER;
  process.env.GRAVA_REMOTE_PASSWORD = SYNC_PASSWORD;
  await findDolt();
  const transport = opts.transport ?? 'server';
  const apiBefore = process.env.GRAVA_REMOTE_API;
  const open: Replica[] = [];
  let remoteStop: (() => Promise<void>) | undefined;
  try {
    log(`seeding a ${transport} remote with ${issues} issues ...`);
    const central = await seededRemote(transport, dir, issues);
    remoteStop = central.stop;
    // Every sync but the no-call path's takes the central's calls, as a deployment on the default ports does.
    if (central.api !== undefined) process.env.GRAVA_REMOTE_API = central.api;
    const t = performance.now();
    await cloneWorkspace({ root: mkdtempSync(join(dir, 'local-')), remote: central.url, actor: 'local' }).then(async (r) => open.push(await openReplica(workspacePaths(r.root))));
    const cloneMs = performance.now() - t;
    await cloneWorkspace({ root: mkdtempSync(join(dir, 'remote-')), remote: central.url, actor: 'remote' }).then(async (r) => open.push(await openReplica(workspacePaths(r.root))));
    const [local, remote] = open as [Replica, Replica];
    const rand = rng(42);
    const cycle: number[] = [];
    const floor: number[] = [];
    const conflicts: number[] = [];
    const phases: Record<keyof SyncPhases, number[]> = { commit_ms: [], fetch_ms: [], merge_ms: [], push_ms: [], wait_ms: [] };
    // Queue mode's two paths, measured in the same rounds, in alternating order: with the central's wait call
    // and without it (GRAVA_REMOTE_API unset; the test central's HTTP port is not the default one).
    const paths = { call: { cycle: [] as number[], wait: [] as number[] }, noCall: { cycle: [] as number[], wait: [] as number[] } };
    const direct = { mode: 'direct' as const };
    const statements = new Map<string, { count: number; total: number }>();
    // One warm-up round of each, not counted.
    for (let round = -1; round < rounds; round++) {
      await makeChanges(local, remote, issues, round, rand);
      const prof = opts.profileSql && round >= 0 ? profileSql(local.db) : undefined;
      const s = await syncOnce(local, direct);
      if (prof) for (const c of prof.stop()) { const a = statements.get(c.sql) ?? { count: 0, total: 0 }; a.count += c.count; a.total += c.total_ms; statements.set(c.sql, a); }
      if (round >= 0) {
        cycle.push(s.duration_ms);
        conflicts.push(s.conflicts_resolved);
        for (const k of Object.keys(phases) as (keyof SyncPhases)[]) phases[k].push(s.phases[k]);
      }
      await makeChanges(local, remote, issues, round + 1000, rand);
      const f = await rawCycle(local, central.user);
      if (round >= 0) floor.push(f);
      await syncOnce(remote, direct);
      const q: Partial<Record<keyof typeof paths, number>> = {};
      if (transport === 'server' && central.api !== undefined) {
        const order = round % 2 === 0 ? (['call', 'noCall'] as const) : (['noCall', 'call'] as const);
        for (const path of order) {
          await makeChanges(local, remote, issues, round + (path === 'call' ? 2000 : 3000), rand);
          const x = path === 'call' ? await syncOnce(local, { mode: 'queue' }) : await withoutRemoteApi(() => syncOnce(local, { mode: 'queue' }));
          q[path] = x.duration_ms;
          if (round >= 0) { paths[path].cycle.push(x.duration_ms); paths[path].wait.push(x.phases.wait_ms); }
          await syncOnce(remote);
        }
      }
      if (round >= 0) log(`round ${round + 1}/${rounds}: grava ${s.duration_ms} ms (${s.conflicts_resolved} conflicts, ${s.retries} retries), floor ${f.toFixed(0)} ms${q.call === undefined ? '' : `, queue mode ${q.call} ms (no call: ${q.noCall} ms)`}`);
    }
    await syncOnce(local, direct);
    const noop: number[] = [];
    for (let k = 0; k < (opts.noops ?? 20); k++) {
      const s = await syncOnce(local, direct);
      if (!s.noop) throw new Error('a cycle with nothing new on either side was not a no-op');
      noop.push(s.duration_ms);
    }
    let concurrent: ConcurrentResult | undefined;
    if (opts.concurrent) {
      const extra = opts.concurrent.workspaces - 2;
      for (let k = 0; k < extra; k++) {
        const w = await cloneWorkspace({ root: mkdtempSync(join(dir, `pusher${k}-`)), remote: central.url, actor: `pusher${k}` });
        open.push(await openReplica(workspacePaths(w.root)));
      }
      concurrent = await concurrentRounds(open.slice(0, opts.concurrent.workspaces), issues, opts.concurrent.rounds, rand, log);
    }
    const c = summarize(cycle);
    const fl = summarize(floor);
    return {
      ...(concurrent ? { concurrent } : {}),
      transport,
      issues,
      clone_ms: Math.round(cloneMs),
      cycle: c,
      phases: { commit_ms: summarize(phases.commit_ms), fetch_ms: summarize(phases.fetch_ms), merge_ms: summarize(phases.merge_ms), push_ms: summarize(phases.push_ms), wait_ms: summarize(phases.wait_ms) },
      floor: fl,
      ratio_p50: c.p50 / fl.p50,
      ...(paths.call.cycle.length > 0 ? { queue: queueFigures(paths.call, c), queue_no_call: queueFigures(paths.noCall, c) } : {}),
      noop: summarize(noop),
      conflicts_per_cycle: conflicts,
      ...(opts.profileSql ? { sql_profile: [...statements].map(([sql, a]) => ({ sql, per_cycle: a.count / rounds, ms_per_cycle: a.total / rounds })).sort((a, b) => b.ms_per_cycle - a.ms_per_cycle) } : {}),
    };
  } finally {
    for (const r of open) { await r.server.stop(); await r.close(); }
    await remoteStop?.();
    if (apiBefore === undefined) delete process.env.GRAVA_REMOTE_API; else process.env.GRAVA_REMOTE_API = apiBefore;
    rmSync(dir, { recursive: true, force: true });
  }
}

function queueFigures(path: { cycle: number[]; wait: number[] }, direct: Summary): QueueFigures {
  const cycle = summarize(path.cycle);
  return { cycle, wait_ms: summarize(path.wait), ratio_to_direct_p50: cycle.p50 / direct.p50 };
}

/** Runs `f` with GRAVA_REMOTE_API unset, then puts it back. */
async function withoutRemoteApi<T>(f: () => Promise<T>): Promise<T> {
  const before = process.env.GRAVA_REMOTE_API;
  delete process.env.GRAVA_REMOTE_API;
  try { return await f(); } finally { if (before !== undefined) process.env.GRAVA_REMOTE_API = before; }
}

export function reportSync(r: SyncBenchResult): string {
  return [
    `sync over ${r.transport === 'server' ? 'a grava server' : r.transport === 'git' ? 'a git repository (git+file)' : 'a shared directory'}, typical workload (${r.issues} issues; 20 local + 20 remote changes; 3 same-cell conflicts)`,
    `  clone:                  ${r.clone_ms} ms`,
    `  full cycle${r.queue ? ' (direct)' : ''}:${r.queue ? '    ' : '             '}${fmt(r.cycle)}`,
    ...Object.entries(r.phases).map(([k, s]) => `    ${k.padEnd(20)} ${fmt(s)}`),
    `  floor (raw procedures): ${fmt(r.floor)}`,
    `  grava / floor at p50:   ${r.ratio_p50.toFixed(2)}x (${((r.ratio_p50 - 1) * 100).toFixed(0)} % overhead)`,
    ...([['queue mode (the default against a grava server), with the central\'s wait call', r.queue], ['queue mode without the wait call (polling main with Dolt fetches)', r.queue_no_call]] as const)
      .flatMap(([title, q]) => q ? [
        `  ${title}, same workload, same run:`,
        `    full cycle:           ${fmt(q.cycle)}`,
        `    waiting for the queue ${fmt(q.wait_ms)}`,
        `    queue / direct at p50: ${q.ratio_to_direct_p50.toFixed(2)}x`,
      ] : []),
    `  no-op cycle:            ${fmt(r.noop)}`,
    `  conflicts resolved per cycle: ${r.conflicts_per_cycle.join(', ')}`,
    ...(r.sql_profile ? [
      '  statements of a grava cycle (direct), time from send to answer, per cycle:',
      ...r.sql_profile.slice(0, 15).map((x) => `    ${x.ms_per_cycle.toFixed(1).padStart(6)} ms  ${x.per_cycle.toFixed(1).padStart(4)}×  ${x.sql}`),
      `    ${r.sql_profile.reduce((a, x) => a + x.ms_per_cycle, 0).toFixed(1).padStart(6)} ms  in all ${r.sql_profile.length} statements`,
    ] : []),
    ...(r.concurrent ? [
      `  ${r.concurrent.workspaces} workspaces syncing at the same instant, ${r.concurrent.rounds} rounds (retries included):`,
      `    cycle:   ${fmt(r.concurrent.cycle)}`,
      `    retries: ${r.concurrent.total_retries} in total, per cycle ${fmt(r.concurrent.retries, '')}`,
      `    acknowledged writes lost: ${r.concurrent.lost}`,
    ] : []),
  ].join('\n');
}
