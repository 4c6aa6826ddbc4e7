// `npm run bench:contention -- [--workspaces N] [--rounds R] [--concurrency 1,4,N]` (defaults 16, 4, 1,4,N)
// What a queue-mode sync costs in CPU when K workspaces sync at once, against
// one at a time: N workspaces (each its own dolt sql-server) clone one real
// central on loopback; each round every workspace writes one issue, then the N
// syncs run with at most K in flight. Reported per K: CPU seconds per sync of
// every process (the workspaces' Dolt servers, the central's Dolt and
// supervisor, this process) and the round's wall time. The levels alternate
// round by round so that the machine's drift falls on all of them. Not a test.

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

async function main(): Promise<void> {
  const n = Number(arg('workspaces', '16'));
  const rounds = Number(arg('rounds', '4'));
  const levels = arg('concurrency', `1,4,${n}`).split(',').map(Number);
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-contention-'));
  process.env.GRAVA_REMOTE_USER = SYNC_USER;
  process.env.GRAVA_REMOTE_PASSWORD = SYNC_PASSWORD;
  await findDolt();
  const open: Replica[] = [];
  const central = await startCentralAt(dir);
  Object.assign(process.env, central.env);
  try {
    const sup = readSupervisorState(centralPaths(central.dataDir))!;
    for (let w = 0; w < n; w++) {
      const ws = await cloneWorkspace({ root: mkdtempSync(join(dir, `ws${w}-`)), remote: central.url, actor: `c${w}` });
      open.push(await openReplica(workspacePaths(ws.root)));
    }
    for (const r of open) await syncOnce(r, { mode: 'queue' });
    const cpu = (): number => open.reduce((s, r) => s + proc(r.state.pid).cpu, 0) + proc(sup.pid).cpu + proc(sup.dolt_pid).cpu
      + (process.cpuUsage().user + process.cpuUsage().system) / 1e6;
    const perSync: Record<number, number[]> = {};
    const wall: Record<number, number[]> = {};
    for (let round = 0; round < rounds; round++) {
      for (const k of round % 2 === 0 ? levels : [...levels].reverse()) {
        // Every replica first takes main as it stands, so each round starts from the same place.
        for (const r of open) await syncOnce(r, { mode: 'queue' });
        for (const [w, r] of open.entries()) await r.issues.create({ title: `contention r${round} k${k} w${w}` });
        const c0 = cpu();
        const t0 = Date.now();
        await limited(open.map((r) => async () => { await syncOnce(r, { mode: 'queue' }); }), k);
        (wall[k] ??= []).push(Date.now() - t0);
        (perSync[k] ??= []).push((cpu() - c0) / n);
      }
    }
    for (const k of levels) {
      const c = summarize(perSync[k]!.map((x) => x * 1000));
      process.stdout.write(`K=${k}: CPU per sync p50 ${c.p50.toFixed(0)} ms (${perSync[k]!.map((x) => (x * 1000).toFixed(0)).join(', ')}); round wall p50 ${summarize(wall[k]!).p50} ms\n`);
    }
  } finally {
    for (const r of open) { await r.server.stop().catch(() => undefined); await r.close().catch(() => undefined); }
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
