// The central's merge service: it watches the workspaces' branches (`ws/*`)
// and merges each new head into `main`, one at a time, with the engine every
// workspace uses. It lives in the supervisor process; its whole state is in
// Dolt (the branches and main), so a restarted process simply resumes.
//
// Order and fairness: a branch enters the line when a new head is first seen
// and keeps its place if it moves again while waiting; each round takes every
// waiting branch once, oldest first. A workspace that pushes far faster than
// the others is merged once per round, never ahead of them twice.

import { join } from 'node:path';
import { FileClock, clockFilesLost, highWaterFromDb } from '../storage/issues/clock-store.js';
import { encodeHlc } from '../merge/hlc.js';
import { openDb, type Db } from '../storage/dolt/db.js';
import type { ConnectionTarget } from '../storage/dolt/dolt-server.js';
import { discardScratch, mergeIntoMain, workspaceHeads, type QueueMergeOutcome } from '../storage/versioning/queue-merge.js';
import type { Log } from './log.js';

/** The actor the central's merges and events are stamped with. */
export const CENTRAL_ACTOR = 'grava-central';

/** How often the queue looks for new branch heads (GRAVA_QUEUE_POLL_MS; default 50 ms). */
export function queuePollMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const n = Number(env.GRAVA_QUEUE_POLL_MS);
  return Number.isSafeInteger(n) && n >= 10 ? n : 50;
}

export interface QueueStats {
  /** Branch heads waiting to be merged. */
  readonly depth: number;
  /** How long the oldest of them has waited (0 when none). */
  readonly oldest_wait_ms: number;
  readonly merged_total: number;
  /** Merges that main already contained (a workspace pushed what it had fetched). */
  readonly up_to_date_total: number;
  /** Merges built again because something else moved main meanwhile. */
  readonly main_moved_total: number;
  /** Heads refused because they remove issue rows (MERGE_SPEC §13c). */
  readonly refused_total: number;
  readonly failures_total: number;
  readonly last_merge_at: string | null;
  readonly last_merge_ms: number | null;
  readonly last_error: string | null;
  /** Refused heads by branch, until the branch moves. */
  readonly refused: Readonly<Record<string, string>>;
}

interface Waiting {
  hash: string;
  since: number;
}

const MAX_MAIN_MOVED_RETRIES = 20;

export class MergeQueue {
  private readonly waiting = new Map<string, Waiting>();
  /** The last head of each branch that main holds (or that was refused), so it is not looked at again. */
  private readonly done = new Map<string, string>();
  private readonly refused = new Map<string, string>();
  private counts = { merged: 0, upToDate: 0, mainMoved: 0, refused: 0, failures: 0 };
  private lastMergeAt: number | null = null;
  private lastMergeMs: number | null = null;
  private lastError: string | null = null;
  private readonly now: () => number;

  constructor(private readonly o: {
    readonly target: ConnectionTarget;
    readonly database: string;
    readonly dataDir: string;
    readonly log: Log;
    readonly signal: AbortSignal;
    readonly pollMs?: number;
    readonly now?: () => number;
    /** Called after each merge that moved main. */
    readonly onMerged?: (branch: string, outcome: QueueMergeOutcome) => void;
  }) {
    this.now = o.now ?? Date.now;
  }

  stats(): QueueStats {
    const now = this.now();
    let oldest = 0;
    for (const w of this.waiting.values()) oldest = Math.max(oldest, now - w.since);
    return {
      depth: this.waiting.size,
      oldest_wait_ms: oldest,
      merged_total: this.counts.merged,
      up_to_date_total: this.counts.upToDate,
      main_moved_total: this.counts.mainMoved,
      refused_total: this.counts.refused,
      failures_total: this.counts.failures,
      last_merge_at: this.lastMergeAt === null ? null : new Date(this.lastMergeAt).toISOString(),
      last_merge_ms: this.lastMergeMs,
      last_error: this.lastError,
      refused: Object.fromEntries(this.refused),
    };
  }

