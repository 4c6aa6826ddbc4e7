// What the fleet benchmarks read of running processes: CPU and RSS from /proc, the central's queue from /healthz.

import { readFileSync } from 'node:fs';

const PAGE = 4096;
const TICKS = 100;

/** utime+stime (s) and RSS (MB) of a pid, from /proc. */
export function proc(pid: number | null | undefined): { cpu: number; rss: number } {
  if (!pid) return { cpu: 0, rss: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { cpu: (Number(f[11]) + Number(f[12])) / TICKS, rss: (Number(f[21]) * PAGE) / 1e6 };
  } catch {
    return { cpu: 0, rss: 0 };
  }
}

export async function healthQueue(port: number): Promise<{ depth: number; merged_total: number } | null> {
  try {
    const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(2_000) })).json()) as { queue?: { depth: number; merged_total: number } };
    return body.queue ?? null;
  } catch {
    return null;
  }
}
