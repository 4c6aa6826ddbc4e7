// Helpers for tests that run the CLI through the workspace daemon.

import { execFile } from 'node:child_process';
import { readdirSync, readlinkSync, readFileSync } from 'node:fs';
import { isAlive, waitFor } from '../../src/storage/dolt/process-util.js';
import type { CliResult } from './workspace.js';

const BIN = new URL('../../bin/grava.js', import.meta.url).pathname;

/** The CLI in daemon mode (GRAVA_NO_DAEMON unset). */
export function dcli(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete base.GRAVA_NO_DAEMON;
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: base, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let json: unknown;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr, json });
    });
  });
}

export async function dok(cwd: string, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await dcli(cwd, args, env);
  if (r.code !== 0) throw new Error(`grava ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

/** Live processes that belong to a workspace: run in it, or naming it on their command line. */
export function workspaceProcesses(root: string): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid || !isAlive(pid)) continue;
    let cwd = '';
    let cmd = '';
    try { cwd = readlinkSync(`/proc/${pid}/cwd`); cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' '); } catch { continue; }
    if (cwd === root || cwd.startsWith(`${root}/`) || cmd.includes(`${root}/`)) out.push({ pid, cmd });
  }
  return out;
}

export function daemonPids(root: string): number[] {
  return workspaceProcesses(root).filter((p) => p.cmd.includes('daemon run')).map((p) => p.pid);
}

export async function status(root: string): Promise<Record<string, unknown>> {
  return (await dok(root, ['daemon', 'status', '--json'])).json as Record<string, unknown>;
}

export async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  let value: T | undefined | false;
  const ok = await waitFor(async () => { value = await fn(); return value !== undefined && value !== false; }, timeoutMs, 50);
  if (!ok) throw new Error(`timed out waiting for ${what}`);
  return value as T;
}
