// The daemon's scheduler under fake time: debounce, max delay, batch limit,
// force, periodic pull, backoff after failures, and bounded state.

import { describe, expect, it } from 'vitest';
import { Scheduler, type CycleReason, type Timers } from '../../src/daemon/scheduler.js';
import type { SyncSettings } from '../../src/daemon/settings.js';

class FakeTimers implements Timers {
  t = 1_000_000;
  private seq = 0;
  private readonly queue = new Map<number, { at: number; fn: () => void }>();
  now = (): number => this.t;
  setTimeout = (fn: () => void, ms: number): unknown => {
    const id = ++this.seq;
    this.queue.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown): void => { this.queue.delete(h as number); };
  get armed(): number { return this.queue.size; }
  /** Moves time forward, firing due timers in order, and lets promises settle after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.queue.entries()].sort((a, b) => a[1].at - b[1].at)[0];
      if (!next || next[1].at > end) break;
      this.queue.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

const SETTINGS: SyncSettings = { debounceMs: 5_000, maxDelayMs: 30_000, maxBatchWrites: 1_000, pullIntervalMs: 0, mode: 'auto' };

function harness(settings: Partial<SyncSettings> = {}, behaviour: { fail?: () => boolean; durationMs?: number } = {}) {
  const timers = new FakeTimers();
  const cycles: { at: number; reason: CycleReason; writes: number }[] = [];
  const s = new Scheduler<string>({
    settings: { ...SETTINGS, ...settings },
    timers,
    random: () => 1,
    backoffBaseMs: 1_000,
    backoffMaxMs: 8_000,
    runCycle: async (reason, writes) => {
      cycles.push({ at: timers.now(), reason, writes });
      if (behaviour.durationMs) await new Promise<void>((r) => timers.setTimeout(r, behaviour.durationMs!));
      if (behaviour.fail?.()) throw Object.assign(new Error('central down'), { code: 'GRAVA_E_REMOTE' });
      return 'ok';
    },
  });
  return { s, timers, cycles };
}

describe('scheduler: debounce and batching', () => {
  it('syncs once, debounce after the last write, and every later write restarts the debounce', async () => {
    const { s, timers, cycles } = harness();
    s.start();
    for (let i = 0; i < 30; i++) { s.noteWrite(); await timers.advance(100); }
    expect(cycles).toHaveLength(0);
    const lastWrite = timers.now() - 100;
    expect(s.status().next_sync_at).toBe(lastWrite + 5_000);
    await timers.advance(4_900);
    expect(cycles).toEqual([{ at: lastWrite + 5_000, reason: 'debounce', writes: 30 }]);
    expect(s.status().pending_writes).toBe(0);
    await timers.advance(60_000);
    expect(cycles).toHaveLength(1); // nothing pending, no pull configured: no more cycles
  });

  it('a steady trickle still syncs no later than max delay after the first unsynced write', async () => {
    const { s, timers, cycles } = harness();
    s.start();
    const first = timers.now();
    for (let i = 0; i < 40; i++) { s.noteWrite(); await timers.advance(1_000); } // never 5 s quiet
    expect(cycles[0]).toEqual({ at: first + 30_000, reason: 'max-delay', writes: 30 });
  });

  it('reaching the batch limit syncs at once', async () => {
    const { s, timers, cycles } = harness({ maxBatchWrites: 10 });
    s.start();
    for (let i = 0; i < 9; i++) s.noteWrite();
    await timers.advance(0);
    expect(cycles).toHaveLength(0);
    s.noteWrite();
    await timers.advance(0);
    expect(cycles).toEqual([{ at: timers.now(), reason: 'batch', writes: 10 }]);
  });

  it('writes during a running cycle belong to the next one', async () => {
    const { s, timers, cycles } = harness({}, { durationMs: 2_000 });
    s.start();
    s.noteWrite();
    await timers.advance(5_000); // cycle 1 starts, carrying 1 write
    expect(cycles).toHaveLength(1);
    s.noteWrite(); s.noteWrite();
    expect(s.status()).toMatchObject({ running: true, pending_writes: 2 });
    await timers.advance(2_000); // cycle 1 ends; the two writes are debounced from their own time
    await timers.advance(5_000);
    expect(cycles.map((c) => c.writes)).toEqual([1, 2]);
  });

  it('holds counts only, however many writes arrive', async () => {
    const { s, timers, cycles } = harness({ maxBatchWrites: 1_000_000 });
    s.start();
    for (let i = 0; i < 200_000; i++) s.noteWrite();
    expect(s.status().pending_writes).toBe(200_000);
    expect(timers.armed).toBe(1);
    await timers.advance(5_000);
    expect(cycles).toEqual([expect.objectContaining({ writes: 200_000 })]);
  });

  it('a changed setting applies to the pending batch without a restart', async () => {
    const { s, timers, cycles } = harness();
    s.start();
    s.noteWrite();
    s.updateSettings({ ...SETTINGS, debounceMs: 1_000 });
    await timers.advance(1_000);
    expect(cycles).toHaveLength(1);
  });
});

describe('scheduler: force, pull and backoff', () => {
  it('force runs at once, and after a running cycle when one is under way', async () => {
    const { s, timers, cycles } = harness({}, { durationMs: 1_000 });
    s.start();
    s.noteWrite();
    const forced = s.runNow();
    await timers.advance(0);
    expect(cycles).toEqual([expect.objectContaining({ reason: 'force', writes: 1 })]);
    const again = s.runNow(); // a cycle is running: a new one follows it
    const shared = s.runNow();
    await timers.advance(1_000);
    await timers.advance(1_000);
    await Promise.all([forced, again, shared]);
    expect(cycles.map((c) => c.reason)).toEqual(['force', 'force']);
  });

  it('pulls every pull interval when idle, and not while writes are pending', async () => {
    const { s, timers, cycles } = harness({ pullIntervalMs: 10_000 });
    s.start();
    await timers.advance(35_000);
    expect(cycles.map((c) => c.reason)).toEqual(['pull', 'pull', 'pull']);
    s.noteWrite();
    await timers.advance(4_000);
    expect(cycles).toHaveLength(3);
    await timers.advance(1_000);
    expect(cycles.at(-1)).toMatchObject({ reason: 'debounce', writes: 1 });
  });

  it('backs off after failures, doubling to a cap, keeps the writes, and recovers', async () => {
    let down = true;
    const { s, timers, cycles } = harness({}, { fail: () => down });
    s.start();
    s.noteWrite();
    await timers.advance(5_000);
    expect(s.status()).toMatchObject({ consecutive_failures: 1, pending_writes: 1 });
    expect(s.status().last?.error?.code).toBe('GRAVA_E_REMOTE');
    // random() = 1: delays are exactly the ceilings 1 s, 2 s, 4 s, 8 s, 8 s (cap)
    await timers.advance(60_000);
    const gaps = cycles.slice(1, 6).map((c, i) => c.at - cycles[i]!.at);
    expect(gaps).toEqual([1_000, 2_000, 4_000, 8_000, 8_000]);
    expect(cycles.every((c) => c.writes === 1)).toBe(true);
    down = false;
    await timers.advance(8_000);
    expect(s.status()).toMatchObject({ consecutive_failures: 0, pending_writes: 0 });
    expect(s.status().last?.error).toBeNull();
  });

  it('a new write during backoff does not hammer the central: it waits for the backoff', async () => {
    const { s, timers, cycles } = harness({ debounceMs: 100 }, { fail: () => true });
    s.start();
    s.noteWrite();
    await timers.advance(100); // fails: backoff 1 s
    s.noteWrite();
    await timers.advance(500);
    expect(cycles).toHaveLength(1);
    await timers.advance(500);
    expect(cycles).toHaveLength(2);
    expect(cycles[1]).toMatchObject({ reason: 'retry', writes: 2 });
  });

  it('force ignores the backoff', async () => {
    const { s, timers, cycles } = harness({}, { fail: () => cycles.length < 2 });
    s.start();
    s.noteWrite();
    await timers.advance(5_000);
    const r = await s.runNow();
    expect(r.error).toBeNull();
    expect(cycles.map((c) => c.reason)).toEqual(['debounce', 'force']);
  });

  it('a start with writes left in the working set syncs at once', async () => {
    const { s, timers, cycles } = harness();
    s.start(1);
    await timers.advance(0);
    expect(cycles).toEqual([expect.objectContaining({ reason: 'startup', writes: 1 })]);
  });

  it('stop clears the timers and waits for the running cycle', async () => {
    const { s, timers, cycles } = harness({ pullIntervalMs: 1_000 }, { durationMs: 500 });
    s.start();
    await timers.advance(1_000);
    expect(s.status().running).toBe(true);
    const stopped = s.stop();
    await timers.advance(500);
    await stopped;
    s.noteWrite();
    await timers.advance(100_000);
    expect(cycles).toHaveLength(1);
    expect(timers.armed).toBe(0);
  });
});
