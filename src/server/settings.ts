// Reading and writing a data dir's settings and secrets.

import { readFileSync } from 'node:fs';
import { GravaError } from '../errors/grava-error.js';
import { writeFileAtomic } from '../storage/dolt/layout.js';
import type { ServerSettings } from './config.js';
import type { CentralPaths } from './paths.js';
import { isObject, readJsonOrThrow } from '../storage/dolt/json-file.js';

export const ROOT_PASSWORD_ENV = 'GRAVA_SERVER_ROOT_PASSWORD';

export function readSettings(paths: CentralPaths): ServerSettings {
  const s = readJsonOrThrow(paths.settings, isObject, 'GRAVA_E_NO_SERVER');
  if (s === undefined) throw new GravaError('GRAVA_E_NO_SERVER', `${paths.settings} does not exist; run \`grava server init --data-dir ${paths.dir}\` first`);
  if (s.version !== 1) throw new GravaError('GRAVA_E_NO_SERVER', `cannot read ${paths.settings}: unknown version ${JSON.stringify(s.version)}`);
  return s as unknown as ServerSettings;
}

export function writeSettings(paths: CentralPaths, settings: ServerSettings): void {
  writeFileAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
}

/** root's password: GRAVA_SERVER_ROOT_PASSWORD, else the root-password file (0600) that init wrote when it generated one. */
export function rootPassword(paths: CentralPaths, env: Readonly<Record<string, string | undefined>> = process.env): string {
  const fromEnv = env[ROOT_PASSWORD_ENV];
  if (fromEnv) return fromEnv;
  try {
    const p = readFileSync(paths.rootPassword, 'utf8').trim();
    if (p) return p;
  } catch { /* reported below */ }
  throw new GravaError('GRAVA_E_AUTH', `the root password is needed: set ${ROOT_PASSWORD_ENV} (init was given it from the environment, so it was not stored)`);
}
