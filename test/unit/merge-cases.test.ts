// The case table of docs/MERGE_SPEC.md §15, executable. `CASES` is a
// Record over `CaseName`, so every case must have an entry, and the last test
// checks that the spec's table and this one name exactly the same cases.

import { readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { decideClockedCell, decideRow, type DecideOptions } from '../../src/merge/decide.js';
import { encodeHlc, tick, tickAfter, decodeHlc, compareStamp, weakAfter, ZERO_STATE } from '../../src/merge/hlc.js';
import { OUTCOME, ROW_OUTCOME, type OutcomeTag, type RowOutcomeTag, type Winner } from '../../src/merge/outcome.js';
import { COMMENTS, DEPENDENCIES, ISSUES, LABELS, clockColumn, type CellValue, type Row, type TableSpec } from '../../src/merge/tables.js';

const T = 1_732_470_000_000;
const NOW = T + 3_600_000;
const OPTS: DecideOptions = { now: NOW };
const DAY = 24 * 3600 * 1000;

/** A stamp `dt` ms after T. */
const at = (dt: number, counter: number, actor: string): string => encodeHlc({ wall: T + dt, counter, actor });
const T0 = at(0, 0, 'alice');

// ---------------------------------------------------------------------------
// Row builders: complete rows in the canonical merged shape.

type Cells = Readonly<Record<string, CellValue>>;

function fullRow(spec: TableSpec, key: Cells, defaults: Cells, stamp: string | null, over: Cells = {}): Row {
  const row: Record<string, CellValue> = { ...key };
  for (const c of spec.immutable) row[c] = defaults[c] ?? null;
  for (const c of spec.clocked) {
    row[c] = defaults[c] ?? null;
    row[clockColumn(c)] = stamp;
  }
  return { ...row, ...over };
}

const ISSUE_DEFAULTS: Cells = {
  created_at: T0,
  created_by: 'alice',
  title: 'v0',
  description: '',
  status: 'open',
  priority: 2,
  type: 'task',
  assignee: null,
  close_reason: null,
  deleted: 0,
};

/** Issue bd-1 as in base: every cell stamped T0, then `over`. */
const issue = (over: Cells = {}, stamp: string | null = T0): Row => fullRow(ISSUES, { id: 'bd-1' }, ISSUE_DEFAULTS, stamp, over);
const label = (over: Cells = {}, stamp: string | null = T0): Row =>
  fullRow(LABELS, { issue_id: 'bd-1', label: 'ui' }, { created_at: T0, created_by: 'alice', deleted: 0 }, stamp, over);
const dependency = (over: Cells = {}, stamp: string | null = T0): Row =>
  fullRow(DEPENDENCIES, { issue_id: 'bd-1', depends_on: 'bd-2' }, { created_at: T0, created_by: 'alice', type: 'blocks', deleted: 0 }, stamp, over);
const comment = (over: Cells = {}): Row => fullRow(COMMENTS, { id: 'c-9f2e' }, { issue_id: 'bd-1', author: 'alice', body: 'LGTM', created_at: T0 }, null, over);

/** Sets one clocked cell and its stamp. */
const set = (column: string, value: CellValue, stamp: string | null): Cells => ({ [column]: value, [clockColumn(column)]: stamp });

// ---------------------------------------------------------------------------
// The §3 example, simulated with the real clock: A writes at t1 and t3, B at t2.

const t1t2t3 = (() => {
  const a1 = tick(ZERO_STATE, T + 1000, 'alice');
  const b2 = tick(ZERO_STATE, T + 2000, 'bob');
  const a3 = tick(a1.state, T + 3000, 'alice');
  const [t1, t2, t3] = [encodeHlc(a1.stamp), encodeHlc(b2.stamp), encodeHlc(a3.stamp)];
  return {
    t1,
    t2,
    t3,
    base: issue(),
    ours: issue({ ...set('title', "A's title", t1), ...set('status', 'closed', t3) }),
    theirs: issue(set('title', "B's title", t2)),
  };
})();

// A far-future value in base, overwritten by a writer that has seen it.
const farOverwrite = (() => {
  const far = encodeHlc({ wall: NOW + 30 * DAY, counter: 0, actor: 'mallory' });
  const w = tickAfter({ wall: NOW, counter: 0 }, NOW, 'alice', decodeHlc(far));
  return { far, stamp: encodeHlc(w.stamp) };
})();

// Claims (§13a): an offline claim is stamped weak, just above what it overwrote.
const weak = (after: string, actor: string): string => encodeHlc(weakAfter(decodeHlc(after), actor));

// ---------------------------------------------------------------------------
// The table.

type CaseName =
  | 'untouched'
  | 'ours-only'
  | 'theirs-only'
  | 'same-value-both'
  | 'same-value-same-stamp'
  | 'newest-wins-ours'
  | 'newest-wins-theirs'
  | 'newest-by-counter'
  | 'newest-by-actor'
  | 'restamp-beats-older-change'
  | 'missing-stamp-loses'
  | 'tie-break-string-over-number'
  | 'tie-break-number-over-null'
  | 'tie-break-string-order'
  | 'clamped-far-future'
  | 'clamped-both-far-future'
  | 'far-future-overwritten'
  | 't1-t2-t3'
  | 'insert-one-side'
  | 'insert-insert-same-key'
  | 'insert-insert-identical'
  | 'delete-vs-update-other-cell'
  | 'delete-both'
  | 'delete-vs-undelete'
  | 'hard-removal-vs-change'
  | 'hard-removal-unchanged'
  | 'hard-removal-both'
  | 'absent-everywhere'
  | 'label-add-add'
  | 'label-remove-vs-readd'
  | 'dependency-add-add-different-type'
  | 'append-only-same-id'
  | 'append-only-one-side'
  | 'claim-offline-vs-central-earlier'
  | 'claim-offline-vs-offline';

interface CellExpectation {
  readonly outcome: OutcomeTag;
  readonly winner: Winner;
  readonly value: CellValue;
  readonly clock: string | null;
}

interface Case {
  readonly spec: TableSpec;
  readonly base: Row | null;
  readonly ours: Row | null;
  readonly theirs: Row | null;
  readonly row: RowOutcomeTag;
  /** The exact merged row (null: absent). */
  readonly merged: Row | null;
  /** Decisions of the cells this case is about; every other cell must be `clean`. */
  readonly cells: Readonly<Record<string, CellExpectation>>;
}

/** A case about one clocked cell of issue bd-1: `[value, stamp]` per side. */
function cellCase(column: string, base: readonly [CellValue, string | null], ours: readonly [CellValue, string | null], theirs: readonly [CellValue, string | null], expected: CellExpectation): Case {
  return {
    spec: ISSUES,
    base: issue(set(column, ...base)),
    ours: issue(set(column, ...ours)),
    theirs: issue(set(column, ...theirs)),
    row: ROW_OUTCOME.merged,
    merged: issue(set(column, expected.value, expected.clock)),
    cells: { [column]: expected },
  };
}

const FAR = encodeHlc({ wall: NOW + DAY, counter: 0, actor: 'mallory' });
const FARTHER = encodeHlc({ wall: NOW + 2 * DAY, counter: 0, actor: 'eve' });

const CASES: Record<CaseName, Case> = {
  untouched: cellCase('title', ['v0', T0], ['v0', T0], ['v0', T0], { outcome: OUTCOME.clean, winner: 'base', value: 'v0', clock: T0 }),
  'ours-only': cellCase('title', ['v0', T0], ['A', at(1, 0, 'alice')], ['v0', T0], { outcome: OUTCOME.ours, winner: 'ours', value: 'A', clock: at(1, 0, 'alice') }),
  'theirs-only': cellCase('title', ['v0', T0], ['v0', T0], ['B', at(1, 0, 'bob')], { outcome: OUTCOME.theirs, winner: 'theirs', value: 'B', clock: at(1, 0, 'bob') }),
  'same-value-both': cellCase('status', ['open', T0], ['closed', at(5, 0, 'alice')], ['closed', at(3, 0, 'bob')], {
    outcome: OUTCOME.clean,
    winner: 'both',
    value: 'closed',
    clock: at(5, 0, 'alice'),
  }),
  'same-value-same-stamp': cellCase('status', ['open', T0], ['closed', at(5, 0, 'alice')], ['closed', at(5, 0, 'alice')], {
    outcome: OUTCOME.clean,
    winner: 'both',
    value: 'closed',
    clock: at(5, 0, 'alice'),
  }),
  'newest-wins-ours': cellCase('title', ['v0', T0], ['A', at(9, 0, 'alice')], ['B', at(8, 5, 'bob')], { outcome: OUTCOME.newestWins, winner: 'ours', value: 'A', clock: at(9, 0, 'alice') }),
  'newest-wins-theirs': cellCase('title', ['v0', T0], ['A', at(8, 5, 'zed')], ['B', at(9, 0, 'bob')], { outcome: OUTCOME.newestWins, winner: 'theirs', value: 'B', clock: at(9, 0, 'bob') }),
  'newest-by-counter': cellCase('priority', [2, T0], [1, at(7, 2, 'zed')], [0, at(7, 3, 'bob')], { outcome: OUTCOME.newestWins, winner: 'theirs', value: 0, clock: at(7, 3, 'bob') }),
  'newest-by-actor': cellCase('assignee', [null, T0], ['carol', at(7, 3, 'carol')], ['bob', at(7, 3, 'bob')], {
    outcome: OUTCOME.newestWins,
    winner: 'ours',
    value: 'carol',
    clock: at(7, 3, 'carol'),
  }),
  'restamp-beats-older-change': cellCase('title', ['v0', T0], ['v0', at(9, 0, 'alice')], ['B', at(4, 0, 'bob')], {
    outcome: OUTCOME.newestWins,
    winner: 'ours',
    value: 'v0',
    clock: at(9, 0, 'alice'),
  }),
  'missing-stamp-loses': cellCase('title', ['v0', null], ['A', at(1, 0, 'alice')], ['B', null], { outcome: OUTCOME.newestWins, winner: 'ours', value: 'A', clock: at(1, 0, 'alice') }),
  'tie-break-string-over-number': cellCase('close_reason', [null, T0], [7, at(4, 0, 'carol')], ['seven', at(4, 0, 'carol')], {
    outcome: OUTCOME.tieBreak,
    winner: 'theirs',
    value: 'seven',
    clock: at(4, 0, 'carol'),
  }),
  'tie-break-number-over-null': cellCase('close_reason', ['x', T0], [0, at(4, 0, 'carol')], [null, at(4, 0, 'carol')], {
    outcome: OUTCOME.tieBreak,
    winner: 'ours',
    value: 0,
    clock: at(4, 0, 'carol'),
  }),
  'tie-break-string-order': cellCase('title', ['v0', null], ['apple', null], ['banana', null], { outcome: OUTCOME.tieBreak, winner: 'theirs', value: 'banana', clock: null }),
  'clamped-far-future': cellCase('title', ['v0', T0], ['A', FAR], ['B', at(9, 0, 'bob')], { outcome: OUTCOME.clamped, winner: 'ours', value: 'A', clock: FAR }),
  'clamped-both-far-future': cellCase('title', ['v0', T0], ['A', FAR], ['B', FARTHER], { outcome: OUTCOME.clamped, winner: 'theirs', value: 'B', clock: FARTHER }),
  'far-future-overwritten': cellCase('title', ['M', farOverwrite.far], ['A', farOverwrite.stamp], ['M', farOverwrite.far], {
    outcome: OUTCOME.ours,
    winner: 'ours',
    value: 'A',
    clock: farOverwrite.stamp,
  }),
  't1-t2-t3': {
    spec: ISSUES,
    base: t1t2t3.base,
    ours: t1t2t3.ours,
    theirs: t1t2t3.theirs,
    row: ROW_OUTCOME.merged,
    merged: issue({ ...set('title', "B's title", t1t2t3.t2), ...set('status', 'closed', t1t2t3.t3) }),
    cells: {
      title: { outcome: OUTCOME.newestWins, winner: 'theirs', value: "B's title", clock: t1t2t3.t2 },
      status: { outcome: OUTCOME.ours, winner: 'ours', value: 'closed', clock: t1t2t3.t3 },
    },
  },
  'insert-one-side': {
    spec: ISSUES,
    base: null,
    ours: issue({ title: 'new' }, at(1, 0, 'alice')),
    theirs: null,
    row: ROW_OUTCOME.merged,
    merged: issue({ title: 'new' }, at(1, 0, 'alice')),
    cells: {
      title: { outcome: OUTCOME.ours, winner: 'ours', value: 'new', clock: at(1, 0, 'alice') },
      created_by: { outcome: OUTCOME.ours, winner: 'ours', value: 'alice', clock: null },
      deleted: { outcome: OUTCOME.ours, winner: 'ours', value: 0, clock: at(1, 0, 'alice') },
    },
  },
  'insert-insert-same-key': {
    spec: ISSUES,
    base: null,
    ours: issue({ created_by: 'bob', created_at: at(2, 0, 'bob'), title: "bob's" }, at(2, 0, 'bob')),
    theirs: issue({ created_by: 'alice', created_at: at(1, 0, 'alice'), title: "alice's" }, at(1, 0, 'alice')),
    row: ROW_OUTCOME.merged,
    merged: issue({ created_by: 'alice', created_at: at(1, 0, 'alice'), title: "bob's" }, at(2, 0, 'bob')),
    cells: {
      created_by: { outcome: OUTCOME.immutableMin, winner: 'theirs', value: 'alice', clock: null },
      created_at: { outcome: OUTCOME.immutableMin, winner: 'theirs', value: at(1, 0, 'alice'), clock: null },
      title: { outcome: OUTCOME.newestWins, winner: 'ours', value: "bob's", clock: at(2, 0, 'bob') },
      status: { outcome: OUTCOME.clean, winner: 'both', value: 'open', clock: at(2, 0, 'bob') },
      deleted: { outcome: OUTCOME.clean, winner: 'both', value: 0, clock: at(2, 0, 'bob') },
    },
  },
  'insert-insert-identical': {
    spec: ISSUES,
    base: null,
    ours: issue({}, at(1, 0, 'alice')),
    theirs: issue({}, at(1, 0, 'alice')),
    row: ROW_OUTCOME.merged,
    merged: issue({}, at(1, 0, 'alice')),
    cells: {
      title: { outcome: OUTCOME.clean, winner: 'both', value: 'v0', clock: at(1, 0, 'alice') },
      created_by: { outcome: OUTCOME.clean, winner: 'both', value: 'alice', clock: null },
    },
  },
  'delete-vs-update-other-cell': {
    spec: ISSUES,
    base: issue(),
    ours: issue(set('deleted', 1, at(5, 0, 'alice'))),
    theirs: issue(set('title', 'edited', at(6, 0, 'bob'))),
    row: ROW_OUTCOME.merged,
    merged: issue({ ...set('deleted', 1, at(5, 0, 'alice')), ...set('title', 'edited', at(6, 0, 'bob')) }),
    cells: {
      deleted: { outcome: OUTCOME.ours, winner: 'ours', value: 1, clock: at(5, 0, 'alice') },
      title: { outcome: OUTCOME.theirs, winner: 'theirs', value: 'edited', clock: at(6, 0, 'bob') },
    },
  },
  'delete-both': {
    spec: ISSUES,
    base: issue(),
    ours: issue(set('deleted', 1, at(5, 0, 'alice'))),
    theirs: issue(set('deleted', 1, at(6, 0, 'bob'))),
    row: ROW_OUTCOME.merged,
    merged: issue(set('deleted', 1, at(6, 0, 'bob'))),
    cells: { deleted: { outcome: OUTCOME.clean, winner: 'both', value: 1, clock: at(6, 0, 'bob') } },
  },
  'delete-vs-undelete': {
    spec: ISSUES,
    base: issue(set('deleted', 1, at(1, 0, 'alice'))),
    ours: issue(set('deleted', 0, at(7, 0, 'alice'))),
    theirs: issue(set('deleted', 1, at(6, 0, 'bob'))),
    row: ROW_OUTCOME.merged,
    merged: issue(set('deleted', 0, at(7, 0, 'alice'))),
    cells: { deleted: { outcome: OUTCOME.newestWins, winner: 'ours', value: 0, clock: at(7, 0, 'alice') } },
  },
  'hard-removal-vs-change': {
    spec: ISSUES,
    base: issue(),
    ours: null,
    theirs: issue(set('title', 'kept', at(4, 0, 'bob'))),
    row: ROW_OUTCOME.resurrected,
    merged: issue(set('title', 'kept', at(4, 0, 'bob'))),
    cells: {
      title: { outcome: OUTCOME.theirs, winner: 'theirs', value: 'kept', clock: at(4, 0, 'bob') },
    },
  },
  'hard-removal-unchanged': { spec: ISSUES, base: issue(), ours: null, theirs: issue(), row: ROW_OUTCOME.removed, merged: null, cells: {} },
  'hard-removal-both': { spec: ISSUES, base: issue(), ours: null, theirs: null, row: ROW_OUTCOME.removed, merged: null, cells: {} },
  'absent-everywhere': { spec: ISSUES, base: null, ours: null, theirs: null, row: ROW_OUTCOME.absent, merged: null, cells: {} },
  'label-add-add': {
    spec: LABELS,
    base: null,
    ours: label({ created_by: 'bob', created_at: at(3, 0, 'bob') }, at(3, 0, 'bob')),
    theirs: label({ created_by: 'alice', created_at: at(2, 0, 'alice') }, at(2, 0, 'alice')),
    row: ROW_OUTCOME.merged,
    merged: label({ created_by: 'alice', created_at: at(2, 0, 'alice') }, at(3, 0, 'bob')),
    cells: {
      deleted: { outcome: OUTCOME.clean, winner: 'both', value: 0, clock: at(3, 0, 'bob') },
      created_by: { outcome: OUTCOME.immutableMin, winner: 'theirs', value: 'alice', clock: null },
      created_at: { outcome: OUTCOME.immutableMin, winner: 'theirs', value: at(2, 0, 'alice'), clock: null },
    },
  },
  'label-remove-vs-readd': {
    spec: LABELS,
    base: label(),
    ours: label(set('deleted', 1, at(5, 0, 'alice'))),
    theirs: label(set('deleted', 0, at(8, 0, 'bob'))),
    row: ROW_OUTCOME.merged,
    merged: label(set('deleted', 0, at(8, 0, 'bob'))),
    cells: { deleted: { outcome: OUTCOME.newestWins, winner: 'theirs', value: 0, clock: at(8, 0, 'bob') } },
  },
  'dependency-add-add-different-type': {
    spec: DEPENDENCIES,
    base: null,
    ours: dependency({ type: 'blocks' }, at(3, 0, 'alice')),
    theirs: dependency({ type: 'related', created_by: 'bob' }, at(4, 0, 'bob')),
    row: ROW_OUTCOME.merged,
    merged: dependency({ type: 'related', ...set('deleted', 0, at(4, 0, 'bob')) }, at(4, 0, 'bob')),
    cells: {
      type: { outcome: OUTCOME.newestWins, winner: 'theirs', value: 'related', clock: at(4, 0, 'bob') },
      deleted: { outcome: OUTCOME.clean, winner: 'both', value: 0, clock: at(4, 0, 'bob') },
      created_by: { outcome: OUTCOME.immutableMin, winner: 'ours', value: 'alice', clock: null },
    },
  },
  'append-only-same-id': {
    spec: COMMENTS,
    base: null,
    ours: comment(),
    theirs: comment(),
    row: ROW_OUTCOME.merged,
    merged: comment(),
    cells: { body: { outcome: OUTCOME.clean, winner: 'both', value: 'LGTM', clock: null } },
  },
  // carol's claim reached the central at +5 s; bob claimed offline at +60 s (later in time), weakly: carol keeps it.
  'claim-offline-vs-central-earlier': {
    spec: ISSUES,
    base: issue(),
    ours: issue({ ...set('assignee', 'bob', weak(T0, 'bob')), ...set('status', 'in_progress', weak(T0, 'bob')) }),
    theirs: issue({ ...set('assignee', 'carol', at(5_000, 0, 'carol')), ...set('status', 'in_progress', at(5_000, 0, 'carol')) }),
    row: ROW_OUTCOME.merged,
    merged: issue({ ...set('assignee', 'carol', at(5_000, 0, 'carol')), ...set('status', 'in_progress', at(5_000, 0, 'carol')) }),
    cells: {
      assignee: { outcome: OUTCOME.newestWins, winner: 'theirs', value: 'carol', clock: at(5_000, 0, 'carol') },
      status: { outcome: OUTCOME.clean, winner: 'both', value: 'in_progress', clock: at(5_000, 0, 'carol') },
    },
  },
  // Two offline claims of one issue: both weak over the same base; the actor orders them, the same way everywhere.
  'claim-offline-vs-offline': {
    spec: ISSUES,
    base: issue(),
    ours: issue(set('assignee', 'bob', weak(T0, 'bob'))),
    theirs: issue(set('assignee', 'carol', weak(T0, 'carol'))),
    row: ROW_OUTCOME.merged,
    merged: issue(set('assignee', 'carol', weak(T0, 'carol'))),
    cells: { assignee: { outcome: OUTCOME.newestWins, winner: 'theirs', value: 'carol', clock: weak(T0, 'carol') } },
  },
  'append-only-one-side': {
    spec: COMMENTS,
    base: null,
    ours: null,
    theirs: comment(),
    row: ROW_OUTCOME.merged,
    merged: comment(),
    cells: { body: { outcome: OUTCOME.theirs, winner: 'theirs', value: 'LGTM', clock: null }, author: { outcome: OUTCOME.theirs, winner: 'theirs', value: 'alice', clock: null } },
  },
};

const swapWinner = (w: Winner): Winner => (w === 'ours' ? 'theirs' : w === 'theirs' ? 'ours' : w);
const swapOutcome = (o: OutcomeTag): OutcomeTag => (o === OUTCOME.ours ? OUTCOME.theirs : o === OUTCOME.theirs ? OUTCOME.ours : o);

describe('merge case table (docs/MERGE_SPEC.md §15)', () => {
  for (const [name, c] of Object.entries(CASES) as [CaseName, Case][]) {
    describe(name, () => {
      const d = decideRow(c.spec, c.base, c.ours, c.theirs, OPTS);

      it('row outcome and merged row', () => {
        expect(d.outcome).toBe(c.row);
        expect(d.merged).toEqual(c.merged);
        expect(d.table).toBe(c.spec.name);
        if (c.merged === null) expect(d.cells).toEqual([]);
        else expect(d.cells.map((x) => x.column)).toEqual([...c.spec.immutable, ...c.spec.clocked]);
      });

      it('cell decisions: tag, winner, value, clock', () => {
        for (const [column, e] of Object.entries(c.cells)) {
          const cell = d.cells.find((x) => x.column === column);
          expect(cell, column).toBeDefined();
          expect({ column, outcome: cell?.outcome, winner: cell?.winner, value: cell?.value, clock: cell?.clock }).toEqual({ column, ...e });
          expect(cell?.conflicting).toBe(e.outcome === OUTCOME.newestWins || e.outcome === OUTCOME.tieBreak || e.outcome === OUTCOME.clamped || e.outcome === OUTCOME.immutableMin);
          if (c.merged !== null) {
            expect(d.merged?.[column]).toBe(e.value);
            if (c.spec.clocked.includes(column)) expect(d.merged?.[clockColumn(column)]).toBe(e.clock);
          }
          if (c.spec.clocked.includes(column) && c.ours !== null && c.theirs !== null) {
            // The cell-level entry point decides exactly as the row does.
            expect(decideClockedCell(column, c.base, c.ours, c.theirs, OPTS)).toEqual(cell);
          }
        }
        // Cells the case is not about were left alone or agreed on.
        for (const cell of d.cells) {
          if (!(cell.column in c.cells)) expect([OUTCOME.clean, OUTCOME.ours, OUTCOME.theirs], cell.column).toContain(cell.outcome);
        }
      });

      it('swapping ours and theirs merges to the same row, mirrored', () => {
        const s = decideRow(c.spec, c.base, c.theirs, c.ours, OPTS);
        expect(s.merged).toEqual(d.merged);
        expect(s.outcome).toBe(d.outcome);
        for (const [column, e] of Object.entries(c.cells)) {
          const cell = s.cells.find((x) => x.column === column);
          expect({ outcome: cell?.outcome, winner: cell?.winner, value: cell?.value, clock: cell?.clock }).toEqual({
            outcome: swapOutcome(e.outcome),
            winner: swapWinner(e.winner),
            value: e.value,
            clock: e.clock,
          });
        }
      });

      it('is idempotent: merging the result again with either side changes nothing', () => {
        expect(decideRow(c.spec, c.base, d.merged, d.merged, OPTS).merged).toEqual(d.merged);
        expect(decideRow(c.spec, c.base, d.merged, c.ours, OPTS).merged).toEqual(d.merged);
        expect(decideRow(c.spec, c.base, c.theirs, d.merged, OPTS).merged).toEqual(d.merged);
      });
    });
  }
});

describe('the t1/t2/t3 example', () => {
  it('uses real clock stamps in order t1 < t2 < t3', () => {
    expect(compareStamp(t1t2t3.t1, t1t2t3.t2)).toBeLessThan(0);
    expect(compareStamp(t1t2t3.t2, t1t2t3.t3)).toBeLessThan(0);
  });

  it('a row-level updated_at would lose B’s newer title; per-cell clocks keep it', () => {
    // Row-level last-writer-wins: the side whose newest stamp is greatest takes the whole row.
    const newest = (r: Row): string => ISSUES.clocked.map((c) => r[clockColumn(c)]).filter((v): v is string => typeof v === 'string').sort().at(-1) ?? '';
    const rowLevel = newest(t1t2t3.ours) > newest(t1t2t3.theirs) ? t1t2t3.ours : t1t2t3.theirs;
    expect(rowLevel.title).toBe("A's title");
    const merged = decideRow(ISSUES, t1t2t3.base, t1t2t3.ours, t1t2t3.theirs, OPTS).merged;
    expect(merged?.title).toBe("B's title");
    expect(merged?.status).toBe('closed');
  });
});

describe('far-future stamps', () => {
  it('the clamped flag depends on now, the merged row does not', () => {
    const c = CASES['clamped-far-future'];
    const late = decideRow(c.spec, c.base, c.ours, c.theirs, { now: NOW + 2 * DAY });
    const early = decideRow(c.spec, c.base, c.ours, c.theirs, OPTS);
    expect(late.merged).toEqual(early.merged);
    expect(late.cells.find((x) => x.column === 'title')?.outcome).toBe(OUTCOME.newestWins);
    expect(early.cells.find((x) => x.column === 'title')?.outcome).toBe(OUTCOME.clamped);
  });

  it('a narrower drift bound flags stamps a wider one accepts', () => {
    const within = at(3_600_000 + 60_000, 0, 'alice'); // one minute ahead of NOW
    const base = issue();
    const ours = issue(set('title', 'A', within));
    const theirs = issue(set('title', 'B', at(9, 0, 'bob')));
    expect(decideClockedCell('title', base, ours, theirs, OPTS).outcome).toBe(OUTCOME.newestWins);
    expect(decideClockedCell('title', base, ours, theirs, { now: NOW, maxDriftMs: 30_000 }).outcome).toBe(OUTCOME.clamped);
    // Exactly at the bound is still within it.
    expect(decideClockedCell('title', base, ours, theirs, { now: NOW, maxDriftMs: 60_000 }).outcome).toBe(OUTCOME.newestWins);
    expect(decideClockedCell('title', base, ours, theirs, { now: NOW, maxDriftMs: 59_999 }).outcome).toBe(OUTCOME.clamped);
  });

  it('the overwriting stamp sorts after the far-future one it replaced', () => {
    expect(compareStamp(farOverwrite.stamp, farOverwrite.far)).toBeGreaterThan(0);
  });
});

describe('the spec and this table name the same cases', () => {
  it('docs/MERGE_SPEC.md §15 lists exactly the cases of CASES', () => {
    const spec = readFileSync(new URL('../../docs/MERGE_SPEC.md', import.meta.url), 'utf8');
    const section = spec.slice(spec.indexOf('## 15. Case table'), spec.indexOf('Cases enforced by storage'));
    const named = [...section.matchAll(/^\| `([a-z0-9-]+)` \|/gm)].map((m) => m[1]);
    expect(named.length).toBeGreaterThan(0);
    expect([...named].sort()).toEqual(Object.keys(CASES).sort());
  });
});
