// A quick TCP check of the central server before a fetch. Dolt retries an
// unreachable remote for many seconds; this answers in milliseconds.

import { connect } from 'node:net';
import { GravaError } from '../errors/grava-error.js';
import { parseRemoteUrl } from './remote-url.js';

export function checkReachable(url: string, timeoutMs = 3_000): Promise<void> {
  const { host, port } = parseRemoteUrl(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const fail = (why: string): void => {
      socket.destroy();
      reject(new GravaError('GRAVA_E_REMOTE', `the central server at ${host}:${port} is unreachable (${why}); local work is kept and the next sync will send it`, { host, port }));
    };
    socket.setTimeout(timeoutMs, () => fail(`no answer in ${timeoutMs} ms`));
    socket.once('connect', () => { socket.end(); resolve(); });
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? e.message));
  });
}
