// One sync cycle: commit the pending batch → fetch → merge (newest wins per
// cell) → commit → push, retrying from the fetch when another workspace
// pushed first. See docs/ARCHITECTURE.md, "The sync cycle".

import { GravaError, asGravaError } from '../errors/grava-error.js';
import { backoffDelay, PUSH_BACKOFF, sleep, type Backoff } from '../errors/retry.js';
import { isLocalContention } from '../storage/dolt/contention.js';
import { withFileLock } from '../storage/dolt/file-lock.js';
import { mergeRef } from '../storage/versioning/merge-runner.js';
import type { Repair } from '../storage/versioning/invariant-repair.js';
import { theirStamps, type RowDecision } from '../merge/decide.js';
import { dropGitRemoteCache, fetchRemote, pushRemote, withPushLock } from '../storage/versioning/remotes.js';
import type { Replica } from '../storage/replica.js';
import { commitsAhead, heads, headsAndDirty, isAncestor, issuesRemovedBy, remoteBranchHead } from '../storage/versioning/sync-state.js';
import { stampsBetween } from '../storage/versioning/conflict-rows.js';
import { TABLES } from '../merge/tables.js';
import { decodeHlc, isBeyondDrift, DEFAULT_MAX_DRIFT_MS } from '../merge/hlc.js';
import { commitAll } from '../storage/dolt/version-control.js';
import { remoteAccess } from './remote-access.js';
import { callMainHead, callWait, reachableCentralApi } from './central-api.js';
import { QueueDeadline, queueWaitLimits, seconds, syncLockWaitMs } from './queue-deadline.js';
import { workspaceBranch } from '../storage/versioning/queue-merge.js';
import { checkReachable } from './reachability.js';
import { parseRemote } from './remote-url.js';
import { recordFetch, remoteDataObject, unchangedSinceFetch } from './git-probe.js';
import { pushOwnBranch } from './own-branch-push.js';
import { withRemoteSlot } from './remote-slot.js';
import { envInteger } from '../shared/env-integer.js';

export interface SyncPhases {
  commit_ms: number;
  fetch_ms: number;
  merge_ms: number;
  push_ms: number;
  /** Queue mode: waiting for the central's merge queue to merge the pushed branch. */
  wait_ms: number;
}

/** What a running cycle is doing: the phase whose time it is counting (`SyncOptions.onPhase`). */
export type SyncPhase = 'commit' | 'fetch' | 'merge' | 'push' | 'wait';

const PHASE_OF: Readonly<Record<keyof SyncPhases, SyncPhase>> = { commit_ms: 'commit', fetch_ms: 'fetch', merge_ms: 'merge', push_ms: 'push', wait_ms: 'wait' };

