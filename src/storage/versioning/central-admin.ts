// The SQL the central server needs: creating its database and users, grants,
// backups and restores, and the figures its metrics report.
//
// Secrets: a password is only ever sent as a bound value, and an error from a
// statement that carries one is rebuilt from Dolt's own message with the SQL
// dropped (knex prefixes its error messages with the interpolated statement).

import { execFile } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { promisify } from 'node:util';
import { GravaError, type ErrorCode } from '../../errors/grava-error.js';
import { exec, openDb, rows, type Db } from '../dolt/db.js';
import type { ConnectionTarget } from '../dolt/dolt-server.js';
import { migrate, type MigrationResult } from '../issues/migrations.js';
import { headHash } from '../dolt/version-control.js';
import { NO_EVENT_FLUSH } from '../dolt/child-env.js';

const execFileP = promisify(execFile);

/** What the remotesapi of this Dolt (1.86.4) checks, verified against the binary:
 *  - clone, fetch, pull (read RPCs such as GetRepoMetadata, Root, HasChunks): the dynamic privilege CLONE_ADMIN, or SUPER;
 *  - push (the write RPCs GetUploadLocations and Commit): SUPER, global. No narrower grant is accepted.
 *  SUPER alone is therefore the minimum for a sync user; CLONE_ADMIN is granted too so that read access
 *  does not depend on SUPER implying it. */
export const SYNC_USER_GRANTS = ['CLONE_ADMIN', 'SUPER'] as const;
/** Clone and fetch only: pushes are refused with PermissionDenied, and SQL access to the data is denied. */
export const READONLY_USER_GRANTS = ['CLONE_ADMIN'] as const;

export type UserRole = 'sync' | 'readonly';

const USER_NAME = /^[A-Za-z0-9_.-]{1,32}$/;
const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export function validUserName(name: string): boolean {
  return USER_NAME.test(name) && name !== 'root';
}

export function validDatabaseName(name: string): boolean {
  return DATABASE_NAME.test(name);
}

/** Dolt's message of a failed statement, without the statement (which may hold a secret) and on one line. */
function doltMessage(e: unknown): string {
  const err = e as { sqlMessage?: unknown; message?: unknown };
  if (typeof err.sqlMessage === 'string') return err.sqlMessage.split('\n')[0] ?? err.sqlMessage;
  const msg = typeof err.message === 'string' ? err.message : String(e);
  // knex: "<sql> - <driver message>"
  const cut = msg.lastIndexOf(' - ');
  return (cut >= 0 ? msg.slice(cut + 3) : msg).split('\n')[0] ?? msg;
}

function adminError(code: ErrorCode, what: string, e: unknown, secrets: readonly string[] = []): GravaError {
  if (e instanceof GravaError) return e;
  let msg = doltMessage(e);
  for (const s of secrets) if (s) msg = msg.split(s).join('***');
  return new GravaError(code, `${what}: ${msg}`);
}

/** Runs `fn` on a short-lived connection (pool of one), closed afterwards. */
export async function withAdmin<T>(target: ConnectionTarget, database: string | undefined, fn: (db: Db) => Promise<T>): Promise<T> {
  const db = openDb(target, database, 1);
  try {
    return await fn(db);
  } finally {
    await db.destroy();
  }
}

/** DOLT_ROOT_PATH for a server grava starts (central or workspace): Dolt's global config (committer name and email), no usage metrics. */
export async function configureDoltHome(doltPath: string, home: string, name: string): Promise<void> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const env = { ...process.env, DOLT_ROOT_PATH: home, ...NO_EVENT_FLUSH };
  for (const [k, v] of [['user.name', name], ['user.email', `${name}@grava.invalid`], ['metrics.disabled', 'true']] as const) {
    await execFileP(doltPath, ['config', '--global', '--add', k, v], { env, cwd: home });
  }
}

