// The pure parts of the bd face: flag values in beads' spellings, JSON
// shapes and envelopes, cobra-style messages, sorting and the dialect choice.

import { describe, expect, it } from 'vitest';
import { beadsPriority, beadsTime, beadsType, commaList, parseDep } from '../../src/cli/beads/flags.js';
import { beadsDetail, beadsIssue, beadsJson } from '../../src/cli/beads/render.js';
import { cobraMessage } from '../../src/cli/beads/cobra.js';
import { sortIssues } from '../../src/cli/beads/commands/list-query.js';
import { dialectFor } from '../../src/cli/dialect.js';
import { GravaError } from '../../src/errors/grava-error.js';
import type { Issue, IssueDetail } from '../../src/storage/issues/issue-types.js';

const codeOf = (f: () => unknown): string | undefined => {
  try { f(); return undefined; } catch (e) { return (e as GravaError).code; }
};

function issue(over: Partial<Issue> = {}): Issue {
  return {
    id: 'gr-a1b2', title: 'T', description: '', status: 'open', priority: 2, type: 'task', issue_type: 'task', assignee: null, labels: [],
    close_reason: null, created_at: '2026-01-01T00:00:00.000Z', created_by: 'alice', updated_at: '2026-01-02T00:00:00.000Z', closed_at: null,
    design: '', acceptance_criteria: '', notes: '', external_ref: null, estimated_minutes: null, due_at: null, defer_until: null, ...over,
  };
}

describe('beads flag values', () => {
  it('priorities: 0-4 and P0-P4 in either case; words are refused with the hint', () => {
    expect(['0', '4', 'P0', 'p3', ' P1 '].map(beadsPriority)).toEqual([0, 4, 0, 3, 1]);
    for (const bad of ['5', 'P5', 'high', '-1', '1.5', '']) {
      expect(codeOf(() => beadsPriority(bad))).toBe('GRAVA_E_INVALID');
    }
    expect(() => beadsPriority('high')).toThrow(/not words like high/);
  });

  it('comma lists from repeated flags', () => {
    expect(commaList(['a,b', ' c ', ',,d'])).toEqual(['a', 'b', 'c', 'd']);
    expect(commaList('open,in_progress')).toEqual(['open', 'in_progress']);
    expect(commaList(undefined)).toEqual([]);
  });

  it('type aliases map onto grava types', () => {
    expect(['Bug', 'enhancement', 'feat', 'task'].map(beadsType)).toEqual(['bug', 'feature', 'feature', 'task']);
  });

  it('--deps specs: plain and depends-on/blocked-by mean "the new issue depends on", blocks reverses', () => {
    expect(parseDep('gr-1')).toEqual({ from: 'new', to: 'gr-1', type: 'blocks' });
    expect(parseDep('blocked-by:gr-1')).toEqual({ from: 'new', to: 'gr-1', type: 'blocks' });
    expect(parseDep('discovered-from:gr-1')).toEqual({ from: 'new', to: 'gr-1', type: 'discovered-from' });
    expect(parseDep('blocks:gr-1')).toEqual({ from: 'gr-1', to: 'new', type: 'blocks' });
    expect(codeOf(() => parseDep('tracks:gr-1'))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => parseDep('related:'))).toBe('GRAVA_E_INVALID');
  });

  it('times: relative (m is months), dates at local midnight, ISO, and words', () => {
    const now = new Date(2026, 10, 26, 15, 30); // Thursday, local time
    expect(beadsTime('--due', '+6h', now)).toBe(new Date(2026, 10, 26, 21, 30).toISOString());
    expect(beadsTime('--due', '+1m', now)).toBe(new Date(2026, 11, 26, 15, 30).toISOString());
    expect(beadsTime('--due', '-2d', now)).toBe(new Date(2026, 10, 24, 15, 30).toISOString());
    expect(beadsTime('--due', '2026-12-01', now)).toBe(new Date(2026, 11, 1).toISOString());
    expect(beadsTime('--due', '2026-12-01T17:00:00Z', now)).toBe('2026-12-01T17:00:00.000Z');
    expect(beadsTime('--defer', 'tomorrow', now)).toBe(new Date(2026, 10, 27).toISOString());
    expect(beadsTime('--defer', 'next monday', now)).toBe(new Date(2026, 10, 30).toISOString());
    expect(beadsTime('--defer', 'thursday', now)).toBe(new Date(2026, 11, 3).toISOString());
    for (const bad of ['someday', '2026-02-30', '+6x', '']) expect(codeOf(() => beadsTime('--due', bad, now))).toBe('GRAVA_E_INVALID');
  });
});

