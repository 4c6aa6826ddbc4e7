// grava init: a local-only workspace, or a clone of the central database.

import { initLocalWorkspace, type InitResult } from '../storage/replica.js';

export interface InitWorkspaceOptions {
  readonly root: string;
  readonly prefix?: string;
  readonly actor?: string;
  readonly remote?: string;
  readonly progress?: (message: string) => void;
}

export async function initWorkspace(opts: InitWorkspaceOptions): Promise<InitResult & { remote: string | null }> {
  if (opts.remote) {
    const { cloneWorkspace } = await import('./clone.js');
    return cloneWorkspace({ ...opts, remote: opts.remote });
  }
  return { ...(await initLocalWorkspace(opts)), remote: null };
}
