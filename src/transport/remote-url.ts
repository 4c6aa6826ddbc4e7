// Remotes a workspace can sync with (docs/OPERATIONS.md, "Choosing a transport"):
//   server  http(s)://HOST:PORT/DATABASE   a central `grava server` (remotesapi)
//   git     git+ssh:// git+https:// git+http:// git+file://   the database on
//           refs/dolt/data of a git repository (Dolt's git remote)
//   dir     file:///PATH                   a directory shared by workspaces
// `git-origin` (the origin of the git repository around the workspace) is
// resolved to a git URL by git-origin.ts before it gets here. No URL may
// carry credentials: grava would store them, and so would Dolt's git cache.

import { resolve } from 'node:path';
import { GravaError } from '../errors/grava-error.js';

export type Transport = 'server' | 'git' | 'dir';

export interface RemoteUrl {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

export type Remote =
  | ({ readonly transport: 'server' } & RemoteUrl)
  | { readonly transport: 'git'; readonly url: string; /** a hosted git remote (not git+file): polled gently */ readonly hosted: boolean }
  | { readonly transport: 'dir'; readonly url: string; readonly path: string };

const FORMS = 'http(s)://HOST:PORT/DATABASE (a grava server), git+ssh://, git+https:// or git+file:// (a git repository), file:///PATH (a shared directory), or git-origin';

/** The URL with any user:password@ part masked, safe for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, '//***@');
}

function invalid(text: string, why: string): GravaError {
  return new GravaError('GRAVA_E_INVALID', `invalid remote ${JSON.stringify(redactUrl(text))}: ${why}`);
}

export function parseRemoteUrl(text: string): RemoteUrl {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new GravaError('GRAVA_E_INVALID', `invalid remote URL ${JSON.stringify(redactUrl(text))}; expected http://HOST:PORT/DATABASE`);
  }
  const database = u.pathname.replace(/^\/+|\/+$/g, '');
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.hostname || !/^[A-Za-z0-9_-]+$/.test(database) || u.username || u.password || u.search || u.hash) {
    throw new GravaError('GRAVA_E_INVALID', `invalid remote URL ${JSON.stringify(redactUrl(text))}; expected http://HOST:PORT/DATABASE with no credentials in it (use GRAVA_REMOTE_USER and GRAVA_REMOTE_PASSWORD)`);
  }
  const port = u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  return { url: `${u.protocol}//${u.host}/${database}`, host: u.hostname, port, database };
}

/** Any remote grava syncs with. Throws GRAVA_E_INVALID naming the accepted forms. */
export function parseRemote(text: string): Remote {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(text)?.[1]?.toLowerCase();
  if ((scheme === 'http' || scheme === 'https') && /\.git\/?$/.test(text.split(/[?#]/)[0] ?? '')) {
    throw invalid(text, `that looks like a git repository; for the database on its refs/dolt/data use git+${text.replace(/\/\/[^/@\s]*@/, '//')}`);
  }
  if (scheme === 'http' || scheme === 'https') return { transport: 'server', ...parseRemoteUrl(text) };
  let u: URL;
  try { u = new URL(text); } catch { throw invalid(text, `expected ${FORMS}`); }
  if (u.search || u.hash) throw invalid(text, 'a remote has no query or fragment');
  if (scheme === 'file') {
    const path = decodeURIComponent(u.pathname);
    if (u.host !== '' || !path.startsWith('/') || path === '/') throw invalid(text, 'a shared directory is file:///ABSOLUTE/PATH');
    if (u.username || u.password) throw invalid(text, 'no credentials in a file URL');
    return { transport: 'dir', url: `file://${path.replace(/\/+$/, '')}`, path: path.replace(/\/+$/, '') };
  }
  if (scheme === 'git+file') {
    if (u.username || u.password) throw invalid(text, 'no credentials in a file URL');
    if (u.host !== '' || !u.pathname.startsWith('/') || u.pathname === '/') throw invalid(text, 'expected git+file:///ABSOLUTE/PATH/TO/REPO.git');
    return { transport: 'git', url: `git+file://${u.pathname}`, hosted: false };
  }
  if (scheme === 'git+ssh' || scheme === 'git+https' || scheme === 'git+http') {
    if (!u.hostname || u.pathname === '' || u.pathname === '/') throw invalid(text, `expected ${scheme}://HOST/PATH`);
    // An ssh user (git@…) names an account, not a secret; an https user or any password is a credential.
    if (u.password || (scheme !== 'git+ssh' && u.username)) {
      throw invalid(text, 'credentials do not belong in the URL (grava and Dolt would store them); use your git credential helper or ssh agent');
    }
    return { transport: 'git', url: u.toString(), hosted: true };
  }
  throw invalid(text, `expected ${FORMS}`);
}

/**
 * A git remote URL as git prints it (`git remote get-url origin`) in the
 * git+ form Dolt takes: scheme URLs get `git+`, scp-like `user@host:path`
 * becomes git+ssh (a relative path as /./path, as Dolt does), a local path
 * becomes git+file. Credentials are refused here too.
 */
export function gitPlusUrl(origin: string, cwd: string): string {
  const s = origin.trim();
  if (/^git\+/i.test(s)) return s;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s)?.[1]?.toLowerCase();
  if (scheme === 'ssh' || scheme === 'https' || scheme === 'http' || scheme === 'file') return `git+${s}`;
  if (scheme !== undefined) throw invalid(s, `Dolt cannot use a ${scheme}:// git remote; use ssh, https or a local path`);
  const scp = /^(?:([^@/:\s]+)@)?([^/:\s]+):(.+)$/.exec(s);
  if (scp && !s.startsWith('/') && !/^[a-z]:\\/i.test(s)) {
    const [, user, host, path] = scp;
    return `git+ssh://${user ? `${user}@` : ''}${host}${path!.startsWith('/') ? path : `/./${path}`}`;
  }
  return `git+file://${resolve(cwd, s)}`;
}
