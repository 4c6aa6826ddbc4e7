import { describe, it, expect } from 'vitest';
import { decideClockedCell, decideImmutableCell, decideRow } from '../../src/merge/decide.js';
import { explainCell, explainRow, formatKey, formatValue } from '../../src/merge/explain.js';
import { encodeHlc } from '../../src/merge/hlc.js';
import { ISSUES, LABELS, type CellValue, type Row } from '../../src/merge/tables.js';

const T = 1_732_470_000_000;
const NOW = { now: T + 60_000 };
const s = (dt: number, counter: number, actor: string): string => encodeHlc({ wall: T + dt, counter, actor });
const KEY = { id: 'bd-1' };

function cell(value: CellValue, clock: string | null): Row {
  return { id: 'bd-1', title: value, title_clk: clock };
}

describe('formatValue / formatKey', () => {
  it('quotes strings, spells out null and absence, shortens long text', () => {
    expect(formatValue('a')).toBe('"a"');
    expect(formatValue(3)).toBe('3');
    expect(formatValue(null)).toBe('null');
    expect(formatValue(undefined)).toBe('(absent)');
    const long = formatValue('x'.repeat(100));
    expect(long.length).toBeLessThan(50);
    expect(long.endsWith('…"')).toBe(true);
  });

  it('names the table and every key column', () => {
    expect(formatKey('issues', KEY)).toBe('issues[id=bd-1]');
    expect(formatKey('labels', { issue_id: 'bd-1', label: 'ui' })).toBe('labels[issue_id=bd-1, label=ui]');
  });
});

describe('explainCell', () => {
  const base = cell('old', s(0, 0, 'alice'));

  it('newest-wins names both values, both stamps and the winner', () => {
    const d = decideClockedCell('title', base, cell('A', s(1, 0, 'alice')), cell('B', s(2, 0, 'bob')), NOW);
    expect(explainCell('issues', KEY, d)).toBe(
      `issues[id=bd-1].title: both sides changed it; theirs "B" (${s(2, 0, 'bob')}) is newer than ours "A" (${s(1, 0, 'alice')}), so theirs wins`,
    );
  });

  it('newest-wins decided by actor says so', () => {
    const d = decideClockedCell('title', base, cell('A', s(1, 4, 'carol')), cell('B', s(1, 4, 'bob')), NOW);
    expect(d.winner).toBe('ours');
    expect(explainCell('issues', KEY, d)).toBe(
      `issues[id=bd-1].title: both sides changed it; ours "A" (${s(1, 4, 'carol')}) has the greater stamp (same wall time and counter; actor carol > bob) than theirs "B" (${s(1, 4, 'bob')}), so ours wins`,
    );
  });

  it('one-sided change names the old and new value and stamps', () => {
    const d = decideClockedCell('title', base, base, cell('B', s(2, 0, 'bob')), NOW);
    expect(explainCell('issues', KEY, d)).toBe(`issues[id=bd-1].title: only theirs changed it: "old" → "B" (${s(0, 0, 'alice')} → ${s(2, 0, 'bob')}); theirs wins`);
    const o = decideClockedCell('title', base, cell('old', s(3, 0, 'alice')), base, NOW);
    expect(explainCell('issues', KEY, o)).toBe(`issues[id=bd-1].title: only ours rewrote it with the same value "old" (${s(0, 0, 'alice')} → ${s(3, 0, 'alice')}); ours wins`);
  });

  it('a one-sided insert says only that side has it', () => {
    const d = decideClockedCell('title', null, cell('new', s(1, 0, 'alice')), null, NOW);
    expect(explainCell('issues', KEY, d)).toBe(`issues[id=bd-1].title: only ours has it: "new" (${s(1, 0, 'alice')}); ours wins`);
  });

  it('clean cells: untouched, and the same value on both sides keeping the greater stamp', () => {
    expect(explainCell('issues', KEY, decideClockedCell('title', base, base, base, NOW))).toBe(`issues[id=bd-1].title: unchanged: "old" (${s(0, 0, 'alice')})`);
    const d = decideClockedCell('title', base, cell('X', s(1, 0, 'alice')), cell('X', s(2, 0, 'bob')), NOW);
    expect(explainCell('issues', KEY, d)).toBe(
      `issues[id=bd-1].title: both sides set it to "X"; clean, keeping the greater stamp ${s(2, 0, 'bob')} (theirs; ours had ${s(1, 0, 'alice')})`,
    );
    const same = decideClockedCell('title', base, cell('X', s(1, 0, 'alice')), cell('X', s(1, 0, 'alice')), NOW);
    expect(explainCell('issues', KEY, same)).toBe(`issues[id=bd-1].title: both sides set it to "X" with the same stamp ${s(1, 0, 'alice')}; clean`);
  });

  it('tie-break states the value order', () => {
    const st = s(1, 0, 'carol');
    const d = decideClockedCell('title', base, cell(7, st), cell('seven', st), NOW);
    expect(explainCell('issues', KEY, d)).toBe(`issues[id=bd-1].title: both sides changed it with the same stamp ${st}; "seven" orders after 7 (null < number < string), so theirs wins`);
  });

  it('clamped flags the stamp from a clock running ahead', () => {
    const far = encodeHlc({ wall: NOW.now + 3_600_000, counter: 0, actor: 'mallory' });
    const d = decideClockedCell('title', base, cell('A', far), cell('B', s(2, 0, 'bob')), NOW);
    const text = explainCell('issues', KEY, d);
    expect(text).toContain(`ours "A" (${far}) is newer than theirs "B" (${s(2, 0, 'bob')}), so ours wins`);
    expect(text).toContain('flagged: the winning stamp is beyond the drift bound');
  });

  it('immutable-min says the smaller value is kept', () => {
    const d = decideImmutableCell('created_by', null, { id: 'bd-1', created_by: 'bob' }, { id: 'bd-1', created_by: 'alice' });
    expect(explainCell('issues', KEY, d)).toBe(
      'issues[id=bd-1].created_by: write-once, inserted on both sides with different values; "alice" orders before "bob" (null < number < string), so theirs wins',
    );
  });
});

