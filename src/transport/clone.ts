// grava init --remote URL: clone the central database into a new workspace.

import { existsSync, rmSync } from 'node:fs';
import { GravaError } from '../errors/grava-error.js';
import { isValidActor } from '../merge/hlc.js';
import { findDolt } from '../storage/dolt/dolt-binary.js';
import { defaultActor, prepareWorkspace, type InitResult } from '../storage/replica.js';
import { cloneDatabase } from '../storage/versioning/remotes.js';
import { validPrefix } from '../storage/issues/validate.js';
import { DATABASE, remoteCredentials, workspacePaths, type WorkspaceConfig, generateSecret } from '../storage/dolt/layout.js';
import { parseRemoteUrl } from './remote-url.js';

export interface CloneOptions {
  readonly root: string;
  readonly remote: string;
  readonly prefix?: string;
  readonly actor?: string;
  readonly progress?: (message: string) => void;
}

export async function cloneWorkspace(opts: CloneOptions): Promise<InitResult & { remote: string }> {
  const remote = parseRemoteUrl(opts.remote);
  const prefix = validPrefix(opts.prefix ?? 'gr');
  const actor = opts.actor ?? defaultActor();
  if (!isValidActor(actor)) throw new GravaError('GRAVA_E_INVALID', `invalid actor ${JSON.stringify(actor)}`);
  const creds = remoteCredentials(undefined);
  if (!creds) throw new GravaError('GRAVA_E_AUTH', 'set GRAVA_REMOTE_USER and GRAVA_REMOTE_PASSWORD to clone from the central server');
  const paths = workspacePaths(opts.root);
  if (existsSync(paths.dir)) throw new GravaError('GRAVA_E_WORKSPACE_EXISTS', `${paths.dir} already exists; this directory is already a grava workspace`);
  const dolt = await findDolt();
  const config: WorkspaceConfig = {
    version: 1, prefix, actor, database: DATABASE, localPassword: generateSecret(),
    remote: remote.url, remoteUser: creds.user, remotePassword: creds.password,
  };
  const ws = await prepareWorkspace(paths, config, dolt);
  try {
    opts.progress?.(`cloning ${remote.url} as ${creds.user} ...`);
    const started = Date.now();
    const migration = await cloneDatabase(ws, remote.url, creds.user, DATABASE);
    opts.progress?.(`cloned in ${Date.now() - started} ms`);
    return { root: opts.root, prefix, actor, database: DATABASE, migration, remote: remote.url };
  } catch (e) {
    await ws.server.stop(2_000).catch(() => undefined);
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}
