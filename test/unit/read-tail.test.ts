// readTail: what a failed start reports from a log that earlier runs also wrote to.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileSize, readTail } from '../../src/storage/dolt/process-util.js';

const dir = mkdtempSync(join(tmpdir(), 'grava-read-tail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('readTail', () => {
  it('reads only what was written after `from`, at most the last `bytes`', () => {
    const log = join(dir, 'server.log');
    writeFileSync(log, 'Port 1 already in use.\n');
    const from = fileSize(log);
    writeFileSync(log, 'Port 1 already in use.\nserver started\n');
    expect(readTail(log, 2_000, from)).toBe('server started');
    expect(readTail(log, 2_000)).toBe('Port 1 already in use.\nserver started');
    expect(readTail(log, 8, from)).toBe('started');
  });

  it('reads the whole tail when the file became shorter than `from` (truncated), and nothing from a missing file', () => {
    const log = join(dir, 'truncated.log');
    writeFileSync(log, 'new run\n');
    expect(readTail(log, 2_000, 10_000)).toBe('new run');
    expect(readTail(log, 2_000, 8)).toBe('');
    expect(fileSize(join(dir, 'missing.log'))).toBe(0);
    expect(readTail(join(dir, 'missing.log'), 2_000)).toBe('');
  });
});
