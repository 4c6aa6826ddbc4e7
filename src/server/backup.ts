// Backups of the central database: DOLT_BACKUP('sync-url') into a fresh,
// timestamped file:// folder under the data dir's backups/ (or a URL the
// operator gives), a manifest recording main's commit hash, retention of the
// newest N, and the outcome recorded for /metrics and `status`.
//
// One backup at a time per data dir (a lock file), whether it was started by
// the supervisor's schedule or by `grava server backup`.

import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { asGravaError, GravaError } from '../errors/grava-error.js';
import { backupDatabase } from '../storage/versioning/central-admin.js';
import type { ConnectionTarget } from '../storage/dolt/dolt-server.js';
import { withFileLock } from '../storage/dolt/file-lock.js';
import { writeFileAtomic } from '../storage/dolt/layout.js';
import type { ServerSettings } from './config.js';
import { localBackupDir, type BackupManifest } from './central.js';
import type { Log } from './log.js';
import { MANIFEST_FILE, type CentralPaths } from './paths.js';
import { isObject, readJsonFile } from '../storage/dolt/json-file.js';

export interface BackupState {
  readonly lastSuccessAt: string | null;
  readonly lastOutcome: 'success' | 'failure' | null;
  readonly lastAttemptAt: string | null;
  readonly lastUrl: string | null;
  readonly lastMainHead: string | null;
  readonly lastError: string | null;
  readonly successes: number;
  readonly failures: number;
}

const EMPTY_STATE: BackupState = { lastSuccessAt: null, lastOutcome: null, lastAttemptAt: null, lastUrl: null, lastMainHead: null, lastError: null, successes: 0, failures: 0 };

export function readBackupState(paths: CentralPaths): BackupState {
  const r = readJsonFile(paths.backupState, isObject);
  if (r.status === 'ok') return { ...EMPTY_STATE, ...(r.value as Partial<BackupState>) };
  // A corrupt record must not stop backups: the next attempt rewrites it, and status says what happened.
  return r.status === 'missing' ? EMPTY_STATE : { ...EMPTY_STATE, lastError: `the backup record ${paths.backupState} ${r.reason}; it is rewritten at the next backup` };
}

function recordOutcome(paths: CentralPaths, at: Date, outcome: { ok: true; url: string; head: string } | { ok: false; url: string; error: string }): void {
  const prev = readBackupState(paths);
  const next: BackupState = outcome.ok
    ? { ...prev, lastSuccessAt: at.toISOString(), lastOutcome: 'success', lastAttemptAt: at.toISOString(), lastUrl: outcome.url, lastMainHead: outcome.head, lastError: null, successes: prev.successes + 1 }
    : { ...prev, lastOutcome: 'failure', lastAttemptAt: at.toISOString(), lastError: outcome.error, failures: prev.failures + 1 };
  writeFileAtomic(paths.backupState, `${JSON.stringify(next, null, 2)}\n`, 0o600);
}

/** Folder names of grava's own backups: an ISO time with '-' for ':' (they sort by time). */
const STAMP = /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/;

export function backupStamp(at: Date): string {
  return at.toISOString().replace(/:/g, '-');
}

/** Which backup folders retention deletes: incomplete ones (no manifest) and complete ones beyond the newest `keep`. Pure. */
export function backupsToPrune(entries: readonly { name: string; complete: boolean }[], keep: number, protect: string | undefined): string[] {
  const ours = entries.filter((e) => STAMP.test(e.name) && e.name !== protect);
  const incomplete = ours.filter((e) => !e.complete).map((e) => e.name);
  const complete = ours.filter((e) => e.complete).map((e) => e.name).sort().reverse();
  const room = Math.max(0, keep - (protect ? 1 : 0));
  return [...incomplete, ...complete.slice(room)].sort();
}

export function listBackups(paths: CentralPaths): { name: string; complete: boolean }[] {
  if (!existsSync(paths.backups)) return [];
  return readdirSync(paths.backups, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== 'lost+found') // backups/ may be a volume of its own
    .map((d) => ({ name: d.name, complete: existsSync(join(paths.backups, d.name, MANIFEST_FILE)) }));
}

export interface BackupOptions {
  readonly paths: CentralPaths;
  readonly settings: ServerSettings;
  readonly target: ConnectionTarget;
  readonly keep: number;
  /** Where to: a file:// URL, an absolute path, or any URL Dolt's backups accept (aws://, gs://, …). Default: a new folder under backups/. */
  readonly to?: string;
  readonly log?: Log;
  readonly now?: () => Date;
}

export interface BackupResult {
  readonly url: string;
  readonly database: string;
  readonly main_head: string;
  readonly created_at: string;
  readonly duration_ms: number;
  readonly manifest: string | null;
  readonly pruned: readonly string[];
  readonly kept: number;
}

function inside(dir: string, path: string): boolean {
  const r = relative(dir, path);
  return r !== '' && !r.startsWith('..') && !isAbsolute(r);
}

export async function runBackup(o: BackupOptions): Promise<BackupResult> {
  const now = o.now ?? (() => new Date());
  return withFileLock(o.paths.backupLock, async () => {
    const started = now();
    const defaultDir = o.to === undefined ? join(o.paths.backups, backupStamp(started)) : undefined;
    const localDir = o.to === undefined ? defaultDir : localBackupDir(o.to);
    const url = localDir !== undefined ? pathToFileURL(localDir).href : String(o.to);
    try {
      if (localDir !== undefined) mkdirSync(localDir, { recursive: true, mode: 0o700 });
      const snap = await backupDatabase(o.target, o.settings.database, url);
      let manifestPath: string | null = null;
      if (localDir !== undefined) {
        const manifest: BackupManifest = { version: 1, database: o.settings.database, main_head: snap.mainHead, created_at: started.toISOString(), url, dolt_version: o.settings.doltVersion };
        manifestPath = join(localDir, MANIFEST_FILE);
        writeFileAtomic(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
      }
      recordOutcome(o.paths, now(), { ok: true, url, head: snap.mainHead });
      let pruned: string[] = [];
      // Retention applies to the data dir's backups/, after a backup landed there.
      if (localDir !== undefined && inside(o.paths.backups, localDir)) {
        pruned = backupsToPrune(listBackups(o.paths), o.keep, relative(o.paths.backups, localDir));
        for (const name of pruned) rmSync(join(o.paths.backups, name), { recursive: true, force: true });
      }
      const result: BackupResult = {
        url, database: o.settings.database, main_head: snap.mainHead, created_at: started.toISOString(), duration_ms: now().getTime() - started.getTime(),
        manifest: manifestPath, pruned, kept: listBackups(o.paths).filter((b) => b.complete).length,
      };
      o.log?.info('backup done', { url, main_head: snap.mainHead, duration_ms: result.duration_ms, pruned: pruned.length });
      return result;
    } catch (e) {
      const err = asGravaError(e, 'GRAVA_E_BACKUP');
      recordOutcome(o.paths, now(), { ok: false, url, error: `${err.code}: ${err.message}` });
      // A folder of ours that did not complete is removed at once (retention would remove it later anyway).
      if (defaultDir !== undefined) rmSync(defaultDir, { recursive: true, force: true });
      o.log?.error('backup failed', { url, code: err.code, error: err.message });
      throw err.code === 'GRAVA_E_BACKUP' ? err : new GravaError('GRAVA_E_BACKUP', err.message, err.data);
    }
  }, 30 * 60_000);
}
