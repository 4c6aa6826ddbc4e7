// The on-disk layout of a workspace: `.grava/` and the files in it.
// `.grava/` is private (0700); files that hold secrets are 0600.

import { closeSync, existsSync, fsyncSync, lstatSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync, chmodSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { GravaError } from '../../errors/grava-error.js';

export const GRAVA_DIR = '.grava';
export const DATABASE = 'grava';

export interface WorkspaceConfig {
  readonly version: 1;
  readonly prefix: string;
  readonly actor: string;
  readonly database: string;
  /** Password of the workspace server's root user (loopback only). */
  readonly localPassword: string;
  readonly remote?: string;
  readonly remoteUser?: string;
  readonly remotePassword?: string;
  /** Settings set with `grava config set` (see src/daemon/settings.ts); absent keys take their defaults. */
  readonly settings?: Readonly<Record<string, string | number>>;
}

export interface WorkspacePaths {
  readonly root: string;
  readonly dir: string;
  readonly config: string;
  readonly dataDir: string;
  readonly doltHome: string;
  readonly serverConfig: string;
  readonly serverState: string;
  readonly serverLog: string;
  readonly serverLock: string;
  readonly socket: string;
  readonly clock: string;
  /** The daemon's own high-water mark (it is the only writer). */
  readonly clockDaemon: string;
  /** `.grava/bd.sock`: the daemon's socket, or a link to it when the path is too long for one. */
  readonly daemonSocketLink: string;
  /** Where the daemon really listens (= daemonSocketLink unless that path is too long). */
  readonly daemonSocket: string;
  /** pid, socket, version of the running daemon. */
  readonly daemonState: string;
  /** Held by the running daemon for its whole life: the one authority on "is a daemon running". */
  readonly daemonLock: string;
  /** Held by whichever CLI process starts the daemon. */
  readonly daemonStartLock: string;
  readonly daemonLog: string;
  /** The daemon's stdout/stderr (start-up failures before its log is open). */
  readonly daemonOut: string;
  readonly syncLock: string;
  /** A git remote's refs/dolt/data as seen just before the last fetch (src/transport/git-probe.ts). */
  readonly gitRemoteSeen: string;
}

// A unix socket path must fit in sun_path (108 bytes on Linux).
const MAX_SOCKET_PATH = 100;

/** `preferred`, or, when that path is too long for a socket, a private folder under /tmp named after `owner`. */
export function socketPath(preferred: string, owner: string, kind = 'grava'): string {
  if (Buffer.byteLength(preferred) <= MAX_SOCKET_PATH) return preferred;
  return join(tmpdir(), `${kind}-${createHash('sha256').update(owner).digest('hex').slice(0, 16)}`, basename(preferred));
}

export function workspacePaths(root: string): WorkspacePaths {
  const dir = join(root, GRAVA_DIR);
  const socket = socketPath(join(dir, 'dolt.sock'), dir);
  return {
    root,
    dir,
    config: join(dir, 'config.json'),
    dataDir: join(dir, 'dolt'),
    doltHome: join(dir, 'dolt-home'),
    serverConfig: join(dir, 'server.yaml'),
    serverState: join(dir, 'server.json'),
    serverLog: join(dir, 'server.log'),
    serverLock: join(dir, 'server.lock'),
    socket,
    clock: join(dir, 'clock.json'),
    clockDaemon: join(dir, 'clock.daemon.json'),
    daemonSocketLink: join(dir, 'bd.sock'),
    daemonSocket: socketPath(join(dir, 'bd.sock'), dir),
    daemonState: join(dir, 'daemon.json'),
    daemonLock: join(dir, 'daemon.lock'),
    daemonStartLock: join(dir, 'daemon.start.lock'),
    daemonLog: join(dir, 'daemon.log'),
    daemonOut: join(dir, 'daemon.out'),
    syncLock: join(dir, 'sync.lock'),
    gitRemoteSeen: join(dir, 'git-remote-seen.json'),
  };
}

/** The nearest ancestor of `from` (inclusive) that contains `.grava/`. */
export function findWorkspaceRoot(from: string = process.cwd()): string | undefined {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, GRAVA_DIR, 'config.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

export function requireWorkspace(from: string = process.cwd()): WorkspacePaths {
  const root = findWorkspaceRoot(from);
  if (!root) throw new GravaError('GRAVA_E_NO_WORKSPACE', `no grava workspace in ${resolve(from)} or any parent; run \`grava init\``);
  return workspacePaths(root);
}

/**
 * Replaces a file atomically and durably: a temporary file in the same
 * directory, fsynced, renamed over the target, and the directory fsynced, so
 * a crash leaves either the old content or the new, never an empty file.
 */
export function writeFileAtomic(path: string, content: string, mode = 0o600): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  chmodSync(tmp, mode);
  renameSync(tmp, path);
  try {
    const dir = openSync(dirname(path), 'r');
    try { fsyncSync(dir); } finally { closeSync(dir); }
  } catch {
    // Some file systems cannot fsync a directory; the rename itself is still atomic.
  }
}

export function readConfig(paths: WorkspacePaths): WorkspaceConfig {
  let text: string;
  try {
    text = readFileSync(paths.config, 'utf8');
  } catch (e) {
    throw new GravaError('GRAVA_E_NO_WORKSPACE', `cannot read ${paths.config}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  try {
    return JSON.parse(text) as WorkspaceConfig;
  } catch {
    // JSON.parse quotes the text around the fault, and this file holds passwords: say only that it is broken.
    throw new GravaError('GRAVA_E_NO_WORKSPACE', `${paths.config} is not valid JSON; fix it or restore it from a backup`);
  }
}

export function writeConfig(paths: WorkspacePaths, config: WorkspaceConfig): void {
  writeFileAtomic(paths.config, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

export function createWorkspaceDir(paths: WorkspacePaths): void {
  mkdirSync(paths.dir, { mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  // Nothing in .grava/ belongs in git: the database, sockets, logs and secrets.
  writeFileSync(join(paths.dir, '.gitignore'), '# grava workspace state: database, sockets, logs, credentials\n*\n', { mode: 0o600 });
}

/** Creates (or checks) a directory only this user can enter. A symlink or someone else's directory is refused. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = lstatSync(path);
  const uid = process.getuid?.();
  if (!st.isDirectory() || (uid !== undefined && st.uid !== uid)) {
    throw new GravaError('GRAVA_E_SERVER', `${path} is not a directory owned by this user; refusing to put a socket there`);
  }
  chmodSync(path, 0o700);
}

export function generateSecret(): string {
  return randomBytes(24).toString('base64url');
}

/** Remote credentials: environment first, then the workspace config. */
export function remoteCredentials(config: WorkspaceConfig | undefined): { user: string; password: string } | undefined {
  const user = process.env.GRAVA_REMOTE_USER ?? config?.remoteUser;
  const password = process.env.GRAVA_REMOTE_PASSWORD ?? config?.remotePassword;
  return user && password !== undefined ? { user, password } : undefined;
}
