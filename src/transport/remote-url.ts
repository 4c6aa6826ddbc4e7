// Remote URLs have the form http(s)://HOST:PORT/DATABASE.

import { GravaError } from '../errors/grava-error.js';

export interface RemoteUrl {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
}

/** The URL with any user:password@ part masked, safe for messages and logs. */
export function redactUrl(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/, '//***@');
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
