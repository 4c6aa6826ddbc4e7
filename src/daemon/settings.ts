// The workspace's settings, described once: key, type, default, bounds and
// help. `grava config get|set|list`, validation and the daemon all read this
// table; the daemon applies a change without a restart. Values are stored in
// the `settings` object of `.grava/config.json`; a key not set there takes
// its default.

import { GravaError } from '../errors/grava-error.js';
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

export const SETTINGS: readonly Setting[] = [
  { key: 'sync.debounce_ms', default: 5_000, parse: integer(0, 3_600_000), description: 'sync this long after the last write' },
  { key: 'sync.max_delay_ms', default: 30_000, parse: integer(100, 86_400_000), description: 'but no later than this after the first unsynced write' },
  { key: 'sync.max_batch_writes', default: 1_000, parse: integer(1, 1_000_000), description: 'sync at once when this many writes are pending' },
  { key: 'sync.pull_interval_ms', default: 'auto', parse: integer(0, 86_400_000, ['auto']), description: "pull this often when idle; 0 never; 'auto' is 10000 against a grava server" },
  { key: 'sync.mode', default: 'auto', parse: oneOf(['auto', 'direct']), description: "'auto' or 'direct' (the optimistic push cycle; the only one until the central merge queue lands)" },
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

export function syncSettings(values: Readonly<Record<string, Value>>, hasRemote: boolean): SyncSettings {
  const pull = values['sync.pull_interval_ms'];
  return {
    debounceMs: Number(values['sync.debounce_ms']),
    maxDelayMs: Number(values['sync.max_delay_ms']),
    maxBatchWrites: Number(values['sync.max_batch_writes']),
    pullIntervalMs: !hasRemote ? 0 : pull === 'auto' ? 10_000 : Number(pull),
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