describe('beads JSON', () => {
  it('issues use beads names and leave empty fields out; priority 0 stays', () => {
    const j = beadsIssue(issue({ priority: 0, notes: 'n', labels: ['x'], type: 'bug', issue_type: 'bug' }));
    expect(j).toEqual({ id: 'gr-a1b2', title: 'T', notes: 'n', status: 'open', priority: 0, issue_type: 'bug', created_at: '2026-01-01T00:00:00.000Z', created_by: 'alice', updated_at: '2026-01-02T00:00:00.000Z', labels: ['x'] });
    expect(j).not.toHaveProperty('type');
    expect(j).not.toHaveProperty('description');
  });

  it('details carry dependency_type, the parent and counts; comments and dependents only on request', () => {
    const ref = { id: 'gr-p', type: 'parent-child', title: 'P', status: 'open', priority: 1, issue_type: 'epic', assignee: null };
    const d: IssueDetail = { ...issue(), dependencies: [ref], dependents: [], comments: [{ id: 'cm-1', issue_id: 'gr-a1b2', author: 'a', body: 'hi', created_at: 'x' }] };
    const j = beadsDetail(d);
    expect(j).toMatchObject({ parent: 'gr-p', dependency_count: 1, dependent_count: 0, comment_count: 1, dependencies: [{ id: 'gr-p', dependency_type: 'parent-child' }] });
    expect(j).not.toHaveProperty('comments');
    expect(beadsDetail(d, { comments: true }).comments).toEqual([{ id: 'cm-1', issue_id: 'gr-a1b2', author: 'a', text: 'hi', created_at: 'x' }]);
  });

  it('objects get schema_version with sorted keys, arrays stay bare, BD_JSON_ENVELOPE=1 wraps both', () => {
    expect(JSON.parse(beadsJson({ b: 1, a: 2 }, {}))).toEqual({ a: 2, b: 1, schema_version: 1 });
    expect(Object.keys(JSON.parse(beadsJson({ b: 1, a: 2 }, {})) as object)).toEqual(['a', 'b', 'schema_version']);
    expect(JSON.parse(beadsJson([1], {}))).toEqual([1]);
    expect(JSON.parse(beadsJson([1], { BD_JSON_ENVELOPE: '1' }))).toEqual({ data: [1], schema_version: 1 });
    expect(JSON.parse(beadsJson({ a: 1 }, { BD_JSON_ENVELOPE: '1' }))).toEqual({ data: { a: 1 }, schema_version: 1 });
    expect(JSON.parse(beadsJson({ a: 1 }, { BD_JSON_ENVELOPE: 'true' }))).toEqual({ a: 1, schema_version: 1 });
  });
});

describe('messages and order', () => {
  it("commander's errors read as cobra's", () => {
    expect(cobraMessage("error: unknown option '--foo'")).toBe('unknown flag: --foo');
    expect(cobraMessage("error: unknown option '-z'")).toBe("unknown shorthand flag: 'z' in -z");
    expect(cobraMessage("error: unknown command 'lst'\n(Did you mean list?)")).toBe('unknown command "lst" for "bd" (did you mean "list"?) (run \'bd --help\' for usage)');
    expect(cobraMessage("error: option '--title <title>' argument missing")).toBe('flag needs an argument: --title');
  });

  it('sorting: priority ascending, dates newest first, --reverse flips; unknown fields refused', () => {
    const a = issue({ id: 'a', priority: 1, created_at: '2026-01-01' });
    const b = issue({ id: 'b', priority: 0, created_at: '2026-01-03' });
    const c = issue({ id: 'c', priority: 2, created_at: '2026-01-02' });
    expect(sortIssues([a, b, c], 'priority', false).map((i) => i.id)).toEqual(['b', 'a', 'c']);
    expect(sortIssues([a, b, c], 'created', false).map((i) => i.id)).toEqual(['b', 'c', 'a']);
    expect(sortIssues([a, b, c], 'created', true).map((i) => i.id)).toEqual(['a', 'c', 'b']);
    expect(codeOf(() => sortIssues([a], 'size', false))).toBe('GRAVA_E_INVALID');
  });
});

describe('choosing the dialect', () => {
  it('by the program name, with GRAVA_DIALECT overriding it', () => {
    expect(dialectFor('/usr/lib/node_modules/.bin/bd', {})).toBe('beads');
    expect(dialectFor('/x/bin/grava.js', {})).toBe('grava');
    expect(dialectFor('/x/grava', {})).toBe('grava');
    expect(dialectFor('/x/bd', { GRAVA_DIALECT: 'grava' })).toBe('grava');
    expect(dialectFor('/x/grava.js', { GRAVA_DIALECT: 'beads' })).toBe('beads');
    expect(dialectFor('/x/bd', { GRAVA_DIALECT: '' })).toBe('beads');
    expect(codeOf(() => dialectFor('/x/bd', { GRAVA_DIALECT: 'nope' }))).toBe('GRAVA_E_USAGE');
  });
});