describe('explainRow', () => {
  function issue(over: Record<string, CellValue>): Row {
    const row: Record<string, CellValue> = { id: 'bd-1', created_at: s(0, 0, 'alice'), created_by: 'alice' };
    for (const c of ISSUES.clocked) {
      row[c] = c === 'deleted' || c === 'priority' ? 0 : c === 'assignee' || c === 'close_reason' ? null : `${c} v0`;
      row[`${c}_clk`] = s(0, 1, 'alice');
    }
    return { ...row, ...over };
  }

  it('heads with the row outcome and lists only touched cells', () => {
    const base = issue({});
    const ours = issue({ title: 'A', title_clk: s(1, 0, 'alice') });
    const theirs = issue({ title: 'B', title_clk: s(2, 0, 'bob'), status: 'closed', status_clk: s(2, 1, 'bob') });
    const lines = explainRow(decideRow(ISSUES, base, ours, theirs, NOW));
    // Every other cell of the row (clocked and immutable) is unchanged.
    expect(lines[0]).toBe(`issues[id=bd-1]: merged cell by cell: 2 changed (1 conflicting), ${ISSUES.clocked.length + ISSUES.immutable.length - 2} unchanged`);
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^issues\[id=bd-1\]\.title: both sides changed it; theirs "B" .* so theirs wins$/);
    expect(lines[2]).toMatch(/^issues\[id=bd-1\]\.status: only theirs changed it: "status v0" → "closed"/);
  });

  it('explains removal, absence and resurrection', () => {
    const base = issue({});
    expect(explainRow(decideRow(ISSUES, base, null, base, NOW))).toEqual(['issues[id=bd-1]: removed (hard delete) and not changed on the other side; stays removed']);
    expect(explainRow(decideRow(ISSUES, null, null, null, NOW))).toEqual(['issues[id=null]: absent on every side; nothing to merge']);
    const changed = issue({ title: 'kept', title_clk: s(5, 0, 'bob') });
    const lines = explainRow(decideRow(ISSUES, base, null, changed, NOW));
    expect(lines[0]).toBe('issues[id=bd-1]: removed on one side but changed on the other; the changed row is kept (resurrected)');
    expect(lines.slice(1)).toEqual([`issues[id=bd-1].title: only theirs changed it: "title v0" → "kept" (${s(0, 1, 'alice')} → ${s(5, 0, 'bob')}); theirs wins`]);
  });

  it('uses composite keys for set tables', () => {
    const label = (deleted: number, clk: string): Row => ({ issue_id: 'bd-1', label: 'ui', created_at: s(0, 0, 'alice'), created_by: 'alice', deleted, deleted_clk: clk });
    const lines = explainRow(decideRow(LABELS, label(0, s(0, 0, 'alice')), label(1, s(1, 0, 'alice')), label(0, s(2, 0, 'bob')), NOW));
    expect(lines[1]).toBe(
      `labels[issue_id=bd-1, label=ui].deleted: both sides changed it; theirs 0 (${s(2, 0, 'bob')}) is newer than ours 1 (${s(1, 0, 'alice')}), so theirs wins`,
    );
  });
});