export interface SyncResult {
  readonly duration_ms: number;
  readonly phases: SyncPhases;
  /** Commits brought in from the central server. */
  readonly pulled: number;
  /** Commits sent to the central server. */
  readonly pushed: number;
  readonly conflicts_resolved: number;
  readonly conflict_cells: number;
  readonly retries: number;
  /** Restarts of the workspace server to drop Dolt's stale cache of a git remote (docs/DOLT.md); normally 0. */
  readonly server_restarts: number;
  /** The central's main moved to a commit that does not descend from the one this workspace saw last
   *  (a restore from an older backup, or a force-push); the missing commits are pushed back. */
  readonly remote_rewound: boolean;
  readonly noop: boolean;
  /** Pulled stamps beyond now + maxDrift, which the clock observed only up to that bound (MERGE_SPEC §12). */
  readonly clamped_stamps: number;
  /** The actors whose stamps were clamped: workspaces whose clocks run ahead. */
  readonly skewed_actors: readonly string[];
  /** Issues this workspace had claimed that the merge gave to someone else (a claim made offline that lost). */
  readonly lost_claims: readonly { id: string; holder: string | null }[];
  /** Invariants the merged data broke, repaired by the merge (MERGE_SPEC §13b), for example a dependency cycle made in two workspaces. */
  readonly repairs: readonly Repair[];
  readonly local_commit: string | null;
  readonly merge_commit: string | null;
  readonly head: string;
  /** 'queue': pushed ws/<actor> and waited for the central's merge queue; 'direct': pushed main. */
  readonly mode: SyncMode;
  /** Queue mode: when this workspace saw the central's main holding its pushed head (null when nothing was pushed). */
  readonly merged_at: string | null;
  /** Queue mode: how the workspace learnt of the merge: the central's wait call, or fetching main itself. */
  readonly waited_by: 'call' | 'poll' | null;
  /** Fetches from the remote this cycle. Queue mode skips the fetch before its push when the central says
   *  main has not moved since this workspace last fetched it (GET /v1/main), and a git remote when
   *  `git ls-remote` shows refs/dolt/data unchanged since then: an idle sync then fetches nothing. */
  readonly fetches: number;
  /** Queue mode: ws/<actor> was pushed with --force, because the central's copy was already in the pushed head
   *  (Dolt's fast-forward check, half a push's round trips, skipped), or pushed again with --force because the
   *  central could not read its copy (own-branch-push.ts). False for a new branch or an unknown copy. */
  readonly push_forced: boolean;
  /** An idle pull that yielded to a busy central (`yieldToBusyQueue`): main had moved, but heads were
   *  waiting in its queue or workspaces in line for a transfer slot, so this replica fetches it at a later
   *  pull. Nothing was fetched or pushed. */
  readonly deferred: boolean;
}

export interface SyncOptions {
  readonly maxRetries?: number;
  readonly backoff?: Backoff;
  readonly random?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Overrides sync.mode (tests and the fleet benchmark). */
  readonly mode?: SyncMode;
  /**
   * An idle pull (the daemon's, with nothing to send): in queue mode, when main has moved but the central
   * says heads are waiting in its queue, or workspaces in line for a transfer slot, fetch nothing now
   * (`deferred: true`). main will move again as the queue drains, and every fetch and merge by an idle
   * replica costs the busy central and this machine the CPU (and the slot) the syncing ones need. The daemon bounds how long a replica yields (docs/ARCHITECTURE.md).
   */
  readonly yieldToBusyQueue?: boolean;
  /** Stops a queue-mode sync's wait for its merge (a daemon stopping): it fails GRAVA_E_QUEUE_TIMEOUT at once,
   *  its branch pushed; the next sync waits again. */
  readonly signal?: AbortSignal;
  /** Told each time the cycle enters a phase (the daemon's status shows it; `grava sync` prints it when slow). */
  readonly onPhase?: (phase: SyncPhase) => void;
}

/** Cells where this actor held an issue and the merge gave it to someone else. */
export function lostClaimsIn(decisions: readonly RowDecision[], actor: string): { id: string; holder: string | null }[] {
  const out: { id: string; holder: string | null }[] = [];
  for (const d of decisions) {
    if (d.table !== 'issues') continue;
    const cell = d.cells.find((c) => c.column === 'assignee');
    if (cell && cell.ours === actor && cell.value !== actor) out.push({ id: String(d.key.id), holder: (cell.value as string | null) ?? null });
  }
  return out;
}

export async function syncOnce(replica: Replica, opts: SyncOptions = {}): Promise<SyncResult> {
  const access = remoteAccess(replica.config);
  return withFileLock(replica.paths.syncLock, () => cycle(replica, access.remote.url, access.user, opts), syncLockWaitMs());
}

/** The same cycle for a caller that already holds `.grava/sync.lock` (a fleet-wide claim). */
export function syncHoldingLock(replica: Replica, remote: string, user: string | undefined, opts: SyncOptions = {}): Promise<SyncResult> {
  return cycle(replica, remote, user, opts);
}

