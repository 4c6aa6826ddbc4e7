// Properties of the merge (docs/MERGE_SPEC.md §14), checked with fast-check:
// commutativity, idempotence, and convergence of replicas against an
// independent oracle. Plus the clock facts the convergence argument rests on.
//
// Replay:  GRAVA_FC_SEED=<seed> [GRAVA_FC_PATH=<path>] npx vitest run --project unit merge-properties
// Runs:    GRAVA_FC_RUNS=<n> per property; default 10 000 when CI is set, 2 000 locally.
// fast-check prints the seed and path of a failure, with the shrunk counterexample.

import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { decideRow, type DecideOptions } from '../../src/merge/decide.js';
import { compareHlc, compareStamp, decodeHlc, encodeHlc, receive, tick, tickAfter, weakAfter, DEFAULT_MAX_DRIFT_MS, ZERO_STATE, type Hlc, type HlcState } from '../../src/merge/hlc.js';
import { OUTCOME } from '../../src/merge/outcome.js';
import { COMMENTS, DEPENDENCIES, ISSUES, LABELS, clockColumn, type CellValue, type Row, type TableSpec } from '../../src/merge/tables.js';

const RUNS = Number(process.env.GRAVA_FC_RUNS ?? '') || (process.env.CI ? 10_000 : 2_000);
const SEED = process.env.GRAVA_FC_SEED === undefined ? undefined : Number(process.env.GRAVA_FC_SEED);
const PATH = process.env.GRAVA_FC_PATH;
const TIMEOUT = 600_000;

function params<T>(numRuns: number = RUNS): fc.Parameters<T> {
  const p: fc.Parameters<T> = { numRuns };
  if (SEED !== undefined && Number.isFinite(SEED)) p.seed = SEED;
  if (PATH !== undefined) p.path = PATH;
  return p;
}

const T = 1_732_470_000_000;
const NOW = T + 60_000;

// ---------------------------------------------------------------------------
// Arbitrary (base, ours, theirs) rows, dense in collisions: small value and
// stamp pools (including missing stamps, equal stamps with different values,
// actors that are prefixes of one another, stamps beyond the drift bound).

const SMALL: TableSpec = { name: 'small', pk: ['id'], clocked: ['a', 'b', 'deleted'], immutable: ['created_by'], appendOnly: false };
const SPECS: readonly TableSpec[] = [SMALL, ISSUES, LABELS, DEPENDENCIES, COMMENTS];

const valueArb: fc.Arbitrary<CellValue> = fc.constantFrom<CellValue>(null, 0, 1, -1, '', '0', 'a', 'b', 'B');
const stampArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constant(null),
  fc
    .record({
      wall: fc.constantFrom(T, T + 1, NOW + DEFAULT_MAX_DRIFT_MS, NOW + DEFAULT_MAX_DRIFT_MS + 1, NOW + 86_400_000),
      counter: fc.constantFrom(0, 1, 999_999),
      actor: fc.constantFrom('a', 'al', 'alice', 'b', 'B'),
    })
    .map(encodeHlc),
);

interface Triple {
  readonly spec: TableSpec;
  readonly base: Row | null;
  readonly ours: Row | null;
  readonly theirs: Row | null;
}

function rowArb(spec: TableSpec): fc.Arbitrary<Row> {
  const cols: Record<string, fc.Arbitrary<CellValue>> = {};
  for (const k of spec.pk) cols[k] = fc.constant(`${k}-1`);
  for (const c of spec.immutable) cols[c] = valueArb;
  for (const c of spec.clocked) {
    cols[c] = valueArb;
    cols[clockColumn(c)] = stampArb;
  }
  return fc.record(cols);
}

/** A cell is its value plus, for clocked cells, its stamp: copied or changed together. */
function cellGroups(spec: TableSpec): string[][] {
  return [...spec.immutable.map((c) => [c]), ...spec.clocked.map((c) => [c, clockColumn(c)])];
}

function derive(spec: TableSpec, source: Row, fresh: Row, keep: readonly boolean[]): Row {
  const row: Record<string, CellValue> = { ...source };
  cellGroups(spec).forEach((group, i) => {
    if (!keep[i]) for (const c of group) row[c] = fresh[c] ?? null;
  });
  return row;
}

