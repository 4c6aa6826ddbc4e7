// The central's half of the merge queue (docs/ARCHITECTURE.md, "The central
// merge queue"): workspaces push `ws/<actor>`; the central merges waiting
// heads one at a time, with the same engine a workspace uses, on the scratch
// branch `queue/work`, in batches. `main` moves only by a fast-forward to a
// finished result, so a crash mid-merge never shows on `main`.

import { GravaError } from '../../errors/grava-error.js';
import type { Clock } from '../issues/clock-store.js';
import { exec, openDb, rows, type Db } from '../dolt/db.js';
import type { ConnectionTarget } from '../dolt/dolt-server.js';
import { authorOf, headHash } from '../dolt/version-control.js';
import { asGravaError } from '../../errors/grava-error.js';
import { IssuesRepo } from '../issues/issues-repo.js';
import type { Issue } from '../issues/issue-types.js';
import { mergeRef, refuseNewerSchema, type MergeResult } from './merge-runner.js';
import { isConnectionError } from '../dolt/contention.js';
import { isAncestor, issuesRemovedBy } from './sync-state.js';

/** Workspace branches on the central start with this. */
export const WS_BRANCH_PREFIX = 'ws/';
/** The queue's scratch branch: a merge is built here and main fast-forwarded to it. */
export const QUEUE_WORK_BRANCH = 'queue/work';
/** The claim's scratch branch on the central. */
export const QUEUE_CLAIM_BRANCH = 'queue/claim';

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

/** A workspace branch's head as the central's Dolt holds it now (null when there is no such branch). `db` may be
 *  a connection with no default database: the branch table is named with its database. */
export async function branchHeadNow(db: Db, database: string, branch: string): Promise<string | null> {
  return (await rows<{ hash: string }>(db, `SELECT hash FROM \`${database.replace(/`/g, '')}\`.dolt_branches WHERE name = ?`, [branch]))[0]?.hash ?? null;
}

/** What became of one waiting head in a batch. */
export type HeadOutcome =
  /** Merged into the batch's result (fast-forward or a merge commit). */
  | { readonly kind: 'merged'; readonly merge: MergeResult }
  /** main (or an earlier head of the batch) already contained it. */
  | { readonly kind: 'up_to_date' }
  /** It removes issue rows main holds: grava never deletes an issue, so it is refused (MERGE_SPEC §13c). */
  | { readonly kind: 'refused'; readonly removed: number }
  /** The merge itself failed for this head (an unrelated history, a newer schema, a schema conflict): the
   *  head is set aside with its reason and the batch goes on without it. */
  | { readonly kind: 'failed'; readonly code: string; readonly reason: string };

export type BatchResult =
  /** main now holds every head that was not refused. */
  | { readonly kind: 'done'; readonly main: string; readonly heads: ReadonlyMap<string, HeadOutcome> }
  /** main moved while the batch was built (another writer of main); nothing changed, build it again. */
  | { readonly kind: 'main_moved'; readonly main: string };

export interface QueueMergeContext {
  readonly target: ConnectionTarget;
  readonly database: string;
  /** A connection to the database on main (autocommit). */
  readonly db: Db;
  readonly clock: Clock;
}

/** The queue's connections: the database, the scratch branch and main, opened once and kept. */
export class QueueConnections implements QueueMergeContext {
  readonly db: Db;
  private work: Db | undefined;
  private main: Db | undefined;

  constructor(readonly target: ConnectionTarget, readonly database: string, readonly clock: Clock) {
    // Three: a head's three checks run side by side (mergeBatch).
    this.db = openDb(target, database, 3);
  }

  /** The scratch branch, at `base` with a clean working set. */
  async workAt(base: string): Promise<Db> {
    if (!this.work) {
      const exists = await rows(this.db, 'SELECT name FROM dolt_branches WHERE name = ?', [QUEUE_WORK_BRANCH]);
      if (exists.length === 0) await exec(this.db, 'CALL DOLT_BRANCH(?, ?)', [QUEUE_WORK_BRANCH, base]);
      this.work = openDb(this.target, `${this.database}/${QUEUE_WORK_BRANCH}`, 1);
    }
    await exec(this.work, "CALL DOLT_RESET('--hard', ?)", [base]);
    return this.work;
  }

  mainDb(): Db {
    this.main ??= openDb(this.target, `${this.database}/main`, 1);
    return this.main;
  }

  /** After a failure (Dolt restarted, a branch dropped): the branch connections are opened again on next use. */
  async reset(): Promise<void> {
    const [w, m] = [this.work, this.main];
    this.work = undefined;
    this.main = undefined;
    await w?.destroy().catch(() => undefined);
    await m?.destroy().catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.reset();
    await this.db.destroy().catch(() => undefined);
  }
}

/** Drops what a previous process left mid-merge: the scratch branches and their working sets. */
export async function discardScratch(db: Db): Promise<void> {
  for (const b of [QUEUE_WORK_BRANCH, QUEUE_CLAIM_BRANCH]) await exec(db, "CALL DOLT_BRANCH('-D', ?)", [b]).catch(() => undefined);
}

/**
 * Merges waiting heads, in the given order, into one result built on the scratch branch from main's head,
 * then fast-forwards main to it: the same engine, cell rules and repairs as a workspace, one head at a
 * time. main moves once per batch, and only by a fast-forward to a finished result.
 */