/** The actors of the stamps that lie beyond `now + maxDrift`: workspaces whose clocks run ahead. */
export function skewedActors(stamps: readonly string[], now: number): Set<string> {
  const out = new Set<string>();
  for (const s of stamps) {
    const h = decodeHlc(s);
    if (h && isBeyondDrift(h, now)) out.add(h.actor.replace(/^!/, ''));
  }
  return out;
}

/** How long one fetch or push may take before it is abandoned (GRAVA_REMOTE_TIMEOUT_MS; default 120 s). */
export function remoteTimeoutMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_REMOTE_TIMEOUT_MS', 120_000);
}

/**
 * A fetch or push with a deadline. A link that blackholes an open connection leaves Dolt's procedure
 * waiting with no deadline of its own (seen in the partition drill: over 90 s), and the sync lock with
 * it. At the deadline the workspace server is restarted, which ends the procedure; the cycle fails with
 * GRAVA_E_REMOTE and the next one starts on fresh connections.
 */
export async function remoteCall<T>(replica: Replica, what: string, call: () => Promise<T>): Promise<T> {
  const ms = remoteTimeoutMs();
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new GravaError('GRAVA_E_REMOTE', `${what} took longer than ${Math.round(ms / 1000)} s (the link to the remote may be down); abandoned, nothing lost`, { timeout_ms: ms }));
    }, ms);
  });
  const running = call();
  try {
    return await Promise.race([running, deadline]);
  } finally {
    if (timer) clearTimeout(timer);
    if (timedOut) {
      // The timeout is what the caller sees; the restart is best effort, and the server is always started again.
      try {
        await replica.server.stop().catch(() => undefined);
        await running.catch(() => undefined); // ends with the server's connections
      } finally {
        await replica.server.ensureRunning().catch(() => undefined);
      }
    }
  }
}

/** What a cycle gathers across its attempts. */
interface Tally {
  pulled: number;
  conflicts: number;
  conflictCells: number;
  mergeCommit: string | null;
  clamped: number;
  readonly skewed: Set<string>;
  readonly lostClaims: { id: string; holder: string | null }[];
  readonly repairs: Repair[];
  rewound: { from: string; to: string } | undefined;
}

type Timed = <T>(phase: keyof SyncPhases, fn: () => Promise<T>) => Promise<T>;

/**
 * Merges `origin/main` (fetched by the caller) into main when it brought anything, after refusing a history
 * that removes issue rows. Returns main and origin/main as they then stand.
 */
async function mergeIncoming(replica: Replica, tally: Tally, seenRemote: string | null, timed: Timed, now: () => number): Promise<{ local: string; remote: string | null }> {
  const db = replica.db;
  // The heads, what came in, and the issue rows it removed, side by side on the pool (refs, not hashes:
  // nothing moves them meanwhile; a missing origin/main is reported from the heads).
  const h = await heads(db);
  if (h.remote === null) throw new GravaError('GRAVA_E_REMOTE', 'the central server has no main branch');
  if (h.remote === h.local) return h;
  const [incoming, removed, ancestor] = await Promise.all([
    commitsAhead(db, 'origin/main', 'main'),
    issuesRemovedBy(db, 'main', 'origin/main'),
    seenRemote && tally.rewound === undefined ? isAncestor(db, seenRemote, h.remote) : Promise.resolve(true),
  ]);
  if (!ancestor && seenRemote) tally.rewound = { from: seenRemote, to: h.remote };
  if (incoming === 0) return h;
  // grava never deletes an issue row; a history that does was written by hand (MERGE_SPEC §13c).
  if (removed > 0) {
    throw new GravaError('GRAVA_E_HISTORY_REWRITE', `the central's main (${h.remote}) removes ${removed} issue row(s) that this workspace holds; grava never deletes an issue, so its history was rewritten or tampered with by hand. Nothing was merged or pushed and local work is kept; see docs/OPERATIONS.md, "History rewritten on the central"`, { removed, remote_head: h.remote, ...(tally.rewound ? { rewound_from: tally.rewound.from } : {}) });
  }
  tally.pulled += incoming;
  // Writes that other processes made during this cycle are committed inside the merge's transaction.
  const m = await timed('merge_ms', () => mergeRef(db, 'origin/main', { clock: replica.clock, commitPendingAs: 'grava: local changes' }));
  tally.conflicts += m.conflictRows;
  tally.conflictCells += m.conflictCells;
  tally.mergeCommit = m.commit ?? tally.mergeCommit;
  // The clock observes every stamp the pull brought (merged, fast-forwarded or conflicting), not
  // only conflicting cells; a stamp beyond now + maxDrift is clamped, counted and its actor named.
  // main is where the merge left it (only this cycle commits, under the sync lock): the diff up to
  // 'main' is read beside the heads.
  const [merged, between] = await Promise.all([heads(db), h.local ? stampsBetween(db, TABLES, h.local, 'main') : Promise.resolve([])]);
  const pulledStamps = [
    ...theirStamps(m.decisions),
    ...between,
  ];
  tally.clamped += replica.clock.observe(pulledStamps);
  for (const a of skewedActors(pulledStamps, now())) tally.skewed.add(a);
  tally.lostClaims.push(...lostClaimsIn(m.decisions, replica.config.actor));
  tally.repairs.push(...m.repairs);
  return merged;
}

