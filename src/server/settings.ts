// Reading and writing a data dir's settings and secrets.

import { readFileSync } from 'node:fs';
import { GravaError } from '../errors/grava-error.js';
import { writeFileAtomic } from '../storage/dolt/layout.js';
import type { ServerSettings } from './config.js';
import type { CentralPaths } from './paths.js';
import { isObject, readJsonOrThrow } from '../storage/dolt/json-file.js';

export const ROOT_PASSWORD_ENV = 'GRAVA_SERVER_ROOT_PASSWORD';

type Env = Readonly<Record<string, string | undefined>>;

/** A secret from NAME, or from the file NAME_FILE names (Docker and Kubernetes secrets), without its trailing newline.
 *  Both set is an error; so is an unreadable or empty file. The message names the file, never the secret. */
export function envSecret(env: Env, name: string): string | undefined {
  const value = env[name];
  const file = env[`${name}_FILE`];
  if (value && file) throw new GravaError('GRAVA_E_USAGE', `set ${name} or ${name}_FILE, not both`);
  if (!file) return value || undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GravaError('GRAVA_E_AUTH', `cannot read ${name}_FILE (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (!secret) throw new GravaError('GRAVA_E_AUTH', `${name}_FILE (${file}) is empty`);
  return secret;
}

export function readSettings(paths: CentralPaths): ServerSettings {
  const s = readJsonOrThrow(paths.settings, isObject, 'GRAVA_E_NO_SERVER');
  if (s === undefined) throw new GravaError('GRAVA_E_NO_SERVER', `${paths.settings} does not exist; run \`grava server init --data-dir ${paths.dir}\` first`);
  if (s.version !== 1) throw new GravaError('GRAVA_E_NO_SERVER', `cannot read ${paths.settings}: unknown version ${JSON.stringify(s.version)}`);
  return s as unknown as ServerSettings;
}

export function writeSettings(paths: CentralPaths, settings: ServerSettings): void {
  writeFileAtomic(paths.settings, `${JSON.stringify(settings, null, 2)}\n`, 0o600);
}

/** root's password: GRAVA_SERVER_ROOT_PASSWORD (or _FILE), else the root-password file (0600) that init wrote when it generated one. */
export function rootPassword(paths: CentralPaths, env: Env = process.env): string {
  const fromEnv = envSecret(env, ROOT_PASSWORD_ENV);
  if (fromEnv) return fromEnv;
  try {
    const p = readFileSync(paths.rootPassword, 'utf8').trim();
    if (p) return p;
  } catch { /* reported below */ }
  throw new GravaError('GRAVA_E_AUTH', `the root password is needed: set ${ROOT_PASSWORD_ENV} or ${ROOT_PASSWORD_ENV}_FILE (init was given it from the environment, so it was not stored)`);
}