export async function mergeBatch(ctx: QueueConnections, items: readonly BranchHead[], expected: string): Promise<BatchResult> {
  const { db } = ctx;
  // Built only on the main the queue last checked: any other main goes back to the caller's guard first.
  const base = await headHash(db, 'main');
  if (base !== expected) return { kind: 'main_moved', main: base };
  const work = await ctx.workAt(base);
  const heads = new Map<string, HeadOutcome>();
  let tip = base;
  for (const { name, hash } of items) {
    try {
      // The three checks side by side, on the pool: under load every statement waits its turn in the central's
      // Dolt (docs/DOLT.md, "The central under a fleet"), so one wait instead of three. Their outcomes, errors
      // included, are read in the order they used to run one after another: a head main holds is up to date
      // whatever the others said, one that removes issue rows is refused, and only then does a newer schema
      // (GRAVA_E_SCHEMA_NEWER) set it aside like any failed merge.
      const [held, removed, newer] = await Promise.allSettled([isAncestor(db, hash, tip), issuesRemovedBy(db, tip, hash), refuseNewerSchema(db, hash)]);
      if (held.status === 'rejected') throw held.reason;
      if (held.value) {
        heads.set(name, { kind: 'up_to_date' });
        continue;
      }
      if (removed.status === 'rejected') throw removed.reason;
      if (removed.value > 0) {
        heads.set(name, { kind: 'refused', removed: removed.value });
        continue;
      }
      if (newer.status === 'rejected') throw newer.reason;
      const merge = await mergeRef(work, hash, { clock: ctx.clock, message: `grava: queue merge ${name} at ${hash}`, schemaChecked: true });
      heads.set(name, { kind: 'merged', merge });
      // The scratch branch's new head without asking: the merge commit, or the head itself after a fast-forward.
      tip = merge.commit ?? (merge.fastForward ? hash : await headHash(work, 'HEAD'));
    } catch (e) {
      // The link to Dolt failing is the whole batch's problem (retried); anything else is this head's.
      if (isConnectionError(e)) throw e;
      const err = asGravaError(e, 'GRAVA_E_MERGE');
      heads.set(name, { kind: 'failed', code: err.code, reason: err.message.split('\n')[0] ?? err.code });
      await exec(work, "CALL DOLT_RESET('--hard', ?)", [tip]);
    }
  }
  if (tip === base) return { kind: 'done', main: base, heads };
  // The compare-and-swap: a fast-forward of main from `base` to exactly `tip`. If anything else moved main
  // meanwhile, Dolt refuses and the caller's guard looks at main before the batch is built again.
  const moved = await fastForwardMain(ctx, base, tip);
  if (moved !== null) return { kind: 'main_moved', main: moved };
  return { kind: 'done', main: tip, heads };
}

/** Moves main from `base` to the commit `to` by a fast-forward (a hash, never a branch name someone else could
 *  push). Returns null when it did, or main's head when main is no longer at `base` (nothing changed). */
async function fastForwardMain(ctx: QueueMergeContext & { mainDb?: () => Db }, base: string, to: string): Promise<string | null> {
  const kept = ctx.mainDb?.();
  const mainDb = kept ?? openDb(ctx.target, `${ctx.database}/main`, 1);
  try {
    const now = await headHash(mainDb, 'main');
    if (now !== base) return now;
    const r = (await rows<{ fast_forward: number; message: string }>(mainDb, "CALL DOLT_MERGE('--ff-only', ?)", [to]))[0];
    if (!r) throw new GravaError('GRAVA_E_MERGE', 'fast-forwarding main returned nothing');
    return null;
  } catch (e) {
    if (/fast.?forward/i.test((e as Error).message)) return headHash(ctx.db, 'main');
    throw e;
  } finally {
    if (!kept) await mainDb.destroy();
  }
}


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
export async function claimOnMain(ctx: QueueMergeContext & { readonly prefix: string; readonly mainDb?: () => Db }, id: string, actor: string, leaseMs: number | undefined, expected: string): Promise<CentralClaim> {
  const base = await headHash(ctx.db, 'main');
  if (base !== expected) return { kind: 'main_moved', main: base };
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
    const moved = await fastForwardMain(ctx, base, await headHash(onBranch, 'HEAD'));
    if (moved !== null) return { kind: 'main_moved', main: moved };
    return { kind: 'won', issue: claimed, main: await headHash(ctx.db, 'main') };
  } finally {
    await onBranch.destroy().catch(() => undefined);
  }
}

/** Puts main back at `head` (its working set too), after someone else moved it back or sideways. */
export async function restoreMain(mainDb: Db, head: string): Promise<void> {
  await exec(mainDb, "CALL DOLT_RESET('--hard', ?)", [head]);
}

/** Deletes a workspace branch whose head main holds (only while the branch still points at that head). */
export async function deleteMergedBranch(db: Db, branch: string, head: string): Promise<boolean> {
  const now = (await rows<{ hash: string }>(db, 'SELECT hash FROM dolt_branches WHERE name = ?', [branch]))[0]?.hash;
  if (now !== head || !(await isAncestor(db, head, await headHash(db, 'main')))) return false;
  await exec(db, "CALL DOLT_BRANCH('-D', ?)", [branch]);
  return true;
}
