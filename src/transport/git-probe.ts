// An idle sync over a git remote without a Dolt fetch. Dolt's fetch from a
// git remote costs about a second even when nothing changed (it runs git
// fetch, then reads the database's manifest); `git ls-remote` of the one ref
// Dolt writes, `refs/dolt/data`, answers in one round trip. The workspace
// records the ref's object as it stood just before its last fetch, with
// origin/main as that fetch left it; when both still match, nothing new can
// be on the remote and the fetch is skipped. Recording the object seen
// *before* the fetch is what keeps this safe: a push that lands during the
// fetch leaves the record older than the remote, so the next probe fetches.

import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { isObject, readJsonFile } from '../storage/dolt/json-file.js';
import { writeFileAtomic, type WorkspacePaths } from '../storage/dolt/layout.js';
import { gitEnv, gitUrl } from './reachability.js';

/** Where Dolt keeps a database in a git repository. */
export const DOLT_DATA_REF = 'refs/dolt/data';

interface Seen {
  readonly url: string;
  /** refs/dolt/data's object just before the last fetch. */
  readonly data: string;
  /** origin/main after that fetch. */
  readonly main: string;
}

const isSeen = (v: unknown): v is Seen => isObject(v) && typeof v.url === 'string' && typeof v.data === 'string' && typeof v.main === 'string';

/** refs/dolt/data's object on the remote now, or undefined when git cannot tell (the fetch then decides). */
export function remoteDataObject(url: string, timeoutMs = 10_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['ls-remote', gitUrl(url), DOLT_DATA_REF], { timeout: timeoutMs, env: gitEnv() }, (err, out) => {
      const oid = /^([0-9a-f]{40,64})\s+refs\/dolt\/data$/m.exec(String(out))?.[1];
      resolve(err ? undefined : oid);
    });
  });
}

/** True when the remote's refs/dolt/data and this replica's origin/main are as the last fetch left them. */
export function unchangedSinceFetch(paths: WorkspacePaths, url: string, data: string | undefined, originMain: string | null): boolean {
  if (data === undefined || originMain === null) return false;
  const r = readJsonFile(paths.gitRemoteSeen, isSeen);
  return r.status === 'ok' && r.value.url === url && r.value.data === data && r.value.main === originMain;
}

/**
 * After a fetch that began when refs/dolt/data was `data`: records it with origin/main as the fetch left it.
 * The record is only a shortcut: when it cannot be written, the next sync fetches.
 */
export function recordFetch(paths: WorkspacePaths, url: string, data: string | undefined, originMain: string | null): void {
  if (data === undefined || originMain === null) return;
  try {
    writeFileAtomic(paths.gitRemoteSeen, `${JSON.stringify({ url, data, main: originMain } satisfies Seen)}\n`, 0o600);
  } catch {
    forgetFetch(paths);
  }
}

/** A fetch outside the sync cycle (merge-inspect --fetch) may have moved origin/main: the next sync fetches. */
export function forgetFetch(paths: WorkspacePaths): void {
  try { rmSync(paths.gitRemoteSeen, { force: true }); } catch { /* a record that cannot be removed cannot be read either */ }
}
