// The one reader of grava's JSON state files, and the policies its callers state.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasPid, isObject, readJsonFile, readJsonFileAsync, readJsonOrThrow } from '../../src/storage/dolt/json-file.js';
import { centralPaths } from '../../src/server/paths.js';
import { readBackupState } from '../../src/server/backup.js';
import { readSettings } from '../../src/server/settings.js';
import { clockFilesLost } from '../../src/storage/issues/clock-store.js';

const dir = (): string => mkdtempSync(join(tmpdir(), 'grava-json-'));
const SECRET = 'hunter2-secret';

describe('readJsonFile', () => {
  it('tells missing, ok, corrupt and wrong-shaped files apart, sync and async alike', async () => {
    const d = dir();
    writeFileSync(join(d, 'ok.json'), '{"pid": 42}');
    writeFileSync(join(d, 'bad.json'), `{"password": "${SECRET}", `);
    writeFileSync(join(d, 'shape.json'), '{"pid": "x"}');
    expect(readJsonFile(join(d, 'none.json'), isObject)).toEqual({ status: 'missing' });
    expect(readJsonFile(join(d, 'ok.json'), hasPid)).toEqual({ status: 'ok', value: { pid: 42 } });
    expect(readJsonFile(join(d, 'bad.json'), isObject)).toEqual({ status: 'corrupt', reason: 'is not valid JSON' });
    expect(readJsonFile(join(d, 'shape.json'), hasPid)).toEqual({ status: 'corrupt', reason: 'is valid JSON of the wrong shape' });
    expect(await readJsonFileAsync(join(d, 'bad.json'), isObject)).toEqual(readJsonFile(join(d, 'bad.json'), isObject));
    expect(await readJsonFileAsync(join(d, 'none.json'), isObject)).toEqual({ status: 'missing' });
  });

  it('a path that exists but cannot be read is corrupt with its errno, not missing', () => {
    // A directory where the file should be (root can read any file, so permissions would not show it).
    const d = dir();
    mkdirSync(join(d, 'state.json'));
    expect(readJsonFile(join(d, 'state.json'), isObject)).toEqual({ status: 'corrupt', reason: 'cannot be read (EISDIR)' });
  });

  it('readJsonOrThrow names the file with a stable code and never quotes its text', () => {
    const d = dir();
    writeFileSync(join(d, 'bad.json'), `{"password": "${SECRET}", `);
    expect(readJsonOrThrow(join(d, 'none.json'), isObject, 'GRAVA_E_BACKUP')).toBeUndefined();
    let err: { code?: string; message?: string } | undefined;
    try { readJsonOrThrow(join(d, 'bad.json'), isObject, 'GRAVA_E_BACKUP'); } catch (e) { err = e as typeof err; }
    expect(err?.code).toBe('GRAVA_E_BACKUP');
    expect(err?.message).toContain(join(d, 'bad.json'));
    expect(err?.message).not.toContain(SECRET);
  });
});

describe('the callers\' policies', () => {
  it('corrupt server settings: GRAVA_E_NO_SERVER naming the file, without its text', () => {
    const paths = centralPaths(dir());
    writeFileSync(paths.settings, `{"root_password": "${SECRET}"`);
    expect(() => readSettings(paths)).toThrow(expect.objectContaining({ code: 'GRAVA_E_NO_SERVER' }));
    expect(() => readSettings(paths)).not.toThrow(SECRET);
  });

  it('a corrupt backup record does not stop backups and says so in lastError', () => {
    const paths = centralPaths(dir());
    expect(readBackupState(paths).lastError).toBeNull();
    writeFileSync(paths.backupState, '{"successes": 3,');
    const s = readBackupState(paths);
    expect(s.successes).toBe(0);
    expect(s.lastError).toContain('is not valid JSON');
  });

  it('a clock file of the wrong shape counts as lost (so the clock is recovered from the database)', () => {
    const d = dir();
    writeFileSync(join(d, 'a.json'), '{"wall": "soon", "counter": 1}');
    writeFileSync(join(d, 'b.json'), '{"wall": 1700000000000, "counter": 3}');
    expect(clockFilesLost([join(d, 'a.json')])).toBe(true);
    expect(clockFilesLost([join(d, 'a.json'), join(d, 'b.json')])).toBe(false);
  });
});
