// Persists the local HLC's high-water mark (.grava/clock.json) so the clock
// never runs backwards across restarts, even if the wall clock does.

import { readFileSync } from 'node:fs';
import { tick, tickAfter, decodeHlc, encodeHlc, receive, ZERO_STATE, type HlcState, type Hlc } from '../../merge/hlc.js';
import { withFileLockSync } from '../dolt/file-lock.js';
import { writeFileAtomic } from '../dolt/layout.js';

export interface Clock {
  /** A fresh stamp for a local write, strictly after every stamp issued or seen. */
  next(after?: string | null): string;
  /** Merges stamps seen from other replicas. Returns how many were beyond the drift bound. */
  observe(stamps: Iterable<string>): number;
  readonly actor: string;
}

export class FileClock implements Clock {
  private state: HlcState;

  constructor(
    private readonly path: string,
    readonly actor: string,
    private readonly now: () => number = Date.now,
  ) {
    this.state = FileClock.load(path);
  }

  static load(path: string): HlcState {
    try {
      const s = JSON.parse(readFileSync(path, 'utf8')) as HlcState;
      return Number.isFinite(s.wall) && Number.isFinite(s.counter) ? { wall: s.wall, counter: s.counter } : ZERO_STATE;
    } catch {
      return ZERO_STATE;
    }
  }

  /**
   * Load, change and persist the state under a lock, always starting from the
   * newer of memory and disk: processes of one workspace share the actor, so
   * they must never issue the same stamp or move the high-water mark back.
   */
  private update<T>(fn: () => T): T {
    return withFileLockSync(`${this.path}.lock`, () => {
      const disk = FileClock.load(this.path);
      if (disk.wall > this.state.wall || (disk.wall === this.state.wall && disk.counter > this.state.counter)) this.state = disk;
      const out = fn();
      writeFileAtomic(this.path, JSON.stringify(this.state), 0o600);
      return out;
    });
  }

  next(after?: string | null): string {
    return this.update(() => {
      const prev: Hlc | undefined = after ? decodeHlc(after) : undefined;
      const t = prev ? tickAfter(this.state, this.now(), this.actor, prev) : tick(this.state, this.now(), this.actor);
      this.state = t.state;
      return encodeHlc(t.stamp);
    });
  }

  observe(stamps: Iterable<string>): number {
    const list = [...stamps];
    if (list.length === 0) return 0;
    return this.update(() => {
      let clamped = 0;
      const now = this.now();
      for (const s of list) {
        const h = decodeHlc(s);
        if (!h) continue;
        const r = receive(this.state, h, now);
        this.state = r.state;
        if (r.clamped) clamped++;
      }
      return clamped;
    });
  }
}

/** The wall time (ms) of an encoded stamp, or undefined. */
export function stampWall(stamp: string | null | undefined): number | undefined {
  return stamp ? decodeHlc(stamp)?.wall : undefined;
}
