// Slows down password guessing against the central's HTTP calls: after
// `max` failed HTTP Basic attempts for one user from one address within
// `windowMs`, that pair is refused without checking the password until the
// window has passed. Keyed by address and user, so one agent with a stale
// password does not lock out its neighbours on the same host, and a guesser
// cannot try many users' passwords faster by spreading over them.

export interface AuthLimiterOptions {
  readonly max: number;
  readonly windowMs: number;
  /** Pairs remembered at most; the oldest are forgotten first. */
  readonly maxKeys: number;
  readonly now: () => number;
}

export class AuthLimiter {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly o: AuthLimiterOptions) {}

  /** Milliseconds until `address`/`user` may try again (0: it may try now). */
  blockedFor(address: string, user: string): number {
    const f = this.failures.get(key(address, user));
    if (!f) return 0;
    const left = f.since + this.o.windowMs - this.o.now();
    if (left <= 0) {
      this.failures.delete(key(address, user));
      return 0;
    }
    return f.count >= this.o.max ? left : 0;
  }

  failed(address: string, user: string): void {
    const k = key(address, user);
    const now = this.o.now();
    const f = this.failures.get(k);
    if (f && now - f.since < this.o.windowMs) f.count++;
    else {
      this.failures.delete(k);
      this.failures.set(k, { count: 1, since: now });
      // A Map iterates in insertion order: the first key is the oldest window.
      if (this.failures.size > this.o.maxKeys) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  succeeded(address: string, user: string): void {
    this.failures.delete(key(address, user));
  }
}

const key = (address: string, user: string): string => `${address}\u0000${user}`;