function tripleArb(spec: TableSpec): fc.Arbitrary<Triple> {
  const n = cellGroups(spec).length;
  const mask = fc.array(fc.boolean(), { minLength: n, maxLength: n });
  const present = fc.integer({ min: 0, max: 5 }).map((x) => x !== 0);
  return fc
    .record({ source: rowArb(spec), o: rowArb(spec), t: rowArb(spec), keepO: mask, keepT: mask, hasB: present, hasO: present, hasT: present })
    .map(({ source, o, t, keepO, keepT, hasB, hasO, hasT }) => ({
      spec,
      // Ours and theirs copy most cells from one source row, which is the base
      // when there is one (so "unchanged" is common) and else shared content
      // of an insert/insert.
      base: hasB ? source : null,
      ours: hasO ? derive(spec, source, o, keepO) : null,
      theirs: hasT ? derive(spec, source, t, keepT) : null,
    }));
}

const anyTriple: fc.Arbitrary<Triple> = fc.oneof(...SPECS.map(tripleArb));

const OPTS: DecideOptions = { now: NOW };

// maxDriftMs values that put a pool stamp's wall exactly at, or 1 ms past, the bound.
const DRIFT_EDGES = [0, 1, DEFAULT_MAX_DRIFT_MS - 1, DEFAULT_MAX_DRIFT_MS, DEFAULT_MAX_DRIFT_MS + 1, 86_400_000 - 1, 86_400_000] as const;

describe('merge properties', () => {
  it(
    'commutativity: swapping ours and theirs gives the same merged row (and mirrored decisions)',
    { timeout: TIMEOUT },
    () => {
      fc.assert(
        fc.property(anyTriple, ({ spec, base, ours, theirs }) => {
          const a = decideRow(spec, base, ours, theirs, OPTS);
          const b = decideRow(spec, base, theirs, ours, OPTS);
          expect(b.merged).toEqual(a.merged);
          expect(b.outcome).toBe(a.outcome);
          expect(b.cells.map((c) => [c.column, c.value, c.clock, c.conflicting])).toEqual(a.cells.map((c) => [c.column, c.value, c.clock, c.conflicting]));
          // Determinism: the merged row does not depend on the deciding replica's clock.
          expect(decideRow(spec, base, ours, theirs, { now: NOW + 86_400_000 * 2, maxDriftMs: 1 }).merged).toEqual(a.merged);
        }),
        params(),
      );
    },
  );

  it(
    'idempotence: merging a row with itself yields it; re-merging the result with either side changes nothing',
    { timeout: TIMEOUT },
    () => {
      fc.assert(
        fc.property(anyTriple, ({ spec, base, ours, theirs }) => {
          const self = decideRow(spec, base, ours, ours, OPTS);
          expect(self.merged).toEqual(ours);
          expect(self.cells.some((c) => c.conflicting)).toBe(false);
          const m = decideRow(spec, base, ours, theirs, OPTS).merged;
          expect(decideRow(spec, base, m, m, OPTS).merged).toEqual(m);
          expect(decideRow(spec, base, m, ours, OPTS).merged).toEqual(m);
          expect(decideRow(spec, base, m, theirs, OPTS).merged).toEqual(m);
          expect(decideRow(spec, base, theirs, m, OPTS).merged).toEqual(m);
        }),
        params(),
      );
    },
  );

  it('the clamped tag is exactly "newest wins with a winning stamp beyond now + maxDrift"', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(tripleArb(SMALL), fc.oneof(fc.integer({ min: 0, max: 90_000_000 }), fc.constantFrom(...DRIFT_EDGES)), ({ spec, base, ours, theirs }, maxDriftMs) => {
        const d = decideRow(spec, base, ours, theirs, { now: NOW, maxDriftMs });
        for (const c of d.cells) {
          if (c.outcome !== OUTCOME.clamped && c.outcome !== OUTCOME.newestWins) continue;
          const wall = c.clock === null ? undefined : decodeHlc(c.clock)?.wall;
          expect(c.outcome === OUTCOME.clamped).toBe(wall !== undefined && wall > NOW + maxDriftMs);
        }
      }),
      params(Math.ceil(RUNS / 4)),
    );
  });
});

// ---------------------------------------------------------------------------
// Clock facts the convergence argument needs.

