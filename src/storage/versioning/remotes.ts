// Remotes: clone, fetch, push through the workspace server's Dolt procedures.
// The password never passes through SQL: the server reads DOLT_REMOTE_PASSWORD
// from its own environment; only `--user` is sent.

import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { cacheBase } from '../dolt/dolt-binary.js';
import { ensurePrivateDir } from '../dolt/layout.js';
import { withFileLock } from '../dolt/file-lock.js';
import { GravaError } from '../../errors/grava-error.js';
import { openDb, rows, exec, type Db } from '../dolt/db.js';
import { isPushRace, isRemoteReadRace } from '../dolt/contention.js';
import { migrate, type MigrationResult } from '../issues/migrations.js';
import type { DoltServer, DoltServerState } from '../dolt/dolt-server.js';
import type { WorkspaceConfig } from '../dolt/layout.js';

/** Turns a remotes failure into a GravaError with a stable code; the text is Dolt's, which holds no password. */
export function remoteError(e: unknown, what: string): GravaError {
  if (e instanceof GravaError) return e;
  const full = e instanceof Error ? e.message : String(e);
  // Dolt's text spans several lines ("To http://…", "! [rejected] …"); keep the informative ones on one line.
  const msg = full.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('CALL ')).join(' | ') || full;
  if (isPushRace(full)) return new GravaError('GRAVA_E_PUSH_REJECTED', `${what}: ${msg}`, { nonFastForward: true });
  // A git or directory remote read while another workspace was writing it (see docs/DOLT.md): retried like a lost race.
  if (isRemoteReadRace(full)) return new GravaError('GRAVA_E_REMOTE', `${what}: ${msg}`, { transient: true });
  // Git transports (Dolt runs git with prompts disabled, so a missing credential fails at once).
  if (/git remote has no branches/i.test(full)) {
    return new GravaError('GRAVA_E_REMOTE', `${what}: the git repository has no commit yet; grava keeps its database on refs/dolt/data beside your branches and needs a first commit there (for example \`git commit --allow-empty -m init && git push origin HEAD\`), then run grava init again`);
  }
  if (/git not found on PATH|"git": executable file not found/i.test(full)) return new GravaError('GRAVA_E_REMOTE', `${what}: git is not installed (not found on PATH); a git remote needs it`);
  if (/does not appear to be a git repository|not a git repository|repository '.*' not found/i.test(full)) return new GravaError('GRAVA_E_REMOTE', `${what}: not a git repository: ${msg}`);
  if (/terminal prompts disabled|could not read (Username|Password)|Authentication failed|Permission denied \(publickey|Host key verification failed/i.test(full)) {
    return new GravaError('GRAVA_E_AUTH', `${what}: git refused the credentials (grava never prompts; set up your ssh agent or git credential helper): ${msg}`);
  }
  if (/unauthenticated|permission denied|access denied|not authorized|PermissionDenied|Unauthenticated/i.test(msg)) return new GravaError('GRAVA_E_AUTH', `${what}: ${msg}`);
  return new GravaError('GRAVA_E_REMOTE', `${what}: ${msg}`);
}

type Workspace = { server: DoltServer; state: DoltServerState; config: WorkspaceConfig };

/** Dolt's answer when a git ref or a directory holds no database yet. */
export function isEmptyRemote(e: unknown): boolean {
  return /contains no Dolt data/i.test(e instanceof Error ? e.message : String(e));
}

export async function cloneDatabase(ws: Workspace, url: string, user: string | undefined, database: string): Promise<MigrationResult> {
  const admin = openDb(ws.server.target(ws.state), undefined, 1);
  try {
    const args = [...(user === undefined ? [] : ['--user', user]), url, database];
    await exec(admin, `CALL DOLT_CLONE(${args.map(() => '?').join(', ')})`, args);
  } catch (e) {
    // An empty remote is not an error of its own: the caller publishes instead (Dolt's text kept for that check).
    if (isEmptyRemote(e)) throw e;
    throw remoteError(e, `cloning ${url} failed`);
  } finally {
    await admin.destroy();
  }
  const db = openDb(ws.server.target(ws.state), database);
  try {
    return await migrate(db, ws.config.actor);
  } finally {
    await db.destroy();
  }
}

/** `--user` for a central server; nothing for git and shared directories (their own credentials apply). */
const userArgs = (user: string | undefined): string[] => (user === undefined ? [] : ['--user', user]);

