// Small process helpers: liveness, identity, waiting and free ports.

import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createServer } from 'node:net';

/** The last `bytes` of a log file, trimmed ('' when it cannot be read); none of what lies before byte `from`
 *  (what a process wrote before the one whose failure is being read), unless the file is now shorter. */
export function readTail(path: string, bytes: number, from = 0): string {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    // A file shorter than `from` was truncated since: all of it is new. Only the tail is read, not the whole log.
    const start = Math.max(from > size ? 0 : from, size - bytes);
    const buf = Buffer.alloc(size - start);
    const n = readSync(fd, buf, 0, buf.length, start);
    return buf.subarray(0, n).toString('utf8').trim();
  } catch {
    return '';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** A file's size in bytes, 0 when it does not exist. */
export function fileSize(path: string): number {
  try { return statSync(path).size; } catch { return 0; }
}

/** True when the process exists and is not a zombie (an exited child nobody has reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc: trust kill(0)
  }
}

/** The kernel's start time of a process (/proc/<pid>/stat field 22), which tells a reused pid apart. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Live processes whose command line contains every one of `parts` (Linux /proc). */
export function findProcesses(...parts: string[]): number[] {
  let entries: string[];
  try { entries = readdirSync('/proc'); } catch { return []; }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => pid !== process.pid && isAlive(pid))
    .filter((pid) => {
      const cmd = commandLine(pid);
      return cmd !== undefined && parts.every((p) => cmd.includes(p));
    });
}

/** The command line of a process (Linux /proc), or undefined if it is gone. */
export function commandLine(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(pred: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** Asks the kernel for a free loopback TCP port. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** Stops a process: SIGTERM, then SIGKILL after `graceMs`. Resolves once it is gone. */
export async function terminate(pid: number, graceMs = 10_000): Promise<'gone' | 'terminated' | 'killed'> {
  if (!isAlive(pid)) return 'gone';
  try { process.kill(pid, 'SIGTERM'); } catch { return 'gone'; }
  if (await waitFor(() => !isAlive(pid), graceMs)) return 'terminated';
  try { process.kill(pid, 'SIGKILL'); } catch { return 'gone'; }
  await waitFor(() => !isAlive(pid), 5_000);
  return 'killed';
}
