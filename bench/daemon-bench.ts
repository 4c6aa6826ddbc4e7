// The daemon's figures (`npm run bench -- --only=daemon`):
// - a write acknowledged through the daemon, timed at the client socket;
// - CLI wall time for `create` and `list` with a warm daemon, beside
//   `node -e 0` measured in the same run (alternated), and their ratio;
// - 1,000 writes in a burst: how many cycles and commits, the daemon's peak
//   RSS, and the idle RSS of daemon + workspace server;
// - propagation: a write in A visible in B, both daemons running, with the
//   default settings and with debounce 1 s / pull 2 s.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { RpcClient } from '../src/transport/rpc-client.js';
import { openReplica } from '../src/storage/replica.js';
import { rows } from '../src/storage/dolt/db.js';
import { startCentralAt } from '../test/helpers/central-core.js';
import { summarize, fmt, type Summary } from './stats.js';
import { procStatusMb } from './cli-bench.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'grava.js');

export interface DaemonBenchResult {
  ack_create: Summary;
  ack_update: Summary;
  node_startup: Summary;
  cli_create: Summary;
  cli_list: Summary;
  ratio_create: number;
  ratio_list: number;
  burst: { writes: number; cycles: number; commits: number; burst_ms: number; daemon_peak_rss_mb: number; idle_daemon_rss_mb: number; idle_server_rss_mb: number };
  propagation_default: Summary;
  propagation_fast: Summary;
}

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete e.GRAVA_NO_DAEMON;
  return e;
}

async function grava(cwd: string, args: string[], extra: Record<string, string> = {}): Promise<string> {
  return (await run(process.execPath, [BIN, ...args], { cwd, env: env(extra), maxBuffer: 64 << 20 })).stdout;
}

async function wall(cmd: string[], cwd: string): Promise<number> {
  const t = performance.now();
  await run(cmd[0]!, cmd.slice(1), { cwd, env: env() });
  return performance.now() - t;
}

const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => Math.round(procStatusMb(pid, field));

async function status(cwd: string): Promise<Record<string, unknown>> {
  return JSON.parse(await grava(cwd, ['daemon', 'status', '--json'])) as Record<string, unknown>;
}

/** Dolt commits on the workspace's main (read beside its daemon, which keeps serving). */
async function commitCount(root: string): Promise<number> {
  const r = await openReplica(workspacePaths(root));
  try { return Number((await rows<{ n: number }>(r.db, 'SELECT COUNT(*) AS n FROM dolt_log'))[0]?.n); } finally { await r.close(); }
}

async function waitFor(pred: () => Promise<boolean>, timeoutMs: number, stepMs = 20): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

async function propagation(a: string, b: string, n: number, label: string): Promise<Summary> {
  const ca = await RpcClient.connect(workspacePaths(a).daemonSocket);
  const cb = await RpcClient.connect(workspacePaths(b).daemonSocket);
  const times: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const made = (await ca.call('issue.create', { title: `${label} ${i}` })) as { id: string };
      const t = performance.now();
      await waitFor(async () => (await cb.call('issue.show', { id: made.id }).then(() => true, () => false)), 120_000);
      times.push(performance.now() - t);
    }
  } finally {
    ca.close();
    cb.close();
  }
  return summarize(times);
}

