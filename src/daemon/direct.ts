// Direct mode (GRAVA_NO_DAEMON=1 or --no-daemon): the CLI process runs the
// method itself on a replica it opens and closes, as grava did before the
// daemon. Same method table, same results, same errors.

import { openReplica } from '../storage/replica.js';
import { syncOnce } from '../transport/sync.js';
import { runMethod } from './methods.js';

export async function runDirect(method: string, params: Record<string, unknown>): Promise<unknown> {
  const replica = await openReplica();
  try {
    return await runMethod({ replica, sync: () => syncOnce(replica) }, method, params);
  } finally {
    await replica.close();
  }
}
