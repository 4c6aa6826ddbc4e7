// Is the central server ready to serve workspaces? SQL answers SELECT 1 (over
// the local socket, as root), the SQL and remotesapi ports accept TCP
// connections, and the data dir's filesystem has room.

import { statfs } from 'node:fs/promises';
import { connect } from 'node:net';
import { ping, type ConnectionTarget } from '../storage/dolt/dolt-server.js';
import { dialHost, type ServerSettings } from './config.js';
import type { CentralPaths } from './paths.js';

export interface CheckResult {
  readonly ok: boolean;
  readonly ms: number;
  readonly detail?: string;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: {
    readonly sql: CheckResult;
    readonly sql_port: CheckResult;
    readonly remotesapi: CheckResult;
    readonly disk: CheckResult & { readonly free_bytes: number | null; readonly min_free_bytes: number };
  };
}

/** Resolves true when something accepts a TCP connection on host:port within the timeout. */
export function tcpAccepts(host: string, port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.removeAllListeners();
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function diskFreeBytes(path: string): Promise<number | null> {
  try {
    const s = await statfs(path);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

async function timed(fn: () => Promise<boolean>): Promise<CheckResult> {
  const t = Date.now();
  try {
    return { ok: await fn(), ms: Date.now() - t };
  } catch (e) {
    return { ok: false, ms: Date.now() - t, detail: (e as Error).message };
  }
}

export async function checkReadiness(paths: CentralPaths, settings: ServerSettings, admin: ConnectionTarget): Promise<ReadinessReport> {
  const t = Date.now();
  const [sql, sqlPort, remotesapi, free] = await Promise.all([
    timed(() => ping(admin, 3_000)),
    timed(() => tcpAccepts(dialHost(settings.host), settings.port)),
    // The remotesapi binds every interface, so loopback always reaches it.
    timed(() => tcpAccepts('127.0.0.1', settings.remotesapiPort)),
    diskFreeBytes(paths.dir),
  ]);
  const disk = { ok: free !== null && free >= settings.minFreeBytes, ms: Date.now() - t, free_bytes: free, min_free_bytes: settings.minFreeBytes };
  return { ready: sql.ok && sqlPort.ok && remotesapi.ok && disk.ok, checks: { sql, sql_port: sqlPort, remotesapi, disk } };
}

/** The admin connection of a central server: root over the unix socket (root is root@localhost). */
export function adminTarget(paths: CentralPaths, password: string): ConnectionTarget {
  return { socketPath: paths.socket, user: 'root', password };
}
