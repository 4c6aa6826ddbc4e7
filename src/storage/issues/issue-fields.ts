// The issue cells added by schema version 3 (design, acceptance criteria,
// notes, external ref, estimate, due and defer dates): their validation, and
// the conversion of a stored row into the Issue the CLI prints. Pure.

import { GravaError } from '../../errors/grava-error.js';
import { clockColumn, ISSUES } from '../../merge/tables.js';
import { stampWall } from './clock-store.js';
import type { Issue, IssueExtras } from './issue-types.js';
import { validText } from './validate.js';

export type IssueRow = Record<string, string | number | null>;

/** Labels of one issue, and the wall time of the newest label change (added or removed), 0 for none. */
export interface LabelSet {
  readonly labels: readonly string[];
  readonly changedAt: number;
}

export const NO_LABELS: LabelSet = { labels: [], changedAt: 0 };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

const text = (v: string | number | null | undefined): string => (v === null || v === undefined ? '' : String(v));
const orNull = (v: string | number | null | undefined): string | null => (v === null || v === undefined || v === '' ? null : String(v));

export function toIssue(r: IssueRow, labelSet: LabelSet): Issue {
  // updated_at: the newest write to any cell of the issue or to its labels.
  const walls = ISSUES.clocked.map((c) => stampWall(r[clockColumn(c)] as string | null) ?? 0);
  const updated = Math.max(...walls, labelSet.changedAt);
  const status = String(r.status);
  const closedWall = status === 'closed' ? stampWall(r.status_clk as string | null) : undefined;
  return {
    id: String(r.id),
    title: String(r.title),
    description: String(r.description),
    status,
    priority: Number(r.priority),
    type: String(r.type),
    issue_type: String(r.type),
    assignee: (r.assignee as string | null) ?? null,
    labels: labelSet.labels,
    close_reason: (r.close_reason as string | null) ?? null,
    created_at: String(r.created_at),
    created_by: String(r.created_by),
    updated_at: updated > 0 ? iso(updated) : String(r.created_at),
    closed_at: status !== 'closed' ? null : closedWall !== undefined ? iso(closedWall) : String(r.created_at),
    design: text(r.design),
    acceptance_criteria: text(r.acceptance_criteria),
    notes: text(r.notes),
    external_ref: orNull(r.external_ref),
    estimated_minutes: r.estimated_minutes === null || r.estimated_minutes === undefined ? null : Number(r.estimated_minutes),
    due_at: orNull(r.due_at),
    defer_until: orNull(r.defer_until),
  };
}

function invalid(message: string): GravaError {
  return new GravaError('GRAVA_E_INVALID', message);
}

/** An instant as ISO 8601 UTC; accepts a date (`2026-12-01`, midnight UTC) or a date and time. */
export function validInstant(what: string, v: string): string {
  const s = v.trim();
  const ok = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(s);
  const ms = ok ? Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : s.replace(' ', 'T')) : NaN;
  if (Number.isNaN(ms)) throw invalid(`invalid ${what} ${JSON.stringify(v)}; use a date like 2026-12-01 or 2026-12-01T17:00:00Z`);
  const year = new Date(ms).getUTCFullYear();
  if (year < 1970 || year > 9999) throw invalid(`invalid ${what} ${JSON.stringify(v)}; the year must be between 1970 and 9999`);
  return iso(ms);
}

export function validExternalRef(v: string): string {
  if (v.trim().length === 0) throw invalid('the external ref must not be empty (pass null to clear it)');
  if ([...v].length > 255) throw invalid('the external ref is longer than 255 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalid('the external ref must not contain control characters');
  return v;
}

export function validEstimate(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 10_000_000) throw invalid(`invalid estimate ${JSON.stringify(v)}; expected whole minutes from 0 to 10000000`);
  return v;
}

/**
 * The stored cells for the extra fields present in `input`. A null (or an
 * empty text) clears a field; undefined leaves it alone.
 */
export function extraCells(input: Partial<Record<keyof IssueExtras, string | number | null>>): Record<string, string | number | null> {
  const cells: Record<string, string | number | null> = {};
  const textField = (k: 'design' | 'acceptance_criteria' | 'notes', what: string): void => {
    const v = input[k];
    if (v === undefined) return;
    cells[k] = v === null || v === '' ? null : validText(what, String(v));
  };
  textField('design', 'the design');
  textField('acceptance_criteria', 'the acceptance criteria');
  textField('notes', 'the notes');
  if (input.external_ref !== undefined) cells.external_ref = input.external_ref === null || input.external_ref === '' ? null : validExternalRef(String(input.external_ref));
  if (input.estimated_minutes !== undefined) cells.estimated_minutes = input.estimated_minutes === null ? null : validEstimate(Number(input.estimated_minutes));
  if (input.due_at !== undefined) cells.due_at = input.due_at === null || input.due_at === '' ? null : validInstant('due date', String(input.due_at));
  if (input.defer_until !== undefined) cells.defer_until = input.defer_until === null || input.defer_until === '' ? null : validInstant('defer date', String(input.defer_until));
  return cells;
}