const hlcArb: fc.Arbitrary<Hlc> = fc.record({
  wall: fc.integer({ min: 0, max: 2 ** 52 }),
  counter: fc.integer({ min: 0, max: 999_999 }),
  actor: fc.constantFrom('a', 'a-', 'a.', 'a0', 'a_', 'al', 'alice', 'alice@x', 'b', 'B', 'Z9'),
});
const stateArb: fc.Arbitrary<HlcState> = fc.record({ wall: fc.integer({ min: 0, max: 2 ** 52 }), counter: fc.integer({ min: 0, max: 999_999 }) });
const after = (s: Hlc, st: HlcState): boolean => s.wall > st.wall || (s.wall === st.wall && s.counter > st.counter);

describe('hlc properties', () => {
  it('the text form round-trips and sorts exactly like (wall, counter, actor)', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(decodeHlc(encodeHlc(a))).toEqual(a);
        expect(Math.sign(compareStamp(encodeHlc(a), encodeHlc(b)))).toBe(Math.sign(compareHlc(a, b)));
      }),
      params(Math.ceil(RUNS / 4)),
    );
  });

  it('tick and tickAfter move strictly forward, past the overwritten stamp; receive never goes back and clamps', { timeout: TIMEOUT }, () => {
    fc.assert(
      fc.property(stateArb, hlcArb, fc.integer({ min: 0, max: 2 ** 52 }), (state, remote, now) => {
        const t = tick(state, now, 'me');
        const sane = state.wall <= now + DEFAULT_MAX_DRIFT_MS;
        // Forward, unless the state itself lies beyond the drift bound (a clock that ran ahead): then it restarts from now.
        if (sane) expect(after(t.stamp, state)).toBe(true);
        else expect(t.state.wall).toBe(now);
        expect(t.state).toEqual({ wall: t.stamp.wall, counter: t.stamp.counter });
        const ta = tickAfter(state, now, 'me', remote);
        if (sane) expect(after(ta.stamp, state)).toBe(true);
        // An overwrite always beats the value it replaces, and never moves the clock past the bound because of it.
        expect(compareHlc(ta.stamp, remote)).toBeGreaterThan(0);
        expect(after(ta.stamp, remote)).toBe(true);
        if (sane) expect(ta.state.wall).toBeLessThanOrEqual(Math.max(state.wall, now + DEFAULT_MAX_DRIFT_MS));
        const r = receive(state, remote, now);
        expect(r.state.wall > state.wall || (r.state.wall === state.wall && r.state.counter >= state.counter)).toBe(true);
        expect(r.clamped).toBe(remote.wall > now + DEFAULT_MAX_DRIFT_MS);
        if (r.clamped) expect(r.state.wall).toBe(Math.max(state.wall, now + DEFAULT_MAX_DRIFT_MS));
        else expect(r.state.wall > remote.wall || (r.state.wall === remote.wall && r.state.counter >= remote.counter)).toBe(true);
      }),
      params(Math.ceil(RUNS / 4)),
    );
  });
});

// ---------------------------------------------------------------------------
// Convergence.
//
// The model, like git and Dolt: every replica has a head commit in one shared
// commit DAG. A write makes a commit on its replica. `pull(a, b)` brings b's
// head into a: nothing when b's head is already an ancestor of a's,
// fast-forward when a's head is an ancestor of b's, and otherwise a three-way
// merge of every row with decideRow over the merge base (a best common
// ancestor: a common ancestor with the most history, so no other common
// ancestor descends from it; with several, as after criss-cross merges, any
// of them, see MERGE_SPEC §14), recorded as a merge commit with both parents.
// (With unique stamps any common ancestor, even the empty root, gives the same
// merged cells; a base that is not a common ancestor, such as ours, makes this
// property fail. MERGE_SPEC §14.)
// After a pull the replica's clock receives every stamp it pulled in (clamped
// when far ahead), as storage's Clock.observe does.
//
// Writes stamp as storage does: tickAfter over the stamp of the value being
// overwritten, tick for a cell without one. Each replica's wall clock is the
// op's `now` plus a per-replica skew, some far beyond the drift bound, and
// `now` jumps back and forth.
//
// The oracle reads only the log of writes: per cell, the value of the write
// with the greatest (wall, counter, actor); per row, the smallest actor that
// inserted it as created_by. It shares no code with decideRow or the HLC
// comparison. Rows are never hard-removed (grava never hard-deletes).

