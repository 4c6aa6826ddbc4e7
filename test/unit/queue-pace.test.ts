import { describe, expect, it } from 'vitest';
import { nextQueuePause, queueIdlePollMs, queuePollMs } from '../../src/server/queue-pace.js';

describe('the merge queue pace', () => {
  it('reads GRAVA_QUEUE_POLL_MS and GRAVA_QUEUE_IDLE_POLL_MS, and falls back on anything but an integer of at least 10', () => {
    expect([queuePollMs({}), queueIdlePollMs({})]).toEqual([50, 250]);
    expect([queuePollMs({ GRAVA_QUEUE_POLL_MS: '20' }), queueIdlePollMs({ GRAVA_QUEUE_IDLE_POLL_MS: '5000' })]).toEqual([20, 5_000]);
    for (const bad of ['9', '0', '-50', '12.5', 'often', '']) {
      expect([queuePollMs({ GRAVA_QUEUE_POLL_MS: bad }), queueIdlePollMs({ GRAVA_QUEUE_IDLE_POLL_MS: bad })]).toEqual([50, 250]);
    }
  });

  it('looks at the busy pace while busy, then doubles its pause up to the idle pace, and is busy again at once', () => {
    const paces: number[] = [];
    let pace: number | undefined;
    for (const busy of [true, false, false, false, false, false, false, false, true, false]) {
      pace = nextQueuePause(pace, busy, 50, 1_000);
      paces.push(pace);
    }
    expect(paces).toEqual([50, 100, 200, 400, 800, 1_000, 1_000, 1_000, 50, 100]);
    // The first look of a new queue is at the busy pace whatever it found.
    expect(nextQueuePause(undefined, false, 50, 1_000)).toBe(50);
  });

  it('never pauses below the busy pace, even when the idle pace is set lower', () => {
    expect(nextQueuePause(50, false, 50, 30)).toBe(50);
    expect(nextQueuePause(600_000, false, 600_000, 1_000)).toBe(600_000);
  });
});
