// Who a workspace is to its remote. A central `grava server` needs a sync
// user (GRAVA_REMOTE_USER / GRAVA_REMOTE_PASSWORD, or the workspace config);
// a git remote uses the user's own git credentials (ssh agent, credential
// helper) and a shared directory the file system's permissions: grava stores
// nothing for those.

import { GravaError } from '../errors/grava-error.js';
import { remoteCredentials, type WorkspaceConfig } from '../storage/dolt/layout.js';
import { parseRemote, type Remote } from './remote-url.js';

export interface RemoteAccess {
  readonly remote: Remote;
  /** The sync user for a central server; undefined for git and shared directories. */
  readonly user: string | undefined;
}

export function remoteAccess(config: WorkspaceConfig): RemoteAccess {
  if (!config.remote) throw new GravaError('GRAVA_E_REMOTE', 'this workspace has no remote; create it with `grava init --remote URL` to sync');
  const remote = parseRemote(config.remote);
  if (remote.transport !== 'server') return { remote, user: undefined };
  const creds = remoteCredentials(config);
  if (!creds) throw new GravaError('GRAVA_E_AUTH', 'no credentials for the central server; set GRAVA_REMOTE_USER and GRAVA_REMOTE_PASSWORD');
  return { remote, user: creds.user };
}
