// Fleet-wide claim latency (`npm run bench -- --only=claims`): N agents in N
// workspaces (daemons running) claim the same issue at once through their
// daemons' sockets; every claim's time to its verdict, p50/p99, for N = 1, 5
// and 20, next to a full sync cycle measured in the same run.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { RpcClient } from '../src/transport/rpc-client.js';
import { startCentralAt } from '../test/helpers/central-core.js';
import { summarize, fmt, type Summary } from './stats.js';

const run = promisify(execFile);
const BIN = join(new URL('../../', import.meta.url).pathname, 'bin', 'grava.js');

export interface ClaimBenchResult {
  readonly by_claimers: { n: number; rounds: number; latency: Summary; winners_per_round: number[] }[];
  readonly sync_cycle: Summary;
}

export async function benchClaims(sizes: readonly number[] = [1, 5, 20], rounds = 5): Promise<ClaimBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-claims-'));
  const central = await startCentralAt(dir);
  const env: NodeJS.ProcessEnv = { ...process.env, ...central.env };
  delete env.GRAVA_NO_DAEMON;
  const workspaces: string[] = [];
  const clients: RpcClient[] = [];
  try {
    for (let i = 0; i < Math.max(...sizes); i++) {
      const w = join(dir, `agent${i}`);
      mkdirSync(w);
      await run(process.execPath, [BIN, 'init', '--remote', central.url, '--actor', `agent${i}`], { cwd: w, env });
      workspaces.push(w);
      clients.push(await RpcClient.connect(workspacePaths(w).daemonSocket));
    }
    const syncTimes: number[] = [];
    const out: ClaimBenchResult['by_claimers'][number][] = [];
    for (const n of sizes) {
      const times: number[] = [];
      const winners: number[] = [];
      for (let r = 0; r < rounds; r++) {
        const made = (await clients[0]!.call('issue.create', { title: `claim bench ${n}/${r}` })) as { id: string };
        const t = performance.now();
        await clients[0]!.call('sync', { force: true });
        syncTimes.push(performance.now() - t);
        const results = await Promise.all(clients.slice(0, n).map(async (c) => {
          const s = performance.now();
          const ok = await c.call('issue.claim', { id: made.id }).then(() => true, () => false);
          times.push(performance.now() - s);
          return ok;
        }));
        winners.push(results.filter(Boolean).length);
      }
      out.push({ n, rounds, latency: summarize(times), winners_per_round: winners });
    }
    return { by_claimers: out, sync_cycle: summarize(syncTimes) };
  } finally {
    clients.forEach((c) => c.close());
    for (const w of workspaces) await run(process.execPath, [BIN, 'daemon', 'stop'], { cwd: w, env }).catch(() => undefined);
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportClaims(r: ClaimBenchResult): string {
  return [
    'fleet-wide claim: time to the verdict at each claimer (through its daemon), all claiming one issue at once',
    ...r.by_claimers.map((b) => `  ${String(b.n).padStart(2)} claimer(s): ${fmt(b.latency)}; winners per round ${b.winners_per_round.join(', ')}`),
    `  one forced sync cycle in the same run (after a write): ${fmt(r.sync_cycle)}`,
  ].join('\n');
}
