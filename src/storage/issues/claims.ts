// Who may claim an issue (docs/MERGE_SPEC.md, "Claims"). Pure: the same rule
// decides a claim in one workspace and on the central's head.
//
// - Claimable: not deleted, status open or in_progress, and unassigned.
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

export function claimVerdict(row: Readonly<Record<string, unknown>>, actor: string): ClaimVerdict {
  const assignee = empty(row.assignee) ? null : String(row.assignee);
  const status = String(row.status);
  if (assignee === actor && status === 'in_progress') return { kind: 'held' };
  if (assignee !== null && assignee !== actor) return { kind: 'refused', holder: assignee, reason: `is already claimed by ${assignee}` };
  if (status !== 'open' && status !== 'in_progress') return { kind: 'refused', holder: assignee, reason: `is ${status}; only open issues can be claimed` };
  return { kind: 'claim' };
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
