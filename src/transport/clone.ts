// grava init --remote URL: clone the database into a new workspace, or
// publish a new one when the remote (a git ref or a shared directory) is
// still empty. See remote-url.ts for the transports.

import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { GravaError } from '../errors/grava-error.js';
import { isValidActor } from '../merge/hlc.js';
import { findDolt } from '../storage/dolt/dolt-binary.js';
import { defaultActor, prepareWorkspace, type InitResult } from '../storage/replica.js';
import { cloneDatabase, isEmptyRemote, publishDatabase } from '../storage/versioning/remotes.js';
import type { MigrationResult } from '../storage/issues/migrations.js';
import { validPrefix } from '../storage/issues/validate.js';
import { DATABASE, remoteCredentials, workspacePaths, type WorkspaceConfig, generateSecret } from '../storage/dolt/layout.js';
import { parseRemote, type Remote } from './remote-url.js';
import { gitOriginUrl } from './git-origin.js';
import { validCaFile } from '../storage/dolt/ca-file.js';

export interface CloneOptions {
  readonly root: string;
  readonly remote: string;
  readonly prefix?: string;
  readonly actor?: string;
  readonly caFile?: string;
  readonly progress?: (message: string) => void;
}

/** The remote named on the command line; `git-origin` is looked up in the git repository around `root`. */
export async function resolveRemote(text: string, root: string): Promise<Remote> {
  return parseRemote(text === 'git-origin' ? await gitOriginUrl(root) : text);
}

async function cloneOrPublish(ws: Parameters<typeof cloneDatabase>[0], remote: Remote, user: string | undefined, progress?: (m: string) => void): Promise<{ migration: MigrationResult; published: boolean }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { migration: await cloneDatabase(ws, remote.url, user, DATABASE), published: false };
    } catch (e) {
      if (remote.transport === 'server' || !isEmptyRemote(e) || attempt > 0) {
        if (isEmptyRemote(e)) throw new GravaError('GRAVA_E_REMOTE', `${remote.url} holds no grava database yet and publishing one lost a race; run grava init again`);
        throw e;
      }
    }
    progress?.(`${remote.url} holds no grava database yet; publishing this one ...`);
    const published = await publishDatabase(ws, remote.url, DATABASE);
    if (published !== 'raced') return { migration: published, published: true };
    progress?.('another workspace published first; cloning its database ...');
  }
}

export async function cloneWorkspace(opts: CloneOptions): Promise<InitResult & { remote: string; transport: Remote['transport']; published: boolean }> {
  const remote = await resolveRemote(opts.remote, opts.root);
  const prefix = validPrefix(opts.prefix ?? 'gr');
  const actor = opts.actor ?? defaultActor();
  if (!isValidActor(actor)) throw new GravaError('GRAVA_E_INVALID', `invalid actor ${JSON.stringify(actor)}`);
  // Only a central server takes grava's credentials; git and directories use the user's own.
  const creds = remote.transport === 'server' ? remoteCredentials(undefined) : undefined;
  if (remote.transport === 'server' && !creds) throw new GravaError('GRAVA_E_AUTH', 'set GRAVA_REMOTE_USER and GRAVA_REMOTE_PASSWORD to clone from the central server');
  const paths = workspacePaths(opts.root);
  if (existsSync(paths.dir)) throw new GravaError('GRAVA_E_WORKSPACE_EXISTS', `${paths.dir} already exists; this directory is already a grava workspace`);
  if (remote.transport === 'dir' && !existsSync(remote.path)) {
    if (!existsSync(dirname(remote.path))) throw new GravaError('GRAVA_E_REMOTE', `the shared directory ${remote.path} does not exist, nor its parent; create it first`);
    mkdirSync(remote.path);
  }
  const caFile = opts.caFile === undefined ? undefined : validCaFile(opts.caFile);
  const dolt = await findDolt();
  const config: WorkspaceConfig = {
    version: 1, prefix, actor, database: DATABASE, localPassword: generateSecret(),
    remote: remote.url, ...(creds ? { remoteUser: creds.user, remotePassword: creds.password } : {}),
    ...(caFile !== undefined ? { settings: { 'remote.ca_file': caFile } } : {}),
  };
  const ws = await prepareWorkspace(paths, config, dolt);
  try {
    opts.progress?.(`cloning ${remote.url}${creds ? ` as ${creds.user}` : ''} ...`);
    const started = Date.now();
    const { migration, published } = await cloneOrPublish(ws, remote, creds?.user, opts.progress);
    opts.progress?.(`${published ? 'published' : 'cloned'} in ${Date.now() - started} ms`);
    return { root: opts.root, prefix, actor, database: DATABASE, migration, remote: remote.url, transport: remote.transport, published };
  } catch (e) {
    await ws.server.stop(2_000).catch(() => undefined);
    rmSync(paths.dir, { recursive: true, force: true });
    throw e;
  }
}