  /** Runs until the signal aborts. Failures (Dolt restarting) are logged and retried with backoff. */
  async run(): Promise<void> {
    const { log, signal } = this.o;
    const db = openDb(this.o.target, this.o.database, 2);
    let clock: FileClock | undefined;
    let failures = 0;
    let scratchChecked = false;
    try {
      while (!signal.aborted) {
        try {
          clock ??= await this.openClock(db);
          // What a killed process (or a failed attempt) left on the scratch branch is dropped before anything else.
          if (!scratchChecked || failures > 0) await discardScratch(db);
          scratchChecked = true;
          const more = await this.round(db, clock);
          if (failures > 0) log.info('merge queue running again', { after_failures: failures });
          failures = 0;
          if (!more) await this.pause(this.o.pollMs ?? queuePollMs());
        } catch (e) {
          failures++;
          this.counts.failures++;
          this.lastError = (e as Error).message.split('\n')[0] ?? 'unknown error';
          // Dolt restarting shows up here; back off up to 5 s and resume where the branches stand.
          if (failures === 1 || failures % 20 === 0) log.warn('merge queue paused', { error: this.lastError, failures });
          await this.pause(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
        }
      }
    } finally {
      await db.destroy().catch(() => undefined);
    }
  }

  private async openClock(db: Db): Promise<FileClock> {
    const path = join(this.o.dataDir, 'queue-clock.json');
    const lost = clockFilesLost([path]);
    const clock = new FileClock(path, CENTRAL_ACTOR);
    // A lost clock file: resume above the central's own newest stamp, as a workspace does.
    if (lost) clock.observe([(await highWaterFromDb(db, CENTRAL_ACTOR)) ?? encodeHlc({ wall: 0, counter: 0, actor: CENTRAL_ACTOR })]);
    return clock;
  }

  /** Looks at the branches and merges each waiting head once, oldest first. Returns true if it merged anything. */
  private async round(db: Db, clock: FileClock): Promise<boolean> {
    const heads = await workspaceHeads(db);
    const present = new Set(heads.map((h) => h.name));
    for (const name of [...this.waiting.keys()]) if (!present.has(name)) this.waiting.delete(name);
    for (const { name, hash } of heads) {
      if (this.done.get(name) === hash) continue;
      const w = this.waiting.get(name);
      if (w) w.hash = hash;
      else this.waiting.set(name, { hash, since: this.now() });
    }
    if (this.waiting.size === 0) return false;
    const line = [...this.waiting.entries()].sort((a, b) => a[1].since - b[1].since || (a[0] < b[0] ? -1 : 1));
    let moved = false;
    for (const [name, { hash }] of line) {
      if (this.o.signal.aborted) break;
      moved = (await this.mergeOne(db, clock, name, hash)) || moved;
    }
    return moved;
  }

  private async mergeOne(db: Db, clock: FileClock, branch: string, head: string): Promise<boolean> {
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      const out = await mergeIntoMain({ target: this.o.target, database: this.o.database, db, clock }, branch, head);
      if (out.kind === 'main_moved') {
        this.counts.mainMoved++;
        if (attempt < MAX_MAIN_MOVED_RETRIES) continue;
        this.o.log.warn('main kept moving under the merge queue; the branch waits for the next round', { branch, head });
        return false;
      }
      this.waiting.delete(branch);
      this.done.set(branch, head);
      if (out.kind === 'refused') {
        this.counts.refused++;
        this.refused.set(branch, head);
        this.o.log.error('refused to merge a branch that removes issue rows (grava never deletes an issue: its history was rewritten by hand)', { branch, head, removed: out.removed, main: out.main });
        return false;
      }
      this.refused.delete(branch);
      if (out.kind === 'up_to_date') {
        this.counts.upToDate++;
        return false;
      }
      clock.observe(out.merge.decisions.flatMap((d) => d.cells.map((c) => c.theirsClock).filter((s): s is string => s !== null)));
      this.counts.merged++;
      this.lastMergeAt = this.now();
      this.lastMergeMs = this.lastMergeAt - started;
      this.lastError = null;
      this.o.onMerged?.(branch, out);
      return true;
    }
  }

  private pause(ms: number): Promise<void> {
    const signal = this.o.signal;
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
