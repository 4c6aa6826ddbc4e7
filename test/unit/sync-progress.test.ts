import { describe, expect, it } from 'vitest';
import { wantsProgress } from '../../src/cli/sync-progress.js';

describe('grava sync progress', () => {
  it('is on for a terminal without --json, off for a pipe or with --json, and the flags decide when given', () => {
    const d = { stderrIsTty: true, daemonDisabled: false };
    expect(wantsProgress(d)).toBe(true);
    expect(wantsProgress({ ...d, json: true })).toBe(false);
    expect(wantsProgress({ ...d, stderrIsTty: false })).toBe(false);
    expect(wantsProgress({ ...d, stderrIsTty: false, json: true, progress: true })).toBe(true);
    expect(wantsProgress({ ...d, progress: false })).toBe(false);
  });

  it('is off without a daemon, whatever the flags say (a sync in the same process has no status to read)', () => {
    expect(wantsProgress({ stderrIsTty: true, daemonDisabled: true, progress: true })).toBe(false);
  });
});
