// How a command reaches the workspace. Through the daemon (started on
// demand) unless GRAVA_NO_DAEMON=1 or --no-daemon asks for direct mode, in
// which case this process opens the replica itself. Either way the same
// method table (src/daemon/methods.ts) does the work.

let noDaemonFlag = false;

/** Set by main() when --no-daemon is on the command line. */
export function setNoDaemon(on: boolean): void {
  noDaemonFlag = on;
}

export function daemonDisabled(): boolean {
  const env = process.env.GRAVA_NO_DAEMON;
  return noDaemonFlag || (env !== undefined && env !== '' && env !== '0' && env.toLowerCase() !== 'false');
}

export async function call<T>(method: string, params: Record<string, unknown> = {}): Promise<T> {
  const clean = Object.fromEntries(Object.entries(params).filter(([, v]) => v !== undefined));
  if (daemonDisabled()) {
    const { runDirect } = await import('../daemon/direct.js');
    return (await runDirect(method, clean)) as T;
  }
  const { requireWorkspace } = await import('../storage/dolt/layout.js');
  const { callDaemon } = await import('../daemon/client.js');
  return (await callDaemon(requireWorkspace(), method, clean)) as T;
}
