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
import { claimOnMain, deleteMergedBranch, restoreMain, discardScratch, mergeBatch, workspaceHeads, QueueConnections, type BranchHead, type CentralClaim } from '../storage/versioning/queue-merge.js';
import { GravaError } from '../errors/grava-error.js';
import { theirStamps } from '../merge/decide.js';
import { headHash } from '../storage/dolt/version-control.js';
import { commitExists, isAncestor, issuesRemovedBy } from '../storage/versioning/sync-state.js';
import { MAIN_RECORD_FILE, readMainRecord, writeMainRecord } from './main-record.js';
import type { Log } from './log.js';
import { nextQueuePause, queueIdlePollMs, queuePollMs } from './queue-pace.js';
import { envInteger } from '../shared/env-integer.js';

/** The actor the central's merges and events are stamped with. */
export const CENTRAL_ACTOR = 'grava-central';

/** A merged workspace branch untouched this long is deleted (GRAVA_QUEUE_BRANCH_TTL_MS; default 24 h). Its
 *  workspace's next push creates it again; nothing it held is lost, main holds all of it. */
export function branchTtlMs(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_QUEUE_BRANCH_TTL_MS', 86_400_000, 0);
}

/** Heads merged together before main moves (GRAVA_QUEUE_BATCH; default 8): each head is still merged on its own,
 *  with the same rules, but main moves, and the compare-and-swap runs, once per batch. */
export function queueBatch(env: Readonly<Record<string, string | undefined>> = process.env): number {
  return envInteger(env, 'GRAVA_QUEUE_BATCH', 8, 1, 100);
}

export interface QueueStats {
  /** Branch heads waiting to be merged. */
  readonly depth: number;
  /** How long the oldest of them has waited (0 when none). */
  readonly oldest_wait_ms: number;
  readonly merged_total: number;
  /** Batches that moved main (one fast-forward each). */
  readonly batches_total: number;
  /** Merges that main already contained (a workspace pushed what it had fetched). */
  readonly up_to_date_total: number;
  /** Merges built again because something else moved main meanwhile. */
  readonly main_moved_total: number;
  /** Heads refused because they remove issue rows (MERGE_SPEC §13c). */
  readonly refused_total: number;
  readonly failures_total: number;
  /** Merged branches deleted after GRAVA_QUEUE_BRANCH_TTL_MS without a push. */
  readonly branches_deleted_total: number;
  /** Claims decided through the claim call. */
  readonly claims_total: number;
  /** Workspaces waiting on POST /v1/queue/wait. */
  readonly waiting_workspaces: number;
  /** Times main was moved back or sideways by someone else and put back (issue 18). */
  readonly main_restored_total: number;
  readonly last_main_restore: { readonly at: string; readonly from: string; readonly to: string } | null;
  readonly last_merge_at: string | null;
  /** Time the last batch took, from its turn to main moving. */
  readonly last_merge_ms: number | null;
  readonly last_error: string | null;
  /** Refused heads by branch, until the branch moves. */
  readonly refused: Readonly<Record<string, string>>;
}

/** A claim asked of the central (POST /v1/claims), decided in the queue's order. */
export interface ClaimJob {
  readonly id: string;
  readonly actor: string;
  readonly leaseMs?: number;
}

export type ClaimAnswer = Exclude<CentralClaim, { kind: 'main_moved' }>;

/** The answer to a workspace waiting for its head (POST /v1/queue/wait). */
export type WaitAnswer =
  | { readonly kind: 'merged'; readonly main: string }
  | { readonly kind: 'refused'; readonly main: string; readonly code: string; readonly reason: string }
  /** Not yet: the wait timed out (with `main`, main's head as the queue last left or saw it: a workspace
   *  tells a queue working through a line from one that is stuck), or the central is stopping, or the head
   *  is no commit here (without). */
  | { readonly kind: 'pending'; readonly main?: string };

