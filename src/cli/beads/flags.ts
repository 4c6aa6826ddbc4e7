// How beads spells flag values, turned into grava's: priorities `P1`,
// comma-separated lists, `--deps type:id` specs, type aliases and the
// relative dates of `--due` / `--defer` / `--until`. Pure, except that dates
// are resolved against a `now` the caller passes in.

import { GravaError } from '../../errors/grava-error.js';

function invalid(message: string): GravaError {
  return new GravaError('GRAVA_E_INVALID', message);
}

/** `2`, `P2`, `p2` → 2 (0 to 4). Words like `high` are refused with beads' hint. */
export function beadsPriority(v: string): number {
  const m = /^[Pp]?([0-4])$/.exec(v.trim());
  if (!m) throw invalid(`invalid priority ${JSON.stringify(v)} (expected 0-4 or P0-P4, not words like high/medium/low)`);
  return Number(m[1]);
}

/** Values of a repeatable, comma-separated flag, trimmed, empties dropped. */
export function commaList(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return [];
  const all = typeof values === 'string' ? [values] : values;
  return all.flatMap((v) => v.split(',')).map((v) => v.trim()).filter((v) => v !== '');
}

/** Collects a repeatable flag's values for commander. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

const TYPE_ALIASES: Readonly<Record<string, string>> = { enhancement: 'feature', feat: 'feature' };

/** beads' issue type aliases (case-insensitive) mapped onto grava's types; the rest is checked by storage. */
export function beadsType(v: string): string {
  const t = v.trim().toLowerCase();
  return TYPE_ALIASES[t] ?? t;
}

/** Dependency type aliases that mean "the new issue depends on X". */
const DEPENDS_ALIASES = new Set(['depends-on', 'blocked-by']);
const DEP_TYPES = new Set(['blocks', 'related', 'parent-child', 'discovered-from']);

/** An edge `from` depends on `to`; the string 'new' stands for the issue being created. */
export interface DepSpec {
  readonly from: string;
  readonly to: string;
  readonly type: string;
}

/**
 * One `--deps` element: `ID` or `depends-on:ID` / `blocked-by:ID` (the new
 * issue depends on ID), `blocks:ID` (ID depends on the new issue), or
 * `TYPE:ID` for related, parent-child and discovered-from.
 */
export function parseDep(spec: string): DepSpec {
  const s = spec.trim();
  const colon = s.indexOf(':');
  if (colon < 0) return { from: 'new', to: s, type: 'blocks' };
  const kind = s.slice(0, colon).trim().toLowerCase();
  const id = s.slice(colon + 1).trim();
  if (id === '') throw invalid(`invalid dependency ${JSON.stringify(spec)}; expected TYPE:ID, for example discovered-from:gr-a1b2`);
  if (DEPENDS_ALIASES.has(kind)) return { from: 'new', to: id, type: 'blocks' };
  if (kind === 'blocks') return { from: id, to: 'new', type: 'blocks' };
  if (DEP_TYPES.has(kind)) return { from: 'new', to: id, type: kind };
  throw invalid(`unknown dependency type ${JSON.stringify(kind)}; grava knows blocks, blocked-by, depends-on, related, parent-child and discovered-from`);
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];

function localMidnight(d: Date): Date {
  return new Date(d.getFullYear(), d.getMonth(), d.getDate());
}

/**
 * A point in time as beads accepts it for --due, --defer and --until:
 * `+6h`, `-1d`, `+2w`, `+1m` (months), `+1y`; `2026-12-01` (local midnight);
 * `2026-12-01T17:00:00Z` or `2026-12-01 17:00:00`; `today`, `tomorrow`,
 * `yesterday`, `next monday`, `monday`. Returns ISO 8601 UTC.
 */
export function beadsTime(flag: string, v: string, now: Date): string {
  const s = v.trim().toLowerCase();
  const bad = (): GravaError => invalid(`invalid ${flag} format ${JSON.stringify(v)}. Examples: +6h, tomorrow, next monday, 2025-01-15`);
  const rel = /^([+-]?)(\d{1,6})([hdwmy])$/.exec(s);
  if (rel) {
    const n = Number(rel[2]) * (rel[1] === '-' ? -1 : 1);
    const d = new Date(now);
    switch (rel[3]) {
      case 'h': d.setTime(d.getTime() + n * 3_600_000); break;
      case 'd': d.setDate(d.getDate() + n); break;
      case 'w': d.setDate(d.getDate() + 7 * n); break;
      case 'm': d.setMonth(d.getMonth() + n); break;
      default: d.setFullYear(d.getFullYear() + n);
    }
    return d.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const [y, m, day] = s.split('-').map(Number) as [number, number, number];
    const d = new Date(y, m - 1, day);
    if (d.getMonth() !== m - 1) throw bad();
    return d.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}[t ]\d{2}:\d{2}(:\d{2})?/.test(s)) {
    const ms = Date.parse(v.trim().replace(' ', 'T'));
    if (Number.isNaN(ms)) throw bad();
    return new Date(ms).toISOString();
  }
  const today = localMidnight(now);
  const days = (n: number): string => new Date(today.getFullYear(), today.getMonth(), today.getDate() + n).toISOString();
  if (s === 'today') return days(0);
  if (s === 'tomorrow') return days(1);
  if (s === 'yesterday') return days(-1);
  const wd = /^(next\s+)?(sunday|monday|tuesday|wednesday|thursday|friday|saturday)$/.exec(s);
  if (wd) {
    const target = WEEKDAYS.indexOf(wd[2]!);
    let ahead = (target - today.getDay() + 7) % 7;
    if (ahead === 0) ahead = 7;
    return days(ahead);
  }
  throw bad();
}
