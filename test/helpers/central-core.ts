// A real central server for tests and benchmarks, started the way operators
// start it: `grava server init` and `grava server start --detach` (the built
// CLI), on free loopback ports. It does not depend on vitest.

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../src/storage/dolt/process-util.js';

const run = promisify(execFile);

export const SYNC_USER = 'syncer';
export const SYNC_PASSWORD = 'test-sync-password';

export interface Central {
  readonly dataDir: string;
  readonly url: string;
  /** SQL port of the central dolt sql-server (loopback). */
  readonly sqlPort: number;
  readonly rootPassword: string;
  /** The supervisor's HTTP port: /healthz, /metrics and the claim call. */
  readonly httpPort: number;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

function binPath(): string {
  // test/helpers/ in the source tree, dist-bench/test/helpers/ when compiled for benchmarks.
  const here = fileURLToPath(new URL('.', import.meta.url));
  return join(here, here.includes('dist-bench') ? '../../../bin/grava.js' : '../../bin/grava.js');
}

export async function startCentralAt(dir: string): Promise<Central> {
  const dataDir = join(dir, 'data');
  const rootPassword = 'test-root-password';
  const env = { ...process.env, GRAVA_REMOTE_USER: SYNC_USER, GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD, GRAVA_SERVER_ROOT_PASSWORD: rootPassword };
  const grava = async (args: string[]): Promise<void> => {
    try {
      await run(process.execPath, [binPath(), ...args], { env, cwd: dir });
    } catch (e) {
      throw new Error(`grava ${args.join(' ')} failed: ${(e as { stderr?: string }).stderr ?? String(e)}`);
    }
  };
  const [sqlPort, remotesapiPort, httpPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  await grava(['server', 'init', '--data-dir', dataDir, '--port', String(sqlPort), '--remotesapi-port', String(remotesapiPort), '--http-port', String(httpPort), '--metrics-port', String(metricsPort)]);
  await grava(['server', 'start', '--data-dir', dataDir, '--detach', '--backup-interval', '0']);
  return {
    dataDir,
    url: `http://127.0.0.1:${remotesapiPort}/grava`,
    sqlPort,
    rootPassword,
    httpPort,
    // The central's HTTP port (claims go through its claim call) is a free port here, not the default 50080.
    env: { GRAVA_REMOTE_USER: SYNC_USER, GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD, GRAVA_REMOTE_API: `http://127.0.0.1:${httpPort}` },
    stop: () => grava(['server', 'stop', '--data-dir', dataDir]),
    start: () => grava(['server', 'start', '--data-dir', dataDir, '--detach', '--backup-interval', '0']),
  };
}
