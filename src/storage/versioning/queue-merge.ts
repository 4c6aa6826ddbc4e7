// The central's half of the merge queue (docs/ARCHITECTURE.md, "The central
// merge queue"): workspaces push `ws/<actor>`; the central merges one branch
// head at a time into `main`, with the same engine a workspace uses, on the
// scratch branch `queue/work`. `main` moves only by a fast-forward to a
// finished merge commit, so a crash mid-merge never shows on `main`.

import { GravaError } from '../../errors/grava-error.js';
import type { Clock } from '../issues/clock-store.js';
import { exec, openDb, rows, type Db } from '../dolt/db.js';
import type { ConnectionTarget } from '../dolt/dolt-server.js';
import { authorOf, headHash } from '../dolt/version-control.js';
import { asGravaError } from '../../errors/grava-error.js';
import { IssuesRepo } from '../issues/issues-repo.js';
import type { Issue } from '../issues/issue-types.js';
import { mergeRef, type MergeResult } from './merge-runner.js';
import { isAncestor, issuesRemovedBy } from './sync-state.js';

/** Workspace branches on the central start with this. */
export const WS_BRANCH_PREFIX = 'ws/';
/** The queue's scratch branch: a merge is built here and main fast-forwarded to it. */
export const QUEUE_WORK_BRANCH = 'queue/work';

/** The branch a workspace pushes on the central. Actors are [A-Za-z0-9._@-]; `@` is spelled `.at.` because a
 *  ref name may not hold `@{`, and one spelling keeps branch names readable in `dolt branch`. */
export function workspaceBranch(actor: string): string {
  return `${WS_BRANCH_PREFIX}${actor.replace(/@/g, '.at.')}`;
}

export interface BranchHead {
  readonly name: string;
  readonly hash: string;
}

/** Every `ws/*` branch on the central and its head. */
export async function workspaceHeads(db: Db): Promise<BranchHead[]> {
  return rows<BranchHead>(db, "SELECT name, hash FROM dolt_branches WHERE name LIKE 'ws/%' ORDER BY name");
}

export type QueueMergeOutcome =
  /** main now contains the head (fast-forward or a merge commit). */
  | { readonly kind: 'merged'; readonly main: string; readonly fastForward: boolean; readonly merge: MergeResult }
  /** main already contained the head. */
  | { readonly kind: 'up_to_date'; readonly main: string }
  /** main moved while the merge was built (another writer of main); nothing changed, try again. */
  | { readonly kind: 'main_moved'; readonly main: string }
  /** The head removes issue rows main holds: grava never deletes an issue, so it is refused (MERGE_SPEC §13c). */
  | { readonly kind: 'refused'; readonly main: string; readonly removed: number };

export interface QueueMergeContext {
  readonly target: ConnectionTarget;
  readonly database: string;
  /** A connection to the database on main (autocommit). */
  readonly db: Db;
  readonly clock: Clock;
}

/** Drops what a previous process left mid-merge: the scratch branch and its working set. */
export async function discardScratch(db: Db): Promise<void> {
  await exec(db, "CALL DOLT_BRANCH('-D', ?)", [QUEUE_WORK_BRANCH]).catch(() => undefined);
}

/** Merges `head` (a commit of `branch`) into main; main moves only by a fast-forward to the finished result. */
export async function mergeIntoMain(ctx: QueueMergeContext, branch: string, head: string): Promise<QueueMergeOutcome> {
  const { db } = ctx;
  const base = await headHash(db, 'main');
  if (await isAncestor(db, head, base)) return { kind: 'up_to_date', main: base };
  const removed = await issuesRemovedBy(db, base, head);
  if (removed > 0) return { kind: 'refused', main: base, removed };
  // A fresh scratch branch each time: nothing a failed attempt left in its working set survives.
  await discardScratch(db);
  await exec(db, 'CALL DOLT_BRANCH(?, ?)', [QUEUE_WORK_BRANCH, base]);
  const work = openDb(ctx.target, `${ctx.database}/${QUEUE_WORK_BRANCH}`, 1);
  let merge: MergeResult;
  try {
    merge = await mergeRef(work, head, { clock: ctx.clock, message: `grava: queue merge ${branch} at ${head}` });
  } finally {
    await work.destroy();
  }
  // The compare-and-swap: a fast-forward of main from `base` only. If anything else moved main meanwhile
  // (a claim pushed straight to main), Dolt refuses and the queue builds the merge again on the new main.
  const moved = await fastForwardMain(ctx, base, QUEUE_WORK_BRANCH);
  if (moved !== null) return { kind: 'main_moved', main: moved };
  return { kind: 'merged', main: await headHash(db, 'main'), fastForward: merge.fastForward, merge };
}