/** Is the cycle's queue or direct? `auto`: a `grava server` (an http(s) remote) has a merge queue; other transports push main. */
export function syncModeFor(url: string, setting: unknown): SyncMode {
  if (setting === 'direct') return 'direct';
  return /^https?:\/\//i.test(url) ? 'queue' : 'direct';
}

export type SyncMode = 'queue' | 'direct';

/** Pauses between looks at the central's main when the wait call does not answer: quick at first (the queue
 *  polls every 50 ms while busy, up to 250 ms idle, src/server/queue-pace.ts, and a fast-forward takes tens of
 *  ms), then gentler, so 50 waiting workspaces do not flood it. */
const QUEUE_WAIT_STEPS_MS = [30, 30, 60, 60, 120, 250, 500] as const;

/**
 * Waits until the central's main holds `head`: through the central's wait call while it answers (one call
 * held open at a time, at most 30 s each), else fetching main with a growing pause (30 ms up to 500 ms).
 * Bounded by the queue's progress (queue-deadline.ts): the wait goes on while main keeps moving, and ends
 * GRAVA_QUEUE_WAIT_MS (60 s) after main last moved, or GRAVA_QUEUE_WAIT_MAX_MS (5 min) after it began.
 * Then the sync fails with GRAVA_E_QUEUE_TIMEOUT; the branch stays pushed and the queue merges it whenever
 * it can, so the next sync finds it merged.
 */
