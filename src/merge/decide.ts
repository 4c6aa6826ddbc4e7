// The three-way, cell-by-cell merge. Pure: rows and clocks in, decisions out.

import { compareStamp, decodeHlc, isBeyondDrift, DEFAULT_MAX_DRIFT_MS } from './hlc.js';
import { OUTCOME, ROW_OUTCOME, type CellDecision, type RowOutcomeTag } from './outcome.js';
import { clockColumn, type CellValue, type Row, type TableSpec } from './tables.js';

export interface DecideOptions {
  /** Wall time of the decision, used only to flag stamps from clocks running ahead. */
  readonly now: number;
  readonly maxDriftMs?: number;
}

export interface RowDecision {
  readonly table: string;
  readonly key: Readonly<Record<string, CellValue>>;
  readonly outcome: RowOutcomeTag;
  /** The merged row, or null when the row ends absent. */
  readonly merged: Row | null;
  readonly cells: readonly CellDecision[];
}

/** Total, deterministic order on cell values: null < numbers < strings. */
export function compareValue(a: CellValue | undefined, b: CellValue | undefined): number {
  const rank = (v: CellValue | undefined): number => (v === undefined ? -1 : v === null ? 0 : typeof v === 'number' ? 1 : 2);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (a === b || a === undefined || a === null || b === undefined || b === null) return 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

function same(a: CellValue | undefined, b: CellValue | undefined): boolean {
  return a === b;
}

function clockOf(row: Row | null, column: string): string | null {
  if (!row) return null;
  const v = row[clockColumn(column)];
  return typeof v === 'string' ? v : null;
}

function flagged(stamp: string | null, opts: DecideOptions): boolean {
  if (stamp === null) return false;
  const hlc = decodeHlc(stamp);
  return hlc !== undefined && isBeyondDrift(hlc, opts.now, opts.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS);
}

/** Decides one last-writer-wins cell (value plus its clock). */
export function decideClockedCell(column: string, base: Row | null, ours: Row | null, theirs: Row | null, opts: DecideOptions): CellDecision {
  const b = base?.[column];
  const o = ours?.[column];
  const t = theirs?.[column];
  const bc = clockOf(base, column);
  const oc = clockOf(ours, column);
  const tc = clockOf(theirs, column);
  const common = { column, base: b, ours: o, theirs: t, baseClock: bc, oursClock: oc, theirsClock: tc };
  const oursChanged = !same(o, b) || oc !== bc;
  const theirsChanged = !same(t, b) || tc !== bc;

  if (!theirsChanged) return { ...common, outcome: oursChanged ? OUTCOME.ours : OUTCOME.clean, winner: oursChanged ? 'ours' : 'base', value: o ?? null, clock: oc, conflicting: false };
  if (!oursChanged) return { ...common, outcome: OUTCOME.theirs, winner: 'theirs', value: t ?? null, clock: tc, conflicting: false };
  if (same(o, t)) {
    // Both sides wrote the same value: clean, keeping the newer stamp so every replica agrees.
    const clock = compareStamp(oc, tc) >= 0 ? oc : tc;
    return { ...common, outcome: OUTCOME.clean, winner: 'both', value: o ?? null, clock, conflicting: false };
  }
  const byClock = compareStamp(oc, tc);
  if (byClock === 0) {
    const oursWins = compareValue(o, t) > 0;
    return { ...common, outcome: OUTCOME.tieBreak, winner: oursWins ? 'ours' : 'theirs', value: (oursWins ? o : t) ?? null, clock: oc, conflicting: true };
  }
  const oursWins = byClock > 0;
  const winningClock = oursWins ? oc : tc;
  return {
    ...common,
    outcome: flagged(winningClock, opts) ? OUTCOME.clamped : OUTCOME.newestWins,
    winner: oursWins ? 'ours' : 'theirs',
    value: (oursWins ? o : t) ?? null,
    clock: winningClock,
    conflicting: true,
  };
}

/** Decides a write-once column: only insert/insert of one key can disagree. */
export function decideImmutableCell(column: string, base: Row | null, ours: Row | null, theirs: Row | null): CellDecision {
  const b = base?.[column];
  const o = ours?.[column];
  const t = theirs?.[column];
  const common = { column, base: b, ours: o, theirs: t, baseClock: null, oursClock: null, theirsClock: null, clock: null };
  if (same(o, t)) return { ...common, outcome: OUTCOME.clean, winner: same(o, b) ? 'base' : 'both', value: o ?? null, conflicting: false };
  if (ours === null || same(o, b)) return { ...common, outcome: OUTCOME.theirs, winner: 'theirs', value: t ?? null, conflicting: false };
  if (theirs === null || same(t, b)) return { ...common, outcome: OUTCOME.ours, winner: 'ours', value: o ?? null, conflicting: false };
  const oursWins = compareValue(o, t) < 0;
  return { ...common, outcome: OUTCOME.immutableMin, winner: oursWins ? 'ours' : 'theirs', value: (oursWins ? o : t) ?? null, conflicting: true };
}

function keyOf(spec: TableSpec, ...rows: (Row | null)[]): Record<string, CellValue> {
  const row = rows.find((r) => r !== null) ?? {};
  return Object.fromEntries(spec.pk.map((k) => [k, row[k] ?? null]));
}

function rowEquals(spec: TableSpec, a: Row, b: Row): boolean {
  const cols = [...spec.immutable, ...spec.clocked.flatMap((c) => [c, clockColumn(c)])];
  return cols.every((c) => same(a[c], b[c]));
}

/**
 * Merges one row three ways. `null` means the row is absent on that side.
 * Every replica that feeds the same (base, ours, theirs) gets the same merged
 * row, and swapping ours and theirs gives the same merged row.
 */
export function decideRow(spec: TableSpec, base: Row | null, ours: Row | null, theirs: Row | null, opts: DecideOptions): RowDecision {
  const key = keyOf(spec, ours, theirs, base);
  const none = { table: spec.name, key, cells: [] };
  if (ours === null && theirs === null) return { ...none, outcome: base ? ROW_OUTCOME.removed : ROW_OUTCOME.absent, merged: null };
  // A removal on one side. grava never hard-deletes (deletes are tombstones),
  // so a removal that meets a change keeps the changed row: no write is lost.
  if (ours === null || theirs === null) {
    const present = (ours ?? theirs)!;
    const removedUnchanged = base !== null && rowEquals(spec, present, base);
    if (removedUnchanged) return { ...none, outcome: ROW_OUTCOME.removed, merged: null };
    const cells = [...spec.immutable.map((c) => decideImmutableCell(c, base, ours, theirs)), ...spec.clocked.map((c) => decideClockedCell(c, base, ours, theirs, opts))];
    return { table: spec.name, key, outcome: base ? ROW_OUTCOME.resurrected : ROW_OUTCOME.merged, merged: { ...key, ...present }, cells };
  }
  const cells: CellDecision[] = [];
  const merged: Record<string, CellValue> = { ...key };
  for (const c of spec.immutable) {
    const d = decideImmutableCell(c, base, ours, theirs);
    cells.push(d);
    merged[c] = d.value;
  }
  for (const c of spec.clocked) {
    const d = decideClockedCell(c, base, ours, theirs, opts);
    cells.push(d);
    merged[c] = d.value;
    merged[clockColumn(c)] = d.clock;
  }
  return { table: spec.name, key, outcome: ROW_OUTCOME.merged, merged, cells };
}
