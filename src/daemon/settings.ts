// The workspace's settings, described once: key, type, default, bounds and
// help. `grava config get|set|list`, validation and the daemon all read this
// table; the daemon applies a change without a restart. Values are stored in
// the `settings` object of `.grava/config.json`; a key not set there takes
// its default.

import { GravaError } from '../errors/grava-error.js';
import { caFileProblem } from '../storage/dolt/ca-file.js';
import { readConfig, writeConfig, type WorkspacePaths } from '../storage/dolt/layout.js';

type Value = number | string;

interface Setting {
  readonly key: string;
  readonly description: string;
  readonly default: Value;
  /** The stored value, or an error sentence. */
  parse(raw: string | number): Value | { error: string };
}

function integer(min: number, max: number, extra?: readonly string[]): (raw: string | number) => Value | { error: string } {
  return (raw) => {
    const text = String(raw).trim();
    if (extra?.includes(text)) return text;
    const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      return { error: `expected an integer from ${min} to ${max}${extra?.length ? ` or ${extra.map((e) => `'${e}'`).join(', ')}` : ''}` };
    }
    return n;
  };
}

function oneOf(values: readonly string[]): (raw: string | number) => Value | { error: string } {
  return (raw) => (values.includes(String(raw)) ? String(raw) : { error: `expected one of ${values.join(', ')}` });
}

function caFile(raw: string | number): Value | { error: string } {
  const path = String(raw).trim();
  const problem = caFileProblem(path);
  return problem ? { error: problem } : path;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'sync.debounce_ms', default: 5_000, parse: integer(0, 3_600_000), description: 'sync this long after the last write' },
  { key: 'sync.max_delay_ms', default: 30_000, parse: integer(100, 86_400_000), description: 'but no later than this after the first unsynced write' },
  { key: 'sync.max_batch_writes', default: 1_000, parse: integer(1, 1_000_000), description: 'sync at once when this many writes are pending' },
  { key: 'sync.pull_interval_ms', default: 'auto', parse: integer(0, 86_400_000, ['auto']), description: "pull this often when idle; 0 never; 'auto' is 10000, or 60000 for a hosted git remote (which the daemon also pushes to at most every 30 s)" },
  { key: 'remote.ca_file', default: '', parse: caFile, description: "a CA bundle (PEM, absolute path) the workspace's Dolt trusts for an https central (SSL_CERT_FILE of its server); '' for the system's" },
  { key: 'sync.mode', default: 'auto', parse: oneOf(['auto', 'direct']), description: "'auto': a grava server's merge queue (push ws/<actor>, wait for main), direct pushes for git and directory remotes; 'direct': always push main (the optimistic cycle)" },
];

export interface SyncSettings {
  readonly debounceMs: number;
  readonly maxDelayMs: number;
  readonly maxBatchWrites: number;
  /** 0: no idle pull. */
  readonly pullIntervalMs: number;
  readonly mode: 'auto' | 'direct';
}

function find(key: string): Setting {
  const s = SETTINGS.find((x) => x.key === key);
  if (!s) throw new GravaError('GRAVA_E_INVALID', `unknown setting ${JSON.stringify(key)}; known: ${SETTINGS.map((x) => x.key).join(', ')}`, { key });
  return s;
}

/** Every setting's effective value; a stored value that no longer validates is reported and replaced by the default. */
export function effectiveSettings(stored: Readonly<Record<string, Value>> | undefined): { values: Record<string, Value>; errors: string[] } {
  const values: Record<string, Value> = {};
  const errors: string[] = [];
  for (const s of SETTINGS) {
    const raw = stored?.[s.key];
    if (raw === undefined) { values[s.key] = s.default; continue; }
    const v = s.parse(raw);
    if (typeof v === 'object') { errors.push(`${s.key}: ${v.error}`); values[s.key] = s.default; } else values[s.key] = v;
  }
  return { values, errors };
}

/** `auto` pull interval: a grava server, a shared directory or a local git repository answer in milliseconds. */
export const AUTO_PULL_MS = 10_000;
/** `auto` pull interval for a hosted git remote (ssh, https): hosts rate-limit, and a pull is a git fetch. */
export const AUTO_PULL_HOSTED_GIT_MS = 60_000;
/** A hosted git remote is never pushed to more often than this by the daemon (`grava sync` still syncs at once). */
export const HOSTED_GIT_MIN_PUSH_INTERVAL_MS = 30_000;

/** The daemon's timing for a workspace whose remote is `remote` (none: local-only). */
export function syncSettings(values: Readonly<Record<string, Value>>, remote: { readonly transport: string; readonly hosted?: boolean } | undefined): SyncSettings {
  const pull = values['sync.pull_interval_ms'];
  const hostedGit = remote?.transport === 'git' && remote.hosted === true;
  const floor = hostedGit ? HOSTED_GIT_MIN_PUSH_INTERVAL_MS : 0;
  return {
    debounceMs: Math.max(floor, Number(values['sync.debounce_ms'])),
    maxDelayMs: Math.max(floor, Number(values['sync.max_delay_ms'])),
    maxBatchWrites: Number(values['sync.max_batch_writes']),
    pullIntervalMs: !remote ? 0 : pull === 'auto' ? (hostedGit ? AUTO_PULL_HOSTED_GIT_MS : AUTO_PULL_MS) : Number(pull),
    mode: values['sync.mode'] === 'direct' ? 'direct' : 'auto',
  };
}

export interface SettingView {
  readonly key: string;
  readonly value: Value;
  readonly default: Value;
  readonly set: boolean;
  readonly description: string;
}

export function listSettings(paths: WorkspacePaths): SettingView[] {
  const stored = readConfig(paths).settings;
  const { values } = effectiveSettings(stored);
  return SETTINGS.map((s) => ({ key: s.key, value: values[s.key] ?? s.default, default: s.default, set: stored?.[s.key] !== undefined, description: s.description }));
}

export function getSetting(paths: WorkspacePaths, key: string): SettingView {
  find(key);
  const view = listSettings(paths).find((s) => s.key === key);
  if (!view) throw new GravaError('GRAVA_E_INTERNAL', `setting ${key} vanished`);
  return view;
}

/** Validates, then stores. A bad key or value changes nothing. */
export function setSetting(paths: WorkspacePaths, key: string, raw: string): SettingView {
  const s = find(key);
  const v = s.parse(raw);
  if (typeof v === 'object') throw new GravaError('GRAVA_E_INVALID', `invalid value ${JSON.stringify(raw)} for ${key}: ${v.error}`, { key });
  const config = readConfig(paths);
  writeConfig(paths, { ...config, settings: { ...config.settings, [key]: v } });
  return getSetting(paths, key);
}
