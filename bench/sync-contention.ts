// `npm run bench:contention -- [--workspaces N] [--rounds R] [--concurrency 1,4,N] [--floor] [--idle-seconds S]` (defaults 16, 4, 1,4,N, 20)
// What a queue-mode sync costs in CPU when K workspaces sync at once, against
// one at a time: N workspaces (each its own dolt sql-server) clone one real
// central on loopback; each round every workspace writes one issue, then the N
// syncs run with at most K in flight. Reported per K: CPU seconds per sync of
// every process (the workspaces' Dolt servers, the central's Dolt and
// supervisor, this process) and the round's wall time. The levels alternate
// round by round so that the machine's drift falls on all of them. Not a test.
//
// After the syncs, every workspace takes `main` again (the sync cycle of a
// workspace with nothing to send), K at a time: until then the first workspaces
// to sync hold an early `main`. `sync + catch-up` is the floor of a burst's
// convergence: the time from the writes until every replica holds the same
// `main`. `--floor` adds the same rounds run with Dolt's own procedures and no
// grava (raw/): each workspace commits and pushes its branch, the central
// merges it into `main` (one at a time, as the queue does), the workspace
// fetches and merges `main`; the catch-up is a fetch and merge. That is the
// least any design on this Dolt pays for the queue's cycle on this machine.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDolt } from '../src/storage/dolt/dolt-binary.js';
import { openReplica, type Replica } from '../src/storage/replica.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { cloneWorkspace } from '../src/transport/clone.js';
import { syncOnce } from '../src/transport/sync.js';
import { startCentralAt, SYNC_PASSWORD, SYNC_USER } from '../test/helpers/central-core.js';
import { readSupervisorState } from '../src/server/supervisor.js';
import { centralPaths } from '../src/server/paths.js';
import { summarize } from './stats.js';
import { proc } from './fleet-probes.js';
import mysql from 'mysql2/promise';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] ?? fallback : fallback;
}

/** Runs `jobs` with at most `k` in flight. */
async function limited(jobs: readonly (() => Promise<void>)[], k: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(k, jobs.length) }, async () => {
    while (next < jobs.length) await jobs[next++]!();
  }));
}

type Conn = mysql.Connection;

/** The raw cycle of a queue-mode sync: commit, push the workspace's branch, the central merges it, fetch and merge `main`. */
async function rawSync(ws: Conn, actor: string, centralMerge: (branch: string) => Promise<void>): Promise<void> {
  await ws.query("CALL DOLT_COMMIT('-Am', 'raw: local changes', '--allow-empty')");
  await ws.query("CALL DOLT_PUSH('--user', ?, '--force', 'origin', ?)", [SYNC_USER, `main:raw/${actor}`]);
  await centralMerge(`raw/${actor}`);
  await rawCatchUp(ws);
}

async function rawCatchUp(ws: Conn): Promise<void> {
  await ws.query("CALL DOLT_FETCH('--user', ?, 'origin', 'main')", [SYNC_USER]);
  await ws.query("CALL DOLT_MERGE('origin/main')");
}

