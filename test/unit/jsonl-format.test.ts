// The issues.jsonl format, pure: deterministic bytes, a round trip over
// random rows, and every kind of bad input refused with its line number.

import fc from 'fast-check';
import stringify from 'fast-json-stable-stringify';
import { describe, expect, it } from 'vitest';
import { parseJsonl, rowLine, serialise } from '../../src/export/jsonl-format.js';
import { encodeHlc } from '../../src/merge/hlc.js';
import { ISSUES, LABELS, clockColumn, columnsOf, type Row } from '../../src/merge/tables.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const stamp = (wall: number, counter = 0, actor = 'alice'): string => encodeHlc({ wall, counter, actor });

function issue(id: string, over: Record<string, unknown> = {}): Row {
  const r: Record<string, unknown> = {
    id, created_at: '2026-11-01T00:00:00.000Z', created_by: 'alice', title: 'T', description: '', status: 'open', priority: 2, type: 'task',
    assignee: null, close_reason: null, deleted: 0, design: null, acceptance_criteria: null, notes: null, external_ref: null, estimated_minutes: null, due_at: null, defer_until: null,
  };
  for (const c of ISSUES.clocked) r[clockColumn(c)] = stamp(NOW - 1000);
  return { ...r, ...over } as Row;
}

describe('serialise', () => {
  it('sorts rows by table and key, gives stable key order, ends every line with \\n, and the same state gives the same bytes', () => {
    const a = serialise(new Map([['issues', [issue('gr-bbbb'), issue('gr-aaaa')]], ['labels', [{ issue_id: 'gr-aaaa', label: 'x', created_at: '2026-11-01T00:00:00.000Z', created_by: 'a', deleted: 0, deleted_clk: stamp(NOW) }]]]));
    const b = serialise(new Map([['labels', [{ deleted_clk: stamp(NOW), deleted: 0, created_by: 'a', created_at: '2026-11-01T00:00:00.000Z', label: 'x', issue_id: 'gr-aaaa' }]], ['issues', [issue('gr-aaaa'), issue('gr-bbbb')]]]));
    expect(a).toBe(b);
    const lines = a.split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toContain('"id":"gr-aaaa"');
    expect(lines[1]).toContain('"id":"gr-bbbb"');
    expect(lines[2]).toMatch(/^\{"created_at".*"table":"labels"\}$/);
    expect(a.charCodeAt(0)).not.toBe(0xfeff);
  });

  it('changing one cell of one issue changes exactly one line', () => {
    const before = serialise(new Map([['issues', [issue('gr-aaaa'), issue('gr-bbbb'), issue('gr-cccc')]]])).split('\n');
    const after = serialise(new Map([['issues', [issue('gr-aaaa'), issue('gr-bbbb', { title: 'new', title_clk: stamp(NOW) }), issue('gr-cccc')]]])).split('\n');
    expect(after.filter((l, i) => l !== before[i])).toHaveLength(1);
  });

  it('each line is exactly what fast-json-stable-stringify gives for the row (property)', () => {
    const cell = fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.constant(null), fc.string({ unit: 'binary', maxLength: 8 }));
    fc.assert(fc.property(fc.dictionary(fc.constantFrom(...columnsOf(ISSUES)), cell), (partial) => {
      const row = issue('gr-aaaa', partial);
      const o: Record<string, unknown> = { table: 'issues' };
      for (const c of columnsOf(ISSUES)) o[c] = row[c] ?? null;
      expect(rowLine(ISSUES, row)).toBe(stringify(o));
    }), { numRuns: 500 });
  });

  it('round-trips any rows through parse (property)', () => {
    const arbIssue = fc.record({
      id: fc.stringMatching(/^gr-[0-9a-z]{4,8}$/),
      title: fc.string({ minLength: 1, maxLength: 40 }),
      description: fc.string({ maxLength: 60 }),
      priority: fc.integer({ min: 0, max: 4 }),
      status: fc.constantFrom('open', 'in_progress', 'blocked', 'deferred', 'closed'),
      notes: fc.option(fc.string({ maxLength: 30 })),
      wall: fc.integer({ min: 1_600_000_000_000, max: NOW }),
    });
    fc.assert(fc.property(fc.uniqueArray(arbIssue, { selector: (x) => x.id, maxLength: 12 }), (xs) => {
      const rows = xs.map((x) => issue(x.id, { title: x.title, description: x.description, priority: x.priority, status: x.status, notes: x.notes, title_clk: stamp(x.wall) }));
      const text = serialise(new Map([['issues', rows]]));
      const parsed = parseJsonl(text, { now: NOW });
      expect(parsed.problems).toEqual([]);
      expect(serialise(parsed.rows)).toBe(text);
    }), { numRuns: 200 });
  });
});