const CONV: TableSpec = { name: 'items', pk: ['id'], clocked: ['title', 'status', 'deleted'], immutable: ['created_by'], appendOnly: false };
const ROW_IDS = ['r0', 'r1', 'r2'] as const;
// Actors that are prefixes of one another, so the text order of stamps is tested too.
const ACTORS = ['al', 'alice', 'b', 'bob', 'al-x', 'central'] as const;
const SKEWS = [0, -40_000, 7 * 60_000, 86_400_000] as const;

type Op =
  | { readonly kind: 'write'; readonly replica: number; readonly row: number; readonly column: number; readonly value: CellValue; readonly now: number }
  | { readonly kind: 'pull'; readonly into: number; readonly from: number; readonly now: number };

interface Commit {
  readonly id: number;
  readonly ancestors: ReadonlySet<number>;
  readonly state: ReadonlyMap<string, Row>;
}

interface Replica {
  readonly actor: string;
  readonly skew: number;
  head: Commit;
  clock: HlcState;
  lastStamp: Hlc | undefined;
}

interface LoggedWrite {
  readonly row: string;
  readonly column: string;
  readonly value: CellValue;
  readonly stamp: Hlc;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('write' as const),
    replica: fc.nat(4),
    row: fc.nat(ROW_IDS.length - 1),
    column: fc.nat(CONV.clocked.length - 1),
    value: fc.constantFrom<CellValue>(null, 0, 1, 'x', 'y'),
    now: fc.integer({ min: 0, max: 20_000 }),
  }),
  fc.record({ kind: fc.constant('pull' as const), into: fc.nat(4), from: fc.nat(4), now: fc.integer({ min: 0, max: 20_000 }) }),
);

const scenarioArb = fc.record({
  replicas: fc.integer({ min: 2, max: 5 }),
  skews: fc.array(fc.constantFrom(...SKEWS), { minLength: 5, maxLength: 5 }),
  ops: fc.array(opArb, { minLength: 4, maxLength: 60, size: 'max' }),
  finalNow: fc.integer({ min: 0, max: 20_000 }),
});

interface Stats {
  merges: number;
  conflictingCells: number;
  clampedCells: number;
  /** Merges whose sides had more than one best common ancestor. */
  crissCross: number;
}

const newStats = (): Stats => ({ merges: 0, conflictingCells: 0, clampedCells: 0, crissCross: 0 });

class World {
  private readonly commits: Commit[];
  readonly replicas: Replica[];
  readonly log: LoggedWrite[] = [];
  readonly inserts = new Map<string, string[]>();

  constructor(
    count: number,
    skews: readonly number[],
    readonly stats: Stats = newStats(),
  ) {
    const genesis: Commit = { id: 0, ancestors: new Set([0]), state: new Map() };
    this.commits = [genesis];
    this.replicas = Array.from({ length: count }, (_, i) => ({ actor: ACTORS[i]!, skew: skews[i] ?? 0, head: genesis, clock: ZERO_STATE, lastStamp: undefined }));
  }

  private commit(parents: readonly Commit[], state: ReadonlyMap<string, Row>): Commit {
    const id = this.commits.length;
    const ancestors = new Set<number>([id]);
    for (const p of parents) for (const a of p.ancestors) ancestors.add(a);
    const c: Commit = { id, ancestors, state };
    this.commits.push(c);
    return c;
  }

  write(r: Replica, rowId: string, column: string, value: CellValue, now: number): void {
    const wall = T + now + r.skew;
    const state = new Map(r.head.state);
    const current = state.get(rowId);
    const clk = clockColumn(column);
    const overwritten = current?.[clk];
    const t = typeof overwritten === 'string' ? tickAfter(r.clock, wall, r.actor, decodeHlc(overwritten)) : tick(r.clock, wall, r.actor);
    // A write beats the value it overwrites, so no two writes of one cell share a stamp (MERGE_SPEC §12:
    // stamps of one replica need not increase across cells once a far-future value was overwritten).
    if (typeof overwritten === 'string') expect(compareHlc(t.stamp, decodeHlc(overwritten)!)).toBeGreaterThan(0);
    // The replica's clock stays within the drift bound of its own time, whatever it overwrote or pulled.
    expect(t.state.wall).toBeLessThanOrEqual(wall + DEFAULT_MAX_DRIFT_MS);
    r.lastStamp = t.stamp;
    r.clock = t.state;
    let row: Record<string, CellValue>;
    if (current === undefined) {
      row = { id: rowId, created_by: r.actor };
      for (const c of CONV.clocked) {
        row[c] = null;
        row[clockColumn(c)] = null;
      }
      this.inserts.set(rowId, [...(this.inserts.get(rowId) ?? []), r.actor]);
    } else row = { ...current };
    row[column] = value;
    row[clk] = encodeHlc(t.stamp);
    state.set(rowId, row);
    this.log.push({ row: rowId, column, value, stamp: t.stamp });
    r.head = this.commit([r.head], state);
  }

