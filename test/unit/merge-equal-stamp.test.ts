// Equal stamps on both sides with only one value change: the column-wise rule
// that keeps grava identical to Dolt's clean merge (docs/MERGE_SPEC.md §4.3).

import { describe, expect, it } from 'vitest';
import { decideRow } from '../../src/merge/decide.js';
import { ISSUES, clockColumn, type Row } from '../../src/merge/tables.js';

const S = (t: number, a: string): string => `${String(t).padStart(16, '0')}-000000-${a}`;

function row(title: string, stamp: string): Row {
  const r: Record<string, string | number | null> = { id: 'gr-1', created_at: 'c', created_by: 'x', title, description: '', status: 'open', priority: 2, type: 'task', assignee: null, close_reason: null, deleted: 0 };
  for (const c of ISSUES.clocked) r[clockColumn(c)] = S(1, 'base');
  r.title_clk = stamp;
  return r;
}

describe('equal stamps, one value change', () => {
  const base = row('a', S(1, 'base'));
  const ours = row('c', S(5, 'same'));
  const theirs = row('a', S(5, 'same'));

  it('takes the changed value, whichever side changed it', () => {
    for (const [o, t, winner] of [[ours, theirs, 'ours'], [theirs, ours, 'theirs']] as const) {
      const d = decideRow(ISSUES, base, o, t, { now: 0 });
      expect(d.merged?.title).toBe('c');
      expect(d.merged?.title_clk).toBe(S(5, 'same'));
      expect(d.cells.find((c) => c.column === 'title')).toMatchObject({ outcome: winner, winner, conflicting: false });
    }
  });

  it('is idempotent', () => {
    const merged = decideRow(ISSUES, base, ours, theirs, { now: 0 }).merged!;
    expect(decideRow(ISSUES, base, merged, ours, { now: 0 }).merged).toEqual(merged);
    expect(decideRow(ISSUES, base, merged, theirs, { now: 0 }).merged).toEqual(merged);
  });

  it('still tie-breaks when both changed the value', () => {
    const d = decideRow(ISSUES, base, row('b', S(5, 'same')), row('c', S(5, 'same')), { now: 0 });
    expect(d.cells.find((c) => c.column === 'title')).toMatchObject({ outcome: 'tie-break', value: 'c' });
  });
});