async function waitForQueue(replica: Replica, head: string, fetchMain: () => Promise<void>, opts: SyncOptions): Promise<'call' | 'poll'> {
  const now = opts.now ?? Date.now;
  const limits = queueWaitLimits();
  const started = now();
  const deadline = new QueueDeadline(started, limits);
  // main as this cycle fetched it before the push: the first head seen since that differs is progress.
  deadline.saw((await heads(replica.db)).remote, started);
  const branch = workspaceBranch(replica.config.actor);
  const holds = async (): Promise<boolean> => {
    const remote = (await heads(replica.db)).remote;
    return remote !== null && isAncestor(replica.db, head, remote);
  };
  /** Fetches main and tells whether it holds the head; a failed fetch is a no. */
  const fetchedAndHolds = async (): Promise<boolean> => (await fetchMain().then(() => true, () => false)) && (await holds());
  const timeout = (lastError?: string): GravaError => {
    const why = opts.signal?.aborted ? 'before this workspace stopped waiting (its daemon is stopping)' : deadline.ended(now()) === 'max'
      ? `within ${seconds(limits.maxMs)} s (GRAVA_QUEUE_WAIT_MAX_MS), though main moved ${deadline.mainMoves} time(s) meanwhile`
      : `and main did not move for ${seconds(limits.stallMs)} s as far as this workspace saw (GRAVA_QUEUE_WAIT_MS)`;
    return new GravaError('GRAVA_E_QUEUE_TIMEOUT', `pushed ${branch} at ${head}, but the central's merge queue did not merge it ${why}; nothing is lost (the branch stays on the central and the next sync waits again). \`grava server status\` on the central shows the queue (a central that is a plain dolt sql-server has none: set sync.mode to direct)${lastError ? `; last fetch error: ${lastError}` : ''}`, { head, waited_ms: now() - started, main_moves: deadline.mainMoves });
  };
  // The central's wait call answers the moment the queue has merged the head: no polling. A call that times
  // out names main's head, so the workspace can tell a queue that is working through a line from one that
  // is stuck. Without it (an https remote with GRAVA_REMOTE_API unset, the HTTP port not exposed, a central
  // that does not answer) the workspace looks for itself.
  const central = await reachableCentralApi(replica.config);
  if (central) {
    for (;;) {
      if (opts.signal?.aborted) throw timeout();
      const v = await callWait(central.api, central.creds, { branch, head, timeoutMs: Math.max(0, Math.min(30_000, deadline.until() - now())) }, opts.signal);
      if (v.kind === 'merged') {
        if (await fetchedAndHolds()) return 'call';
        break;
      }
      if (v.main === undefined) break;
      deadline.saw(v.main, now());
      if (deadline.ended(now())) {
        // One last look of its own: the merge may have landed as the call timed out.
        if (await fetchedAndHolds()) return 'poll';
        throw timeout();
      }
    }
  }
  let lastError: string | undefined;
  for (let n = 0; ; n++) {
    // Stopped waiting (a daemon stopping): no further look, which could take as long as a fetch may.
    if (opts.signal?.aborted) throw timeout(lastError);
    // The push landed: a central restarting meanwhile (its Dolt, or the whole server) is waited out.
    const seen = await fetchMain().then(() => true, (e: unknown) => {
      const err = asGravaError(e);
      if (err.code === 'GRAVA_E_AUTH') throw err;
      lastError = err.message;
      return false;
    });
    if (seen) {
      if (await holds()) return 'poll';
      deadline.saw((await heads(replica.db)).remote, now());
    } else if (central) {
      // This workspace's own look failed (a fetch that hung until its deadline, under load): whether the
      // queue moved meanwhile is asked of the central's memory, so a slow fetch is not taken for a stuck queue.
      const m = await callMainHead(central.api, central.creds);
      if (m) deadline.saw(m.main, now());
    }
    if (deadline.ended(now()) || opts.signal?.aborted) throw timeout(lastError);
    await (opts.sleep ?? sleep)(QUEUE_WAIT_STEPS_MS[Math.min(n, QUEUE_WAIT_STEPS_MS.length - 1)]!);
  }
}

