// Pushing a workspace's own branch (ws/<actor>) in queue mode, and the one
// failure that a forced push repairs.

import { asGravaError } from '../errors/grava-error.js';
import { isUnreadableRemoteHead } from '../storage/dolt/contention.js';

/**
 * Pushes ws/<actor> (`push(force)`), forced when the caller knows the central's copy is in the pushed head.
 * A plain push that fails because the central's copy names a commit the central cannot read (after a kill -9
 * of it; docs/DOLT.md) is pushed again with --force: every plain push would fail the same way, only this
 * workspace writes that branch, and its head holds every commit it pushed there. Any other failure, and a
 * forced push's, is the caller's. Returns whether the push that landed was forced.
 */
export async function pushOwnBranch(push: (force: boolean) => Promise<void>, force: boolean): Promise<boolean> {
  try {
    await push(force);
    return force;
  } catch (e) {
    if (force || !isUnreadableRemoteHead(asGravaError(e).message)) throw e;
    await push(true);
    return true;
  }
}
