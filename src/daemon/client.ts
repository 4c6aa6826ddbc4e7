// The hot path of every workspace command: connect to the daemon, send one
// request, return its answer. Only the socket client is loaded; starting or
// replacing the daemon (src/daemon/control.ts, which spawns processes) is
// loaded only when no daemon of this build answers.

import { GravaError, asGravaError } from '../errors/grava-error.js';
import type { WorkspacePaths } from '../storage/dolt/layout.js';
import { RpcClient } from '../transport/rpc-client.js';
import { buildVersion } from '../transport/version.js';

/** A connection to the daemon of this build's socket, or undefined when none listens. */
export async function tryConnect(paths: WorkspacePaths): Promise<RpcClient | undefined> {
  try {
    return await RpcClient.connect(paths.daemonSocket, { version: buildVersion(), timeoutMs: 2_000 });
  } catch (e) {
    if ((asGravaError(e).data as { notRunning?: boolean } | undefined)?.notRunning) return undefined;
    throw e;
  }
}

/**
 * One request to the daemon, starting it when it is not running (unless
 * `autoStart` is false). A daemon of another build is replaced, then asked again.
 */
export async function callDaemon(paths: WorkspacePaths, method: string, params: Record<string, unknown>, opts: { autoStart?: boolean; timeoutMs?: number } = {}): Promise<unknown> {
  for (let attempt = 0; ; attempt++) {
    let c = await tryConnect(paths);
    if (!c) {
      if (opts.autoStart === false) throw new GravaError('GRAVA_E_DAEMON', 'the daemon is not running; start it with `grava daemon start`', { notRunning: true });
      const { startDaemon } = await import('./control.js');
      await startDaemon(paths);
      c = await tryConnect(paths);
      if (!c) throw new GravaError('GRAVA_E_DAEMON', `the daemon started but does not answer on ${paths.daemonSocket}`);
    }
    let err: GravaError;
    try {
      return await c.call(method, params, opts.timeoutMs ?? 600_000);
    } catch (e) {
      err = asGravaError(e);
    } finally {
      c.close(); // before any restart: the old daemon waits for its connections to end
    }
    if (attempt >= 2 || (err.code !== 'GRAVA_E_DAEMON_VERSION' && err.code !== 'GRAVA_E_SHUTTING_DOWN')) throw err;
    if (err.code === 'GRAVA_E_DAEMON_VERSION') {
      const { startDaemon } = await import('./control.js');
      await startDaemon(paths); // replaces the other build
    } else {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
