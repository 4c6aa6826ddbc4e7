// Pushes to one git remote run one at a time on a machine (withPushLock):
// Dolt can corrupt refs/dolt/data when two pushes to a git remote race
// (docs/DOLT.md). Other transports are not serialised.

import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { gitPushLockPath, withPushLock } from '../../src/storage/versioning/remotes.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs `n` pushes to `url` at once; returns the most that were inside a push at the same time. */
async function overlap(url: string, n: number): Promise<number> {
  let inside = 0;
  let most = 0;
  await Promise.all(Array.from({ length: n }, () => withPushLock(url, async () => {
    inside++;
    most = Math.max(most, inside);
    await sleep(30);
    inside--;
  })));
  return most;
}

describe('withPushLock', () => {
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.GRAVA_CACHE_DIR;
    process.env.GRAVA_CACHE_DIR = mkdtempSync(join(tmpdir(), 'grava-lock-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.GRAVA_CACHE_DIR;
    else process.env.GRAVA_CACHE_DIR = saved;
  });

  it('runs pushes to one git remote one at a time, in a private lock directory', async () => {
    expect(await overlap('git+file:///srv/repo.git', 4)).toBe(1);
    expect(statSync(dirname(gitPushLockPath('git+file:///srv/repo.git'))).mode & 0o777).toBe(0o700);
  });

  it('keeps different git remotes, a shared directory and a central server independent', async () => {
    expect(gitPushLockPath('git+file:///a.git')).not.toBe(gitPushLockPath('git+file:///b.git'));
    expect(await overlap('file:///srv/shared', 4)).toBe(4);
    expect(await overlap('http://127.0.0.1:50051/grava', 4)).toBe(4);
  });

  it('releases the lock when a push fails', async () => {
    await expect(withPushLock('git+file:///srv/repo.git', () => Promise.reject(new Error('rejected')))).rejects.toThrow('rejected');
    expect(await overlap('git+file:///srv/repo.git', 2)).toBe(1);
  });
});
