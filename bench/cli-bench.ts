// CLI latency with a warm workspace server: `grava create` and `grava list`
// wall time (median of many runs), the CLI process's peak memory, and the idle
// workspace dolt sql-server's memory.

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { initLocalWorkspace } from '../src/storage/replica.js';
import { DoltServer } from '../src/storage/dolt/dolt-server.js';
import { summarize, fmt, type Summary } from './stats.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'grava.js');

export interface CliBenchResult {
  create: Summary;
  list: Summary;
  list_issues: number;
  cli_peak_rss_mb: Summary;
  server_rss_mb: number;
  server_peak_rss_mb: number;
}

/** A field of /proc/<pid>/status in MiB. */
export function procStatusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

async function timed(cwd: string, args: string[]): Promise<{ ms: number; rssMb: number }> {
  const t = performance.now();
  // GNU time reports the child's peak RSS (kB) on stderr with -f %M.
  const { stderr } = await run('/usr/bin/time', ['-f', '%M', process.execPath, BIN, ...args], { cwd, env: { ...process.env, GRAVA_NO_DAEMON: '1' } });
  const ms = performance.now() - t;
  const kb = Number(stderr.trim().split('\n').at(-1));
  return { ms, rssMb: kb / 1024 };
}

export async function benchCli(runs = 30): Promise<CliBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-cli-'));
  try {
    await initLocalWorkspace({ root: dir, actor: 'bench' });
    await timed(dir, ['list']); // warm
    const create: number[] = [];
    const list: number[] = [];
    const rss: number[] = [];
    for (let k = 0; k < runs; k++) {
      const c = await timed(dir, ['create', `bench issue ${k}`, '--label', 'bench']);
      create.push(c.ms);
      rss.push(c.rssMb);
      const l = await timed(dir, ['list', '--json']);
      list.push(l.ms);
      rss.push(l.rssMb);
    }
    const state = new DoltServer({ doltPath: '', dataDir: '', doltHome: '', configPath: '', statePath: workspacePaths(dir).serverState, logPath: '', lockPath: '', user: '', password: '' }).readState();
    await new Promise((r) => setTimeout(r, 1_000));
    const pid = state?.pid ?? 0;
    const result = {
      create: summarize(create),
      list: summarize(list),
      list_issues: runs,
      cli_peak_rss_mb: summarize(rss),
      server_rss_mb: Math.round(procStatusMb(pid, 'VmRSS')),
      server_peak_rss_mb: Math.round(procStatusMb(pid, 'VmHWM')),
    };
    await run(process.execPath, [BIN, 'dolt', 'stop'], { cwd: dir });
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportCli(r: CliBenchResult): string {
  return [
    'CLI with a warm workspace server (direct mode, GRAVA_NO_DAEMON=1)',
    `  grava create:          ${fmt(r.create)}`,
    `  grava list (${r.list_issues} issues): ${fmt(r.list)}`,
    `  CLI peak RSS:          ${fmt(r.cli_peak_rss_mb, 'MiB')}`,
    `  idle workspace dolt sql-server: RSS ${r.server_rss_mb} MiB, peak ${r.server_peak_rss_mb} MiB`,
  ].join('\n');
}