describe('parseJsonl refuses bad input with line numbers', () => {
  const good = rowLine(ISSUES, issue('gr-aaaa'));
  const cases: [string, string, number, string][] = [
    ['a conflict marker', `${good}\n<<<<<<< HEAD\n`, 2, 'conflict_marker'],
    ['invalid JSON', `${good}\n{"table": "issues",\n`, 2, 'invalid_json'],
    ['a byte order mark', `\uFEFF${good}\n`, 1, 'bom'],
    ['a truncated last line', `${good}\n${good.slice(0, 30)}`, 2, 'truncated'],
    ['an unknown table', `${good}\n{"table":"users","id":"x"}\n`, 2, 'unknown_table'],
    ['an unknown field', `${good.replace('{', '{"color":"red",')}\n`, 1, 'unknown_field'],
    ['a missing field', `${good.replace('"title":"T",', '')}\n`, 1, 'missing_field'],
    ['a wrong type', `${good.replace('"priority":2', '"priority":"2"')}\n`, 1, 'invalid_value'],
    ['an invalid id', `${good.replace('"id":"gr-aaaa"', '"id":"not an id"')}\n`, 1, 'invalid_value'],
    ['an invalid status', `${good.replace('"status":"open"', '"status":"done"')}\n`, 1, 'invalid_value'],
    ['an invalid priority', `${good.replace('"priority":2', '"priority":9')}\n`, 1, 'invalid_value'],
    ['a stamp that does not parse', `${good.replace(/"title_clk":"[^"]+"/, '"title_clk":"yesterday"')}\n`, 1, 'invalid_value'],
    ['a stamp far in the future', `${good.replace(/"title_clk":"[^"]+"/, `"title_clk":"${stamp(NOW + 7 * 86_400_000)}"`)}\n`, 1, 'invalid_value'],
    ['a date far in the future', `${good.replace('"created_at":"2026-11-01T00:00:00.000Z"', '"created_at":"2099-01-01T00:00:00.000Z"')}\n`, 1, 'invalid_value'],
    ['a duplicate key', `${good}\n${good}\n`, 2, 'duplicate_key'],
    ['an empty line', `${good}\n\n${good.replace('gr-aaaa', 'gr-bbbb')}\n`, 2, 'empty_line'],
  ];
  it.each(cases)('%s', (_what, text, line, code) => {
    const r = parseJsonl(text, { now: NOW });
    expect(r.problems).toContainEqual(expect.objectContaining({ line, code }));
  });

  it('reports every problem, not only the first, up to a bound', () => {
    const lines = Array.from({ length: 80 }, (_, i) => (i % 2 === 0 ? `{"table":"nope${i}"}` : rowLine(ISSUES, issue(`gr-a${String(i).padStart(3, '0')}`))));
    const r = parseJsonl(`${lines.join('\n')}\n`, { now: NOW, maxProblems: 25 });
    expect(r.problems).toHaveLength(25);
    expect(r.more).toBe(15);
    expect(r.problems.map((p) => p.line).slice(0, 3)).toEqual([1, 3, 5]);
  });

  it('an empty file is valid and holds nothing', () => {
    const r = parseJsonl('', { now: NOW });
    expect(r.problems).toEqual([]);
    expect([...r.rows.values()].every((x) => x.length === 0)).toBe(true);
    expect(rowLine(LABELS, { issue_id: 'gr-aaaa', label: 'l', created_at: 'x', created_by: 'a', deleted: 0, deleted_clk: null })).toContain('"table":"labels"');
  });
});
