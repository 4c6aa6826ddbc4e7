// A real central server for sync tests (see central-core.ts).

import { startCentralAt, type Central } from './central-core.js';
import { ok, testDir } from './workspace.js';
import { openReplica, type Replica } from '../../src/storage/replica.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { rows } from '../../src/storage/dolt/db.js';

export type { Central } from './central-core.js';
export { SYNC_USER, SYNC_PASSWORD } from './central-core.js';

export function startCentral(name = 'central'): Promise<Central> {
  return startCentralAt(testDir(name));
}

/** A workspace cloned from `central` (through the CLI), opened as a replica and added to `open` for the caller to close. */
export async function centralReplica(central: Central, name: string, open: Replica[]): Promise<Replica> {
  const dir = testDir(name);
  await ok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  const r = await openReplica(workspacePaths(dir));
  open.push(r);
  return r;
}

/** A replica's whole data, for comparing replicas: issues, labels, dependencies and comments. */
export async function snapshot(r: Replica): Promise<string> {
  const issues = await rows(r.db, 'SELECT * FROM issues ORDER BY id');
  const labels = await rows(r.db, 'SELECT * FROM labels ORDER BY issue_id, label');
  const deps = await rows(r.db, 'SELECT * FROM dependencies ORDER BY issue_id, depends_on');
  const comments = await rows(r.db, 'SELECT * FROM comments ORDER BY id');
  return JSON.stringify({ issues, labels, deps, comments });
}
