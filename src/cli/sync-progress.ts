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

/**
 * Whether `grava sync` says what a long cycle is doing: never without a daemon (a sync in this process has no
 * status to read), else as --progress / --no-progress say, else when stderr is a terminal and --json is off.
 */
export function wantsProgress(o: { readonly progress?: boolean | undefined; readonly json?: boolean | undefined; readonly stderrIsTty: boolean; readonly daemonDisabled: boolean }): boolean {
  if (o.daemonDisabled) return false;
  return o.progress ?? (o.stderrIsTty && o.json !== true);
}

/** Starts saying what the daemon's cycle is doing; returns the function that stops it. */
export function watchSync(write: (line: string) => void, o: { firstMs?: number; everyMs?: number } = {}): () => void {
  const started = Date.now();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const tick = async (): Promise<void> => {
    const s = await daemonStatus();
    if (stopped) return;
    const phase = s?.sync_phase;
    if (s?.syncing === true && typeof phase === 'string' && Object.hasOwn(DOING, phase)) {
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
