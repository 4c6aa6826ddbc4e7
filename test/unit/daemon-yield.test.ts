import { describe, expect, it } from 'vitest';
import { YIELD_TO_QUEUE_MS, yieldToQueueMs } from '../../src/daemon/daemon.js';

describe('yieldToQueueMs', () => {
  it('is 15 s unless GRAVA_YIELD_TO_QUEUE_MS names a whole number of ms (0: never yield)', () => {
    expect(YIELD_TO_QUEUE_MS).toBe(15_000);
    expect(yieldToQueueMs({})).toBe(15_000);
    expect(yieldToQueueMs({ GRAVA_YIELD_TO_QUEUE_MS: '0' })).toBe(0);
    expect(yieldToQueueMs({ GRAVA_YIELD_TO_QUEUE_MS: '40000' })).toBe(40_000);
    for (const bad of ['', ' ', '-1', '1.5', 'never']) expect(yieldToQueueMs({ GRAVA_YIELD_TO_QUEUE_MS: bad })).toBe(15_000);
  });
});
