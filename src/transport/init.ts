// grava init: a local-only workspace, or a clone of the central database.

import { GravaError } from '../errors/grava-error.js';
import { initLocalWorkspace, type InitResult } from '../storage/replica.js';

export interface InitWorkspaceOptions {
  readonly root: string;
  readonly prefix?: string;
  readonly actor?: string;
  readonly remote?: string;
  /** A CA bundle to trust for an https central (the remote.ca_file setting). */
  readonly caFile?: string;
  readonly progress?: (message: string) => void;
}

export async function initWorkspace(opts: InitWorkspaceOptions): Promise<InitResult & { remote: string | null }> {
  if (opts.caFile !== undefined && !opts.remote) throw new GravaError('GRAVA_E_USAGE', '--ca-file needs --remote');
  if (opts.remote) {
    const { cloneWorkspace } = await import('./clone.js');
    return cloneWorkspace({ ...opts, remote: opts.remote });
  }
  return { ...(await initLocalWorkspace(opts)), remote: null };
}