/** Moves main from `base` to `branch` by a fast-forward. Returns null when it did, or main's head when main
 *  is no longer at `base` (nothing changed). */
async function fastForwardMain(ctx: QueueMergeContext, base: string, branch: string): Promise<string | null> {
  const mainDb = openDb(ctx.target, `${ctx.database}/main`, 1);
  try {
    const now = await headHash(mainDb, 'main');
    if (now !== base) return now;
    const r = (await rows<{ fast_forward: number; message: string }>(mainDb, "CALL DOLT_MERGE('--ff-only', ?)", [branch]))[0];
    if (!r) throw new GravaError('GRAVA_E_MERGE', 'fast-forwarding main returned nothing');
    return null;
  } catch (e) {
    if (/fast.?forward/i.test((e as Error).message)) return headHash(ctx.db, 'main');
    throw e;
  } finally {
    await mainDb.destroy();
  }
}

/** The claim's scratch branch on the central. */
export const QUEUE_CLAIM_BRANCH = 'queue/claim';

export type CentralClaim =
  | { readonly kind: 'won' | 'held'; readonly issue: Issue & { lease_until: string | null }; readonly main: string }
  | { readonly kind: 'refused'; readonly holder: string | null; readonly message: string; readonly main: string }
  | { readonly kind: 'absent'; readonly main: string }
  | { readonly kind: 'main_moved'; readonly main: string };

/**
 * Decides a claim on main for `actor`, in the queue's order (the caller runs it between merges): the
 * claim is written on a scratch branch made at main's head and main is fast-forwarded to it. The
 * central's clock stamps it; the issue goes to `actor`.
 */
export async function claimOnMain(ctx: QueueMergeContext & { readonly prefix: string }, id: string, actor: string, leaseMs?: number): Promise<CentralClaim> {
  const base = await headHash(ctx.db, 'main');
  const present = await rows<{ n: number }>(ctx.db, 'SELECT COUNT(*) AS n FROM issues WHERE id = ?', [id]);
  if (Number(present[0]?.n ?? 0) === 0) return { kind: 'absent', main: base };
  await exec(ctx.db, "CALL DOLT_BRANCH('-D', ?)", [QUEUE_CLAIM_BRANCH]).catch(() => undefined);
  await exec(ctx.db, 'CALL DOLT_BRANCH(?, ?)', [QUEUE_CLAIM_BRANCH, base]);
  const onBranch = openDb(ctx.target, `${ctx.database}/${QUEUE_CLAIM_BRANCH}`, 1);
  try {
    const repo = new IssuesRepo({ db: onBranch, clock: ctx.clock, prefix: ctx.prefix });
    let claimed: Issue & { changed: boolean; lease_until: string | null };
    try {
      claimed = await repo.claim(id, { as: actor, ...(leaseMs !== undefined ? { leaseMs } : {}) });
    } catch (e) {
      const err = asGravaError(e);
      if (err.code !== 'GRAVA_E_CONFLICT') throw err;
      return { kind: 'refused', holder: (err.data?.assignee as string | null | undefined) ?? null, message: err.message, main: base };
    }
    if (!claimed.changed) return { kind: 'held', issue: claimed, main: base };
    await exec(onBranch, "CALL DOLT_COMMIT('-Am', ?, '--author', ?)", [`grava: claim ${id} for ${actor}`, authorOf(ctx.clock.actor)]);
    const moved = await fastForwardMain(ctx, base, QUEUE_CLAIM_BRANCH);
    if (moved !== null) return { kind: 'main_moved', main: moved };
    return { kind: 'won', issue: claimed, main: await headHash(ctx.db, 'main') };
  } finally {
    await onBranch.destroy().catch(() => undefined);
  }
}

/** Puts main back at `head` (its working set too), after someone else moved it back or sideways. */
export async function restoreMain(target: ConnectionTarget, database: string, head: string): Promise<void> {
  const mainDb = openDb(target, `${database}/main`, 1);
  try {
    await exec(mainDb, "CALL DOLT_RESET('--hard', ?)", [head]);
  } finally {
    await mainDb.destroy();
  }
}

/** Deletes a workspace branch whose head main holds (only while the branch still points at that head). */
export async function deleteMergedBranch(db: Db, branch: string, head: string): Promise<boolean> {
  const now = (await rows<{ hash: string }>(db, 'SELECT hash FROM dolt_branches WHERE name = ?', [branch]))[0]?.hash;
  if (now !== head || !(await isAncestor(db, head, await headHash(db, 'main')))) return false;
  await exec(db, "CALL DOLT_BRANCH('-D', ?)", [branch]);
  return true;
}
