// The three-way, cell-by-cell merge. Pure: rows and clocks in, decisions out.
// The rules are specified in docs/MERGE_SPEC.md.
//
// This is the hot path of conflict resolution (target ≥ 1 M cells/s, see
// bench/merge-throughput.ts), so it avoids object spreads, builds every cell
// decision with one constructor (one object shape), and looks clock columns
// up from a per-spec plan instead of concatenating names per cell.

import { compareStamp, decodeHlc, isBeyondDrift, DEFAULT_MAX_DRIFT_MS, WALL_DIGITS } from './hlc.js';
import { OUTCOME, ROW_OUTCOME, type CellDecision, type OutcomeTag, type RowOutcomeTag, type Winner } from './outcome.js';
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

// ---------------------------------------------------------------------------
// Per-spec plan and per-`now` drift bound (pure memoisation).

interface Plan {
  readonly pk: readonly string[];
  readonly immutable: readonly string[];
  readonly clocked: readonly string[];
  /** clocks[i] is clockColumn(clocked[i]). */
  readonly clocks: readonly string[];
}

const plans = new WeakMap<TableSpec, Plan>();

function planOf(spec: TableSpec): Plan {
  let plan = plans.get(spec);
  if (plan === undefined) {
    plan = { pk: [...spec.pk], immutable: [...spec.immutable], clocked: [...spec.clocked], clocks: spec.clocked.map(clockColumn) };
    plans.set(spec, plan);
  }
  return plan;
}

interface Drift {
  readonly now: number;
  readonly maxDriftMs: number;
  /**
   * The encoded wall `floor(now + maxDriftMs) + 1`. A stamp that sorts below
   * it has a wall within the bound, so it needs no decoding. Null when the
   * bound cannot be written in WALL_DIGITS digits exactly.
   */
  readonly below: string | null;
}

let lastDrift: Drift = { now: Number.NaN, maxDriftMs: Number.NaN, below: null };

function driftOf(opts: DecideOptions): Drift {
  const maxDriftMs = opts.maxDriftMs ?? DEFAULT_MAX_DRIFT_MS;
  if (opts.now === lastDrift.now && maxDriftMs === lastDrift.maxDriftMs) return lastDrift;
  const next = Math.floor(opts.now + maxDriftMs) + 1;
  const below = Number.isSafeInteger(next) && next >= 0 && String(next).length <= WALL_DIGITS ? String(next).padStart(WALL_DIGITS, '0') : null;
  lastDrift = { now: opts.now, maxDriftMs, below };
  return lastDrift;
}

function flagged(stamp: string | null, drift: Drift): boolean {
  if (stamp === null) return false;
  if (drift.below !== null && stamp < drift.below) return false;
  const hlc = decodeHlc(stamp);
  return hlc !== undefined && isBeyondDrift(hlc, drift.now, drift.maxDriftMs);
}

// ---------------------------------------------------------------------------
// Cells.

function stampIn(row: Row | null, clock: string): string | null {
  if (row === null) return null;
  const v = row[clock];
  return typeof v === 'string' ? v : null;
}

function cellDecision(
  column: string,
  outcome: OutcomeTag,
  winner: Winner,
  base: CellValue | undefined,
  ours: CellValue | undefined,
  theirs: CellValue | undefined,
  value: CellValue,
  baseClock: string | null,
  oursClock: string | null,
  theirsClock: string | null,
  clock: string | null,
  conflicting: boolean,
): CellDecision {
  return { column, outcome, winner, base, ours, theirs, value, baseClock, oursClock, theirsClock, clock, conflicting };
}

function decideClocked(column: string, clk: string, base: Row | null, ours: Row | null, theirs: Row | null, drift: Drift): CellDecision {
  const b = base === null ? undefined : base[column];
  const o = ours === null ? undefined : ours[column];
  const t = theirs === null ? undefined : theirs[column];
  const bc = stampIn(base, clk);
  const oc = stampIn(ours, clk);
  const tc = stampIn(theirs, clk);
  const oursChanged = o !== b || oc !== bc;
  const theirsChanged = t !== b || tc !== bc;

  if (!theirsChanged) {
    return oursChanged
      ? cellDecision(column, OUTCOME.ours, 'ours', b, o, t, o ?? null, bc, oc, tc, oc, false)
      : cellDecision(column, OUTCOME.clean, 'base', b, o, t, o ?? null, bc, oc, tc, oc, false);
  }
  if (!oursChanged) return cellDecision(column, OUTCOME.theirs, 'theirs', b, o, t, t ?? null, bc, oc, tc, tc, false);
  // Both sides carry the same stamp but only one changed the value: no value
  // collides, so take the changed value, exactly as Dolt's column-wise merge
  // does. grava's own writes have unique stamps, so this only meets rows
  // written by hand or by two workspaces sharing one actor name. (Found by
  // the differential test against Dolt.)
  if (oc === tc && o !== t && (o === b || t === b)) {
    const oursValue = o !== b;
    return cellDecision(column, oursValue ? OUTCOME.ours : OUTCOME.theirs, oursValue ? 'ours' : 'theirs', b, o, t, (oursValue ? o : t) ?? null, bc, oc, tc, oc, false);
  }
  const byClock = compareStamp(oc, tc);
  if (o === t) {
    // Both sides wrote the same value: clean, keeping the greater stamp so every replica agrees.
    return cellDecision(column, OUTCOME.clean, 'both', b, o, t, o ?? null, bc, oc, tc, byClock >= 0 ? oc : tc, false);
  }
  if (byClock === 0) {
    const oursWins = compareValue(o, t) > 0;
    return cellDecision(column, OUTCOME.tieBreak, oursWins ? 'ours' : 'theirs', b, o, t, (oursWins ? o : t) ?? null, bc, oc, tc, oc, true);
  }
  const oursWins = byClock > 0;
  const winningClock = oursWins ? oc : tc;
  return cellDecision(
    column,
    flagged(winningClock, drift) ? OUTCOME.clamped : OUTCOME.newestWins,
    oursWins ? 'ours' : 'theirs',
    b,
    o,
    t,
    (oursWins ? o : t) ?? null,
    bc,
    oc,
    tc,
    winningClock,
    true,
  );
}

