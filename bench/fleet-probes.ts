// What both fleet benchmark drivers share: CPU and RSS from /proc, the central's queue from /healthz, the steady writes.

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

/** How one workspace of the fleet benchmark writes: through its replica, or over its daemon's socket. */
export interface FleetWriter {
  create(title: string): Promise<string>;
  update(id: string, patch: { priority?: number; title?: string }): Promise<void>;
  comment(id: string, text: string): Promise<void>;
}

/**
 * Workspace `n`'s steady phase: a write every `intervalMs` ±50 % until `until` (creates 40 %, priorities of
 * its own issues 30 %, titles of the shared issues 20 %, comments 10 %). Created titles go to `written`;
 * `after` runs after each write.
 */
export async function steadyWrites(w: FleetWriter, n: number, shared: readonly string[], o: { until: number; intervalMs: number; rand: () => number; written: string[]; after?: () => Promise<void> }): Promise<void> {
  const { rand } = o;
  const pick = (ids: readonly string[]): string => ids[Math.floor(rand() * ids.length)]!;
  const own: string[] = [];
  let k = 0;
  while (Date.now() < o.until) {
    await new Promise((res) => setTimeout(res, o.intervalMs * (0.5 + rand())));
    const op = rand();
    if (op < 0.4 || own.length === 0) {
      const title = `fleet w${n} #${k++}`;
      own.push(await w.create(title));
      o.written.push(title);
    } else if (op < 0.7) await w.update(pick(own), { priority: Math.floor(rand() * 5) });
    else if (op < 0.9) await w.update(pick(shared), { title: `shared by w${n} #${k++}` });
    else await w.comment(pick(shared), `note w${n}`);
    await o.after?.();
  }
}
