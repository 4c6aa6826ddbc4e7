// The workspace's HLC and its persistence, so the clock never runs backwards
// across restarts, even if the wall clock does.
//
// Two kinds of process stamp writes in one workspace, with one actor:
// - direct-mode CLI processes (FileClock): load, tick and persist
//   `.grava/clock.json` under a cross-process lock, synchronously;
// - the daemon (DaemonClock): ticks in memory, never blocks its event loop,
//   and persists `.grava/clock.daemon.json` (it is that file's only writer)
//   inside each write's transaction, before the write commits.
// They can never issue the same stamp: direct processes issue odd counters,
// the daemon even ones. Each reads the other's high-water mark before it
// stamps, so neither runs behind what the other persisted.

import { rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tick, tickAfter, decodeHlc, encodeHlc, isBeyondDrift, receive, weakAfter, ZERO_STATE, type HlcState, type Hlc } from '../../merge/hlc.js';
import { withFileLockSync } from '../dolt/file-lock.js';
import { writeFileAtomic } from '../dolt/layout.js';
import { rows, type Db } from '../dolt/db.js';
import { GravaError } from '../../errors/grava-error.js';
import { clockColumn, TABLES } from '../../merge/tables.js';
import { isObject, readJsonFile, readJsonFileAsync, type JsonRead } from '../dolt/json-file.js';

export interface Clock {
  /** A fresh stamp for a local write, strictly after every stamp issued or seen (and after `after`). */
  next(after?: string | null): string;
  /** Merges stamps seen from other replicas. Returns how many were beyond the drift bound. */
  observe(stamps: Iterable<string>): number;
  /** The weak stamp just above `after` (an offline claim; see hlc.ts weakAfter). The clock does not move. */
  weak(after: string | null): string;
  /** Catches up with stamps other processes of this workspace persisted; called before a write's transaction. */
  refresh(): Promise<void>;
  /** Makes every stamp issued so far durable; called inside a write's transaction, before it commits. */
  persist(): Promise<void>;
  readonly actor: string;
}

/** Counter parity of each kind of stamp writer; see the file comment. */
export const PARITY = { direct: 1, daemon: 0 } as const;

function newer(a: HlcState, b: HlcState): HlcState {
  return b.wall > a.wall || (b.wall === a.wall && b.counter > a.counter) ? b : a;
}

const isHlcState = (v: unknown): v is HlcState => isObject(v) && Number.isFinite(v.wall) && Number.isFinite(v.counter);

/** A missing or corrupt file reads as zero: openReplica has already recovered a lost clock from the database (clockFilesLost). */
function stateOf(r: JsonRead<HlcState>): HlcState {
  return r.status === 'ok' ? { wall: r.value.wall, counter: r.value.counter } : ZERO_STATE;
}

function loadSync(path: string): HlcState {
  return stateOf(readJsonFile(path, isHlcState));
}

/**
 * The wall clock the workspace's HLC reads: the system clock, shifted by
 * GRAVA_CLOCK_SKEW_MS when set. That variable is the seam the skewed-clock
 * drills use (test/dolt/clock-skew.dolt.test.ts) in place of libfaketime; it
 * simulates a machine whose clock is wrong and is not for production use.
 */
export function systemNow(): number {
  const skew = Number(process.env.GRAVA_CLOCK_SKEW_MS ?? 0);
  return Date.now() + (Number.isFinite(skew) ? skew : 0);
}

async function loadAsync(path: string): Promise<HlcState> {
  return stateOf(await readJsonFileAsync(path, isHlcState));
}

/** tick / tickAfter, repeated until the counter has this writer's parity (at most twice more). */
export function tickWithParity(state: HlcState, now: number, actor: string, after: Hlc | undefined, parity: number): { state: HlcState; stamp: Hlc } {
  // Above a far-future value the stamp is placed with the parity directly (the clock does not follow it).
  if (after && isBeyondDrift(after, now)) return tickAfter(state, now, actor, after, undefined, parity);
  let t = after ? tickAfter(state, now, actor, after) : tick(state, now, actor);
  while (t.stamp.counter % 2 !== parity) t = tick(t.state, now, actor);
  return t;
}

function observeInto(state: HlcState, stamps: Iterable<string>, now: number): { state: HlcState; clamped: number } {
  let clamped = 0;
  for (const s of stamps) {
    const h = decodeHlc(s);
    if (!h) continue;
    const r = receive(state, h, now);
    state = r.state;
    if (r.clamped) clamped++;
  }
  return { state, clamped };
}

/**
 * The stamp of the value being overwritten, decoded. A stored stamp that does
 * not parse cannot be stepped past safely: the write is refused unless the
 * new stamp still sorts above it as text (the merge compares raw stamps), so
 * a corrupt clock never lets an overwrite sort below the value it replaced.
 */
function overwritten(after: string | null | undefined, next: (h: Hlc | undefined) => string): string {
  if (!after) return next(undefined);
  const h = decodeHlc(after);
  if (h) return next(h);
  const stamp = next(undefined);
  if (stamp > after) return stamp;
  throw new GravaError('GRAVA_E_STORAGE', `the clock of the value being overwritten does not parse (${JSON.stringify(after.slice(0, 40))}) and sorts above any stamp this workspace can issue; repair that cell's clock first`);
}

