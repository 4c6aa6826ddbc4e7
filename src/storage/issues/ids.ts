// Hash-based ids. Replicas create issues offline and merge later, so ids come
// from a hash of (actor, time, 128 random bits), never from a counter. The
// length adapts to the database size: the shortest length L >= min with
// 36^L >= 10,000 x (issues + 1); a local clash retries one character longer.
// A workspace that syncs uses min = 6: with 50 agents creating 10 issues each
// between syncs, the chance of any cross-workspace clash per round is about
// 6e-5 (36^6 = 2.2e9), against 7 % at length 4. A clash that happens anyway is
// detected at merge time and both rows are kept in events.

import { createHash, randomBytes } from 'node:crypto';

export const MIN_ID_LENGTH = 4;
export const MIN_REPLICATED_ID_LENGTH = 6;

export function idLength(existing: number, min = MIN_ID_LENGTH): number {
  let len = min;
  while (36 ** len < 10_000 * (existing + 1) && len < 16) len++;
  return len;
}

function base36(buf: Buffer): string {
  let n = BigInt(`0x${buf.toString('hex')}`);
  let s = '';
  while (n > 0n) {
    s += '0123456789abcdefghijklmnopqrstuvwxyz'[Number(n % 36n)]!;
    n /= 36n;
  }
  return s;
}

export function hashId(prefix: string, length: number, actor: string, now: number): string {
  const digest = createHash('sha256').update(actor).update('\0').update(String(now)).update('\0').update(randomBytes(16)).digest();
  return `${prefix}-${base36(digest).slice(0, length).padEnd(length, '0')}`;
}

/** A unique id for an append-only row (events, comments): long, no prefix needed. */
export function rowId(kind: string): string {
  return `${kind}-${base36(randomBytes(16)).slice(0, 20)}`;
}