/** Creates the database and applies grava's schema, committed (the central's working set stays clean). */
export async function createCentralDatabase(target: ConnectionTarget, database: string, actor: string): Promise<MigrationResult> {
  if (!validDatabaseName(database)) throw new GravaError('GRAVA_E_INVALID', `invalid database name ${JSON.stringify(database)}`);
  await withAdmin(target, undefined, async (db) => {
    try { await exec(db, `CREATE DATABASE \`${database}\``); } catch (e) { throw adminError('GRAVA_E_STORAGE', `creating database ${database} failed`, e); }
  });
  return withAdmin(target, database, (db) => migrate(db, actor));
}

/** Creates a user that may log in from any address (remotesapi clients connect from anywhere) with the grants of its role. */
export async function createUser(target: ConnectionTarget, user: string, password: string, role: UserRole): Promise<void> {
  if (!validUserName(user)) throw new GravaError('GRAVA_E_INVALID', `invalid user name ${JSON.stringify(user)}; use 1-32 letters, digits, '.', '_' or '-' (not root)`);
  if (!password) throw new GravaError('GRAVA_E_INVALID', `the password of ${user} is empty`);
  const grants = (role === 'sync' ? SYNC_USER_GRANTS : READONLY_USER_GRANTS).join(', ');
  await withAdmin(target, undefined, async (db) => {
    try {
      await exec(db, `CREATE USER '${user}'@'%' IDENTIFIED BY ?`, [password]);
      await exec(db, `GRANT ${grants} ON *.* TO '${user}'@'%'`);
    } catch (e) {
      throw adminError('GRAVA_E_STORAGE', `creating user ${user} failed`, e, [password]);
    }
  });
}

export interface CentralUser {
  readonly name: string;
  /** From the user's grants: sync (clone, fetch, push), readonly (clone and fetch), or other (made by hand). */
  readonly role: UserRole | 'other';
}

/** The role a user's grants give: only the privilege lists count (`GRANT <list> ON …`), never the user's
 *  name in `TO 'name'@'%'` (a read-only user called super-ci is still read-only). */
export function roleOf(grants: readonly string[]): CentralUser['role'] {
  const privileges = new Set(grants.flatMap((g) => {
    const m = /^GRANT\s+(.+?)\s+ON\s/i.exec(g.trim());
    return m ? m[1]!.split(',').map((p) => p.trim().toUpperCase()) : [];
  }));
  if (privileges.has('CLONE_ADMIN') && privileges.has('SUPER')) return 'sync';
  if (privileges.has('CLONE_ADMIN')) return 'readonly';
  return 'other';
}

/** The users that remotesapi clients log in as (host '%'), with their roles; root and Dolt's own accounts are left out. */
export async function listUsers(target: ConnectionTarget): Promise<CentralUser[]> {
  return withAdmin(target, undefined, async (db) => {
    const names = (await rows<{ user: string }>(db, "SELECT user FROM mysql.user WHERE host = '%' ORDER BY user")).map((r) => r.user).filter(validUserName);
    const out: CentralUser[] = [];
    for (const name of names) {
      const grants = (await rows<Record<string, string>>(db, `SHOW GRANTS FOR '${name}'@'%'`)).map((row) => Object.values(row)[0] ?? '');
      out.push({ name, role: roleOf(grants) });
    }
    return out;
  });
}

/** MySQL's mysql_native_password hash, as Dolt stores it in mysql.user: `*` and HEX(SHA1(SHA1(password))). */
export function nativePasswordHash(password: string): string {
  const once = createHash('sha1').update(password, 'utf8').digest();
  return `*${createHash('sha1').update(once).digest('hex').toUpperCase()}`;
}

/**
 * Is this a sync user of the central with this password? Checked against Dolt's own user table (the
 * password is never stored elsewhere), at every call, so a removed user or a changed password takes
 * effect at once.
 */
export async function isSyncUser(target: ConnectionTarget | Db, user: string, password: string): Promise<boolean> {
  if (!validUserName(user)) return false;
  const check = async (db: Db): Promise<boolean> => {
    const r = await rows<{ a: string | null }>(db, "SELECT authentication_string AS a FROM mysql.user WHERE user = ? AND host = '%'", [user]);
    const stored = Buffer.from(r[0]?.a ?? '', 'utf8');
    const given = Buffer.from(nativePasswordHash(password), 'utf8');
    if (stored.length !== given.length || !timingSafeEqual(stored, given)) return false;
    const grants = (await rows<Record<string, string>>(db, `SHOW GRANTS FOR '${user}'@'%'`)).map((row) => Object.values(row)[0] ?? '');
    return roleOf(grants) === 'sync';
  };
  // A pool the caller keeps (the supervisor's), or a connection of its own.
  return 'raw' in target ? check(target) : withAdmin(target, undefined, check);
}