async function cycle(replica: Replica, remote: string, user: string | undefined, opts: SyncOptions): Promise<SyncResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const phases: SyncPhases = { commit_ms: 0, fetch_ms: 0, merge_ms: 0, push_ms: 0, wait_ms: 0 };
  const timed: Timed = async (phase, fn) => {
    opts.onPhase?.(PHASE_OF[phase]);
    const t = now();
    try { return await fn(); } finally { phases[phase] += now() - t; }
  };
  const db = replica.db;
  const mode = opts.mode ?? syncModeFor(remote, replica.config.settings?.['sync.mode']);
  const branch = workspaceBranch(replica.config.actor);
  // Check the central first: a sync that cannot reach it changes nothing.
  await timed('fetch_ms', () => checkReachable(remote));
  // origin/main as this workspace last saw it: a fetch that moves it anywhere but forward is reported.
  // Read with the working set's state: an idle look that finds nothing to send may end after one call (below).
  const start = await headsAndDirty(db);
  const seenRemote = start.remote;
  let localCommit: string | null = null;
  const maxRetries = opts.maxRetries ?? 8;
  let readRaces = 0;
  let lastHead: string | undefined;
  let serverRestarts = 0;
  let retries = 0;
  let mergedAt: string | null = null;
  let waitedBy: 'call' | 'poll' | null = null;
  let pushForced = false;
  const tally: Tally = { pulled: 0, conflicts: 0, conflictCells: 0, mergeCommit: null, clamped: 0, skewed: new Set(), lostClaims: [], repairs: [], rewound: undefined };
  // Queue mode fetches main only: the central also holds every workspace's branch, which this one never reads.
  let fetches = 0;
  // A git remote: refs/dolt/data as `git ls-remote` saw it just before this attempt's fetch (git-probe.ts).
  const git = parseRemote(remote).transport === 'git';
  let probed: string | undefined;
  let rejected = false;
  /** A Dolt fetch or push with its deadline; in queue mode in a turn the central gives (remote-slot.ts). */
  const transfer = <T>(what: 'fetch' | 'push', fn: () => Promise<T>): Promise<T> =>
    mode === 'queue' ? withRemoteSlot(replica.config, () => remoteCall(replica, what, fn), { signal: opts.signal }) : remoteCall(replica, what, fn);
  const fetchMainUntimed = async (): Promise<void> => {
    fetches++;
    const before = probed;
    probed = undefined;
    await transfer('fetch', () => fetchRemote(db, user, 'origin', mode === 'queue' ? ['main'] : []));
    if (git) recordFetch(replica.paths, remote, before, await remoteBranchHead(db, 'main'));
  };
  const fetchMain = (): Promise<void> => timed('fetch_ms', fetchMainUntimed);
  // The central's own copy of ws/<actor> as its queue last saw it (from the same call).
  let centralBranchHead: string | null = null;
  // Heads waiting in the central's queue, and workspaces in line for a transfer slot, from the same call.
  let centralBusy = false;
  let deferred = false;
  /** The remote's main is the one this replica last fetched: in queue mode asked of the central's memory (one
   *  HTTP round trip instead of a Dolt fetch), over git by `git ls-remote`. False whenever it cannot tell.
   *  `idle`: an idle look that already read origin/main, and asks without ws/<actor>'s head (a query on the
   *  central's Dolt that only a push uses). */
  const mainUnmoved = async (idle?: { readonly remote: string }): Promise<boolean> => {
    centralBranchHead = null;
    centralBusy = false;
    // A git remote whose refs/dolt/data is the object seen before this replica's last fetch holds nothing
    // new: one `git ls-remote` instead of Dolt's fetch (about a second even when idle).
    // After a rejected push the remote moved: fetch whatever a record says.
    if (git) {
      if (rejected) return false;
      probed = await remoteDataObject(remote);
      return unchangedSinceFetch(replica.paths, remote, probed, await remoteBranchHead(db, 'main'));
    }
    if (mode !== 'queue') return false;
    const central = await reachableCentralApi(replica.config);
    const seen = central ? await callMainHead(central.api, central.creds, idle ? undefined : branch) : undefined;
    centralBranchHead = seen?.branchHead ?? null;
    centralBusy = (seen?.queueDepth ?? 0) > 0 || (seen?.slotsWaiting ?? 0) > 0;
    return seen !== undefined && seen.main === (idle?.remote ?? (await heads(db)).remote);
  };
  /** An idle pull yields to a busy queue: nothing to send (no batch committed now, main is origin/main)
   *  and heads waiting on the central. */
  const yieldsToQueue = async (): Promise<boolean> => {
    if (opts.yieldToBusyQueue !== true || mode !== 'queue' || retries > 0 || localCommit !== null || !centralBusy) return false;
    // main is origin/main: nothing of this replica's to send, and nothing fetched earlier left to merge.
    const h = await heads(db);
    return h.remote !== null && h.local === h.remote;
  };
  // Queue mode, after a rejected push of ws/<actor>: the central's copy of this workspace's branch holds
  // commits this replica lacks (a re-cloned workspace under the same actor); they are merged in, never overwritten.
  let adoptBranch = false;
  const adoptOwnBranch = async (): Promise<void> => {
    adoptBranch = false;
    await timed('fetch_ms', () => transfer('fetch', () => fetchRemote(db, user, 'origin', [branch])));
    // The same refusal as for main: grava never deletes an issue row, so a branch that does was written by hand.
    const removed = await issuesRemovedBy(db, 'main', `origin/${branch}`);
    if (removed > 0) throw new GravaError('GRAVA_E_HISTORY_REWRITE', `the central's ${branch} (this workspace's own branch) removes ${removed} issue row(s) that this workspace holds; it was written by hand. Nothing was merged or pushed and local work is kept; see docs/OPERATIONS.md, "History rewritten on the central"`, { removed, branch });
    const m = await timed('merge_ms', () => mergeRef(db, `origin/${branch}`, { clock: replica.clock, commitPendingAs: 'grava: local changes' }));
    replica.clock.observe(theirStamps(m.decisions));
  };
  // An idle look in queue mode (no uncommitted write, main is origin/main) whose call finds the central's main
  // unmoved ends here: nothing to send or take in. A daemon pulls this way every few seconds, so it costs three
  // reads and one HTTP call (six reads and a query on the central's Dolt before). When main moved, the first
  // attempt uses this look instead of calling again.
  let looked = false;
  const idleAt = start.remote;
  if (mode === 'queue' && !git && !start.dirty && idleAt !== null && start.local === idleAt) {
    if (await timed('fetch_ms', () => mainUnmoved({ remote: idleAt }))) {
      lastHead = start.local;
      return result(0);
    }
    looked = true;
  }
  /** One attempt: commit pending writes, fetch, merge, push. Returns the commits pushed. */
  const attempt = async (): Promise<number> => {
    // Pending writes are committed at each attempt: a retry also carries what arrived meanwhile.
    localCommit = (await timed('commit_ms', () => commitAll(db, 'grava: local changes', replica.config.actor))) ?? localCommit;
    // After the idle look, centralBranchHead is unknown (it asked without ?branch=): this attempt pushes plainly.
    const lookedFirst = looked;
    looked = false;
    centralBranchHead = null;
    if (adoptBranch || lookedFirst || !(await timed('fetch_ms', () => mainUnmoved()))) {
      if (!adoptBranch && (await yieldsToQueue())) {
        deferred = true;
        return 0;
      }
      await fetchMain();
    }
    if (adoptBranch) await adoptOwnBranch();
    // `after` is main and origin/main as they stand: the merge moved main, nothing else did since.
    const after = await mergeIncoming(replica, tally, seenRemote, timed, now);
    const outgoing = after.remote === after.local ? 0 : await commitsAhead(db, 'main', 'origin/main');
    lastHead = after.local;
    if (outgoing === 0) return 0;
    if (mode === 'direct') {
      await timed('push_ms', () => withPushLock(remote, () => remoteCall(replica, 'push', () => pushRemote(db, user))));
      return outgoing;
    }
    // Queue mode: push this workspace's own branch (a fast-forward of its own history: it never races
    // another workspace), then wait until the central's main holds it, and take main in.
    // With --force only when the central's copy of the branch (read from its Dolt by the main call) is the very
    // commit this replica last pushed there (its remote-tracking ref): then it is in this head, and the push
    // skips Dolt's fast-forward check, about 40 % of its round trips. Otherwise (a new branch, a copy someone
    // else moved, a re-cloned workspace) a plain push, whose rejection adopts the central's copy.
    const known = centralBranchHead;
    const force = known !== null && known === (await remoteBranchHead(db, branch)) && (await isAncestor(db, known, after.local).catch(() => false));
    const push = (f: boolean): Promise<void> => timed('push_ms', () => transfer('push', () => pushRemote(db, user, 'origin', `main:${branch}`, { force: f })));
    // A central's copy of ws/<actor> that it cannot read (after a kill -9 of it) is replaced by a forced push.
    pushForced = await pushOwnBranch(push, force);
    waitedBy = await timed('wait_ms', () => waitForQueue(replica, after.local, fetchMainUntimed, opts));
    mergedAt = new Date(now()).toISOString();
    lastHead = (await mergeIncoming(replica, tally, seenRemote, timed, now)).local;
    return outgoing;
  };
  for (;;) {
    let pushed: number;
    try {
      pushed = await attempt();
    } catch (e) {
      // Another writer moved a head first (the central's main, or this replica's working set):
      // the work is still valid, so redo it from the fetch after the one backoff.
      const err = asGravaError(e);
      if (err.code !== 'GRAVA_E_PUSH_REJECTED' && !isLocalContention(e) && err.data?.transient !== true) throw err;
      if (mode === 'queue' && err.code === 'GRAVA_E_PUSH_REJECTED') adoptBranch = true;
      if (err.code === 'GRAVA_E_PUSH_REJECTED') rejected = true;
      if (retries >= maxRetries) {
        throw err.code === 'GRAVA_E_PUSH_REJECTED'
          ? new GravaError('GRAVA_E_PUSH_REJECTED', `push still rejected after ${retries} retries: ${err.message}`, { retries })
          : new GravaError(err.code, `still losing to concurrent writers after ${retries} retries: ${err.message}`, { retries }, { cause: e });
      }
      await (opts.sleep ?? sleep)(backoffDelay(retries, opts.backoff ?? PUSH_BACKOFF, opts.random ?? Math.random));
      retries++;
      // The same git read race twice in a row: the workspace server's cached store of the git remote is
      // stale (docs/DOLT.md): Dolt's git blobstore can prune a table file from its local cache of the
      // remote while a write still needs it. Restart that server, and from the second time also drop
      // that cache (a mirror of refs/dolt/data; Dolt fetches it again). Open connections are discarded
      // by the pool and reopened on the same socket.
      readRaces = err.data?.transient === true ? readRaces + 1 : 0;
      if (readRaces >= 2 && remote.startsWith('git+')) {
        readRaces = 0;
        serverRestarts++;
        await replica.server.stop();
        if (serverRestarts >= 2) dropGitRemoteCache(replica.server.options.dataDir, replica.config.database);
        await replica.server.ensureRunning();
      }
      continue;
    }
    return result(pushed);
  }

  async function result(pushed = 0): Promise<SyncResult> {
    for (const l of tally.lostClaims) {
      await replica.issues.note(l.id, 'claim_lost', { holder: l.holder, actor: replica.config.actor });
    }
    const { rewound, clamped, pulled } = tally;
    if (rewound) await replica.issues.note(null, 'remote_rewound', { from: rewound.from, to: rewound.to, pushed_back: pushed });
    if (clamped > 0) await replica.issues.note(null, 'clock_skew_observed', { clamped, actors: [...tally.skewed].sort(), max_drift_ms: DEFAULT_MAX_DRIFT_MS });
    // A push does not move main; a merge during this attempt is already in lastHead.
    const head = lastHead ?? (await heads(db)).local;
    return {
      duration_ms: now() - started,
      phases,
      pulled,
      pushed,
      conflicts_resolved: tally.conflicts,
      conflict_cells: tally.conflictCells,
      retries,
      server_restarts: serverRestarts,
      remote_rewound: rewound !== undefined,
      noop: localCommit === null && pulled === 0 && pushed === 0,
      lost_claims: tally.lostClaims,
      repairs: tally.repairs,
      clamped_stamps: clamped,
      skewed_actors: [...tally.skewed].sort(),
      local_commit: localCommit,
      merge_commit: tally.mergeCommit,
      head,
      mode,
      merged_at: mergedAt,
      waited_by: waitedBy,
      fetches,
      push_forced: pushForced,
      deferred,
    };
  }
}
