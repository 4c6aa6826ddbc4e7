// Where the pinned Dolt lives: outside the clone, keyed by version and commit,
// so every clone, test run and CI run on this machine shares one build.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function readPin(root) {
  return JSON.parse(readFileSync(join(root, 'tools', 'dolt', 'dolt.json'), 'utf8'));
}

/** grava's cache outside the clone (the same rule as cacheBase() in src/storage/dolt/dolt-binary.ts). */
export function cacheBase() {
  return process.env.GRAVA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'grava');
}

export function doltCachePath(pin) {
  return join(cacheBase(), 'dolt', `${pin.version}-${pin.commit}`, 'dolt');
}
