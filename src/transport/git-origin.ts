// `grava init --remote git-origin`: the `origin` of the git repository the
// workspace lives in, in the git+ form Dolt takes. The database then lives on
// refs/dolt/data of the project's own repository, beside its branches.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { GravaError } from '../errors/grava-error.js';
import { gitPlusUrl } from './remote-url.js';
import { gitEnv } from './reachability.js';

const run = promisify(execFile);

export async function gitOriginUrl(root: string): Promise<string> {
  let origin: string;
  try {
    origin = (await run('git', ['-C', root, 'remote', 'get-url', 'origin'], { env: gitEnv() })).stdout.trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new GravaError('GRAVA_E_REMOTE', 'git is not installed (not found on PATH); --remote git-origin needs it');
    const text = err.stderr ?? '';
    if (/not a git repository/i.test(text)) throw new GravaError('GRAVA_E_REMOTE', `${root} is not inside a git repository; --remote git-origin uses the origin of the repository around the workspace`);
    throw new GravaError('GRAVA_E_REMOTE', 'this git repository has no remote named origin; add one (git remote add origin URL) or pass --remote URL');
  }
  // Origins with credentials in them (https://user:token@host/…) are refused by parseRemote; `origin` itself is not changed.
  return gitPlusUrl(origin, root);
}
