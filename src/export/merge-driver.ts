// The git merge driver for issues.jsonl: a three-way merge of base, ours and
// theirs with the sync merge's own cell rules (src/merge/decide.ts), so two
// clones that changed the same issue never get conflict markers and the
// result is what a Dolt sync would give. Pure: texts in, text out.

import { decideRow } from '../merge/decide.js';
import { TABLES, type Row } from '../merge/tables.js';
import { parseJsonl, serialise, sortKey, type Problem } from './jsonl-format.js';

export type DriverResult =
  | { readonly ok: true; readonly text: string; readonly rows: number; readonly cells_decided: number }
  | { readonly ok: false; readonly side: 'base' | 'ours' | 'theirs'; readonly problems: readonly Problem[] };

export function mergeJsonl(base: string, ours: string, theirs: string, now: number): DriverResult {
  // Stamps ahead of this machine's clock are merged as they are (the sync merge flags them; refusing would leave markers).
  const far = Number.MAX_SAFE_INTEGER / 2;
  const parsed = { base: parseJsonl(base, { now: far }), ours: parseJsonl(ours, { now: far }), theirs: parseJsonl(theirs, { now: far }) };
  for (const side of ['base', 'ours', 'theirs'] as const) {
    if (parsed[side].problems.length > 0) return { ok: false, side, problems: parsed[side].problems };
  }
  const out = new Map<string, Row[]>();
  let rows = 0;
  let cells = 0;
  for (const spec of TABLES) {
    const index = (list: readonly Row[] | undefined): Map<string, Row> => new Map((list ?? []).map((r) => [sortKey(spec, r), r]));
    const b = index(parsed.base.rows.get(spec.name));
    const o = index(parsed.ours.rows.get(spec.name));
    const t = index(parsed.theirs.rows.get(spec.name));
    const merged: Row[] = [];
    for (const key of new Set([...b.keys(), ...o.keys(), ...t.keys()])) {
      const d = decideRow(spec, b.get(key) ?? null, o.get(key) ?? null, t.get(key) ?? null, { now });
      if (d.merged === null) continue;
      merged.push(d.merged);
      rows++;
      cells += d.cells.filter((c) => c.winner !== 'base').length;
    }
    out.set(spec.name, merged);
  }
  return { ok: true, text: serialise(out), rows, cells_decided: cells };
}