/** Drops a user: Dolt refuses its next request (SQL or remotesapi) at once. */
export async function dropUser(target: ConnectionTarget, user: string): Promise<void> {
  if (!validUserName(user)) throw new GravaError('GRAVA_E_INVALID', `invalid user name ${JSON.stringify(user)}; use 1-32 letters, digits, '.', '_' or '-' (not root)`);
  await withAdmin(target, undefined, async (db) => {
    const found = await rows<{ n: number }>(db, "SELECT COUNT(*) AS n FROM mysql.user WHERE user = ? AND host = '%'", [user]);
    if (Number(found[0]?.n ?? 0) === 0) throw new GravaError('GRAVA_E_NOT_FOUND', `no user ${user} on this server`, { user });
    try {
      await exec(db, `DROP USER '${user}'@'%'`);
    } catch (e) {
      throw adminError('GRAVA_E_STORAGE', `removing user ${user} failed`, e);
    }
  });
}

/** The grants of a user as Dolt reports them (SHOW GRANTS). */
export async function userGrants(target: ConnectionTarget, user: string): Promise<string[]> {
  if (!validUserName(user)) throw new GravaError('GRAVA_E_INVALID', `invalid user name ${JSON.stringify(user)}`);
  return withAdmin(target, undefined, async (db) => {
    const r = await rows<Record<string, string>>(db, `SHOW GRANTS FOR '${user}'@'%'`);
    return r.map((row) => Object.values(row)[0] ?? '');
  });
}

export async function mainHead(target: ConnectionTarget, database: string): Promise<string> {
  return withAdmin(target, database, (db) => headHash(db, 'main'));
}

export async function mainCommitCount(target: ConnectionTarget, database: string): Promise<number> {
  return withAdmin(target, database, async (db) => {
    const r = await rows<{ n: number }>(db, "SELECT COUNT(*) AS n FROM dolt_log('main')");
    return Number(r[0]?.n ?? 0);
  });
}

export async function workingSetClean(target: ConnectionTarget, database: string): Promise<boolean> {
  return withAdmin(target, database, async (db) => {
    const r = await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dolt_status');
    return Number(r[0]?.n ?? 0) === 0;
  });
}

export interface BackupSnapshot {
  /** main's commit hash, unchanged from before the sync to after it, so the backup holds exactly it. */
  readonly mainHead: string;
  readonly attempts: number;
}

/** CALL DOLT_BACKUP('sync-url', url) for one database. Retries while pushes move main during the sync. */
export async function backupDatabase(target: ConnectionTarget, database: string, url: string, maxAttempts = 3): Promise<BackupSnapshot> {
  return withAdmin(target, database, async (db) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const before = await headHash(db, 'main');
        await exec(db, "CALL DOLT_BACKUP('sync-url', ?)", [url]);
        const after = await headHash(db, 'main');
        if (before === after) return { mainHead: after, attempts: attempt };
        if (attempt >= maxAttempts) throw new GravaError('GRAVA_E_BACKUP', `main kept moving during ${maxAttempts} backup attempts; try again`);
      } catch (e) {
        throw adminError('GRAVA_E_BACKUP', `backup of ${database} to ${url} failed`, e);
      }
    }
  });
}

/** CALL DOLT_BACKUP('restore', url, database): a new database from a backup. */
export async function restoreDatabase(target: ConnectionTarget, url: string, database: string): Promise<void> {
  if (!validDatabaseName(database)) throw new GravaError('GRAVA_E_INVALID', `invalid database name ${JSON.stringify(database)}`);
  await withAdmin(target, undefined, async (db) => {
    try { await exec(db, "CALL DOLT_BACKUP('restore', ?, ?)", [url, database]); } catch (e) { throw adminError('GRAVA_E_BACKUP', `restore from ${url} failed`, e); }
  });
}