/** `refspecs`: only these branches (queue mode fetches main, never every workspace's branch). */
export async function fetchRemote(db: Db, user: string | undefined, remote = 'origin', refspecs: readonly string[] = []): Promise<void> {
  try {
    const args = [...userArgs(user), remote, ...refspecs];
    await exec(db, `CALL DOLT_FETCH(${args.map(() => '?').join(', ')})`, args);
  } catch (e) {
    throw remoteError(e, 'fetch failed');
  }
}

/**
 * Pushes `branch` (a ref or `local:remote` spec). `force` skips Dolt's fast-forward check on the remote, which
 * reads the remote's commit graph and every table chunk by chunk (about half the round trips of a push):
 * only for a branch whose remote copy the caller knows to be an ancestor of what it pushes.
 */
export async function pushRemote(db: Db, user: string | undefined, remote = 'origin', branch = 'main', opts: { force?: boolean } = {}): Promise<void> {
  try {
    const args = [...(opts.force ? ['--force'] : []), ...userArgs(user), remote, branch];
    const r = await rows<{ status: number; message?: string }>(db, `CALL DOLT_PUSH(${args.map(() => '?').join(', ')})`, args);
    if (r[0] && Number(r[0].status) !== 0) throw new Error(r[0].message ?? 'push failed');
  } catch (e) {
    throw remoteError(e, 'push failed');
  }
}

/**
 * The first workspace on an empty git ref or directory publishes its new
 * database there: schema committed, `origin` added, `main` pushed. Two
 * workspaces publishing at once race on that push (a compare-and-swap on
 * the branch): the loser gets 'raced', drops its database and clones the
 * winner's, so the fleet has one history, never two unrelated ones.
 */
export async function publishDatabase(ws: Workspace, url: string, database: string): Promise<MigrationResult | 'raced'> {
  const admin = openDb(ws.server.target(ws.state), undefined, 1);
  try {
    await exec(admin, `CREATE DATABASE \`${database}\``);
    const db = openDb(ws.server.target(ws.state), database, 1);
    try {
      const migration = await migrate(db, ws.config.actor);
      await exec(db, "CALL DOLT_REMOTE('add', 'origin', ?)", [url]);
      try {
        await withPushLock(url, () => pushRemote(db, undefined));
      } catch (e) {
        // Another workspace published first: its history and ours share no commit, which Dolt
        // reports as "no common ancestor" (or as a rejected push when its ref moved meanwhile).
        const lost = (e as GravaError).code === 'GRAVA_E_PUSH_REJECTED' || /no common ancestor/i.test((e as Error).message);
        if (!lost) throw e;
        await db.destroy();
        await exec(admin, `DROP DATABASE \`${database}\``);
        return 'raced';
      }
      // The clone's remote-tracking branch, as DOLT_CLONE would leave it.
      await fetchRemote(db, undefined);
      return migration;
    } finally {
      await db.destroy().catch(() => undefined);
    }
  } finally {
    await admin.destroy();
  }
}


/** Removes the workspace database's local cache of its git remotes (`.dolt/git-remote-cache/`, a mirror of
 *  refs/dolt/data that Dolt fetches again on next use). Only while that database's server is stopped. */
export function dropGitRemoteCache(dataDir: string, database: string): void {
  rmSync(join(dataDir, database, '.dolt', 'git-remote-cache'), { recursive: true, force: true });
}

/** How long a push waits for another workspace's push to the same git remote. */
const GIT_PUSH_LOCK_WAIT_MS = 120_000;

/** The lock that serialises pushes to one git remote from this user's workspaces on this machine. */
export function gitPushLockPath(url: string): string {
  return join(cacheBase(), 'locks', `git-push-${createHash('sha256').update(url).digest('hex').slice(0, 24)}.lock`);
}

/**
 * Runs a push to `url`; to a git remote, one at a time per machine and user. Dolt 1.86.4 and 1.88.1
 * can write a refs/dolt/data whose manifest names a table file the push never uploaded when two pushes
 * to one git remote race (its git blobstore prunes a deferred table file from its cache; fixed upstream
 * after 1.88.1, docs/DOLT.md). Every later fetch of that remote then fails with "Blob not found".
 * Pushes from other machines are not covered. Other transports push at once.
 */
export async function withPushLock<T>(url: string, push: () => Promise<T>): Promise<T> {
  if (!url.startsWith('git+')) return push();
  const path = gitPushLockPath(url);
  ensurePrivateDir(join(path, '..'));
  return withFileLock(path, push, GIT_PUSH_LOCK_WAIT_MS);
}
