// A quick check of the remote before a fetch, per transport. Dolt retries an
// unreachable central server for many seconds; a TCP check answers in
// milliseconds. A shared directory must exist; a git remote is checked by the
// fetch itself (git answers quickly, and a probe would cost a second round trip).

import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { GravaError } from '../errors/grava-error.js';
import { parseRemote } from './remote-url.js';

function tcp(host: string, port: number, timeoutMs: number): Promise<void> {
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

/** The git form of a git+ URL (scp-like for Dolt's relative ssh paths). */
export function gitUrl(url: string): string {
  const plain = url.replace(/^git\+/i, '');
  const rel = /^ssh:\/\/([^/]+)\/\.\/(.*)$/.exec(plain);
  return rel ? `${rel[1]}:${rel[2]}` : plain.replace(/^file:\/\//, '');
}

/** git that never waits on a prompt: a missing credential fails at once. */
export function gitEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_SSH_COMMAND: process.env.GIT_SSH_COMMAND ?? 'ssh -o BatchMode=yes' };
}

/** `git ls-remote`: the repository answers and lets us in (prompts disabled, so no credential means a refusal). */
function probeGit(url: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('git', ['ls-remote', '--exit-code', gitUrl(url), 'HEAD'], { timeout: timeoutMs, env: gitEnv() }, (err, _out, stderr) => {
      if (!err) { resolve(); return; }
      reject(new GravaError('GRAVA_E_REMOTE', `the git remote ${url} did not answer: ${(String(stderr).trim().split('\n')[0] ?? '') || err.message}`, { url }));
    });
  });
}

export async function checkReachable(url: string, timeoutMs = 3_000, opts: { probeGit?: boolean } = {}): Promise<void> {
  const r = parseRemote(url);
  if (r.transport === 'server') return tcp(r.host, r.port, timeoutMs);
  if (r.transport === 'git') return opts.probeGit ? probeGit(r.url, timeoutMs) : undefined;
  if (r.transport === 'dir' && !(existsSync(r.path) && statSync(r.path).isDirectory())) {
    throw new GravaError('GRAVA_E_REMOTE', `the shared directory ${r.path} is missing (an unmounted network filesystem?); local work is kept and the next sync will send it`, { path: r.path });
  }
}