interface Waiter {
  readonly branch: string;
  readonly head: string;
  /** The branch's handled head at the last ancestry check of this waiter. */
  checked?: string;
  readonly resolve: (a: WaitAnswer) => void;
  readonly timer: NodeJS.Timeout;
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
  /** Heads set aside (refused, or whose merge failed), by branch, until the branch moves. */
  private readonly refused = new Map<string, { head: string; code: string; reason: string }>();
  private counts = { merged: 0, upToDate: 0, mainMoved: 0, refused: 0, failures: 0, deleted: 0, restored: 0, batches: 0 };
  private lastRestore: { at: string; from: string; to: string } | null = null;
  /** When each branch was last seen to move (this process's lifetime). */
  private readonly movedAt = new Map<string, number>();
  private lastSweep = 0;
  /** main's head as this queue last left or saw it. */
  private lastMain: string | undefined;
  private readonly waiters = new Set<Waiter>();
  private readonly claims: { job: ClaimJob; resolve: (a: ClaimAnswer) => void; reject: (e: unknown) => void }[] = [];
  private wake: (() => void) | undefined;
  /** A wake-up that came while the loop was busy: the next pause returns at once. */
  private woken = false;
  private claimCount = 0;
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
      batches_total: this.counts.batches,
      up_to_date_total: this.counts.upToDate,
      main_moved_total: this.counts.mainMoved,
      refused_total: this.counts.refused,
      failures_total: this.counts.failures,
      branches_deleted_total: this.counts.deleted,
      claims_total: this.claimCount,
      waiting_workspaces: this.waiters.size,
      main_restored_total: this.counts.restored,
      last_main_restore: this.lastRestore,
      last_merge_at: this.lastMergeAt === null ? null : new Date(this.lastMergeAt).toISOString(),
      last_merge_ms: this.lastMergeMs,
      last_error: this.lastError,
      refused: Object.fromEntries([...this.refused].map(([b, r]) => [b, r.head])),
    };
  }

  /**
   * Decides a claim between two merges of the queue, so verdicts and merges have one order. Rejected with
   * GRAVA_E_SHUTTING_DOWN when the service stops first.
   */
  claim(job: ClaimJob): Promise<ClaimAnswer> {
    if (this.o.signal.aborted) return Promise.reject(new GravaError('GRAVA_E_SHUTTING_DOWN', 'the central is stopping'));
    return new Promise((resolve, reject) => {
      this.claims.push({ job, resolve, reject });
      this.poke();
    });
  }

  /**
   * Resolves once main holds `head` of `branch` (merged), the queue refused it, or `timeoutMs` passed
   * (pending). Saves a waiting workspace from polling the central with fetches.
   */
  waitFor(branch: string, head: string, timeoutMs: number): Promise<WaitAnswer> {
    if (this.o.signal.aborted) return Promise.resolve({ kind: 'pending' });
    return new Promise((resolve) => {
      const waiter: Waiter = {
        branch, head,
        resolve: (a) => { clearTimeout(waiter.timer); this.waiters.delete(waiter); resolve(a); },
        timer: setTimeout(() => waiter.resolve(this.lastMain === undefined ? { kind: 'pending' } : { kind: 'pending', main: this.lastMain }), timeoutMs),
      };
      this.waiters.add(waiter);
      // Already decided (the branch was merged before the call): answered at the next round, which this wakes.
      this.poke();
    });
  }

  /**
   * Answers the waiters whose heads main now holds (or the queue refused). Mostly by the branch's last
   * handled head; the ancestry query runs only when a branch has moved past a waiter's head, once per move.
   */
  private async settleWaiters(db: Db): Promise<void> {
    if (this.waiters.size === 0 || this.lastMain === undefined) return;
    const main = this.lastMain;
    for (const w of [...this.waiters]) {
      const done = this.done.get(w.branch);
      const set = this.refused.get(w.branch);
      if (set?.head === w.head) w.resolve({ kind: 'refused', main, code: set.code, reason: set.reason });
      else if (done === w.head) w.resolve({ kind: 'merged', main });
      else if (done !== undefined && done !== w.checked && !this.waiting.has(w.branch)) {
        // The branch moved on past this head and that was handled: main may hold it (an older head).
        w.checked = done;
        // A failed check (a head that is no commit here, or Dolt busy under load) is not answered early: the
        // waiter's timer answers it with main's head, and the workspace calls again. (Answering at once without
        // main sent workspaces to fetching main from Dolt in a loop, the load a busy central can least afford.)
        const held = await isAncestor(db, w.head, main).catch(() => false);
        if (held) w.resolve({ kind: 'merged', main });
      }
    }
  }

  private async serveClaims(conns: QueueConnections): Promise<void> {
    const { db, clock } = conns;
    while (this.claims.length > 0 && !this.o.signal.aborted) {
      const c = this.claims[0]!;
      let answer: CentralClaim;
      try {
        for (let attempt = 0; ; attempt++) {
          const expected = await this.checkMain(conns);
          answer = await claimOnMain({ target: this.o.target, database: this.o.database, db, clock, mainDb: () => conns.mainDb(), prefix: '' }, c.job.id, c.job.actor, c.job.leaseMs, expected);
          if (answer.kind !== 'main_moved' || attempt >= MAX_MAIN_MOVED_RETRIES) break;
          this.counts.mainMoved++;
        }
      } catch (e) {
        // Whatever failed (Dolt restarting, a bad id), the claimer hears it and may ask again; the line moves on.
        this.claims.shift();
        c.reject(e);
        continue;
      }
      this.claims.shift();
      if (answer.kind === 'main_moved') c.reject(new GravaError('GRAVA_E_PUSH_REJECTED', 'main kept moving while the central decided the claim; try again'));
      else {
        this.claimCount++;
        // Only a claim that moved main moves what the queue expects of it.
        if (answer.kind === 'won') this.setLastMain(answer.main);
        c.resolve(answer);
      }
    }
  }

  /** Runs until the signal aborts. Failures (Dolt restarting) are logged and retried with backoff. */
  async run(): Promise<void> {
    const { log, signal } = this.o;
    const bootstrap = openDb(this.o.target, this.o.database, 1);
    let conns: QueueConnections | undefined;
    let failures = 0;
    let scratchChecked = false;
    // The busy and idle paces (queue-pace.ts), read once; the pause between looks moves between them.
    const poll = this.o.pollMs ?? queuePollMs();
    const idlePoll = queueIdlePollMs();
    let pace: number | undefined;
    try {
      while (!signal.aborted) {
        try {
          conns ??= new QueueConnections(this.o.target, this.o.database, await this.openClock(bootstrap));
          // What a killed process (or a failed attempt) left on the scratch branches is dropped before anything else.
          if (!scratchChecked || failures > 0) {
            await conns.reset();
            await discardScratch(conns.db);
          }
          scratchChecked = true;
          await this.serveClaims(conns);
          const more = await this.round(conns);
          await this.settleWaiters(conns.db);
          if (failures > 0) log.info('merge queue running again', { after_failures: failures });
          failures = 0;
          // Busy while it merges or heads are in line, a workspace waits on it or a claim is in line; idle, it
          // looks less often.
          pace = nextQueuePause(pace, more || this.waiting.size > 0 || this.waiters.size > 0 || this.claims.length > 0, poll, idlePoll);
          if (!more) await this.pause(pace);
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
      for (const c of this.claims.splice(0)) c.reject(new GravaError('GRAVA_E_SHUTTING_DOWN', 'the central stopped before deciding the claim'));
      for (const w of [...this.waiters]) w.resolve({ kind: 'pending' });
      await conns?.close();
      await bootstrap.destroy().catch(() => undefined);
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
  private async round(conns: QueueConnections): Promise<boolean> {
    const { db } = conns;
    const heads = await workspaceHeads(db);
    await this.checkMain(conns);
    const present = new Set(heads.map((h) => h.name));
    for (const name of [...this.waiting.keys()]) if (!present.has(name)) this.waiting.delete(name);
    for (const name of [...this.movedAt.keys()]) if (!present.has(name)) { this.movedAt.delete(name); this.done.delete(name); this.refused.delete(name); }
    for (const { name, hash } of heads) {
      if (!this.movedAt.has(name) || (this.done.get(name) !== hash && !this.waiting.has(name))) this.movedAt.set(name, this.now());
      if (this.done.get(name) === hash) continue;
      const w = this.waiting.get(name);
      if (w) w.hash = hash;
      else this.waiting.set(name, { hash, since: this.now() });
    }
    if (this.waiting.size === 0) {
      await this.sweep(db, heads);
      return false;
    }
    const line = [...this.waiting.entries()].sort((a, b) => a[1].since - b[1].since || (a[0] < b[0] ? -1 : 1)).map(([name, w]) => ({ name, hash: w.hash }));
    let moved = false;
    for (let i = 0; i < line.length && !this.o.signal.aborted; i += queueBatch()) {
      // A claim waits for one batch at most.
      await this.serveClaims(conns);
      moved = (await this.mergeHeads(conns, line.slice(i, i + queueBatch()))) || moved;
      await this.settleWaiters(db);
    }
    return moved;
  }

  /**
   * The guard of main (issue 18), run before every batch and every claim: returns the head the queue may
   * build on. A move of main that is not a fast-forward of what the queue last wrote or saw (a force-push,
   * an unrelated history), or a fast-forward that removes issue rows (grava never deletes one), is put back;
   * a clean fast-forward by someone else (a direct-mode workspace) is accepted and every branch looked at again.
   */
  private async checkMain(conns: QueueConnections): Promise<string> {
    const { db } = conns;
    const main = await headHash(db, 'main');
    if (main === this.lastMain) return main;
    if (this.lastMain === undefined && !(await this.adoptRecordedMain(db, main))) return main;
    if (this.lastMain === undefined || main === this.lastMain) return main;
    const forward = await isAncestor(db, this.lastMain, main);
    const removed = forward ? await issuesRemovedBy(db, this.lastMain, main) : 0;
    if (!forward || removed > 0) {
      await restoreMain(conns.mainDb(), this.lastMain);
      this.counts.restored++;
      this.lastRestore = { at: new Date(this.now()).toISOString(), from: main, to: this.lastMain };
      this.o.log.error(forward
        ? 'main was moved forward outside the merge queue to a commit that removes issue rows; restored to the head the queue wrote'
        : 'main was moved back or sideways outside the merge queue (a force-push); restored to the head the queue wrote', { moved_to: main, restored_to: this.lastMain, ...(removed > 0 ? { removed } : {}) });
      return this.lastMain;
    }
    this.o.log.info('main moved forward outside the queue', { from: this.lastMain, to: main });
    this.done.clear();
    this.setLastMain(main);
    return main;
  }

  /**
   * At the first look at main after a start: takes the head the queue recorded before it stopped (main-record.ts)
   * as what main must be, so a force-push made while the supervisor was down is caught like any other. Returns
   * false when there is nothing to compare with (no record, or its head is not in this database: a data dir
   * restored from an older backup, whose workspaces push back what it lacks); main is then taken as it is.
   */
  private async adoptRecordedMain(db: Db, main: string): Promise<boolean> {
    const record = readMainRecord(this.o.dataDir);
    if (record.status === 'ok' && record.head !== main && (await commitExists(db, record.head))) {
      this.lastMain = record.head;
      return true;
    }
    if (record.status === 'corrupt') this.o.log.warn(`the record of main (${MAIN_RECORD_FILE}) ${record.reason}; the guard of main starts from main as it is`, { main });
    if (record.status === 'ok' && record.head !== main) {
      // Either the data was put back by hand from an older copy (workspaces then push back what it lacks), or
      // main was force-moved while the supervisor was down and Dolt's garbage collection dropped the old
      // commits: an operator must tell which.
      this.lastError = `main is not at the head the queue recorded (${record.head}), and that head is not in this database`;
      this.o.log.error('main is not at the head the queue recorded, and that head is not in this database: restored by hand from an older copy, or force-moved while the supervisor was down and collected since; the guard starts from main as it is (see docs/OPERATIONS.md, "History rewritten on the central")', { main, recorded: record.head, recorded_at: record.at });
    }
    this.setLastMain(main);
    return false;
  }

  /** What the queue expects of main from now on, recorded in the data dir so a restart keeps expecting it. */
  private setLastMain(head: string): void {
    if (head === this.lastMain) return;
    this.lastMain = head;
    try {
      writeMainRecord(this.o.dataDir, head, new Date(this.now()));
    } catch (e) {
      this.o.log.warn(`could not record main's head in ${MAIN_RECORD_FILE}; the guard of main holds until the next restart`, { error: (e as Error).message });
    }
  }

  /** Deletes merged branches nobody pushed for the TTL, at most once a minute, only while idle. */
  private async sweep(db: Db, heads: readonly { name: string; hash: string }[]): Promise<void> {
    const ttl = branchTtlMs();
    if (this.now() - this.lastSweep < Math.min(60_000, ttl)) return;
    this.lastSweep = this.now();
    for (const { name, hash } of heads) {
      if (this.done.get(name) !== hash || this.refused.has(name) || this.now() - (this.movedAt.get(name) ?? this.now()) < ttl) continue;
      if (await deleteMergedBranch(db, name, hash)) {
        this.counts.deleted++;
        this.done.delete(name);
        this.movedAt.delete(name);
        this.o.log.info('deleted a merged workspace branch nobody pushed to', { branch: name, ttl_ms: ttl });
      }
    }
  }

  /** One batch of the line: merged together, main moved once. Returns true if main moved. */
  private async mergeHeads(conns: QueueConnections, batch: readonly BranchHead[]): Promise<boolean> {
    const started = this.now();
    for (let attempt = 0; ; attempt++) {
      const out = await mergeBatch(conns, batch, await this.checkMain(conns));
      if (out.kind === 'main_moved') {
        this.counts.mainMoved++;
        if (attempt < MAX_MAIN_MOVED_RETRIES) continue;
        this.o.log.warn('main kept moving under the merge queue; the batch waits for the next round', { branches: batch.map((b) => b.name).join(',') });
        return false;
      }
      this.setLastMain(out.main);
      let merged = 0;
      for (const { name, hash } of batch) {
        const h = out.heads.get(name);
        this.waiting.delete(name);
        this.done.set(name, hash);
        if (!h) continue;
        if (h.kind === 'refused') {
          this.counts.refused++;
          this.refused.set(name, { head: hash, code: 'GRAVA_E_HISTORY_REWRITE', reason: `${name} at ${hash} removes ${h.removed} issue row(s); grava never deletes an issue, so the central refused to merge it` });
          this.o.log.error('refused to merge a branch that removes issue rows (grava never deletes an issue: its history was rewritten by hand)', { branch: name, head: hash, removed: h.removed, main: out.main });
          continue;
        }
        if (h.kind === 'failed') {
          this.counts.refused++;
          this.refused.set(name, { head: hash, code: h.code, reason: `the central could not merge ${name} at ${hash}: ${h.reason}` });
          this.o.log.error('could not merge a workspace branch; it is set aside until it moves', { branch: name, head: hash, code: h.code, reason: h.reason });
          continue;
        }
        this.refused.delete(name);
        if (h.kind === 'up_to_date') {
          this.counts.upToDate++;
          continue;
        }
        conns.clock.observe(theirStamps(h.merge.decisions));
        this.counts.merged++;
        merged++;
      }
      if (merged > 0) {
        this.lastMergeAt = this.now();
        this.lastMergeMs = this.lastMergeAt - started;
        this.lastError = null;
        this.counts.batches++;
      }
      return merged > 0;
    }
  }

  /** main's head as the queue last wrote or checked it (at most one poll old: up to 250 ms on an idle queue, for a
   *  move made outside it); undefined before its first look. */
  mainHead(): string | undefined {
    return this.lastMain;
  }

  /** Ends a pause now, such as the backoff after Dolt went away (the supervisor calls it once Dolt is back). */
  resume(): void {
    this.poke();
  }

  /** Wakes the loop now, or makes its next pause return at once. */
  private poke(): void {
    if (this.wake) this.wake();
    else this.woken = true;
  }

  private pause(ms: number): Promise<void> {
    const signal = this.o.signal;
    if (signal.aborted) return Promise.resolve();
    if (this.woken) {
      this.woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.wake === done) this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.wake = done;
    });
  }
}
