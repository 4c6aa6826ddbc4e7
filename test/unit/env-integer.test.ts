import { describe, expect, it } from 'vitest';
import { envInteger } from '../../src/shared/env-integer.js';
import { branchTtlMs, queueBatch } from '../../src/server/merge-queue.js';
import { yieldToQueueMs } from '../../src/daemon/daemon.js';
import { remoteTimeoutMs } from '../../src/transport/sync.js';

describe('envInteger', () => {
  it('takes a whole number within its bounds and falls back on anything else', () => {
    expect(envInteger({ N: '42' }, 'N', 7)).toBe(42);
    expect(envInteger({ N: ' 42 ' }, 'N', 7)).toBe(42);
    for (const bad of [undefined, '', '   ', '0', '-1', '1.5', 'soon', '1e400']) expect(envInteger({ N: bad }, 'N', 7)).toBe(7);
    expect(envInteger({ N: '0' }, 'N', 7, 0)).toBe(0);
    expect(envInteger({ N: '101' }, 'N', 8, 1, 100)).toBe(8);
  });

  it('reads a blank setting as unset, never as 0: a blank GRAVA_QUEUE_BRANCH_TTL_MS no longer deletes every merged branch at once', () => {
    expect(branchTtlMs({ GRAVA_QUEUE_BRANCH_TTL_MS: '' })).toBe(86_400_000);
    expect(branchTtlMs({ GRAVA_QUEUE_BRANCH_TTL_MS: '0' })).toBe(0);
    expect(yieldToQueueMs({ GRAVA_YIELD_TO_QUEUE_MS: '' })).toBe(15_000);
    expect(yieldToQueueMs({ GRAVA_YIELD_TO_QUEUE_MS: '0' })).toBe(0);
    expect(queueBatch({ GRAVA_QUEUE_BATCH: '' })).toBe(8);
    expect(remoteTimeoutMs({ GRAVA_REMOTE_TIMEOUT_MS: '' })).toBe(120_000);
  });
});
