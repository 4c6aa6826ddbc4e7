// The cross-process lock under contention, with real processes (no Dolt
// needed; it runs with the process tests): many processes taking one lock
// never overlap. Regression: an O_EXCL lock file was empty for a moment after
// its creation, a concurrent process judged it stale and removed it, and two
// processes held the lock at once (ten CLIs starting a daemon got two).

import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { withFileLock } from '../../src/storage/dolt/file-lock.js';
import { GravaError } from '../../src/errors/grava-error.js';
import { join } from 'node:path';
import { testDir } from '../helpers/workspace.js';

const LOCK = new URL('../../dist/storage/dolt/file-lock.js', import.meta.url).href;

function worker(dir: string, rounds: number): Promise<void> {
  const script = `
    import { appendFileSync } from 'node:fs';
    const { withFileLock } = await import(${JSON.stringify(LOCK)});
    for (let i = 0; i < ${rounds}; i++) {
      await withFileLock(${JSON.stringify(join(dir, 'x.lock'))}, async () => {
        appendFileSync(${JSON.stringify(join(dir, 'trace'))}, 'in ' + process.pid + '\\n');
        await new Promise((r) => setTimeout(r, 2));
        appendFileSync(${JSON.stringify(join(dir, 'trace'))}, 'out ' + process.pid + '\\n');
      });
    }`;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], (err, _out, stderr) => (err ? reject(new Error(`worker failed: ${stderr}`)) : resolve()));
  });
}

describe('file lock', () => {
  it('an empty lock file (its creator is still writing it) is not taken over; an old empty one is', async () => {
    const dir = testDir('emptylock');
    const path = join(dir, 'y.lock');
    writeFileSync(path, '');
    const err = await withFileLock(path, () => Promise.resolve('taken'), 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GravaError);
    expect((err as GravaError).code).toBe('GRAVA_E_LOCKED');
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(path, old, old);
    expect(await withFileLock(path, () => Promise.resolve('taken'), 2_000)).toBe('taken');
  });

  it('12 processes taking one lock 8 times each never hold it at the same time', async () => {
    const dir = testDir('locks');
    await Promise.all(Array.from({ length: 12 }, () => worker(dir, 8)));
    const lines = readFileSync(join(dir, 'trace'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(12 * 8 * 2);
    for (let i = 0; i < lines.length; i += 2) {
      const [inWhat, inPid] = lines[i]!.split(' ');
      const [outWhat, outPid] = lines[i + 1]!.split(' ');
      expect([inWhat, outWhat, outPid], `line ${i}`).toEqual(['in', 'out', inPid]);
    }
  });
});
