// A real central server for sync tests (see central-core.ts).

import { startCentralAt, type Central } from './central-core.js';
import { testDir } from './workspace.js';

export type { Central } from './central-core.js';
export { SYNC_USER, SYNC_PASSWORD } from './central-core.js';

export function startCentral(name = 'central'): Promise<Central> {
  return startCentralAt(testDir(name));
}