/** Decides one last-writer-wins cell (value plus its clock). A null row is absent: no value, no stamp. */
export function decideClockedCell(column: string, base: Row | null, ours: Row | null, theirs: Row | null, opts: DecideOptions): CellDecision {
  return decideClocked(column, clockColumn(column), base, ours, theirs, driftOf(opts));
}

/** Decides a write-once column: only insert/insert of one key can disagree. */
export function decideImmutableCell(column: string, base: Row | null, ours: Row | null, theirs: Row | null): CellDecision {
  const b = base === null ? undefined : base[column];
  const o = ours === null ? undefined : ours[column];
  const t = theirs === null ? undefined : theirs[column];
  if (o === t) return cellDecision(column, OUTCOME.clean, o === b ? 'base' : 'both', b, o, t, o ?? null, null, null, null, null, false);
  if (ours === null || o === b) return cellDecision(column, OUTCOME.theirs, 'theirs', b, o, t, t ?? null, null, null, null, null, false);
  if (theirs === null || t === b) return cellDecision(column, OUTCOME.ours, 'ours', b, o, t, o ?? null, null, null, null, null, false);
  const oursWins = compareValue(o, t) < 0;
  return cellDecision(column, OUTCOME.immutableMin, oursWins ? 'ours' : 'theirs', b, o, t, (oursWins ? o : t) ?? null, null, null, null, null, true);
}

// ---------------------------------------------------------------------------
// Rows.

function keyOf(pk: readonly string[], row: Row | null): Record<string, CellValue> {
  const key: Record<string, CellValue> = {};
  for (const k of pk) key[k] = row === null ? null : (row[k] ?? null);
  return key;
}

function rowEquals(plan: Plan, a: Row, b: Row): boolean {
  for (const c of plan.immutable) if (a[c] !== b[c]) return false;
  for (let i = 0; i < plan.clocked.length; i++) {
    const c = plan.clocked[i]!;
    const k = plan.clocks[i]!;
    if (a[c] !== b[c] || a[k] !== b[k]) return false;
  }
  return true;
}

/**
 * Merges one row three ways. `null` means the row is absent on that side.
 *
 * The merged row always has the same shape: the key, the immutable columns,
 * then each clocked cell followed by its clock (columns outside the spec are
 * not carried). Every replica that feeds the same (base, ours, theirs) gets
 * the same merged row, and swapping ours and theirs gives the same merged row.
 */
export function decideRow(spec: TableSpec, base: Row | null, ours: Row | null, theirs: Row | null, opts: DecideOptions): RowDecision {
  const plan = planOf(spec);
  const key = keyOf(plan.pk, ours ?? theirs ?? base);
  if (ours === null && theirs === null) {
    return { table: spec.name, key, outcome: base === null ? ROW_OUTCOME.absent : ROW_OUTCOME.removed, merged: null, cells: [] };
  }
  let outcome: RowOutcomeTag = ROW_OUTCOME.merged;
  let o = ours;
  let t = theirs;
  if (o === null || t === null) {
    // Present on one side only. Without a base it is a one-sided insert. With
    // a base the other side hard-removed it: grava never hard-deletes (deletes
    // are tombstones), so a removal of an unchanged row stands, and a removal
    // that meets a change keeps the changed row, losing no write. Either way
    // the side without the row counts as unchanged (it stands at base), so
    // every cell decision names the kept row's values.
    if (base !== null) {
      if (rowEquals(plan, (o ?? t)!, base)) return { table: spec.name, key, outcome: ROW_OUTCOME.removed, merged: null, cells: [] };
      outcome = ROW_OUTCOME.resurrected;
    }
    o ??= base;
    t ??= base;
  }
  const drift = driftOf(opts);
  const cells: CellDecision[] = [];
  const merged: Record<string, CellValue> = keyOf(plan.pk, ours ?? theirs);
  for (const c of plan.immutable) {
    const d = decideImmutableCell(c, base, o, t);
    cells.push(d);
    merged[c] = d.value;
  }
  for (let i = 0; i < plan.clocked.length; i++) {
    const c = plan.clocked[i]!;
    const k = plan.clocks[i]!;
    const d = decideClocked(c, k, base, o, t, drift);
    cells.push(d);
    merged[c] = d.value;
    merged[k] = d.clock;
  }
  return { table: spec.name, key, outcome, merged, cells };
}

/** The stamps the other side brought into a merge (the clock observes them). */
export function theirStamps(decisions: readonly RowDecision[]): string[] {
  return decisions.flatMap((d) => d.cells.map((c) => c.theirsClock).filter((s): s is string => s !== null));
}
