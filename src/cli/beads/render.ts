// The beads face's output: beads 1.0.5's JSON shapes and field names built
// from grava's issues, the schema_version / BD_JSON_ENVELOPE rules, and
// beads-style error lines. Text output is neutralised like grava's.

import type { Comment, DependencyRef, Issue, IssueDetail } from '../../storage/issues/issue-types.js';
import type { RelationCounts } from '../../storage/issues/issue-queries.js';
import { asGravaError, type GravaError } from '../../errors/grava-error.js';
import { oneLine } from '../output.js';

export const SCHEMA_VERSION = 1;

type Json = Record<string, unknown>;

/** beads leaves empty fields out (Go's omitempty); priority is always there. */
function put(o: Json, key: string, v: unknown): void {
  if (v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) return;
  o[key] = v;
}

/** An issue in beads' field names and order (types.Issue). */
export function beadsIssue(i: Issue): Json {
  const o: Json = { id: i.id, title: i.title };
  put(o, 'description', i.description);
  put(o, 'design', i.design);
  put(o, 'acceptance_criteria', i.acceptance_criteria);
  put(o, 'notes', i.notes);
  put(o, 'status', i.status);
  o.priority = i.priority;
  put(o, 'issue_type', i.type);
  put(o, 'assignee', i.assignee);
  put(o, 'estimated_minutes', i.estimated_minutes);
  o.created_at = i.created_at;
  put(o, 'created_by', i.created_by);
  o.updated_at = i.updated_at;
  put(o, 'closed_at', i.closed_at);
  put(o, 'close_reason', i.close_reason);
  put(o, 'due_at', i.due_at);
  put(o, 'defer_until', i.defer_until);
  put(o, 'external_ref', i.external_ref);
  put(o, 'labels', [...i.labels]);
  return o;
}

/** list / ready / search items: the issue with its relation counts (IssueWithCounts). */
export function beadsIssueWithCounts(i: Issue & Partial<RelationCounts>): Json {
  const o = beadsIssue(i);
  o.dependency_count = i.dependency_count ?? 0;
  o.dependent_count = i.dependent_count ?? 0;
  o.comment_count = i.comment_count ?? 0;
  put(o, 'parent', i.parent);
  return o;
}

function beadsRef(d: DependencyRef): Json {
  const o: Json = { id: d.id };
  put(o, 'title', d.title);
  put(o, 'status', d.status);
  if (d.priority !== null) o.priority = d.priority;
  put(o, 'issue_type', d.issue_type);
  put(o, 'assignee', d.assignee);
  o.dependency_type = d.type;
  return o;
}

export function beadsComment(c: Comment): Json {
  return { id: c.id, issue_id: c.issue_id, author: c.author, text: c.body, created_at: c.created_at };
}

/** show items (IssueDetails): dependencies with their type, the parent and counts; dependents and comments on request. */
export function beadsDetail(d: IssueDetail, opts: { dependents?: boolean; comments?: boolean } = {}): Json {
  const o = beadsIssue(d);
  put(o, 'dependencies', d.dependencies.map(beadsRef));
  if (opts.dependents) put(o, 'dependents', d.dependents.map(beadsRef));
  if (opts.comments) put(o, 'comments', d.comments.map(beadsComment));
  put(o, 'parent', d.dependencies.find((x) => x.type === 'parent-child')?.id);
  o.dependent_count = d.dependents.length;
  o.dependency_count = d.dependencies.length;
  o.comment_count = d.comments.length;
  return o;
}

function sortKeys(o: Json): Json {
  return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
}

/**
 * The JSON text beads prints for a payload: arrays as they are, objects with
 * `schema_version` (keys sorted, as Go's map encoding does); with
 * BD_JSON_ENVELOPE=1 every payload goes in `{data, schema_version}`.
 */
export function beadsJson(payload: unknown, env: NodeJS.ProcessEnv = process.env): string {
  let value: unknown;
  if (env.BD_JSON_ENVELOPE === '1') value = { data: payload, schema_version: SCHEMA_VERSION };
  else if (Array.isArray(payload)) value = payload;
  else if (payload === null || payload === undefined) value = { schema_version: SCHEMA_VERSION };
  else value = sortKeys({ ...(payload as Json), schema_version: SCHEMA_VERSION });
  return `${JSON.stringify(value, null, 2)}\n`;
}

export interface BeadsOut {
  readonly json: boolean;
  /** Prints JSON (beads' rules) or the human text. */
  data(payload: unknown, human: () => string): void;
  /** A line of text output (stdout), left out in JSON mode. */
  line(text: string): void;
  /** A line for people only: stderr, never in JSON mode. */
  note(line: string): void;
}

export function beadsOut(json: boolean): BeadsOut {
  return {
    json,
    data(payload, human) {
      process.stdout.write(json ? beadsJson(payload) : `${human()}\n`);
    },
    line(text) {
      if (!json) process.stdout.write(`${text}\n`);
    },
    note(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

/** beads' message for an issue that does not exist. */
export function notFoundMessage(err: GravaError): string {
  const id = err.data?.id;
  return err.code === 'GRAVA_E_NOT_FOUND' && typeof id === 'string' && err.data?.deleted !== true ? `no issue found matching ${JSON.stringify(id)}` : err.message;
}

/**
 * A failed command as beads reports it: `Error: …` on stderr and, with
 * --json, `{"error", "code", "schema_version"}` on stdout (beads puts some
 * JSON errors on stderr instead; stdout is where a --json caller looks).
 * Returns the exit code (1).
 */
export function printBeadsError(e: unknown, json: boolean, prefix = ''): number {
  const err = asGravaError(e);
  const message = `${prefix}${notFoundMessage(err)}`;
  if (json) process.stdout.write(beadsJson({ error: message, code: err.code }));
  process.stderr.write(`Error: ${oneLine(message)}\n`);
  return 1;
}
