// One human sentence per merge decision, naming the values and the stamps
// (and so the actors) that decided it. `merge-inspect` and the merge events
// print these. Pure: decisions in, text out.

import type { RowDecision } from './decide.js';
import { decodeHlc } from './hlc.js';
import { OUTCOME, ROW_OUTCOME, type CellDecision } from './outcome.js';
import type { CellValue } from './tables.js';

const MAX_VALUE_CHARS = 40;

/** A cell value as it reads in a sentence: strings quoted and shortened, absence spelled out. */
export function formatValue(v: CellValue | undefined): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  const text = v.length > MAX_VALUE_CHARS ? `${v.slice(0, MAX_VALUE_CHARS - 1)}…` : v;
  return JSON.stringify(text);
}

function formatStamp(s: string | null): string {
  return s === null ? 'no stamp' : s;
}

/** `issues[id=bd-1]` or `labels[issue_id=bd-1, label=ui]`. */
export function formatKey(table: string, key: Readonly<Record<string, CellValue>>): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${typeof v === 'string' ? v : formatValue(v)}`);
  return `${table}[${parts.join(', ')}]`;
}

type Side = 'ours' | 'theirs';

function other(side: Side): Side {
  return side === 'ours' ? 'theirs' : 'ours';
}

function sideValue(d: CellDecision, side: Side): CellValue | undefined {
  return side === 'ours' ? d.ours : d.theirs;
}

function sideClock(d: CellDecision, side: Side): string | null {
  return side === 'ours' ? d.oursClock : d.theirsClock;
}

function winningSide(d: CellDecision): Side {
  return d.winner === 'ours' ? 'ours' : 'theirs';
}

/** `theirs "b" (stamp)`. */
function said(d: CellDecision, side: Side): string {
  return `${side} ${formatValue(sideValue(d, side))} (${formatStamp(sideClock(d, side))})`;
}

/** Why the winner's stamp beats the loser's: plain "is newer", or the actor when wall and counter are equal. */
function newerPhrase(winner: string | null, loser: string | null): string {
  const w = winner === null ? undefined : decodeHlc(winner);
  const l = loser === null ? undefined : decodeHlc(loser);
  if (w && l && w.wall === l.wall && w.counter === l.counter) {
    return `has the greater stamp (same wall time and counter; actor ${w.actor} > ${l.actor})`;
  }
  return 'is newer';
}

function oneSided(d: CellDecision, side: Side): string {
  const mine = sideValue(d, side);
  const stamp = sideClock(d, side);
  if (d.base === undefined) return `only ${side} has it: ${formatValue(mine)}${stamp === null ? '' : ` (${stamp})`}; ${side} wins`;
  if (stamp === null && d.baseClock === null) return `only ${side} changed it: ${formatValue(d.base)} → ${formatValue(mine)}; ${side} wins`;
  const change = mine === d.base ? `rewrote it with the same value ${formatValue(mine)}` : `changed it: ${formatValue(d.base)} → ${formatValue(mine)}`;
  return `only ${side} ${change} (${formatStamp(d.baseClock)} → ${formatStamp(stamp)}); ${side} wins`;
}

function clean(d: CellDecision): string {
  if (d.winner === 'base') return `unchanged: ${formatValue(d.value)} (${formatStamp(d.clock)})`;
  if (d.oursClock === d.theirsClock) {
    return d.clock === null ? `both sides set it to ${formatValue(d.value)}; clean` : `both sides set it to ${formatValue(d.value)} with the same stamp ${d.clock}; clean`;
  }
  const keeper: Side = d.clock === d.oursClock ? 'ours' : 'theirs';
  return `both sides set it to ${formatValue(d.value)}; clean, keeping the greater stamp ${formatStamp(d.clock)} (${keeper}; ${other(keeper)} had ${formatStamp(sideClock(d, other(keeper)))})`;
}

function sentence(d: CellDecision): string {
  switch (d.outcome) {
    case OUTCOME.clean:
      return clean(d);
    case OUTCOME.ours:
      return oneSided(d, 'ours');
    case OUTCOME.theirs:
      return oneSided(d, 'theirs');
    case OUTCOME.newestWins: {
      const w = winningSide(d);
      return `both sides changed it; ${said(d, w)} ${newerPhrase(sideClock(d, w), sideClock(d, other(w)))} than ${said(d, other(w))}, so ${w} wins`;
    }
    case OUTCOME.clamped: {
      const w = winningSide(d);
      return `both sides changed it; ${said(d, w)} ${newerPhrase(sideClock(d, w), sideClock(d, other(w)))} than ${said(d, other(w))}, so ${w} wins; flagged: the winning stamp is beyond the drift bound (a clock running ahead)`;
    }
    case OUTCOME.tieBreak: {
      const w = winningSide(d);
      return `both sides changed it with the same stamp ${formatStamp(d.clock)}; ${formatValue(sideValue(d, w))} orders after ${formatValue(sideValue(d, other(w)))} (null < number < string), so ${w} wins`;
    }
    case OUTCOME.immutableMin: {
      const w = winningSide(d);
      return `write-once, inserted on both sides with different values; ${formatValue(sideValue(d, w))} orders before ${formatValue(sideValue(d, other(w)))} (null < number < string), so ${w} wins`;
    }
    default: {
      const unknown: never = d.outcome;
      return `undecided outcome ${String(unknown)}`;
    }
  }
}

/** One sentence for one cell decision, e.g. `issues[id=bd-1].title: both sides changed it; theirs … is newer than ours …, so theirs wins`. */
export function explainCell(table: string, key: Readonly<Record<string, CellValue>>, decision: CellDecision): string {
  return `${formatKey(table, key)}.${decision.column}: ${sentence(decision)}`;
}

/** True for a cell neither side touched: explainRow counts these instead of listing them. */
function untouched(d: CellDecision): boolean {
  return d.outcome === OUTCOME.clean && d.winner === 'base';
}

/**
 * The row's outcome in one line, then one line per cell that either side
 * touched (cells nobody touched are only counted).
 */
export function explainRow(decision: RowDecision): string[] {
  const where = formatKey(decision.table, decision.key);
  switch (decision.outcome) {
    case ROW_OUTCOME.absent:
      return [`${where}: absent on every side; nothing to merge`];
    case ROW_OUTCOME.removed:
      return [`${where}: removed (hard delete) and not changed on the other side; stays removed`];
    case ROW_OUTCOME.resurrected:
    case ROW_OUTCOME.merged: {
      const touched = decision.cells.filter((c) => !untouched(c));
      const conflicting = touched.filter((c) => c.conflicting).length;
      const quiet = decision.cells.length - touched.length;
      const head =
        decision.outcome === ROW_OUTCOME.resurrected
          ? `${where}: removed on one side but changed on the other; the changed row is kept (resurrected)`
          : `${where}: merged cell by cell: ${touched.length} changed (${conflicting} conflicting), ${quiet} unchanged`;
      return [head, ...touched.map((c) => explainCell(decision.table, decision.key, c))];
    }
    default: {
      const unknown: never = decision.outcome;
      return [`${where}: undecided row outcome ${String(unknown)}`];
    }
  }
}