/**
 * The highest stamp this actor wrote into the database, for a clock whose
 * files were lost or corrupted (MERGE_SPEC §12): a recovered clock must not
 * issue stamps below the ones it already issued.
 */
export async function highWaterFromDb(db: Db, actor: string): Promise<string | null> {
  const like = `%-${actor.replace(/[\\%_]/g, (c) => `\\${c}`)}`;
  const queries = [...TABLES.flatMap((t) => t.clocked.map((c) => [t.name, clockColumn(c)] as const)), ['events', 'at'] as const];
  const found = await Promise.all(queries.map(async ([table, col]) => (await rows<{ m: string | null }>(db, `SELECT MAX(\`${col}\`) AS m FROM \`${table}\` WHERE \`${col}\` LIKE ?`, [like]))[0]?.m ?? null));
  return found.reduce<string | null>((a, b) => (b !== null && (a === null || b > a) ? b : a), null);
}

/** True when neither of the workspace's clock files holds a readable state (missing or corrupt). */
export function clockFilesLost(paths: readonly string[]): boolean {
  return paths.every((p) => readJsonFile(p, isHlcState).status !== 'ok');
}

/** The clock of a direct-mode CLI process. */
export class FileClock implements Clock {
  private state: HlcState;

  constructor(
    private readonly path: string,
    readonly actor: string,
    private readonly now: () => number = systemNow,
    /** The daemon's high-water mark, read (never written) here. */
    private readonly daemonPath?: string,
  ) {
    this.state = this.loadBoth();
  }

  private loadBoth(): HlcState {
    const own = loadSync(this.path);
    return this.daemonPath ? newer(own, loadSync(this.daemonPath)) : own;
  }

  /**
   * Load, change and persist the state under a lock, always starting from the
   * newest of memory and disk: processes of one workspace share the actor, so
   * they must never issue the same stamp or move the high-water mark back.
   */
  private update<T>(fn: () => T): T {
    return withFileLockSync(`${this.path}.lock`, () => {
      this.state = newer(this.state, this.loadBoth());
      const out = fn();
      writeFileAtomic(this.path, JSON.stringify(this.state), 0o600);
      return out;
    });
  }

  next(after?: string | null): string {
    return this.update(() => {
      return overwritten(after, (h) => {
        const t = tickWithParity(this.state, this.now(), this.actor, h, PARITY.direct);
        this.state = t.state;
        return encodeHlc(t.stamp);
      });
    });
  }

  observe(stamps: Iterable<string>): number {
    const list = [...stamps];
    if (list.length === 0) return 0;
    // Observing is a max: stamps that neither pass this clock nor need clamping change nothing, on disk either.
    const probe = observeInto(this.state, list, this.now());
    if (probe.clamped === 0 && probe.state === this.state) return 0;
    return this.update(() => {
      const r = observeInto(this.state, list, this.now());
      this.state = r.state;
      return r.clamped;
    });
  }

  weak(after: string | null): string {
    return encodeHlc(weakAfter(after ? decodeHlc(after) : undefined, this.actor));
  }

  refresh(): Promise<void> {
    return Promise.resolve(); // every next() reads the disk under the lock
  }

  persist(): Promise<void> {
    return Promise.resolve(); // every next() already persisted
  }
}

/** The daemon's clock: in memory, persisted asynchronously by its only writer. */
export class DaemonClock implements Clock {
  private state: HlcState;
  private written: HlcState;
  private chain: Promise<void> = Promise.resolve();

  private constructor(
    private readonly path: string,
    private readonly directPath: string,
    readonly actor: string,
    private readonly now: () => number,
    start: HlcState,
  ) {
    this.state = start;
    this.written = start;
  }

  static async open(path: string, directPath: string, actor: string, now: () => number = systemNow): Promise<DaemonClock> {
    const start = newer(await loadAsync(path), await loadAsync(directPath));
    return new DaemonClock(path, directPath, actor, now, start);
  }

  next(after?: string | null): string {
    return overwritten(after, (h) => {
      const t = tickWithParity(this.state, this.now(), this.actor, h, PARITY.daemon);
      this.state = t.state;
      return encodeHlc(t.stamp);
    });
  }

  observe(stamps: Iterable<string>): number {
    const r = observeInto(this.state, stamps, this.now());
    this.state = r.state;
    return r.clamped;
  }

  weak(after: string | null): string {
    return encodeHlc(weakAfter(after ? decodeHlc(after) : undefined, this.actor));
  }

  async refresh(): Promise<void> {
    this.state = newer(this.state, await loadAsync(this.directPath));
  }

  /** Writes are chained, so the file only ever moves forward; a failed write fails its caller only, not every later one. */
  persist(): Promise<void> {
    this.chain = this.chain.catch(() => undefined).then(async () => {
      const s = this.state;
      if (s === this.written) return;
      const tmp = `${this.path}.${randomBytes(4).toString('hex')}.tmp`;
      await writeFile(tmp, JSON.stringify(s), { mode: 0o600 });
      await rename(tmp, this.path);
      this.written = s;
    });
    return this.chain;
  }
}

/** The wall time (ms) of an encoded stamp, or undefined. */
export function stampWall(stamp: string | null | undefined): number | undefined {
  return stamp ? decodeHlc(stamp)?.wall : undefined;
}
