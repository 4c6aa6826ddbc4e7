// Remotes: clone, fetch, push through the workspace server's Dolt procedures.
// The password never passes through SQL: the server reads DOLT_REMOTE_PASSWORD
// from its own environment; only `--user` is sent.

import { GravaError } from '../../errors/grava-error.js';
import { openDb, rows, exec, type Db } from '../dolt/db.js';
import { isPushRace } from '../dolt/contention.js';
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
  if (/unauthenticated|permission denied|access denied|not authorized|PermissionDenied|Unauthenticated/i.test(msg)) return new GravaError('GRAVA_E_AUTH', `${what}: ${msg}`);
  return new GravaError('GRAVA_E_REMOTE', `${what}: ${msg}`);
}

export async function cloneDatabase(ws: { server: DoltServer; state: DoltServerState; config: WorkspaceConfig }, url: string, user: string, database: string): Promise<MigrationResult> {
  const admin = openDb(ws.server.target(ws.state), undefined, 1);
  try {
    await exec(admin, 'CALL DOLT_CLONE(?, ?, ?, ?)', ['--user', user, url, database]);
  } catch (e) {
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

export async function fetchRemote(db: Db, user: string, remote = 'origin'): Promise<void> {
  try {
    await exec(db, 'CALL DOLT_FETCH(?, ?, ?)', ['--user', user, remote]);
  } catch (e) {
    throw remoteError(e, 'fetch failed');
  }
}

export async function pushRemote(db: Db, user: string, remote = 'origin', branch = 'main'): Promise<void> {
  try {
    const r = await rows<{ status: number; message?: string }>(db, 'CALL DOLT_PUSH(?, ?, ?, ?)', ['--user', user, remote, branch]);
    if (r[0] && Number(r[0].status) !== 0) throw new Error(r[0].message ?? 'push failed');
  } catch (e) {
    throw remoteError(e, 'push failed');
  }
}
