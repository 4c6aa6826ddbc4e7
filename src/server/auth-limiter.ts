// Slows down password guessing against the central's HTTP calls. Within a
// window (a minute):
//  - after `max` failed HTTP Basic attempts for one user from one address,
//    that pair is refused without its password being checked, so one agent
//    with a stale password does not lock out its neighbours on the same host;
//  - after `max` × `addressFactor` failures from one address, whatever the
//    users, that address is refused too, so spreading guesses over many user
//    names does not go faster.
// Memory is bounded: expired windows are dropped first, then the oldest ones
// that block nobody; blocked entries go only past twice the bound.

export interface AuthLimiterOptions {
  readonly max: number;
  readonly windowMs: number;
  /** Entries remembered (soft bound; see above). */
  readonly maxKeys: number;
  readonly now: () => number;
  /** An address may fail this many times `max` in a window, all users together (default 10). */
  readonly addressFactor?: number;
}

interface Failures {
  count: number;
  readonly since: number;
  readonly limit: number;
}

export class AuthLimiter {
  private readonly failures = new Map<string, Failures>();

  constructor(private readonly o: AuthLimiterOptions) {}

  /** Milliseconds until `address`/`user` may try again (0: it may try now). */
  blockedFor(address: string, user: string): number {
    return Math.max(this.left(key(address, user)), this.left(addressKey(address)));
  }

  failed(address: string, user: string): void {
    this.count(key(address, user), this.o.max);
    this.count(addressKey(address), this.o.max * (this.o.addressFactor ?? 10));
    if (this.failures.size > this.o.maxKeys) this.trim();
  }

  succeeded(address: string, user: string): void {
    this.failures.delete(key(address, user));
  }

  /** Entries held now (for tests and metrics). */
  get size(): number {
    return this.failures.size;
  }

  private left(k: string): number {
    const f = this.failures.get(k);
    if (!f) return 0;
    const left = f.since + this.o.windowMs - this.o.now();
    if (left <= 0) {
      this.failures.delete(k);
      return 0;
    }
    return f.count >= f.limit ? left : 0;
  }

  private count(k: string, limit: number): void {
    const now = this.o.now();
    const f = this.failures.get(k);
    if (f && now - f.since < this.o.windowMs) f.count++;
    else {
      this.failures.delete(k);
      this.failures.set(k, { count: 1, since: now, limit });
    }
  }

  private trim(): void {
    const now = this.o.now();
    // A Map iterates in insertion order, oldest window first.
    for (const [k, f] of this.failures) if (now - f.since >= this.o.windowMs) this.failures.delete(k);
    for (const [k, f] of this.failures) {
      if (this.failures.size <= this.o.maxKeys) return;
      if (f.count < f.limit) this.failures.delete(k);
    }
    for (const k of this.failures.keys()) {
      if (this.failures.size <= 2 * this.o.maxKeys) return;
      this.failures.delete(k);
    }
  }
}

const key = (address: string, user: string): string => `${address}\u0000${user}`;
const addressKey = (address: string): string => `${address}\u0001`;
