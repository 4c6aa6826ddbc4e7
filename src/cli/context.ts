// Opening the workspace for a command. Until the daemon exists every command
// works directly against the workspace's dolt sql-server (GRAVA_NO_DAEMON=1
// behaviour), which is started once and then reused.

import type { Replica } from '../storage/replica.js';

export async function withReplica<T>(fn: (r: Replica) => Promise<T>): Promise<T> {
  const { openReplica } = await import('../storage/replica.js');
  const replica = await openReplica();
  try {
    return await fn(replica);
  } finally {
    await replica.close();
  }
}
