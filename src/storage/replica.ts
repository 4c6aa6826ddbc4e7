// A workspace's replica: its `.grava/` files, its dolt sql-server and a
// database handle. This is what every command opens.

import { existsSync, rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { createHmac, randomBytes } from 'node:crypto';
import { GravaError } from '../errors/grava-error.js';
import { encodeHlc, isValidActor } from '../merge/hlc.js';
import { clockFilesLost, FileClock, highWaterFromDb, systemNow, type Clock } from './issues/clock-store.js';
import { openDb, exec, type Db } from './dolt/db.js';
import { lockHolder } from './dolt/file-lock.js';
import { findDolt, type DoltBinary } from './dolt/dolt-binary.js';
import { DoltServer, type DoltServerState } from './dolt/dolt-server.js';
import { IssuesRepo } from './issues/issues-repo.js';
import { MIN_REPLICATED_ID_LENGTH } from './issues/ids.js';
import { migrate, schemaVersion, type MigrationResult } from './issues/migrations.js';
import { MIGRATIONS } from './issues/schema.js';
import { configureDoltHome } from './versioning/central-admin.js';
import { validPrefix } from './issues/validate.js';
import {
  createWorkspaceDir, DATABASE, generateSecret, readConfig, remoteCredentials, requireWorkspace, workspacePaths, writeConfig,
  type WorkspaceConfig, type WorkspacePaths,
} from './dolt/layout.js';

export function workspaceServer(paths: WorkspacePaths, config: WorkspaceConfig, dolt: DoltBinary): DoltServer {
  const creds = remoteCredentials(config);
  return new DoltServer({
    doltPath: dolt.path,
    dataDir: paths.dataDir,
    doltHome: paths.doltHome,
    configPath: paths.serverConfig,
    statePath: paths.serverState,
    logPath: paths.serverLog,
    lockPath: paths.serverLock,
    socket: paths.socket,
    user: 'root',
    password: config.localPassword,
    // The remotes procedures (clone/fetch/push) run inside this server and read the password from its environment.
    // Git remotes: Dolt runs git, which must never wait for a password prompt in a daemon: a missing
    // credential fails at once (GRAVA_E_AUTH). A GIT_SSH_COMMAND the user set is kept.
    env: {
      GIT_TERMINAL_PROMPT: '0',
      GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes',
      // Dolt 1.88 also pushes a branch `__dolt_remote_info__` to a git remote after each data push; empty turns
      // it off, so the project's repository gains only `refs/dolt/data` (1.86 has no such branch).
      DOLT_REMOTE_INFO_BRANCH: '',
      ...(creds ? { DOLT_REMOTE_PASSWORD: creds.password } : {}),
      // The CA bundle to trust for an https central (a self-signed or private CA): `remote.ca_file`.
      ...(typeof config.settings?.['remote.ca_file'] === 'string' && config.settings['remote.ca_file'] !== '' ? { SSL_CERT_FILE: config.settings['remote.ca_file'] } : {}),
    },
    // A changed user or password restarts the server, so it never pushes with stale credentials.
    // Keyed by the workspace's random local secret, so the digest says nothing about a weak password.
    fingerprint: createHmac('sha256', config.localPassword).update(`${creds ? `${creds.user}\0${creds.password}` : ''}${config.settings?.['remote.ca_file'] ? `\0${String(config.settings['remote.ca_file'])}` : ''}`).digest('hex').slice(0, 16),
  });
}

/** The server of the workspace around the current directory, without starting it. */
export async function localServer(paths: WorkspacePaths = requireWorkspace()): Promise<DoltServer> {
  return workspaceServer(paths, readConfig(paths), await findDolt());
}

export interface Replica {
  readonly paths: WorkspacePaths;
  readonly config: WorkspaceConfig;
  readonly dolt: DoltBinary;
  readonly server: DoltServer;
  readonly state: DoltServerState;
  readonly db: Db;
  readonly clock: Clock;
  readonly issues: IssuesRepo;
  close(): Promise<void>;
}

export function defaultActor(): string {
  let user = 'agent';
  try { user = userInfo().username; } catch { /* no passwd entry */ }
  // A random suffix keeps two workspaces of one user on one host distinct:
  // stamps carry the actor, and equal actors could issue equal stamps.
  const suffix = randomBytes(2).toString('hex');
  const raw = `${`${user}@${hostname()}`.replace(/[^A-Za-z0-9._@-]/g, '-').slice(0, 58)}-${suffix}`;
  return isValidActor(raw) ? raw : `agent-${suffix}`;
}


export interface OpenOptions {
  /** The clock this process stamps with (default: the direct-mode FileClock). */
  readonly clock?: (paths: WorkspacePaths, config: WorkspaceConfig) => Promise<Clock>;
  /** Connection pool size (the daemon keeps a larger, persistent pool). */
  readonly poolMax?: number;
}

export async function openReplica(paths: WorkspacePaths = requireWorkspace(), opts: OpenOptions = {}): Promise<Replica> {
  const config = readConfig(paths);
  const dolt = await findDolt();
  const server = workspaceServer(paths, config, dolt);
  // When a daemon runs, it owns the server and the credentials it started it with:
  // a direct-mode process with another environment must not restart it.
  const state = await server.ensureRunning({ keepMismatched: lockHolder(paths.daemonLock) !== undefined && lockHolder(paths.daemonLock) !== process.pid });
  const db = openDb(server.target(state), config.database, opts.poolMax);
  // A workspace made by an older grava catches up with the schema (one commit, only when behind).
  if ((await schemaVersion(db)) < (MIGRATIONS.at(-1)?.version ?? 0)) await migrate(db, config.actor);
  const lost = clockFilesLost([paths.clock, paths.clockDaemon]);
  const clock = opts.clock ? await opts.clock(paths, config) : new FileClock(paths.clock, config.actor, systemNow, paths.clockDaemon);
  // Clock files lost or corrupt: recover the high-water mark from this actor's own stamps before any new one.
  if (lost) {
    // Observed and persisted even when there is nothing to recover, so the scan runs once.
    const high = await highWaterFromDb(db, config.actor);
    clock.observe([high ?? encodeHlc({ wall: 0, counter: 0, actor: config.actor })]);
    await clock.persist();
  }
  const issues = new IssuesRepo({ db, clock, prefix: config.prefix, ...(config.remote ? { minIdLength: MIN_REPLICATED_ID_LENGTH } : {}) });
  return { paths, config, dolt, server, state, db, clock, issues, close: () => db.destroy() };
}

export interface InitOptions {
  readonly root: string;
  readonly prefix?: string;
  readonly actor?: string;
  readonly remote?: string;
}

export interface InitResult {
  readonly root: string;
  readonly prefix: string;
  readonly actor: string;
  readonly database: string;
  readonly migration: MigrationResult;
}

export interface PreparedWorkspace {
  readonly paths: WorkspacePaths;
  readonly config: WorkspaceConfig;
  readonly server: DoltServer;
  readonly state: DoltServerState;
}

/** Creates `.grava/` (0700) with its config and Dolt home, and starts the workspace server. */
export async function prepareWorkspace(paths: WorkspacePaths, config: WorkspaceConfig, dolt: DoltBinary): Promise<PreparedWorkspace> {
  createWorkspaceDir(paths);
  try {
    writeConfig(paths, config);
    await configureDoltHome(dolt.path, paths.doltHome, config.actor);
    const server = workspaceServer(paths, config, dolt);
    const state = await server.ensureRunning();
    return { paths, config, server, state };
  } catch (e) {
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}

/** Creates `.grava/` and a local-only database with the schema committed. */
export async function initLocalWorkspace(opts: InitOptions): Promise<InitResult> {
  const paths = workspacePaths(opts.root);
  const prefix = validPrefix(opts.prefix ?? 'gr');
  const actor = opts.actor ?? defaultActor();
  if (!isValidActor(actor)) throw new GravaError('GRAVA_E_INVALID', `invalid actor ${JSON.stringify(actor)}; use 1-63 letters, digits, '.', '_', '@' or '-'`);
  if (existsSync(paths.dir)) throw new GravaError('GRAVA_E_WORKSPACE_EXISTS', `${paths.dir} already exists; this directory is already a grava workspace`);
  const dolt = await findDolt();
  const config: WorkspaceConfig = { version: 1, prefix, actor, database: DATABASE, localPassword: generateSecret() };
  const ws = await prepareWorkspace(paths, config, dolt);
  try {
    const admin = openDb(ws.server.target(ws.state), undefined, 1);
    try { await exec(admin, `CREATE DATABASE \`${DATABASE}\``); } finally { await admin.destroy(); }
    const db = openDb(ws.server.target(ws.state), DATABASE);
    try {
      const migration = await migrate(db, actor);
      return { root: opts.root, prefix, actor, database: DATABASE, migration };
    } finally {
      await db.destroy();
    }
  } catch (e) {
    // Nothing half-made is left behind: a failed init removes what it created.
    await ws.server.stop(2_000).catch(() => undefined);
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}
