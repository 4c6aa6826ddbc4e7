import { describe, expect, it } from 'vitest';
import { QueueDeadline, queueWaitLimits, seconds, syncLockWaitMs } from '../../src/transport/queue-deadline.js';

describe('queueWaitLimits', () => {
  it('reads GRAVA_QUEUE_WAIT_MS and GRAVA_QUEUE_WAIT_MAX_MS, falls back on anything but a positive integer, and never caps below the stall bound', () => {
    expect(queueWaitLimits({})).toEqual({ stallMs: 60_000, maxMs: 300_000 });
    expect(queueWaitLimits({ GRAVA_QUEUE_WAIT_MS: '1500', GRAVA_QUEUE_WAIT_MAX_MS: '9000' })).toEqual({ stallMs: 1_500, maxMs: 9_000 });
    for (const bad of ['0', '-5', '1.5', 'soon', '']) expect(queueWaitLimits({ GRAVA_QUEUE_WAIT_MS: bad, GRAVA_QUEUE_WAIT_MAX_MS: bad })).toEqual({ stallMs: 60_000, maxMs: 300_000 });
    expect(queueWaitLimits({ GRAVA_QUEUE_WAIT_MS: '400000' })).toEqual({ stallMs: 400_000, maxMs: 400_000 });
  });
});

describe('syncLockWaitMs and seconds', () => {
  it('a sync or claim behind a running sync waits out that sync\'s whole queue wait and a minute more', () => {
    expect(syncLockWaitMs({ stallMs: 60_000, maxMs: 300_000 })).toBe(360_000);
    expect(syncLockWaitMs(queueWaitLimits({ GRAVA_QUEUE_WAIT_MAX_MS: '600000' }))).toBe(660_000);
  });
  it('shows milliseconds as seconds with at most one decimal', () => {
    expect([seconds(1_500), seconds(60_000), seconds(1_449), seconds(250)]).toEqual(['1.5', '60', '1.4', '0.3']);
  });
});

describe('QueueDeadline', () => {
  const limits = { stallMs: 1_000, maxMs: 5_000 };

  it('ends the stall bound after the start when main never moves', () => {
    const d = new QueueDeadline(100, limits);
    d.saw('a', 100);
    d.saw('a', 900);
    expect(d.ended(1_099)).toBeUndefined();
    expect(d.until()).toBe(1_100);
    expect(d.ended(1_100)).toBe('stalled');
    expect(d.mainMoves).toBe(0);
  });

  it('goes on while main moves: each move restarts the stall bound', () => {
    const d = new QueueDeadline(0, limits);
    d.saw('a', 0);
    d.saw('b', 800);
    d.saw('c', 1_600);
    expect(d.ended(2_599)).toBeUndefined();
    expect(d.until()).toBe(2_600);
    expect(d.ended(2_600)).toBe('stalled');
    expect(d.mainMoves).toBe(2);
  });

  it('the first head seen is not a move, and an unknown main (null) then a head is', () => {
    const d = new QueueDeadline(0, limits);
    d.saw(null, 500);
    expect(d.mainMoves).toBe(0);
    d.saw('a', 900);
    expect(d.mainMoves).toBe(1);
    expect(d.until()).toBe(1_900);
  });

  it('never past the whole bound, however often main moves', () => {
    const d = new QueueDeadline(0, limits);
    for (let t = 0; t < 5_000; t += 500) d.saw(`h${t}`, t);
    expect(d.until()).toBe(5_000);
    expect(d.ended(4_999)).toBeUndefined();
    expect(d.ended(5_000)).toBe('max');
  });
});
