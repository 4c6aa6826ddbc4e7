// A cross-process lock file (O_EXCL) holding the owner's pid. A lock whose
// owner is dead is stale and taken over.

import { openSync, closeSync, writeSync, readFileSync, unlinkSync } from 'node:fs';
import { GravaError } from '../errors/grava-error.js';
import { isAlive, sleep } from './process-util.js';

export async function withFileLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let owner = 0;
      try { owner = Number.parseInt(readFileSync(path, 'utf8'), 10); } catch { /* vanished: retry */ }
      if (owner && !isAlive(owner)) {
        try { unlinkSync(path); } catch { /* someone else took it over */ }
        continue;
      }
      if (Date.now() > deadline) throw new GravaError('GRAVA_E_LOCKED', `${path} is held by process ${owner}`);
      await sleep(50);
    }
  }
  try {
    return await fn();
  } finally {
    try { unlinkSync(path); } catch { /* already gone */ }
  }
}
