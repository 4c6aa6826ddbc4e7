// The forced push that replaces a central's unreadable copy of ws/<actor> (src/transport/own-branch-push.ts).
// The state (a branch naming a commit the central cannot load, seen once after a kill -9 of the central) cannot
// be made on demand in a real Dolt, so the push here fails with the error Dolt gave then, as remoteError maps it.

import { describe, expect, it } from 'vitest';
import { pushOwnBranch } from '../../src/transport/own-branch-push.js';
import { remoteError } from '../../src/storage/versioning/remotes.js';

const unreadable = (): Error => remoteError(new Error("CALL DOLT_PUSH('--user', 'syncer', 'origin', 'main:ws/crash-3') - unknown push error; expected SerialMessage type for commit value, found <nil>"), 'push failed');
const rejected = (): Error => remoteError(new Error('! [rejected] main -> ws/a (non-fast-forward)'), 'push failed');

/** A push that fails with `fail(force)` when it returns an error, and records every call's force. */
function pushRecorder(fail: (force: boolean, call: number) => Error | undefined): { push: (force: boolean) => Promise<void>; calls: boolean[] } {
  const calls: boolean[] = [];
  return {
    calls,
    push: (force) => {
      calls.push(force);
      const e = fail(force, calls.length);
      return e ? Promise.reject(e) : Promise.resolve();
    },
  };
}

describe('pushing ws/<actor>', () => {
  it('a plain push refused because the central cannot read its copy of the branch is pushed again with --force, once', async () => {
    const r = pushRecorder((force) => (force ? undefined : unreadable()));
    await expect(pushOwnBranch(r.push, false)).resolves.toBe(true);
    expect(r.calls).toEqual([false, true]);
  });

  it('any other failure of a plain push is the caller\'s (a rejection adopts the central\'s copy), without a forced push', async () => {
    const r = pushRecorder(() => rejected());
    await expect(pushOwnBranch(r.push, false)).rejects.toMatchObject({ code: 'GRAVA_E_PUSH_REJECTED' });
    expect(r.calls).toEqual([false]);
  });

  it('a forced push that fails, even with that error, is not pushed again; a forced retry that fails is reported', async () => {
    const forced = pushRecorder(() => unreadable());
    await expect(pushOwnBranch(forced.push, true)).rejects.toMatchObject({ code: 'GRAVA_E_REMOTE' });
    expect(forced.calls).toEqual([true]);
    const both = pushRecorder(() => unreadable());
    await expect(pushOwnBranch(both.push, false)).rejects.toThrow(/found <nil>/);
    expect(both.calls).toEqual([false, true]);
  });

  it('a push that lands reports whether it was forced', async () => {
    for (const force of [false, true]) {
      const r = pushRecorder(() => undefined);
      await expect(pushOwnBranch(r.push, force)).resolves.toBe(force);
      expect(r.calls).toEqual([force]);
    }
  });
});