  /** A best common ancestor: no other common ancestor descends from it. With several, the one with the most history. */
  private mergeBase(a: Commit, b: Commit): Commit {
    const common = this.commits.filter((c) => a.ancestors.has(c.id) && b.ancestors.has(c.id));
    const best = common.filter((c) => !common.some((d) => d !== c && d.ancestors.has(c.id)));
    if (best.length > 1) this.stats.crissCross++;
    const pick = best.reduce<Commit | undefined>((x, c) => (x === undefined || c.ancestors.size > x.ancestors.size ? c : x), undefined);
    if (pick === undefined) throw new Error('no common ancestor');
    return pick;
  }

  pull(into: Replica, from: Replica, now: number): void {
    const a = into.head;
    const b = from.head;
    if (a.ancestors.has(b.id)) return;
    if (b.ancestors.has(a.id)) into.head = b;
    else {
      const base = this.mergeBase(a, b);
      const merged = new Map<string, Row>();
      const keys = [...new Set([...base.state.keys(), ...a.state.keys(), ...b.state.keys()])].sort();
      for (const k of keys) {
        const d = decideRow(CONV, base.state.get(k) ?? null, a.state.get(k) ?? null, b.state.get(k) ?? null, { now: T + now + into.skew });
        if (d.merged !== null) merged.set(k, d.merged);
        for (const c of d.cells) {
          if (c.conflicting) this.stats.conflictingCells++;
          if (c.outcome === OUTCOME.clamped) this.stats.clampedCells++;
        }
      }
      this.stats.merges++;
      into.head = this.commit([a, b], merged);
    }
    // The replica's clock observes every stamp it pulled in.
    for (const row of b.state.values()) {
      for (const c of CONV.clocked) {
        const s = row[clockColumn(c)];
        const h = typeof s === 'string' ? decodeHlc(s) : undefined;
        if (h) into.clock = receive(into.clock, h, T + now + into.skew).state;
      }
    }
  }
}

/** Independent oracle: the final table computed straight from the write log. */
function oracle(log: readonly LoggedWrite[], inserts: ReadonlyMap<string, readonly string[]>): Map<string, Row> {
  const newer = (x: Hlc, y: Hlc): boolean => (x.wall !== y.wall ? x.wall > y.wall : x.counter !== y.counter ? x.counter > y.counter : x.actor > y.actor);
  const text = (h: Hlc): string => `${String(h.wall).padStart(16, '0')}-${String(h.counter).padStart(6, '0')}-${h.actor}`;
  const out = new Map<string, Row>();
  for (const [rowId, actors] of inserts) {
    const row: Record<string, CellValue> = { id: rowId, created_by: [...actors].sort()[0] ?? null };
    for (const c of CONV.clocked) {
      let winner: LoggedWrite | undefined;
      for (const w of log) if (w.row === rowId && w.column === c && (!winner || newer(w.stamp, winner.stamp))) winner = w;
      row[c] = winner ? winner.value : null;
      row[`${c}_clk`] = winner ? text(winner.stamp) : null;
    }
    out.set(rowId, row);
  }
  return out;
}

const asObject = (m: ReadonlyMap<string, Row>): Record<string, Row> => Object.fromEntries([...m].sort(([a], [b]) => (a < b ? -1 : 1)));

