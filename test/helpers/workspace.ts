// Helpers for tests that drive the real CLI against real Dolt.

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

const BIN = new URL('../../bin/grava.js', import.meta.url).pathname;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON when it is JSON. */
  readonly json: unknown;
}

export function testDir(name: string): string {
  const root = inject('testRoot');
  mkdirSync(root, { recursive: true });
  return mkdtempSync(join(root, `${name}-`));
}

export function cli(cwd: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    // GRAVA_TEST_VIA_DAEMON=1 runs the same tests through the daemon (test/dolt/cli-via-daemon.dolt.test.ts).
    const full: NodeJS.ProcessEnv = { ...process.env, GRAVA_NO_DAEMON: '1', ...env };
    if (process.env.GRAVA_TEST_VIA_DAEMON === '1' && env.GRAVA_NO_DAEMON === undefined) delete full.GRAVA_NO_DAEMON;
    execFile(process.execPath, [BIN, ...args], { cwd, env: full, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      let json: unknown;
      try { json = JSON.parse(stdout); } catch { json = undefined; }
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr, json });
    });
  });
}

/** Runs the CLI and fails the test unless it exits 0. */
export async function ok(cwd: string, args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
  const r = await cli(cwd, args, env);
  if (r.code !== 0) throw new Error(`grava ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

export async function newWorkspace(name: string, extra: readonly string[] = []): Promise<string> {
  const dir = testDir(name);
  await ok(dir, ['init', '--actor', name, ...extra]);
  return dir;
}

/** The stable code at the start of the CLI's one-line error. */
export function errorCode(r: CliResult): string | undefined {
  return /^(GRAVA_E_[A-Z_]+):/m.exec(r.stderr)?.[1];
}
