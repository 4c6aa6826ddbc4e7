// The issues.jsonl merge driver, pure: three texts in, one text out, with
// the sync merge's cell rule. Properties over random edits of shared issues.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mergeJsonl } from '../../src/export/merge-driver.js';
import { parseJsonl, serialise } from '../../src/export/jsonl-format.js';
import { decideRow } from '../../src/merge/decide.js';
import { encodeHlc } from '../../src/merge/hlc.js';
import { ISSUES, clockColumn, type Row } from '../../src/merge/tables.js';

const NOW = Date.parse('2026-11-26T12:00:00Z');
const stamp = (wall: number, actor: string): string => encodeHlc({ wall, counter: 0, actor });

function issue(id: string, over: Record<string, unknown> = {}): Row {
  const r: Record<string, unknown> = {
    id, created_at: '2026-11-01T00:00:00.000Z', created_by: 'alice', title: 'T', description: '', status: 'open', priority: 2, type: 'task',
    assignee: null, close_reason: null, deleted: 0, design: null, acceptance_criteria: null, notes: null, external_ref: null, estimated_minutes: null, due_at: null, defer_until: null,
  };
  for (const c of ISSUES.clocked) r[clockColumn(c)] = stamp(NOW - 100_000, 'base');
  return { ...r, ...over } as Row;
}
const file = (rows: Row[]): string => serialise(new Map([['issues', rows]]));

describe('mergeJsonl', () => {
  it('different cells of one issue: both edits survive; the same cell: the newer stamp wins', () => {
    const base = file([issue('gr-aaaa')]);
    const ours = file([issue('gr-aaaa', { title: 'ours', title_clk: stamp(NOW - 10, 'a'), priority: 1, priority_clk: stamp(NOW - 5, 'a') })]);
    const theirs = file([issue('gr-aaaa', { description: 'theirs', description_clk: stamp(NOW - 20, 'b'), priority: 3, priority_clk: stamp(NOW - 1, 'b') })]);
    const r = mergeJsonl(base, ours, theirs, NOW);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const merged = parseJsonl(r.text, { now: NOW }).rows.get('issues')![0]!;
    expect(merged).toMatchObject({ title: 'ours', description: 'theirs', priority: 3 });
    expect(r.text).not.toMatch(/^(<{7}|={7}|>{7})/m);
  });

  it('rows added on either side are kept; the result is sorted and valid', () => {
    const r = mergeJsonl(file([]), file([issue('gr-bbbb')]), file([issue('gr-aaaa')]), NOW);
    expect(r.ok && r.text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { id: string }).id)).toEqual(['gr-aaaa', 'gr-bbbb']);
  });

  it('an invalid side is reported, not merged (git then leaves the file to the user)', () => {
    const r = mergeJsonl(file([issue('gr-aaaa')]), '<<<<<<< HEAD\n', file([]), NOW);
    expect(r).toMatchObject({ ok: false, side: 'ours' });
  });

  it('is the sync merge: every row equals decideRow on the same sides, and swapping ours and theirs changes nothing (property)', () => {
    const edit = fc.record({
      title: fc.option(fc.string({ maxLength: 8 }), { nil: undefined }),
      priority: fc.option(fc.integer({ min: 0, max: 4 }), { nil: undefined }),
      wall: fc.integer({ min: NOW - 50_000, max: NOW }),
    });
    const side = (ids: string[], edits: ({ title?: string | undefined; priority?: number | undefined; wall: number } | null)[], actor: string): Row[] =>
      ids.map((id, i) => {
        const e = edits[i];
        if (!e) return issue(id);
        const over: Record<string, unknown> = {};
        if (e.title !== undefined) { over.title = e.title; over.title_clk = stamp(e.wall, actor); }
        if (e.priority !== undefined) { over.priority = e.priority; over.priority_clk = stamp(e.wall, actor); }
        return issue(id, over);
      });
    fc.assert(fc.property(fc.array(fc.option(edit, { nil: null }), { minLength: 3, maxLength: 3 }), fc.array(fc.option(edit, { nil: null }), { minLength: 3, maxLength: 3 }), (eo, et) => {
      const ids = ['gr-aaaa', 'gr-bbbb', 'gr-cccc'];
      const b = side(ids, [null, null, null], 'base');
      const o = side(ids, eo, 'alice');
      const t = side(ids, et, 'bob');
      const r1 = mergeJsonl(file(b), file(o), file(t), NOW);
      const r2 = mergeJsonl(file(b), file(t), file(o), NOW);
      if (!r1.ok || !r2.ok) throw new Error('merge refused');
      expect(r1.text).toBe(r2.text);
      const expected = file(ids.map((_, i) => decideRow(ISSUES, b[i]!, o[i]!, t[i]!, { now: NOW }).merged!));
      expect(r1.text).toBe(expected);
    }), { numRuns: 300 });
  });
});
