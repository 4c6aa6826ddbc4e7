// Validation of everything a caller can send. Pure; throws GRAVA_E_INVALID
// before anything is written.

import { GravaError } from '../../errors/grava-error.js';

export const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'closed'] as const;
export const ISSUE_TYPES = ['bug', 'feature', 'task', 'epic', 'chore'] as const;
export const DEP_TYPES = ['blocks', 'related', 'parent-child', 'discovered-from'] as const;
export type Status = (typeof STATUSES)[number];
export type IssueType = (typeof ISSUE_TYPES)[number];
export type DepType = (typeof DEP_TYPES)[number];

export const MAX_TITLE = 500;
export const MAX_TEXT = 65_000;
export const MAX_LABEL = 128;
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{0,15}$/;
export const ID_PATTERN = /^[a-z][a-z0-9]{0,15}-[0-9a-z]{3,32}$/;

function invalid(message: string, data?: Record<string, unknown>): GravaError {
  return new GravaError('GRAVA_E_INVALID', message, data);
}

function oneOf<T extends string>(what: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw invalid(`invalid ${what} ${JSON.stringify(value)}; expected one of ${allowed.join(', ')}`, { [what]: value });
  return value as T;
}

export const validStatus = (v: string): Status => oneOf('status', v, STATUSES);
export const validType = (v: string): IssueType => oneOf('type', v, ISSUE_TYPES);
export const validDepType = (v: string): DepType => oneOf('dependency type', v, DEP_TYPES);

export function validPriority(v: string | number): number {
  const s = String(v).trim();
  if (!/^[0-4]$/.test(s)) throw invalid(`invalid priority ${JSON.stringify(String(v))}; expected an integer from 0 (most urgent) to 4`, { priority: String(v) });
  return Number(s);
}

/** `prefix`: the workspace's id prefix, so the hint shows an id of this workspace. */
export function validId(v: string, prefix = 'gr'): string {
  if (!ID_PATTERN.test(v)) throw invalid(`invalid issue id ${JSON.stringify(v)}; ids here look like ${prefix}-a1b2`, { id: v });
  return v;
}

export function validPrefix(v: string): string {
  if (!PREFIX_PATTERN.test(v)) throw invalid(`invalid prefix ${JSON.stringify(v)}; use 1-16 lowercase letters and digits, starting with a letter`, { prefix: v });
  return v;
}

function noNul(what: string, v: string): void {
  if (v.includes('\0')) throw invalid(`${what} must not contain NUL characters`);
}

function isWellFormed(v: string): boolean {
  // Lone surrogates cannot be stored as UTF-8 and would not round-trip.
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(v);
}

export function validTitle(v: string): string {
  if (v.trim().length === 0) throw invalid('the title must not be empty');
  if ([...v].length > MAX_TITLE) throw invalid(`the title is longer than ${MAX_TITLE} characters`);
  noNul('the title', v);
  if (!isWellFormed(v)) throw invalid('the title is not valid Unicode');
  return v;
}

export function validText(what: string, v: string): string {
  if (Buffer.byteLength(v) > MAX_TEXT) throw invalid(`${what} is longer than ${MAX_TEXT} bytes`);
  noNul(what, v);
  if (!isWellFormed(v)) throw invalid(`${what} is not valid Unicode`);
  return v;
}

export function validLabel(v: string): string {
  if (v.trim().length === 0 || v !== v.trim()) throw invalid(`invalid label ${JSON.stringify(v)}; labels are non-empty with no surrounding spaces`);
  if ([...v].length > MAX_LABEL) throw invalid(`the label is longer than ${MAX_LABEL} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalid('labels must not contain control characters');
  if (!isWellFormed(v)) throw invalid('the label is not valid Unicode');
  return v;
}

export function validAssignee(v: string): string {
  if (v.trim().length === 0) throw invalid('the assignee must not be empty');
  if ([...v].length > 255) throw invalid('the assignee is longer than 255 characters');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(v)) throw invalid('the assignee must not contain control characters');
  return v;
}
