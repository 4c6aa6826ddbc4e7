// grava import: a validated issues.jsonl merged into the database in one
// transaction, cell by cell with the clocks it carries (the sync merge's own
// rule, src/merge/decide.ts, with no base: the newer stamp wins).

import { readFileSync } from 'node:fs';
import { decideRow } from '../merge/decide.js';
import { clockColumn, columnsOf, TABLES, type Row, type TableSpec } from '../merge/tables.js';
import { GravaError } from '../errors/grava-error.js';
import type { Clock } from '../storage/issues/clock-store.js';
import type { Db, Tx } from '../storage/dolt/db.js';
import { keyString, rowsAsOf, upsertRows } from '../storage/versioning/conflict-rows.js';
import { parseJsonl } from './jsonl-format.js';

export interface ImportResult {
  readonly path: string;
  readonly dry_run: boolean;
  /** Rows in the file, per table. */
  readonly rows_in_file: Readonly<Record<string, number>>;
  /** Rows the database did not have. */
  readonly rows_inserted: number;
  /** Rows the database had, where the file won at least one cell. */
  readonly rows_updated: number;
  /** Cells (clocked or write-once) whose value or clock came from the file into an existing row. */
  readonly cells_taken: number;
  readonly rows_unchanged: number;
}

function sameRow(spec: TableSpec, a: Row, b: Row): boolean {
  return columnsOf(spec).every((c) => (a[c] ?? null) === (b[c] ?? null));
}

/** Reads and validates a file; every problem, with its line number, in one GRAVA_E_IMPORT_INVALID. */
export function readImportFile(path: string, now: number): Map<string, Row[]> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GravaError('GRAVA_E_NOT_FOUND', `cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { path });
  }
  const parsed = parseJsonl(text, { now });
  if (parsed.problems.length > 0) {
    const total = parsed.problems.length + parsed.more;
    const shown = parsed.problems.slice(0, 10).map((p) => `line ${p.line}: ${p.message}`).join('; ');
    const rest = total > 10 ? `; and ${total - 10} more (all in --json${parsed.more > 0 ? `, up to ${parsed.problems.length}` : ''})` : '';
    throw new GravaError('GRAVA_E_IMPORT_INVALID', `${path}: ${total} problem${total > 1 ? 's' : ''}, nothing imported: ${shown}${rest}`,
      { path, problems: parsed.problems, more: parsed.more });
  }
  return parsed.rows as Map<string, Row[]>;
}

async function plan(db: Db | Tx, file: ReadonlyMap<string, Row[]>, now: number): Promise<{ writes: Map<TableSpec, Row[]>; inserted: number; updated: number; cells: number; unchanged: number }> {
  const writes = new Map<TableSpec, Row[]>();
  let inserted = 0;
  let updated = 0;
  let cells = 0;
  let unchanged = 0;
  for (const spec of TABLES) {
    const list = file.get(spec.name) ?? [];
    if (list.length === 0) continue;
    const existing = await rowsAsOf(db, spec, 'WORKING', list.map((r) => keyString(spec, r)));
    const out: Row[] = [];
    for (const theirs of list) {
      const ours = existing.get(keyString(spec, theirs)) ?? null;
      if (ours === null) { out.push(theirs); inserted++; continue; }
      const merged = decideRow(spec, null, ours, theirs, { now }).merged!;
      if (sameRow(spec, merged, ours)) { unchanged++; continue; }
      out.push(merged);
      updated++;
      cells += [...spec.immutable, ...spec.clocked].filter((c) => merged[c] !== ours[c] || (spec.clocked.includes(c) && merged[clockColumn(c)] !== ours[clockColumn(c)])).length;
    }
    if (out.length > 0) writes.set(spec, out);
  }
  return { writes, inserted, updated, cells, unchanged };
}

/**
 * Merges the file's rows into the working set in one transaction (or only
 * counts, with `dryRun`). The clock observes every stamp it takes in, so the
 * next local write is stamped after them.
 */
export async function importRows(db: Db, clock: Clock, path: string, file: ReadonlyMap<string, Row[]>, opts: { dryRun: boolean; now: number }): Promise<ImportResult> {
  const inFile = Object.fromEntries([...file].map(([t, r]) => [t, r.length]));
  const run = async (tx: Db | Tx): Promise<ImportResult> => {
    const p = await plan(tx, file, opts.now);
    if (!opts.dryRun) {
      // Issues first: dependencies refer to them.
      for (const spec of TABLES) {
        const rows = p.writes.get(spec);
        if (rows) await upsertRows(tx, spec, rows);
      }
    }
    return { path, dry_run: opts.dryRun, rows_in_file: inFile, rows_inserted: p.inserted, rows_updated: p.updated, cells_taken: p.cells, rows_unchanged: p.unchanged };
  };
  if (opts.dryRun) return run(db);
  await clock.refresh();
  const result = await db.transaction(async (tx) => {
    const r = await run(tx);
    const stamps: string[] = [];
    for (const [table, rows] of file) {
      const spec = TABLES.find((t) => t.name === table)!;
      for (const row of rows) for (const c of spec.clocked) { const s = row[clockColumn(c)]; if (typeof s === 'string') stamps.push(s); }
    }
    clock.observe(stamps);
    await clock.persist();
    return r;
  });
  return result;
}
