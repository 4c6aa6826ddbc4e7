// The record of main that keeps the central's guard of main across restarts (src/server/main-record.ts).

import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mainRecordPath, readMainRecord, writeMainRecord } from '../../src/server/main-record.js';

const HEAD = 'vls22087965rpvmq5hvaq0vt8lkdhla9';

describe('the record of main', () => {
  it('reads back the head it wrote, from a private file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'main-record-'));
    expect(readMainRecord(dir)).toEqual({ status: 'none' });
    writeMainRecord(dir, HEAD, new Date('2026-11-26T00:00:00Z'));
    expect(readMainRecord(dir)).toEqual({ status: 'ok', head: HEAD, at: '2026-11-26T00:00:00.000Z' });
    expect(statSync(mainRecordPath(dir)).mode & 0o777).toBe(0o600);
  });

  it('calls a damaged file corrupt instead of trusting it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'main-record-'));
    for (const [text, reason] of [['{', 'is not valid JSON'], ['[]', 'is valid JSON of the wrong shape'], ['{"head":"HEAD~1"}', 'has no valid head'], ['{"head":42}', 'has no valid head']] as const) {
      writeFileSync(mainRecordPath(dir), text);
      expect(readMainRecord(dir)).toEqual({ status: 'corrupt', reason });
    }
  });
});
