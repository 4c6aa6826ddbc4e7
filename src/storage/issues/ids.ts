// Hash-based ids. Replicas create issues offline and merge later, so ids come
// from a hash of (actor, time, 128 random bits), never from a counter. The
// length adapts to the database size: the shortest length L >= min with
// 36^L >= 10,000 x (issues + 1); a local clash retries one character longer.
//
// Cross-workspace clashes (docs/MERGE_SPEC.md §13b has the arithmetic): a
// local check cannot see ids other workspaces drew since the last sync, so
// two drawn in one sync window can clash. With w ids drawn fleet-wide per
// window, a fleet that grows to n issues expects about n * w / (2 * 36^L)
// clashes in its lifetime. A workspace that syncs uses min = 7 (36^7 = 7.8e10):
// at n = 100,000 and w = 500 (50 agents x 10 issues) that is 3.2e-4, one fleet
// in about 3,000 (at min = 6 it was 1.1e-2). One that happens anyway is split
// by the merge: both issues are kept, the second under a derived id (splitId).

import { createHash, randomBytes } from 'node:crypto';

export const MIN_ID_LENGTH = 4;
export const MIN_REPLICATED_ID_LENGTH = 7;

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

/**
 * The id a merge gives the second of two different issues that drew the
 * same id (MERGE_SPEC §13b): derived from the old id and the issue's own
 * immutable creation fields, so every replica that splits the collision
 * picks the same id. `extra` lengthens it should that id be taken too.
 */
export function splitId(oldId: string, createdBy: string, createdAt: string, extra = 0): string {
  const dash = oldId.lastIndexOf('-');
  const digest = createHash('sha256').update(oldId).update('\0').update(createdBy).update('\0').update(createdAt).digest();
  const length = Math.min(32, oldId.length - dash - 1 + 2 + extra);
  return `${oldId.slice(0, dash)}-${base36(digest).slice(0, length).padEnd(length, '0')}`;
}
