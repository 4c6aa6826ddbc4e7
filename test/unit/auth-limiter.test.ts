// The limit on failed sign-ins to the central's HTTP calls (src/server/auth-limiter.ts), with a fake clock.

import { describe, expect, it } from 'vitest';
import { AuthLimiter } from '../../src/server/auth-limiter.js';

describe('the sign-in limiter', () => {
  it('blocks a user at one address after max failures, for the rest of the window only', () => {
    let now = 0;
    const l = new AuthLimiter({ max: 3, windowMs: 60_000, maxKeys: 100, now: () => now });
    for (let i = 0; i < 3; i++) l.failed('10.0.0.1', 'alice');
    expect(l.blockedFor('10.0.0.1', 'alice')).toBe(60_000);
    expect(l.blockedFor('10.0.0.2', 'alice')).toBe(0);
    expect(l.blockedFor('10.0.0.1', 'bob')).toBe(0);
    now = 59_000;
    expect(l.blockedFor('10.0.0.1', 'alice')).toBe(1_000);
    now = 60_000;
    expect(l.blockedFor('10.0.0.1', 'alice')).toBe(0);
  });

  it('blocks an address that spreads its guesses over many user names', () => {
    const l = new AuthLimiter({ max: 3, windowMs: 60_000, maxKeys: 1_000, now: () => 0, addressFactor: 2 });
    for (let i = 0; i < 6; i++) l.failed('10.0.0.9', `user${i}`);
    expect(l.blockedFor('10.0.0.9', 'someone-new')).toBeGreaterThan(0);
    expect(l.blockedFor('10.0.0.8', 'someone-new')).toBe(0);
  });

  it('stays bounded, and a flood of other names does not clear a block', () => {
    const l = new AuthLimiter({ max: 3, windowMs: 60_000, maxKeys: 50, now: () => 0, addressFactor: 1_000_000 });
    for (let i = 0; i < 3; i++) l.failed('10.0.0.1', 'alice');
    for (let i = 0; i < 5_000; i++) l.failed(`10.1.${Math.floor(i / 250)}.${i % 250}`, 'guess');
    expect(l.size).toBeLessThanOrEqual(100);
    expect(l.blockedFor('10.0.0.1', 'alice')).toBeGreaterThan(0);
  });

  it('forgets a user\'s failures once it signs in', () => {
    const l = new AuthLimiter({ max: 3, windowMs: 60_000, maxKeys: 100, now: () => 0 });
    l.failed('10.0.0.1', 'alice');
    l.failed('10.0.0.1', 'alice');
    l.succeeded('10.0.0.1', 'alice');
    l.failed('10.0.0.1', 'alice');
    expect(l.blockedFor('10.0.0.1', 'alice')).toBe(0);
  });
});
