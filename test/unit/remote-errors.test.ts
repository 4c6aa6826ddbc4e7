// How a failed fetch or push of Dolt's becomes a grava error (src/storage/versioning/remotes.ts).

import { describe, expect, it } from 'vitest';
import { remoteError } from '../../src/storage/versioning/remotes.js';
import { isUnreadableRemoteHead } from '../../src/storage/dolt/contention.js';

describe('remote errors', () => {
  it('a lost push race is GRAVA_E_PUSH_REJECTED; transient remote failures are marked for a retry; credentials are GRAVA_E_AUTH', () => {
    const rejected = remoteError(new Error("CALL DOLT_PUSH('origin', 'main')\n! [rejected] main -> main (non-fast-forward)\nhint: Updates were rejected because the tip of your current branch is behind"), 'push failed');
    expect(rejected.code).toBe('GRAVA_E_PUSH_REJECTED');
    for (const text of ["CALL DOLT_PUSH('--user', 'syncer', 'origin', 'main') - unknown push error; http status: 404", 'Blob not found: abc.darc', "CALL DOLT_FETCH('--user', 'syncer', 'origin', 'main') - fetch failed: duplicate chunks written"]) {
      const e = remoteError(new Error(text), 'push failed');
      expect(e.code).toBe('GRAVA_E_REMOTE');
      expect(e.data?.transient).toBe(true);
    }
    expect(remoteError(new Error('rpc error: code = Unauthenticated desc = bad password'), 'fetch failed').code).toBe('GRAVA_E_AUTH');
    const other = remoteError(new Error('connection refused'), 'fetch failed');
    expect(other.code).toBe('GRAVA_E_REMOTE');
    expect(other.data?.transient).toBeUndefined();
  });

  it('a push whose remote branch head cannot be read is recognised (the text the crash drill saw), and nothing else is', () => {
    const seen = remoteError(new Error("CALL DOLT_PUSH('--user', 'syncer', 'origin', 'main:ws/crash-3') - unknown push error; expected SerialMessage type for commit value, found <nil>"), 'push failed');
    expect(isUnreadableRemoteHead(seen.message)).toBe(true);
    for (const text of ['unknown push error; http status: 404', '! [rejected] main -> main (non-fast-forward)', 'expected SerialMessage type for commit value, found *types.Map']) expect(isUnreadableRemoteHead(text)).toBe(false);
  });
});
