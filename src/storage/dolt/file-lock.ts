// A cross-process lock file (O_EXCL) holding its owner's pid and process
// start time. A lock whose owner is gone (or whose pid now belongs to another
// process) is stale; taking it over is itself guarded, so two processes that
// find the same stale lock never both end up holding it.

import { linkSync, readFileSync, unlinkSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { GravaError } from '../../errors/grava-error.js';
import { isAlive, processStartTime, sleep } from './process-util.js';

const GUARD_STALE_MS = 10_000;

function ownerToken(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? ''}`.trim();
}

/**
 * Creates the lock file with its owner token in one step: the token is
 * written to a private temp file, which is then hard-linked to `path` (link
 * fails if `path` exists, like O_EXCL). A plain O_EXCL create left an empty
 * file for a moment, which a concurrent process judged stale and removed:
 * two CLI processes then both "held" the daemon's start lock.
 */
function tryCreate(path: string): boolean {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, ownerToken(), { mode: 0o600 });
  try {
    linkSync(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    return false;
  } finally {
    unlinkQuietly(tmp);
  }
}

function readToken(path: string): string | undefined {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
}

function ownerAlive(token: string): boolean {
  const [pidText, start] = token.trim().split(' ');
  const pid = Number.parseInt(pidText ?? '', 10);
  if (!pid || !isAlive(pid)) return false;
  return start === undefined || processStartTime(pid) === start;
}

function unlinkQuietly(path: string): void {
  try { unlinkSync(path); } catch { /* already gone */ }
}

/** One attempt: take the lock, or clear it if stale. Returns true once held; 'owner' when someone live holds it. */
function attempt(path: string): true | 'owner' | 'retry' {
  if (tryCreate(path)) return true;
  const token = readToken(path);
  if (token === undefined) return 'retry';
  // An empty lock file is one being written by an older grava: stale only once it is old.
  if (token.trim() === '') {
    try { if (Date.now() - statSync(path).mtimeMs < GUARD_STALE_MS) return 'owner'; } catch { return 'retry'; }
  } else if (ownerAlive(token)) return 'owner';
  const guard = `${path}.takeover`;
  if (!tryCreate(guard)) {
    try { if (Date.now() - statSync(guard).mtimeMs > GUARD_STALE_MS) unlinkQuietly(guard); } catch { /* gone */ }
    return 'retry';
  }
  try {
    // Only remove the very lock we judged stale, not one created meanwhile.
    if (readToken(path) === token) unlinkQuietly(path);
  } finally {
    unlinkQuietly(guard);
  }
  return 'retry';
}

function lockedError(path: string): GravaError {
  return new GravaError('GRAVA_E_LOCKED', `${path} is held by process ${readToken(path)?.split(' ')[0] ?? '?'}`);
}

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let r = attempt(path); r !== true; r = attempt(path)) {
    if (Date.now() > deadline) throw lockedError(path);
    await sleep(r === 'owner' ? 50 : 5);
  }
  try {
    return await fn();
  } finally {
    unlinkQuietly(path);
  }
}

const pause = new Int32Array(new SharedArrayBuffer(4));

/** The same lock for short critical sections in synchronous code. */
export function withFileLockSync<T>(path: string, fn: () => T, timeoutMs = 10_000): T {
  const deadline = Date.now() + timeoutMs;
  for (let r = attempt(path); r !== true; r = attempt(path)) {
    if (Date.now() > deadline) throw lockedError(path);
    Atomics.wait(pause, 0, 0, r === 'owner' ? 2 : 1);
  }
  try {
    return fn();
  } finally {
    unlinkQuietly(path);
  }
}

/** True when a live process holds the lock at `path`. */
export function lockHolder(path: string): number | undefined {
  const token = readToken(path);
  if (token === undefined || !ownerAlive(token)) return undefined;
  return Number.parseInt(token.split(' ')[0] ?? '', 10) || undefined;
}

/**
 * Takes the lock for as long as the caller lives (a daemon's life lock), or
 * returns undefined at once when a live process holds it. The returned
 * function releases it. A lock left by a dead process is taken over.
 */
export function holdFileLock(path: string): (() => void) | undefined {
  for (let i = 0; i < 100; i++) {
    const r = attempt(path);
    if (r === true) {
      const mine = readToken(path);
      return () => { if (readToken(path) === mine) unlinkQuietly(path); };
    }
    if (r === 'owner') return undefined;
  }
  return undefined;
}