describe('convergence', () => {
  it(
    'after a final all-to-all round every replica equals the oracle, whatever the sync order',
    { timeout: TIMEOUT },
    () => {
      const totals = newStats();
      fc.assert(
        fc.property(scenarioArb, ({ replicas, skews, ops, finalNow }) => {
          const world = new World(replicas, skews, totals);
          const rs = world.replicas;
          for (const op of ops) {
            if (op.kind === 'write') {
              const r = rs[op.replica % replicas]!;
              world.write(r, ROW_IDS[op.row]!, CONV.clocked[op.column]!, op.value, op.now);
            } else {
              const into = rs[op.into % replicas]!;
              const from = rs[op.from % replicas]!;
              if (into !== from) world.pull(into, from, op.now);
            }
          }
          for (const into of rs) for (const from of rs) if (into !== from) world.pull(into, from, finalNow);

          const expected = asObject(oracle(world.log, world.inserts));
          const first = asObject(rs[0]!.head.state);
          for (const r of rs) expect(asObject(r.head.state)).toEqual(first);
          expect(first).toEqual(expected);
        }),
        params(),
      );
      // Not vacuous: the runs did merge, met real conflicts, far-future stamps and criss-cross histories
      // (GRAVA_FC_STATS=1 prints the counts).
      if (process.env.GRAVA_FC_STATS) process.stderr.write(`convergence stats: ${JSON.stringify(totals)}\n`);
      if (RUNS >= 1000) {
        expect(totals.merges).toBeGreaterThan(RUNS);
        expect(totals.conflictingCells).toBeGreaterThan(RUNS);
        expect(totals.clampedCells).toBeGreaterThan(RUNS / 10);
        expect(totals.crissCross).toBeGreaterThan(RUNS / 100);
      }
    },
  );

  it('a criss-cross history with concurrent same-cell writes converges to the oracle', () => {
    const world = new World(3, [0, 0, 0]);
    const [a, b, c] = world.replicas as [Replica, Replica, Replica];
    world.write(a, 'r0', 'title', 'x', 10);
    world.pull(c, a, 11); // c fast-forwards to a's write
    world.write(b, 'r0', 'title', 'y', 5);
    world.write(b, 'r0', 'status', 'open', 6);
    world.pull(a, b, 20); // merge 1 of (a's write, b's writes)
    world.pull(c, b, 21); // merge 2 of the same two heads, made independently
    world.write(a, 'r0', 'deleted', 1, 30);
    world.write(c, 'r0', 'title', 'z', 31);
    world.pull(a, c, 40); // two best common ancestors: the two merges' parents
    expect(world.stats.crissCross).toBe(1);
    for (const into of world.replicas) for (const from of world.replicas) if (into !== from) world.pull(into, from, 50);
    // a's write at +10 beats b's concurrent one at +5; c's later title wins; b's status and a's tombstone survive.
    expect(a.head.state.get('r0')).toMatchObject({ title: 'z', status: 'open', deleted: 1, created_by: 'al' });
    expect(asObject(a.head.state)).toEqual(asObject(oracle(world.log, world.inserts)));
    expect(asObject(b.head.state)).toEqual(asObject(a.head.state));
    expect(asObject(c.head.state)).toEqual(asObject(a.head.state));
  });
});

// The central merge queue (issue 17, docs/MERGE_SPEC.md §15): workspaces write
// and merge among themselves, then each pushes its branch and the central
// merges the heads into main one at a time, in an order it picks. The claim
// verdicts the central writes on main between merges are an input, at fixed
// places in the queue. Whatever the order, main equals the oracle over the
// write log (verdicts included), and two orders agree on every cell but the
// claimed ones.

const queueArb = fc.integer({ min: 2, max: 5 }).chain((replicas) => {
  const order = fc.shuffledSubarray(Array.from({ length: replicas }, (_, i) => i), { minLength: replicas, maxLength: replicas });
  return fc.record({
    replicas: fc.constant(replicas),
    skews: fc.array(fc.constantFrom(...SKEWS), { minLength: 5, maxLength: 5 }),
    ops: fc.array(opArb, { minLength: 2, maxLength: 40, size: 'max' }),
    orderA: order,
    orderB: order,
    verdicts: fc.array(fc.record({ at: fc.nat(replicas), row: fc.nat(ROW_IDS.length - 1), value: fc.constantFrom<CellValue>('claimed-a', 'claimed-b', null) }), { maxLength: 3 }),
    now: fc.integer({ min: 0, max: 20_000 }),
  });
});

type QueueCase = { replicas: number; skews: number[]; ops: Op[]; verdicts: { at: number; row: number; value: CellValue }[]; now: number };

