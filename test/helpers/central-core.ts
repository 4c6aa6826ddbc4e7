// Starting a throwaway central dolt sql-server (remotesapi on a free loopback
// port, database `grava` with the schema committed, one sync user). Shared by
// tests and benchmarks; it does not depend on vitest.

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { DoltServer, type DoltServerState } from '../../src/storage/dolt-server.js';
import { exec, openDb } from '../../src/storage/db.js';
import { migrate } from '../../src/storage/migrations.js';
import { freePort } from '../../src/storage/process-util.js';

export const SYNC_USER = 'syncer';
export const SYNC_PASSWORD = 'test-sync-password';

export interface Central {
  readonly server: DoltServer;
  readonly state: DoltServerState;
  readonly url: string;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
}

export async function startCentralAt(dir: string, doltPath: string): Promise<Central> {
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  for (const [k, v] of [['user.name', 'central'], ['user.email', 'central@grava.invalid']] as const) {
    execFileSync(doltPath, ['config', '--global', '--add', k, v], { env: { ...process.env, DOLT_ROOT_PATH: home } });
  }
  const remotesapiPort = await freePort();
  const server = new DoltServer({
    doltPath,
    dataDir: join(dir, 'data'),
    doltHome: home,
    configPath: join(dir, 'server.yaml'),
    statePath: join(dir, 'central-server.json'),
    logPath: join(dir, 'server.log'),
    lockPath: join(dir, 'server.lock'),
    remotesapiPort,
    maxConnections: 200,
    user: 'root',
    password: 'test-root-password',
  });
  const state = await server.ensureRunning();
  const admin = openDb(server.target(state), undefined, 1);
  try {
    await exec(admin, 'CREATE DATABASE grava');
    await exec(admin, `CREATE USER '${SYNC_USER}'@'%' IDENTIFIED BY '${SYNC_PASSWORD}'`);
    await exec(admin, `GRANT ALL ON *.* TO '${SYNC_USER}'@'%' WITH GRANT OPTION`);
  } finally {
    await admin.destroy();
  }
  const db = openDb(server.target(state), 'grava', 1);
  try { await migrate(db, 'central'); } finally { await db.destroy(); }
  return {
    server,
    state,
    url: `http://127.0.0.1:${remotesapiPort}/grava`,
    env: { GRAVA_REMOTE_USER: SYNC_USER, GRAVA_REMOTE_PASSWORD: SYNC_PASSWORD },
    stop: async () => { await server.stop(); },
    start: async () => { await server.ensureRunning(); },
  };
}
