// Who may claim an issue (docs/MERGE_SPEC.md, "Claims"). Pure: the same rule
// decides a claim in one workspace and on the central's head.
//
// - Claimable: not deleted, status open or in_progress, and unassigned; or in
//   progress under someone else's claim whose lease (`--lease`) has expired.
// - Held by the claimer already (assignee = actor, in progress): the claim
//   succeeds and changes nothing.
// - Assigned to the claimer but not in progress: the claim starts it.
// - Otherwise refused (GRAVA_E_CONFLICT) with the holder named: someone
//   else holds it, or it is closed, blocked or deferred.

export type ClaimVerdict =
  | { readonly kind: 'claim' }
  | { readonly kind: 'held' }
  | { readonly kind: 'refused'; readonly holder: string | null; readonly reason: string };

const empty = (v: unknown): boolean => v === null || v === undefined || v === '';

/**
 * `leaseUntil`: when the holder's claim expires (ms), or null for a claim
 * without a lease; `now` comes in as an argument (tests inject it).
 */
export function claimVerdict(row: Readonly<Record<string, unknown>>, actor: string, lease: { readonly leaseUntil: number | null; readonly now: number } = { leaseUntil: null, now: 0 }): ClaimVerdict {
  const assignee = empty(row.assignee) ? null : String(row.assignee);
  const status = String(row.status);
  if (assignee === actor && status === 'in_progress') return { kind: 'held' };
  if (assignee !== null && assignee !== actor) {
    if (status === 'in_progress' && lease.leaseUntil !== null && lease.leaseUntil <= lease.now) return { kind: 'claim' };
    const until = lease.leaseUntil !== null ? ` until ${new Date(lease.leaseUntil).toISOString()}` : '';
    return { kind: 'refused', holder: assignee, reason: `is already claimed by ${assignee}${until}` };
  }
  if (status !== 'open' && status !== 'in_progress') return { kind: 'refused', holder: assignee, reason: `is ${status}; only open issues can be claimed` };
  return { kind: 'claim' };
}

const UNITS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `30m`, `2h`, `45s`, `1d` → milliseconds; undefined when malformed (1 s to 30 days). */
export function parseLease(text: string): number | undefined {
  const m = /^(\d{1,7})([smhd])$/.exec(text.trim());
  if (!m) return undefined;
  const ms = Number(m[1]) * (UNITS[m[2]!] ?? 0);
  return ms >= 1_000 && ms <= 30 * 86_400_000 ? ms : undefined;
}

export type UnclaimVerdict =
  | { readonly kind: 'unclaim' }
  | { readonly kind: 'refused'; readonly holder: string | null; readonly reason: string };

export function unclaimVerdict(row: Readonly<Record<string, unknown>>, actor: string, force: boolean): UnclaimVerdict {
  const assignee = empty(row.assignee) ? null : String(row.assignee);
  if (assignee === null) return { kind: 'refused', holder: null, reason: 'is not claimed by anyone' };
  if (assignee !== actor && !force) return { kind: 'refused', holder: assignee, reason: `is claimed by ${assignee}; only the holder can unclaim it (or use --force)` };
  return { kind: 'unclaim' };
}
