// A claim decided on the central's head: the claim is written on a scratch
// branch made from `origin/main`, committed there, and pushed as `main`. The
// push is a compare-and-swap on the central's branch: it lands only if no
// other push (another agent's claim among them) reached the central since
// the fetch. The local working set is never touched, so a claim that loses
// leaves nothing behind to merge.

import { randomBytes } from 'node:crypto';
import { asGravaError } from '../../errors/grava-error.js';
import { exec, openDb, rows, type Db } from '../dolt/db.js';
import type { ConnectionTarget } from '../dolt/dolt-server.js';
import { authorOf } from '../dolt/version-control.js';
import type { Clock } from '../issues/clock-store.js';
import { IssuesRepo } from '../issues/issues-repo.js';
import type { Issue } from '../issues/issue-types.js';
import { remoteError, withPushLock } from './remotes.js';

export type RemoteClaim =
  | { readonly kind: 'won'; readonly issue: Issue & { lease_until: string | null } }
  | { readonly kind: 'held'; readonly issue: Issue & { lease_until: string | null } }
  | { readonly kind: 'refused'; readonly holder: string | null; readonly message: string }
  | { readonly kind: 'raced' }
  | { readonly kind: 'absent' };

export interface ClaimContext {
  readonly db: Db;
  readonly target: ConnectionTarget;
  readonly database: string;
  readonly clock: Clock;
  readonly prefix: string;
  /** The sync user of a central server; undefined for git and shared directories. */
  readonly user: string | undefined;
  /** The remote's URL (pushes to a git remote are serialised: withPushLock). */
  readonly url: string;
}

/** Is the issue on the central's head as last fetched? */
export async function existsAt(db: Db, ref: string, id: string): Promise<boolean> {
  const r = await rows<{ n: number }>(db, `SELECT COUNT(*) AS n FROM issues AS OF '${ref.replace(/'/g, '')}' WHERE id = ?`, [id]);
  return Number(r[0]?.n ?? 0) > 0;
}

/** One attempt at claiming `id` on `origin/main` (fetched by the caller). */
export async function claimOnRemoteHead(ctx: ClaimContext, id: string, opts: { leaseMs?: number } = {}): Promise<RemoteClaim> {
  if (!(await existsAt(ctx.db, 'origin/main', id))) return { kind: 'absent' };
  const branch = `grava-claim-${randomBytes(6).toString('hex')}`;
  await exec(ctx.db, "CALL DOLT_BRANCH('-f', ?, 'origin/main')", [branch]);
  const onBranch = openDb(ctx.target, `${ctx.database}/${branch}`, 1);
  try {
    const repo = new IssuesRepo({ db: onBranch, clock: ctx.clock, prefix: ctx.prefix });
    let claimed: Issue & { changed: boolean; lease_until: string | null };
    try {
      claimed = await repo.claim(id, opts.leaseMs !== undefined ? { leaseMs: opts.leaseMs } : {});
    } catch (e) {
      const err = asGravaError(e);
      if (err.code !== 'GRAVA_E_CONFLICT') throw err;
      return { kind: 'refused', holder: (err.data?.assignee as string | null | undefined) ?? null, message: err.message };
    }
    if (!claimed.changed) return { kind: 'held', issue: claimed };
    await exec(onBranch, "CALL DOLT_COMMIT('-Am', ?, '--author', ?)", [`grava: claim ${id}`, authorOf(ctx.clock.actor)]);
    try {
      const args = [...(ctx.user === undefined ? [] : ['--user', ctx.user]), 'origin', `${branch}:main`];
      await withPushLock(ctx.url, async () => {
        const r = await rows<{ status: number; message?: string }>(ctx.db, `CALL DOLT_PUSH(${args.map(() => '?').join(', ')})`, args);
        if (r[0] && Number(r[0].status) !== 0) throw new Error(r[0].message ?? 'push failed');
      });
    } catch (e) {
      const err = remoteError(e, 'pushing the claim failed');
      if (err.code === 'GRAVA_E_PUSH_REJECTED') return { kind: 'raced' };
      throw err;
    }
    return { kind: 'won', issue: claimed };
  } finally {
    await onBranch.destroy().catch(() => undefined);
    // A scratch branch left by a failure here is harmless: it is never pushed and names are random.
    await exec(ctx.db, "CALL DOLT_BRANCH('-D', ?)", [branch]).catch(() => undefined);
  }
}
