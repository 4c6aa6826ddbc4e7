// Creating a central server's data dir: `grava server init` (a new database
// with grava's schema committed) and `grava server restore` (a database from
// a backup, verified against the commit its manifest recorded).
//
// Both bootstrap the same way: Dolt runs on loopback with no remotesapi and no
// metrics until the data and the users are in place; the first start sets
// root's password (DOLT_ROOT_PASSWORD, read by Dolt from its environment);
// grava-server.json is written last. A failure removes everything it made.

import { chmodSync, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { GravaError } from '../errors/grava-error.js';
import { configureDoltHome, createCentralDatabase, createUser, mainHead, restoreDatabase, validUserName, workingSetClean } from '../storage/versioning/central-admin.js';
import { findDolt } from '../storage/dolt/dolt-binary.js';
import { DoltServer, type DoltServerOptions, type ConnectionTarget } from '../storage/dolt/dolt-server.js';
import { ensurePrivateDir, generateSecret, writeFileAtomic } from '../storage/dolt/layout.js';
import { doltConfigText, remoteUrl, resolveSettings, type NewSettings, type ServerSettings, type Tunables } from './config.js';
import { centralPaths, MANIFEST_FILE, SETTINGS_FILE, type CentralPaths } from './paths.js';
import { envSecret, ROOT_PASSWORD_ENV, writeSettings } from './settings.js';
import { CLOUD_PREFIXES } from '../storage/dolt/child-env.js';
import { isObject, readJsonOrThrow } from '../storage/dolt/json-file.js';

export const COMMITTER = 'grava-server';

type Env = Readonly<Record<string, string | undefined>>;

export interface CentralDoltOptions {
  readonly bootstrap?: boolean;
  readonly onExit?: DoltServerOptions['onExit'];
}

/** The central's dolt sql-server: config generated from the settings, a unix socket for local admin (root is root@localhost). */
export function centralDoltServer(paths: CentralPaths, settings: NewSettings, doltPath: string, password: string, o: CentralDoltOptions = {}): DoltServer {
  return new DoltServer({
    doltPath,
    dataDir: paths.dataDir,
    doltHome: paths.doltHome,
    configPath: paths.doltConfig,
    statePath: paths.doltState,
    logPath: paths.doltLog,
    ...(settings.doltLog === 'stderr' ? { logTo: 'stderr' as const } : {}),
    lockPath: paths.doltLock,
    socket: paths.socket,
    host: o.bootstrap ? '127.0.0.1' : settings.host,
    ...(o.bootstrap ? {} : { port: settings.port }),
    user: 'root',
    password,
    readyTimeoutMs: 120_000,
    renderConfig: (port) => doltConfigText(settings, paths, { port, ...(o.bootstrap ? { bootstrap: true } : {}) }),
    // Backups to aws://, gs://, oci:// or Azure read their credentials from the environment.
    inheritPrefixes: CLOUD_PREFIXES,
    ...(o.onExit ? { onExit: o.onExit } : {}),
  });
}

interface Credentials {
  readonly rootPassword: string;
  readonly rootPasswordSource: 'env' | 'file';
  readonly syncUser: string;
  readonly syncPassword: string;
  readonly readonlyUser?: string;
  readonly readonlyPassword?: string;
}

function credentials(env: Env): Credentials {
  const syncUser = envSecret(env, 'GRAVA_REMOTE_USER');
  const syncPassword = envSecret(env, 'GRAVA_REMOTE_PASSWORD');
  if (!syncUser || !syncPassword) throw new GravaError('GRAVA_E_AUTH', 'set GRAVA_REMOTE_USER and GRAVA_REMOTE_PASSWORD (or their _FILE variants): the sync user that workspaces clone, fetch and push as');
  if (!validUserName(syncUser)) throw new GravaError('GRAVA_E_INVALID', `GRAVA_REMOTE_USER ${JSON.stringify(syncUser)} is not a valid user name; use 1-32 letters, digits, '.', '_' or '-' (not root)`);
  const readonlyUser = envSecret(env, 'GRAVA_SERVER_READONLY_USER');
  const readonlyPassword = envSecret(env, 'GRAVA_SERVER_READONLY_PASSWORD');
  if (Boolean(readonlyUser) !== Boolean(readonlyPassword)) throw new GravaError('GRAVA_E_AUTH', 'set both GRAVA_SERVER_READONLY_USER and GRAVA_SERVER_READONLY_PASSWORD, or neither');
  if (readonlyUser && (!validUserName(readonlyUser) || readonlyUser === syncUser)) throw new GravaError('GRAVA_E_INVALID', `GRAVA_SERVER_READONLY_USER ${JSON.stringify(readonlyUser)} is not a valid user name distinct from the sync user`);
  const fromEnv = envSecret(env, ROOT_PASSWORD_ENV);
  return {
    rootPassword: fromEnv || generateSecret(),
    rootPasswordSource: fromEnv ? 'env' : 'file',
    syncUser,
    syncPassword,
    ...(readonlyUser && readonlyPassword ? { readonlyUser, readonlyPassword } : {}),
  };
}

// A fresh ext4 volume (a Kubernetes volume claim, a disk mounted at /data) holds lost+found.
const VOLUME_ENTRIES = new Set(['lost+found']);

/** An empty directory, or a fresh volume's root (lost+found only). */
function emptyVolume(path: string): boolean {
  try { return readdirSync(path).every((e) => VOLUME_ENTRIES.has(e)); } catch { return false; }
}

/** The entries of an existing data dir that count against a first init: not lost+found, and not an empty
 *  backups/ (the mount point of a backups volume, as the Kubernetes and Compose recipes have it). */
function foreignEntries(dir: string): string[] {
  let entries: string[];
  try { entries = readdirSync(dir); } catch (e) { throw new GravaError('GRAVA_E_SERVER_EXISTS', `${dir} exists and is not a usable directory: ${(e as Error).message}`); }
  return entries.filter((e) => !VOLUME_ENTRIES.has(e) && !(e === 'backups' && emptyVolume(join(dir, e))));
}

/** A data dir may be created, or be an existing empty directory; anything else is refused before a byte is written. */
function claimDataDir(paths: CentralPaths): { existed: boolean } {
  if (!existsSync(paths.dir)) return { existed: false };
  if (existsSync(paths.settings)) throw new GravaError('GRAVA_E_SERVER_EXISTS', `${paths.dir} already holds a grava server (${paths.settings}); nothing was changed`);
  const foreign = foreignEntries(paths.dir);
  if (foreign.includes('backups')) throw new GravaError('GRAVA_E_SERVER_EXISTS', `${paths.dir} holds no server but its backups/ is not empty: restore from one of those backups (grava server restore) or move them away; nothing was changed`);
  if (foreign.length > 0) throw new GravaError('GRAVA_E_SERVER_EXISTS', `${paths.dir} exists and is not empty (and holds no ${SETTINGS_FILE}); choose a new data dir, or empty this one if a first init was interrupted`);
  return { existed: true };
}

function removeDataDir(paths: CentralPaths, existed: boolean): void {
  if (!existed) {
    rmSync(paths.dir, { recursive: true, force: true });
    return;
  }
  for (const e of foreignEntries(paths.dir)) rmSync(join(paths.dir, e), { recursive: true, force: true });
}

/** 0700 on the data dir. A volume's mount point may belong to root with the pod's fsGroup (Kubernetes), so the
 *  owner-only chmod can be refused there; everything grava creates inside is 0700/0600 regardless. */
function makePrivate(dir: string, existed: boolean): void {
  try {
    chmodSync(dir, 0o700);
  } catch (e) {
    if (!existed || (e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    // Only a mount point that root owns (with our group, as fsGroup gives) and others cannot write.
    const st = statSync(dir);
    if (st.uid !== 0 || (st.mode & 0o002) !== 0) {
      throw new GravaError('GRAVA_E_SERVER', `${dir} belongs to another user or is writable by everyone, and cannot be made private; choose a directory of your own`);
    }
  }
}

export interface CreatedServer {
  readonly data_dir: string;
  readonly database: string;
  readonly remote_url: string;
  readonly main_head: string;
  readonly sync_user: string;
  readonly readonly_user: string | null;
  readonly root_password: 'generated and stored in root-password (0600)' | `from ${typeof ROOT_PASSWORD_ENV} or its _FILE`;
  readonly ports: { readonly sql: number; readonly remotesapi: number; readonly http: number; readonly metrics: number };
  readonly host: string;
  readonly dolt_version: string;
}

async function bootstrap(
  dataDir: string,
  values: Partial<Tunables>,
  env: Env,
  populate: (target: ConnectionTarget, settings: NewSettings) => Promise<string>,
): Promise<CreatedServer> {
  const { settings: base, errors } = resolveSettings(values);
  if (errors.length > 0) throw new GravaError('GRAVA_E_USAGE', errors.join('; '));
  const creds = credentials(env);
  const paths = centralPaths(dataDir);
  const { existed } = claimDataDir(paths);
  const dolt = await findDolt();
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  makePrivate(paths.dir, existed);
  let server: DoltServer | undefined;
  try {
    for (const d of [paths.dataDir, paths.doltHome, paths.noFileAccess]) ensurePrivateDir(d);
    // backups/ may be a second volume mounted there (Kubernetes, Compose): its owner and fsGroup decide then.
    mkdirSync(paths.backups, { recursive: true, mode: 0o700 });
    makePrivate(paths.backups, true);
    if (creds.rootPasswordSource === 'file') writeFileAtomic(paths.rootPassword, `${creds.rootPassword}\n`, 0o600);
    await configureDoltHome(dolt.path, paths.doltHome, COMMITTER);
    server = centralDoltServer(paths, base, dolt.path, creds.rootPassword, { bootstrap: true });
    const target = server.target(await server.ensureRunning());
    const head = await populate(target, base);
    await createUser(target, creds.syncUser, creds.syncPassword, 'sync');
    if (creds.readonlyUser && creds.readonlyPassword) await createUser(target, creds.readonlyUser, creds.readonlyPassword, 'readonly');
    await server.stop();
    server = undefined;
    const settings: ServerSettings = {
      ...base,
      syncUser: creds.syncUser,
      ...(creds.readonlyUser ? { readonlyUser: creds.readonlyUser } : {}),
      rootPasswordSource: creds.rootPasswordSource,
      createdAt: new Date().toISOString(),
      doltVersion: dolt.version,
    };
    // The config a normal start uses, so an operator can read it; every start regenerates it.
    writeFileAtomic(paths.doltConfig, doltConfigText(settings, paths, { port: settings.port }), 0o600);
    writeSettings(paths, settings);
    return {
      data_dir: paths.dir,
      database: settings.database,
      remote_url: remoteUrl(settings),
      main_head: head,
      sync_user: settings.syncUser,
      readonly_user: settings.readonlyUser ?? null,
      root_password: creds.rootPasswordSource === 'file' ? 'generated and stored in root-password (0600)' : `from ${ROOT_PASSWORD_ENV} or its _FILE`,
      ports: { sql: settings.port, remotesapi: settings.remotesapiPort, http: settings.httpPort, metrics: settings.metricsPort },
      host: settings.host,
      dolt_version: dolt.version,
    };
  } catch (e) {
    await server?.stop(5_000).catch(() => undefined);
    removeDataDir(paths, existed);
    throw e;
  }
}

export interface InitServerOptions {
  readonly dataDir: string;
  readonly values: Partial<Tunables>;
  readonly env?: Env;
}

/** grava server init: the database with grava's schema committed, root's password, the sync user and its grants. */
export async function initServer(o: InitServerOptions): Promise<CreatedServer> {
  return bootstrap(o.dataDir, o.values, o.env ?? process.env, async (target, settings) => {
    const migration = await createCentralDatabase(target, settings.database, COMMITTER);
    if (!migration.commit) throw new GravaError('GRAVA_E_STORAGE', 'the schema migration made no commit');
    return mainHead(target, settings.database);
  });
}

export interface BackupManifest {
  readonly version: 1;
  readonly database: string;
  readonly main_head: string;
  readonly created_at: string;
  readonly url: string;
  readonly dolt_version: string;
}

/** A file:// URL or a path → the backup's local directory; undefined for a remote URL (aws://, gs://, …). */
export function localBackupDir(from: string): string | undefined {
  if (from.startsWith('file://')) return fileURLToPath(from);
  if (!from.includes('://')) return resolve(from);
  return undefined;
}

export function readManifest(dir: string): BackupManifest | undefined {
  return readJsonOrThrow(join(dir, MANIFEST_FILE), isObject, 'GRAVA_E_BACKUP') as BackupManifest | undefined;
}

export interface RestoreServerOptions extends InitServerOptions {
  readonly from: string;
  readonly expectCommit?: string;
}

export interface RestoredServer extends CreatedServer {
  readonly from: string;
  readonly expected_head: string;
  readonly verified: true;
}

/** grava server restore: a new data dir whose database comes from a backup, verified by main's commit hash. */
export async function restoreServer(o: RestoreServerOptions): Promise<RestoredServer> {
  const local = localBackupDir(o.from);
  if (local !== undefined && !existsSync(local)) throw new GravaError('GRAVA_E_BACKUP', `no backup at ${local}`);
  const url = local !== undefined ? pathToFileURL(local).href : o.from;
  const manifest = local !== undefined ? readManifest(local) : undefined;
  const expected = o.expectCommit ?? manifest?.main_head;
  if (!expected) throw new GravaError('GRAVA_E_USAGE', `${o.from} has no ${MANIFEST_FILE}; pass --expect-commit HASH (main's commit when the backup was taken) to verify the restore`);
  if (!/^[0-9a-v]{32}$/.test(expected)) throw new GravaError('GRAVA_E_INVALID', `${JSON.stringify(expected)} is not a Dolt commit hash`);
  const values: Partial<Tunables> = { ...o.values, ...(o.values.database === undefined && manifest ? { database: manifest.database } : {}) };
  const created = await bootstrap(o.dataDir, values, o.env ?? process.env, async (target, settings) => {
    await restoreDatabase(target, url, settings.database);
    const head = await mainHead(target, settings.database);
    if (head !== expected) throw new GravaError('GRAVA_E_RESTORE_MISMATCH', `the restored main is at ${head || '(none)'}, but the backup recorded ${expected}; the new data dir was removed`, { expected, actual: head });
    if (!(await workingSetClean(target, settings.database))) throw new GravaError('GRAVA_E_BACKUP', 'the restored database has uncommitted changes; pushes into it would be refused');
    return head;
  });
  return { ...created, from: url, expected_head: expected, verified: true };
}
