// Finding the Dolt binary and checking its version.
//
// Order: GRAVA_DOLT_BIN, then the build cache that `npm run setup` fills
// (keyed by version, outside the clone), then `dolt` on PATH.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { GravaError } from '../../errors/grava-error.js';
import { isObject, readJsonFile } from './json-file.js';
import { NO_EVENT_FLUSH } from './child-env.js';

const execFileP = promisify(execFile);

export interface DoltPin {
  readonly version: string;
  readonly moduleVersion: string;
  readonly commit: string;
  readonly minimumVersion: string;
}

export interface DoltBinary {
  readonly path: string;
  readonly version: string;
  readonly source: 'env' | 'cache' | 'path';
}

/** The grava checkout or package this code runs from (src/, dist/ or dist-bench/ inside it). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'tools', 'dolt', 'dolt.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new GravaError('GRAVA_E_DOLT_MISSING', 'cannot find tools/dolt/dolt.json in the grava installation');
    dir = parent;
  }
  return dir;
}

export function readDoltPin(): DoltPin {
  return JSON.parse(readFileSync(join(packageRoot(), 'tools', 'dolt', 'dolt.json'), 'utf8')) as DoltPin;
}

export function doltCachePath(pin: DoltPin = readDoltPin()): string {
  return join(cacheBase(), 'dolt', `${pin.version}-${pin.commit}`, 'dolt');
}

/** Compares dotted numeric versions: <0, 0, >0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((n) => Number.parseInt(n, 10) || 0);
  const pb = b.split('.').map((n) => Number.parseInt(n, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const p = join(dir, name);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

const versionCache = new Map<string, string>();

// `dolt version` costs a process start (~40 ms) on every command, so the answer
// is remembered on disk per binary, keyed by its size and modification time.
/** grava's per-user cache and lock directory (GRAVA_CACHE_DIR, else XDG_CACHE_HOME/grava or ~/.cache/grava). */
export function cacheBase(): string {
  return process.env.GRAVA_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'grava');
}

function versionCacheFile(): string {
  return join(cacheBase(), 'dolt-versions.json');
}

function binaryKey(path: string): string {
  const st = statSync(path);
  return `${path}|${st.size}|${st.mtimeMs}`;
}

function readVersionCache(): Record<string, string> {
  // A cache: missing or corrupt simply means asking the binary again.
  const r = readJsonFile(versionCacheFile(), isObject);
  return r.status === 'ok' ? (r.value as Record<string, string>) : {};
}

export async function doltVersion(path: string): Promise<string> {
  const cached = versionCache.get(path);
  if (cached) return cached;
  let key: string | undefined;
  try { key = binaryKey(path); } catch { /* reported by the run below */ }
  const onDisk = key ? readVersionCache()[key] : undefined;
  if (onDisk) {
    versionCache.set(path, onDisk);
    return onDisk;
  }
  // A private DOLT_ROOT_PATH keeps `dolt version` away from the user's ~/.dolt.
  // It is a fixed folder, not a temp one: `dolt version` writes a version-check
  // file there after it answers, which would resurrect a deleted temp folder.
  const home = join(cacheBase(), 'dolt-version-home');
  mkdirSync(home, { recursive: true, mode: 0o700 });
  try {
    const { stdout } = await execFileP(path, ['version'], { env: { ...process.env, DOLT_ROOT_PATH: home, ...NO_EVENT_FLUSH }, timeout: 30_000 });
    const m = /dolt version (\d+\.\d+\.\d+)/.exec(stdout);
    if (!m?.[1]) throw new GravaError('GRAVA_E_DOLT_VERSION', `cannot read the version of ${path}`);
    versionCache.set(path, m[1]);
    if (key) {
      try {
        mkdirSync(dirname(versionCacheFile()), { recursive: true });
        writeFileSync(versionCacheFile(), JSON.stringify({ ...readVersionCache(), [key]: m[1] }));
      } catch { /* a cache that cannot be written only costs time */ }
    }
    return m[1];
  } catch (e) {
    if (e instanceof GravaError) throw e;
    throw new GravaError('GRAVA_E_DOLT_MISSING', `cannot run ${path}: ${(e as Error).message.split('\n')[0] ?? ''}`);
  }
}

/** Finds Dolt and refuses versions older than the supported minimum. */
export async function findDolt(): Promise<DoltBinary> {
  const pin = readDoltPin();
  let path: string | undefined;
  let source: DoltBinary['source'];
  if (process.env.GRAVA_DOLT_BIN) {
    path = process.env.GRAVA_DOLT_BIN;
    source = 'env';
    if (!existsSync(path)) throw new GravaError('GRAVA_E_DOLT_MISSING', `GRAVA_DOLT_BIN points at ${path}, which does not exist`);
  } else if (existsSync(doltCachePath(pin))) {
    path = doltCachePath(pin);
    source = 'cache';
  } else {
    path = onPath('dolt');
    source = 'path';
  }
  if (!path) throw new GravaError('GRAVA_E_DOLT_MISSING', `Dolt was not found; run \`npm run setup\` to build Dolt ${pin.version}, or set GRAVA_DOLT_BIN`);
  const version = await doltVersion(path);
  if (compareVersions(version, pin.minimumVersion) < 0) {
    throw new GravaError('GRAVA_E_DOLT_VERSION', `Dolt ${version} at ${path} is older than ${pin.minimumVersion}, the oldest grava supports`, { version, path, minimum: pin.minimumVersion });
  }
  return { path, version, source };
}