async function main(): Promise<void> {
  const n = Number(arg('workspaces', '16'));
  const rounds = Number(arg('rounds', '4'));
  const levels = arg('concurrency', `1,4,${n}`).split(',').map(Number);
  const floor = process.argv.includes('--floor');
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-contention-'));
  process.env.GRAVA_REMOTE_USER = SYNC_USER;
  process.env.GRAVA_REMOTE_PASSWORD = SYNC_PASSWORD;
  await findDolt();
  const open: Replica[] = [];
  const conns: Conn[] = [];
  const central = await startCentralAt(dir);
  Object.assign(process.env, central.env);
  try {
    const sup = readSupervisorState(centralPaths(central.dataDir))!;
    for (let w = 0; w < n; w++) {
      const ws = await cloneWorkspace({ root: mkdtempSync(join(dir, `ws${w}-`)), remote: central.url, actor: `c${w}` });
      open.push(await openReplica(workspacePaths(ws.root)));
    }
    for (const r of open) await syncOnce(r, { mode: 'queue' });
    for (const r of open) conns.push(await mysql.createConnection({ ...r.server.target(r.state), database: 'grava' }));
    const centralConn = await mysql.createConnection({ host: '127.0.0.1', port: central.sqlPort, user: 'root', password: central.rootPassword, database: 'grava' });
    conns.push(centralConn);
    let merging = Promise.resolve();
    // One merge at a time on the central, as its queue does.
    const centralMerge = (branch: string): Promise<void> => {
      const next = merging.then(async () => { await centralConn.query('CALL DOLT_MERGE(?)', [branch]); });
      merging = next.catch(() => undefined);
      return next;
    };
    const cpu = (): number => open.reduce((s, r) => s + proc(r.state.pid).cpu, 0) + proc(sup.pid).cpu + proc(sup.dolt_pid).cpu
      + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    // What the fleet costs doing nothing; every sync's CPU below includes its share of it.
    const idleS = Number(arg('idle-seconds', '20'));
    const i0 = cpu();
    await new Promise((res) => setTimeout(res, idleS * 1000));
    process.stdout.write(`idle: ${n} workspaces and the central used ${((cpu() - i0) / idleS).toFixed(3)} cores over ${idleS} s\n`);
    const variants = levels.flatMap((k) => [{ k, raw: false }, ...(floor ? [{ k, raw: true }] : [])]);
    const name = (v: { k: number; raw: boolean }): string => `${v.raw ? 'raw Dolt' : 'grava'} K=${v.k}`;
    const perSync: Record<string, number[]> = {};
    const wall: Record<string, number[]> = {};
    const catchUp: Record<string, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        for (const [w, r] of open.entries()) await r.issues.create({ title: `contention r${round} ${name(v)} w${w}` });
        // grava's catch-up is its sync cycle with nothing to send.
        const grava = (r: Replica) => async (): Promise<void> => { await syncOnce(r, { mode: 'queue' }); };
        const sync = open.map((r, w) => (v.raw ? () => rawSync(conns[w]!, r.config.actor, centralMerge) : grava(r)));
        const catchUpJobs = open.map((r, w) => (v.raw ? () => rawCatchUp(conns[w]!) : grava(r)));
        const c0 = cpu();
        const t0 = Date.now();
        await limited(sync, v.k);
        const t1 = Date.now();
        (perSync[name(v)] ??= []).push((cpu() - c0) / n);
        (wall[name(v)] ??= []).push(t1 - t0);
        await limited(catchUpJobs, v.k);
        (catchUp[name(v)] ??= []).push(Date.now() - t1);
        // A floor that dropped writes would be cheap for nothing: every replica must hold the round's n issues.
        for (const [w, c] of conns.entries()) {
          const [found] = await c.query('SELECT COUNT(*) AS n FROM issues WHERE title LIKE ?', [`contention r${round} ${name(v)} w%`]);
          const got = Number((found as { n: number }[])[0]?.n);
          if (got !== n) throw new Error(`${name(v)}, round ${round}: ${w === n ? 'the central' : `workspace ${w}`} holds ${got} of the round's ${n} issues`);
        }
      }
    }
    for (const v of variants) {
      const c = summarize(perSync[name(v)]!.map((x) => x * 1000));
      process.stdout.write(`${name(v)}: CPU per sync p50 ${c.p50.toFixed(0)} ms (${perSync[name(v)]!.map((x) => (x * 1000).toFixed(0)).join(', ')}); `
        + `syncs wall p50 ${summarize(wall[name(v)]!).p50} ms, then the catch-up p50 ${summarize(catchUp[name(v)]!).p50} ms `
        + `(sync + catch-up per round: ${wall[name(v)]!.map((x, i) => x + catchUp[name(v)]![i]!).join(', ')} ms)\n`);
    }
  } finally {
    for (const c of conns) await c.end().catch(() => undefined);
    for (const r of open) { await r.server.stop().catch(() => undefined); await r.close().catch(() => undefined); }
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
