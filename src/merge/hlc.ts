// Hybrid logical clock. Pure: the wall time always comes in as an argument.
//
// A stamp is (wall ms, logical counter, actor). Its text form sorts exactly like
// the tuple, so Dolt can store it in a VARCHAR and SQL/JS string comparison
// orders it: `0001732470000000-000003-alice`.

export interface Hlc {
  readonly wall: number;
  readonly counter: number;
  readonly actor: string;
}

/** The persisted part of a local clock: the highest (wall, counter) issued or seen. */
export interface HlcState {
  readonly wall: number;
  readonly counter: number;
}

export const WALL_DIGITS = 16;
export const COUNTER_DIGITS = 6;
export const MAX_COUNTER = 999_999;
export const ACTOR_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,62}$/;
/** Default bound past which a remote stamp is treated as coming from a broken clock. */
export const DEFAULT_MAX_DRIFT_MS = 5 * 60 * 1000;

export const ZERO_STATE: HlcState = { wall: 0, counter: 0 };

export function isValidActor(actor: string): boolean {
  return ACTOR_PATTERN.test(actor);
}

export function encodeHlc(c: Hlc): string {
  return `${String(c.wall).padStart(WALL_DIGITS, '0')}-${String(c.counter).padStart(COUNTER_DIGITS, '0')}-${c.actor}`;
}

const HLC_TEXT = /^(\d{16})-(\d{6})-(.+)$/;

export function decodeHlc(text: string): Hlc | undefined {
  const m = HLC_TEXT.exec(text);
  if (!m) return undefined;
  return { wall: Number(m[1]), counter: Number(m[2]), actor: m[3]! };
}

/** Total order on (wall, counter, actor). Returns <0, 0 or >0. */
export function compareHlc(a: Hlc, b: Hlc): number {
  if (a.wall !== b.wall) return a.wall < b.wall ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return a.actor < b.actor ? -1 : a.actor > b.actor ? 1 : 0;
}

/** Compares encoded stamps; a missing stamp (null) is older than any stamp. */
export function compareStamp(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return -1;
  if (b === null) return 1;
  return a < b ? -1 : 1;
}

function advance(state: HlcState, wall: number): HlcState {
  if (wall > state.wall) return { wall, counter: 0 };
  if (state.counter < MAX_COUNTER) return { wall: state.wall, counter: state.counter + 1 };
  return { wall: state.wall + 1, counter: 0 };
}

/**
 * Issues a stamp for a local event at wall time `now`. Never runs backwards,
 * except out of a state beyond `now + maxDriftMs` (left by a local clock that
 * ran ahead and was fixed since): that state restarts from `now`, so a fixed
 * clock stops winning within `maxDriftMs` (MERGE_SPEC §12). A write that
 * overwrites one of the far-ahead values still beats it (`tickAfter`).
 */
export function tick(state: HlcState, now: number, actor: string, maxDriftMs: number = DEFAULT_MAX_DRIFT_MS): { state: HlcState; stamp: Hlc } {
  const next = advance(state.wall > now + maxDriftMs ? { wall: now, counter: 0 } : state, now);
  return { state: next, stamp: { ...next, actor } };
}

/**
 * The smallest stamp of `actor` above `after`; with `parity` (0 or 1), the
 * smallest whose counter has that parity.
 */
export function stampAbove(after: Hlc, actor: string, parity?: number): Hlc {
  let wall = after.wall;
  let counter = after.counter + 1;
  if (parity !== undefined && counter % 2 !== parity) counter++;
  if (counter > MAX_COUNTER) { wall++; counter = parity ?? 0; }
  return { wall, counter, actor };
}

/**
 * A stamp strictly greater than both the local clock and `after` (the clock of
 * the value being overwritten), on (wall, counter) alone. Overwriting a cell therefore always beats what
 * the writer saw, even when that came from a clock running ahead. A value
 * stamped beyond `now + maxDriftMs` is beaten by the smallest step above it,
 * and the local clock does not follow it: one far-future stamp cannot drag
 * every later write of this workspace into the future (MERGE_SPEC §12).
 */
export function tickAfter(state: HlcState, now: number, actor: string, after: Hlc | undefined, maxDriftMs: number = DEFAULT_MAX_DRIFT_MS, parity?: number): { state: HlcState; stamp: Hlc } {
  if (after && isBeyondDrift(after, now, maxDriftMs)) {
    return { state: tick(state, now, actor, maxDriftMs).state, stamp: stampAbove(after, actor, parity) };
  }
  const t = tick(state, now, actor, maxDriftMs);
  if (!after || isLater(t.stamp, after)) return t;
  // The overwritten stamp lies within the drift bound: the clock adopts it and steps past it
  // (advance never stays on a (wall, counter), so the step is strictly later).
  return tick({ wall: after.wall, counter: after.counter }, now, actor, maxDriftMs);
}

/**
 * True when `a`'s (wall, counter) is strictly later than `b`'s. An overwrite
 * must be later than what it overwrote on (wall, counter), not merely by actor
 * at an equal one: the weak stamp of an offline claim of the same value is
 * `(wall, counter + 1)` of it, and every ordinary overwrite must beat it
 * (MERGE_SPEC §13a).
 */
function isLater(a: HlcState, b: HlcState): boolean {
  return a.wall > b.wall || (a.wall === b.wall && a.counter > b.counter);
}

export interface Receipt {
  readonly state: HlcState;
  /** True when the remote stamp was beyond `now + maxDriftMs` and was not adopted in full. */
  readonly clamped: boolean;
}

/**
 * Merges a remote stamp into the local clock. A stamp more than `maxDriftMs`
 * ahead of `now` is clamped to that bound and flagged, so one broken clock
 * cannot drag every replica's clock into the future.
 */
export function receive(state: HlcState, remote: Hlc, now: number, maxDriftMs: number = DEFAULT_MAX_DRIFT_MS): Receipt {
  const bound = now + maxDriftMs;
  const clamped = remote.wall > bound;
  const seen: HlcState = clamped ? { wall: bound, counter: 0 } : { wall: remote.wall, counter: remote.counter };
  const higher = seen.wall > state.wall || (seen.wall === state.wall && seen.counter > state.counter) ? seen : state;
  return { state: higher, clamped };
}

/** True when a stamp's wall time lies beyond `now + maxDriftMs`. */
export function isBeyondDrift(stamp: Hlc, now: number, maxDriftMs: number = DEFAULT_MAX_DRIFT_MS): boolean {
  return stamp.wall > now + maxDriftMs;
}

/**
 * Weak stamps (docs/MERGE_SPEC.md §13a): an offline claim must lose to every
 * write that reached the central after the value it overwrites. Its stamp is
 * the smallest one above `after`, (after.wall, after.counter + 1), with the
 * actor behind a prefix that sorts before every valid actor id, so any
 * ordinary stamp of an equal or later (wall, counter) beats it. Two weak
 * stamps of one cell are ordered by actor. The local clock does not move.
 */
export const WEAK_ACTOR_PREFIX = '!';

export function weakAfter(after: Hlc | undefined, actor: string): Hlc {
  const wall = after?.wall ?? 0;
  const counter = after?.counter ?? 0;
  return counter < MAX_COUNTER
    ? { wall, counter: counter + 1, actor: `${WEAK_ACTOR_PREFIX}${actor}` }
    : { wall: wall + 1, counter: 0, actor: `${WEAK_ACTOR_PREFIX}${actor}` };
}
