// A fleet-wide claim (docs/MERGE_SPEC.md, "Claims"): in a workspace with a
// remote, `--claim` is decided by the central, in one of two ways:
//  - against a grava server whose HTTP port answers, the central's claim call
//    (claim-call.ts): its merge service decides on its own main, in order with
//    the queue's merges, in one round trip; the replica then fetches main;
//  - otherwise (git, a shared directory, a central whose HTTP port is not
//    exposed) the claim is written on the central's head and pushed at once
//    (storage/versioning/claim-branch.ts): the push is a compare-and-swap, so
//    of N agents claiming at once exactly one lands it. A push that lost
//    re-fetches and decides again on the new head.
// Either way the local replica then merges the central's head, so its state
// shows the holder; `via` in the result says which way was taken.

import { GravaError, asGravaError } from '../errors/grava-error.js';
import { withFileLock } from '../storage/dolt/file-lock.js';
import { remoteAccess } from './remote-access.js';
import { callClaim, reachableCentralApi, type CentralApi } from './central-api.js';
import type { Issue } from '../storage/issues/issue-types.js';
import { claimOnRemoteHead } from '../storage/versioning/claim-branch.js';
import { mergeRef } from '../storage/versioning/merge-runner.js';
import { theirStamps } from '../merge/decide.js';
import { fetchRemote } from '../storage/versioning/remotes.js';
import type { Replica } from '../storage/replica.js';
import { checkReachable } from './reachability.js';
import { remoteCall, syncHoldingLock } from './sync.js';
import { syncLockWaitMs } from './queue-deadline.js';
import { backoffDelay, CLAIM_BACKOFF, sleep } from '../errors/retry.js';

export interface ClaimResult {
  readonly issue: Issue & { changed: boolean; lease_until: string | null };
  readonly decided_by: 'central';
  /** 'call': the central's claim call (a grava server); 'push': a compare-and-swap push of the claim commit. */
  readonly via: 'call' | 'push';
  /** Pushes that lost to another workspace's push before this one decided. */
  readonly races: number;
  readonly duration_ms: number;
}

export interface ClaimOptions {
  /** The claim expires this long after it lands (`--lease`). */
  readonly leaseMs?: number;
  readonly maxRaces?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Ends the wait of a sync the claim runs first (a daemon stopping); see SyncOptions.signal. */
  readonly signal?: AbortSignal;
}

async function adoptHead(replica: Replica): Promise<void> {
  const m = await mergeRef(replica.db, 'origin/main', { clock: replica.clock, commitPendingAs: 'grava: local changes' });
  replica.clock.observe(theirStamps(m.decisions));
}

/** The claim asked of the central's merge service in one call; then main is fetched so the replica shows the verdict. */
async function claimByCall(replica: Replica, { api, creds }: CentralApi, id: string, remote: string, user: string | undefined, opts: ClaimOptions, started: number): Promise<ClaimResult> {
  let pushedLocal = false;
  for (;;) {
    const v = await callClaim(api, creds, { id, actor: replica.config.actor, ...(opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {}) });
    if (v.kind === 'absent') {
      // Not on the central yet (made here and not synced): send local work first, once.
      if (pushedLocal) throw new GravaError('GRAVA_E_NOT_FOUND', `no issue ${id} on the central server`, { id });
      await syncHoldingLock(replica, remote, user, opts.signal ? { signal: opts.signal } : {});
      pushedLocal = true;
      continue;
    }
    await remoteCall(replica, 'fetch', () => fetchRemote(replica.db, user, 'origin', ['main']));
    await adoptHead(replica);
    if (v.kind === 'refused') throw new GravaError('GRAVA_E_CONFLICT', `${v.message} (decided by the central server)`, { id, assignee: v.holder, decided_by: 'central' });
    const local = await replica.issues.get(id);
    return { issue: { ...local, changed: v.kind === 'won', lease_until: v.issue.lease_until }, decided_by: 'central', via: 'call', races: 0, duration_ms: Date.now() - started };
  }
}

export async function claimFleetWide(replica: Replica, id: string, opts: ClaimOptions = {}): Promise<ClaimResult> {
  if (!replica.config.remote) throw new GravaError('GRAVA_E_INTERNAL', 'a fleet-wide claim needs a remote');
  const { remote: { url: remote }, user } = remoteAccess(replica.config);
  const started = Date.now();
  try {
    await checkReachable(remote);
  } catch (e) {
    const err = asGravaError(e);
    throw new GravaError('GRAVA_E_REMOTE', `${err.message.split(';')[0] ?? err.message}; a claim is decided by the central, so nothing was claimed (\`--claim --offline\` claims locally and reports a lost claim at the next sync)`, err.data);
  }
  const central = user !== undefined ? await reachableCentralApi(replica.config) : undefined;
  // Behind a sync that waits for a busy merge queue: as long as that wait may last.
  return withFileLock(replica.paths.syncLock, async () => {
    if (central) return claimByCall(replica, central, id, remote, user, opts, started);
    const ctx = {
      db: replica.db, target: replica.server.target(replica.state), database: replica.config.database,
      clock: replica.clock, prefix: replica.config.prefix, user, url: remote,
    };
    let races = 0;
    let pushedLocal = false;
    for (;;) {
      // A fetch that read a git or directory remote mid-push counts as a lost race.
      const fetched = await remoteCall(replica, 'fetch', () => fetchRemote(replica.db, user)).then(() => true, (e: unknown) => {
        if (asGravaError(e).data?.transient === true) return false;
        throw e;
      });
      const r = fetched ? await remoteCall(replica, 'the claim', () => claimOnRemoteHead(ctx, id, opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {})) : { kind: 'raced' as const };
      if (r.kind === 'absent') {
        // Not on the central yet (made here and not synced): send local work first, once.
        if (pushedLocal) throw new GravaError('GRAVA_E_NOT_FOUND', `no issue ${id} on the central server`, { id });
        await syncHoldingLock(replica, remote, user, opts.signal ? { signal: opts.signal } : {});
        pushedLocal = true;
        continue;
      }
      if (r.kind === 'raced') {
        if (races >= (opts.maxRaces ?? 8)) throw new GravaError('GRAVA_E_PUSH_REJECTED', `the claim of ${id} kept losing push races (${races}); try again`, { id, races });
        await (opts.sleep ?? sleep)(backoffDelay(races, CLAIM_BACKOFF, opts.random ?? Math.random));
        races++;
        continue;
      }
      // Decided: make the local replica show the central's verdict.
      await adoptHead(replica);
      if (r.kind === 'refused') {
        throw new GravaError('GRAVA_E_CONFLICT', `${r.message} (decided by the central server)`, { id, assignee: r.holder, decided_by: 'central' });
      }
      const local = await replica.issues.get(id);
      return { issue: { ...local, changed: r.kind === 'won', lease_until: r.issue.lease_until }, decided_by: 'central', via: 'push', races, duration_ms: Date.now() - started };
    }
  }, syncLockWaitMs());
}