/** The workspaces' history, then the queue in `order`; returns main and the world. */
function runQueue(c: QueueCase, order: readonly number[]): { main: Record<string, Row>; world: World } {
  const world = new World(c.replicas + 1, [...c.skews, 0]);
  const rs = world.replicas.slice(0, c.replicas);
  const central = world.replicas[c.replicas]!;
  for (const op of c.ops) {
    if (op.kind === 'write') world.write(rs[op.replica % c.replicas]!, ROW_IDS[op.row]!, CONV.clocked[op.column]!, op.value, op.now);
    else if (op.into % c.replicas !== op.from % c.replicas) world.pull(rs[op.into % c.replicas]!, rs[op.from % c.replicas]!, op.now);
  }
  for (let pos = 0; pos <= order.length; pos++) {
    // A verdict is a write of the claim cell on main, between two merges of the queue; an issue main
    // does not hold yet cannot be claimed (the central answers "absent").
    for (const v of c.verdicts) if (v.at === pos && central.head.state.has(ROW_IDS[v.row]!)) world.write(central, ROW_IDS[v.row]!, 'status', v.value, c.now);
    if (pos < order.length) world.pull(central, rs[order[pos]!]!, c.now);
  }
  return { main: asObject(central.head.state), world };
}

describe('the merge queue: main does not depend on the order the central takes the branches in', () => {
  it('in any order main equals the oracle, and two orders agree on every cell the verdicts did not write', { timeout: TIMEOUT }, () => {
    let compared = 0;
    fc.assert(
      fc.property(queueArb, (c) => {
        const a = runQueue(c, c.orderA);
        const b = runQueue(c, c.orderB);
        expect(a.main).toEqual(asObject(oracle(a.world.log, a.world.inserts)));
        expect(b.main).toEqual(asObject(oracle(b.world.log, b.world.inserts)));
        const claimed = new Set<string>(c.verdicts.map((v) => ROW_IDS[v.row]!));
        const strip = (m: Record<string, Row>): Record<string, Row> => Object.fromEntries(Object.entries(m).map(([k, r]) => [k, claimed.has(k) ? { ...r, status: '(verdict)', status_clk: '(verdict)' } : r]));
        expect(strip(b.main)).toEqual(strip(a.main));
        if (c.verdicts.length === 0) expect(b.main).toEqual(a.main);
        if (JSON.stringify(c.orderA) !== JSON.stringify(c.orderB) && Object.keys(a.main).length > 0) compared++;
      }),
      params(),
    );
    // Not vacuous: most runs compared two different orders over a non-empty main.
    if (RUNS >= 1000) expect(compared).toBeGreaterThan(RUNS / 2);
  });

  it('a verdict holds in every order when it is the newest write of its cell', () => {
    // Two workspaces edit status before the claim; the central's verdict, written after both merged, wins either way.
    const c: QueueCase = {
      replicas: 2, skews: [0, 0, 0, 0, 0],
      ops: [{ kind: 'write', replica: 0, row: 0, column: 1, value: 'x', now: 10 }, { kind: 'write', replica: 1, row: 0, column: 1, value: 'y', now: 20 }],
      verdicts: [{ at: 2, row: 0, value: 'claimed-a' }], now: 30,
    };
    for (const order of [[0, 1], [1, 0]]) expect(runQueue(c, order).main.r0).toMatchObject({ status: 'claimed-a', created_by: 'al' });
  });
});