export async function benchDaemon(opts: { ackRuns?: number; cliRuns?: number; propagationRuns?: number } = {}): Promise<DaemonBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-daemon-'));
  const central = await startCentralAt(dir);
  const ws = (name: string): string => { const p = join(dir, name); mkdirSync(p); return p; };
  const started: string[] = [];
  try {
    // Acknowledgement latency at the socket, in a local-only workspace.
    const local = ws('local');
    await grava(local, ['init', '--actor', 'bench']);
    started.push(local);
    const c = await RpcClient.connect(workspacePaths(local).daemonSocket);
    const ackCreate: number[] = [];
    const ackUpdate: number[] = [];
    let last = '';
    for (let i = 0; i < (opts.ackRuns ?? 300) + 20; i++) {
      let t = performance.now();
      last = ((await c.call('issue.create', { title: `ack ${i}` })) as { id: string }).id;
      if (i >= 20) ackCreate.push(performance.now() - t);
      t = performance.now();
      await c.call('issue.update', { id: last, title: `ack ${i} renamed` });
      if (i >= 20) ackUpdate.push(performance.now() - t);
    }
    c.close();

    // CLI wall time beside Node's own start-up, alternated.
    const node: number[] = [];
    const create: number[] = [];
    const list: number[] = [];
    await wall([process.execPath, BIN, 'list'], local);
    for (let i = 0; i < (opts.cliRuns ?? 30); i++) {
      node.push(await wall([process.execPath, '-e', '0'], local));
      create.push(await wall([process.execPath, BIN, 'create', `cli ${i}`], local));
      list.push(await wall([process.execPath, BIN, 'list'], local));
    }

    // 1,000 writes in a burst against the central, on four connections.
    const a = ws('a');
    const b = ws('b');
    for (const w of [a, b]) { await grava(w, ['init', '--remote', central.url, '--actor', `bench-${w.slice(-1)}`], central.env); started.push(w); }
    const commitsBefore = await commitCount(a);
    const conns = await Promise.all(Array.from({ length: 4 }, () => RpcClient.connect(workspacePaths(a).daemonSocket)));
    const t0 = performance.now();
    await Promise.all(conns.map(async (cn, k) => { for (let i = 0; i < 250; i++) await cn.call('issue.create', { title: `burst ${k}-${i}` }); }));
    const burstMs = performance.now() - t0;
    conns.forEach((cn) => cn.close());
    await waitFor(async () => Number((await status(a)).pending_writes) === 0 && (await status(a)).syncing === false, 60_000, 100);
    const after = await status(a);
    const commitsAfter = await commitCount(a);
    const log = readFileSync(workspacePaths(a).daemonLog, 'utf8').split('\n').filter((l) => l.includes('"msg":"sync"'));
    const burstCycles = log.filter((l) => /"writes":[1-9]/.test(l)).length;
    const daemonPid = Number(after.pid);
    const serverPid = Number(after.server_pid);
    await new Promise((r) => setTimeout(r, 3_000));
    const burst = {
      writes: 1_000,
      cycles: burstCycles,
      commits: commitsAfter - commitsBefore,
      burst_ms: Math.round(burstMs),
      daemon_peak_rss_mb: rssMb(daemonPid, 'VmHWM'),
      idle_daemon_rss_mb: rssMb(daemonPid, 'VmRSS'),
      idle_server_rss_mb: rssMb(serverPid, 'VmRSS'),
    };

    // Propagation with the default settings, then debounce 1 s / pull 2 s.
    const n = opts.propagationRuns ?? 10;
    const propagationDefault = await propagation(a, b, n, 'default');
    for (const w of [a, b]) {
      await grava(w, ['config', 'set', 'sync.debounce_ms', '1000'], central.env);
      await grava(w, ['config', 'set', 'sync.pull_interval_ms', '2000'], central.env);
    }
    const propagationFast = await propagation(a, b, n, 'fast');
    const ns = summarize(node);
    const cs = summarize(create);
    const ls = summarize(list);
    return {
      ack_create: summarize(ackCreate),
      ack_update: summarize(ackUpdate),
      node_startup: ns,
      cli_create: cs,
      cli_list: ls,
      ratio_create: cs.p50 / ns.p50,
      ratio_list: ls.p50 / ns.p50,
      burst,
      propagation_default: propagationDefault,
      propagation_fast: propagationFast,
    };
  } finally {
    for (const w of started) await grava(w, ['daemon', 'stop'], central.env).catch(() => undefined);
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportDaemon(r: DaemonBenchResult): string {
  return [
    'daemon: write acknowledged, timed at the client socket (local workspace)',
    `  issue.create:  ${fmt(r.ack_create)}`,
    `  issue.update:  ${fmt(r.ack_update)}`,
    'CLI wall time with a warm daemon, alternated with `node -e 0` in the same run',
    `  node -e 0:     ${fmt(r.node_startup)}`,
    `  grava create:  ${fmt(r.cli_create)}   ratio to node p50 ${r.ratio_create.toFixed(2)}x`,
    `  grava list:    ${fmt(r.cli_list)}   ratio to node p50 ${r.ratio_list.toFixed(2)}x`,
    `1,000 writes in a burst (4 connections, ${r.burst.burst_ms} ms): ${r.burst.cycles} sync cycle(s) carried them, ${r.burst.commits} new Dolt commit(s)`,
    `  daemon peak RSS ${r.burst.daemon_peak_rss_mb} MiB; idle: daemon ${r.burst.idle_daemon_rss_mb} MiB + workspace server ${r.burst.idle_server_rss_mb} MiB`,
    'propagation: a write in A visible in B, both daemons running',
    `  defaults (debounce 5 s, pull 10 s): ${fmt(r.propagation_default)}`,
    `  debounce 1 s, pull 2 s:             ${fmt(r.propagation_fast)}`,
  ].join('\n');
}
