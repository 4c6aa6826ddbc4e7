// The tagged result of deciding one cell. `merge-inspect` prints these tags.

import type { CellValue } from './tables.js';

export const OUTCOME = {
  /** Neither side changed the cell, or both set it to the same value. */
  clean: 'clean',
  /** Only our side changed it. */
  ours: 'ours',
  /** Only their side changed it. */
  theirs: 'theirs',
  /** Both changed it to different values; the greater (HLC, actor) won. */
  newestWins: 'newest-wins',
  /** Both changed it with identical stamps; the greater value won. */
  tieBreak: 'tie-break',
  /** Newest wins, but the winning stamp lies beyond the drift bound: flagged. */
  clamped: 'clamped',
  /** A write-once column differed on insert/insert; the smaller value won. */
  immutableMin: 'immutable-min',
} as const;

export type OutcomeTag = (typeof OUTCOME)[keyof typeof OUTCOME];

export type Winner = 'base' | 'ours' | 'theirs' | 'both';

export interface CellDecision {
  readonly column: string;
  readonly outcome: OutcomeTag;
  readonly winner: Winner;
  readonly base: CellValue | undefined;
  readonly ours: CellValue | undefined;
  readonly theirs: CellValue | undefined;
  readonly value: CellValue;
  readonly baseClock: string | null;
  readonly oursClock: string | null;
  readonly theirsClock: string | null;
  /** The clock stored with the merged value. */
  readonly clock: string | null;
  /** True when both sides changed the cell to different values (a real conflict). */
  readonly conflicting: boolean;
}

export const ROW_OUTCOME = {
  /** Row absent on every side that matters after the merge. */
  absent: 'absent',
  /** The row was merged cell by cell. */
  merged: 'merged',
  /** One side removed the row (a hard delete) and the other changed it: the changed row is kept. */
  resurrected: 'resurrected',
  /** Both sides removed the row. */
  removed: 'removed',
} as const;

export type RowOutcomeTag = (typeof ROW_OUTCOME)[keyof typeof ROW_OUTCOME];