describe('claims (§13a): an offline claim never beats an ordinary overwrite of the same value', () => {
  const actorArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,8}$/);
  const hlcArb = fc.record({ wall: fc.integer({ min: 0, max: T + 1e9 }), counter: fc.integer({ min: 0, max: 999_999 }), actor: actorArb });
  it('an overwrite in the millisecond of the value it replaces is later on (wall, counter), not only by actor, so it beats a weak claim of that value', () => {
    // Close stamps, where the actor alone could order them: the clock one step behind the overwritten
    // stamp in its millisecond, or ahead of now by more than the drift bound (it restarts from now).
    const near = fc.record({ wall: fc.integer({ min: 0, max: 3 }), counter: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(near, fc.integer({ min: 0, max: 3 }), fc.boolean(), actorArb, actorArb, (base, now, ranAhead, baseActor, actor) => {
        const overwritten: Hlc = { ...base, actor: baseActor };
        const state: HlcState = ranAhead ? { wall: now + DEFAULT_MAX_DRIFT_MS + 1, counter: 0 } : { wall: base.wall, counter: Math.max(0, base.counter - 1) };
        const stamp = tickAfter(state, now, actor, overwritten).stamp;
        expect(after(stamp, overwritten)).toBe(true);
        expect(compareHlc(stamp, weakAfter(overwritten, baseActor))).toBeGreaterThan(0);
      }),
      params(),
    );
    // The case fast-check found in CI: the clock restarted from now (14), the value was stamped (14, 1, "A").
    const found = tickAfter({ wall: 300_015, counter: 0 }, 14, 'a', { wall: 14, counter: 1, actor: 'A' }).stamp;
    expect(found).toEqual({ wall: 14, counter: 2, actor: 'a' });
    expect(compareHlc(found, weakAfter({ wall: 14, counter: 1, actor: 'A' }, 'A'))).toBeGreaterThan(0);
  });

  it('whatever the clocks, the central\'s claim wins the merge in either order, and the weak claim still beats the base', () => {
    fc.assert(
      fc.property(hlcArb, actorArb, actorArb, fc.record({ wall: fc.integer({ min: 0, max: T + 1e9 }), counter: fc.integer({ min: 0, max: 999_999 }) }), fc.integer({ min: 0, max: T + 1e9 }),
        (base, offlineActor, centralActor, state, now) => {
          const b = encodeHlc(base);
          const weak = weakAfter(base, offlineActor);
          const central = tickAfter(state, now, centralActor, base).stamp;
          expect(compareHlc(weak, base)).toBeGreaterThan(0);
          expect(compareHlc(central, weak)).toBeGreaterThan(0);
          const row = (assignee: string | null, stamp: string): Row => {
            const r: Record<string, CellValue> = { id: 'x', created_at: 'c', created_by: 'a' };
            for (const c of ISSUES.clocked) { r[c] = c === 'assignee' ? assignee : c === 'status' ? 'open' : null; r[clockColumn(c)] = c === 'assignee' ? stamp : b; }
            return r;
          };
          const baseRow = row(null, b);
          const offline = row(`${offlineActor}-o`, encodeHlc(weak));
          const decided = row(`${centralActor}-c`, encodeHlc(central));
          for (const [o, t] of [[offline, decided], [decided, offline]] as const) {
            expect(decideRow(ISSUES, baseRow, o, t, OPTS).merged?.assignee).toBe(`${centralActor}-c`);
          }
          expect(decideRow(ISSUES, baseRow, offline, baseRow, OPTS).merged?.assignee).toBe(`${offlineActor}-o`);
        }),
      params(),
    );
  });
});

describe('clocks running ahead (§12): a far-future stamp does not drag correct clocks, and a fixed clock stops winning', () => {
  const stampArb = fc.record({ wall: fc.integer({ min: T - 1e9, max: T + 86_400_000 * 2 }), counter: fc.integer({ min: 0, max: 999_999 }), actor: fc.constantFrom('b', 'c') });
  it('whatever stamps a correct replica sees or overwrites, its clock stays within now + maxDrift', () => {
    fc.assert(fc.property(fc.array(fc.tuple(fc.boolean(), stampArb, fc.integer({ min: 0, max: 60_000 })), { maxLength: 40 }), (steps) => {
      let state: HlcState = ZERO_STATE;
      let now = T;
      for (const [overwrite, seen, dt] of steps) {
        now += dt;
        if (overwrite) {
          const t = tickAfter(state, now, 'a', seen);
          expect(compareHlc(t.stamp, seen)).toBeGreaterThan(0);
          state = t.state;
        } else state = receive(state, seen, now).state;
        expect(state.wall).toBeLessThanOrEqual(now + DEFAULT_MAX_DRIFT_MS);
      }
    }), { numRuns: 500 });
  });

  it('once a broken clock is fixed, a correct write made more than maxDrift later beats its next write', () => {
    fc.assert(fc.property(fc.integer({ min: DEFAULT_MAX_DRIFT_MS + 1, max: 86_400_000 * 2 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 600_000 }), (skew, writes, later) => {
      // B's clock runs `skew` ahead for a while: its own state goes far ahead.
      let b: HlcState = ZERO_STATE;
      for (let i = 0; i < writes; i++) b = tick(b, T + skew + i, 'b').state;
      // Fixed: B writes a fresh cell at the true time; A, who has not seen it, writes the same cell later.
      const fromB = tick(b, T, 'b').stamp;
      const fromA = tick(ZERO_STATE, T + DEFAULT_MAX_DRIFT_MS + later, 'a').stamp;
      expect(fromB.wall).toBeLessThanOrEqual(T + DEFAULT_MAX_DRIFT_MS);
      expect(compareHlc(fromA, fromB)).toBeGreaterThan(0);
    }), { numRuns: 300 });
  });
});
