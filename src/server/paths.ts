// The layout of a central server's data dir. The dir is private (0700);
// every file that holds a secret or state is 0600.
//
//   grava-server.json     settings: ports, database, users' names, backup policy (no secrets)
//   root-password         the generated root password (only when GRAVA_SERVER_ROOT_PASSWORD was not given)
//   server.yaml           the generated dolt sql-server config
//   server.json           the dolt sql-server's pid and port (DoltServer state)
//   server.log            Dolt's own log (JSON lines)
//   central-server.json   the supervisor's pid, ports, restarts
//   supervisor.log        the supervisor's log when it runs detached (JSON lines)
//   backup-state.json     the outcome of the last backups
//   queue-clock.json      the merge queue's clock (stamps of the central's merges and claims)
//   main-guard.json       the head of main the merge queue last wrote or accepted (the guard of main)
//   backups/<stamp>/      one Dolt backup per folder, with grava-backup.json (the manifest)
//   dolt/                 Dolt's data_dir (the database, .doltcfg/privileges.db)
//   dolt-home/            DOLT_ROOT_PATH
//   no-file-access/       secure_file_priv: an empty dir, so SQL cannot read or write other files

import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { ensurePrivateDir, socketPath } from '../storage/dolt/layout.js';
import { cacheBase } from '../storage/dolt/dolt-binary.js';

export const SETTINGS_FILE = 'grava-server.json';
export const MANIFEST_FILE = 'grava-backup.json';

export interface CentralPaths {
  readonly dir: string;
  readonly settings: string;
  readonly rootPassword: string;
  readonly doltConfig: string;
  readonly doltState: string;
  readonly doltLog: string;
  readonly doltLock: string;
  readonly supervisorState: string;
  readonly supervisorLock: string;
  readonly supervisorLog: string;
  readonly backupState: string;
  readonly backupLock: string;
  readonly backups: string;
  readonly dataDir: string;
  readonly doltHome: string;
  readonly noFileAccess: string;
  readonly socket: string;
}

export function centralPaths(dataDir: string): CentralPaths {
  const dir = resolve(dataDir);
  // A deep data dir gets its socket in a private folder under /tmp (sun_path is 108 bytes).
  const socket = socketPath(join(dir, 'run', 'dolt.sock'), dir, 'grava-central');
  return {
    dir,
    settings: join(dir, SETTINGS_FILE),
    rootPassword: join(dir, 'root-password'),
    doltConfig: join(dir, 'server.yaml'),
    doltState: join(dir, 'server.json'),
    doltLog: join(dir, 'server.log'),
    doltLock: join(dir, 'server.lock'),
    supervisorState: join(dir, 'central-server.json'),
    supervisorLock: join(dir, 'supervisor.lock'),
    supervisorLog: join(dir, 'supervisor.log'),
    backupState: join(dir, 'backup-state.json'),
    backupLock: join(dir, 'backup.lock'),
    backups: join(dir, 'backups'),
    dataDir: join(dir, 'dolt'),
    doltHome: join(dir, 'dolt-home'),
    noFileAccess: join(dir, 'no-file-access'),
    socket,
  };
}

/** The lock around a first init (outside the data dir, which must stay empty until init claims it). */
export function initLockPath(paths: CentralPaths): string {
  const dir = join(cacheBase(), 'locks');
  ensurePrivateDir(dir);
  return join(dir, `server-init-${createHash('sha256').update(paths.dir).digest('hex').slice(0, 24)}.lock`);
}
