// `grava sync` through the daemon says what a long cycle is doing (a queue of 50 workspaces can take
// minutes): on stderr, first after 2 s, then every 5 s, from the daemon's status (`sync_phase`).

import type { SyncPhase } from '../transport/sync.js';

const DOING: Readonly<Record<SyncPhase, string>> = {
  commit: 'committing local changes',
  fetch: "fetching from the central",
  merge: 'merging',
  push: 'pushing',
  wait: "waiting for the central's merge queue to merge this workspace's branch",
};

/** Starts saying what the daemon's cycle is doing; returns the function that stops it. */
export function watchSync(write: (line: string) => void, o: { firstMs?: number; everyMs?: number } = {}): () => void {
  const started = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    const s = await daemonStatus();
    if (stopped) return;
    const phase = s?.sync_phase;
    if (s?.syncing === true && typeof phase === 'string' && phase in DOING) {
      write(`still syncing after ${Math.round((Date.now() - started) / 1000)} s: ${DOING[phase as SyncPhase]}`);
    }
    timer = setTimeout(() => void tick(), o.everyMs ?? 5_000);
  };
  timer = setTimeout(() => void tick(), o.firstMs ?? 2_000);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** The daemon's status, or undefined when it does not answer (never starts one). */
async function daemonStatus(): Promise<Record<string, unknown> | undefined> {
  try {
    const { requireWorkspace } = await import('../storage/dolt/layout.js');
    const { callDaemon } = await import('../daemon/client.js');
    return (await callDaemon(requireWorkspace(), 'daemon.status', {}, { autoStart: false, timeoutMs: 2_000 })) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
