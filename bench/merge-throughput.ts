// Pure cell-resolution throughput: decideRow over many conflicting issue rows,
// all in memory. Target (docs/ARCHITECTURE.md): ≥ 1 M cells/s.
//
// Benchmarks may read the clock; src/merge may not. The `now` handed to the
// merge is a fixed value, so every run decides exactly the same cells.
//
// Use from a bench runner: `const r = await benchMergeThroughput()`.
// Run alone (after compiling to JS): `node merge-throughput.js` prints JSON.

import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { decideRow } from '../src/merge/decide.js';
import { encodeHlc } from '../src/merge/hlc.js';
import { ISSUES, clockColumn, type CellValue, type Row } from '../src/merge/tables.js';

export interface MergeThroughputOptions {
  /** Conflicting rows decided per run. Default 200,000. */
  readonly rows?: number;
  /** Timed runs; the median is reported. Default 7. */
  readonly runs?: number;
  /** Untimed runs first, so the JIT has settled. Default 2. */
  readonly warmups?: number;
}

export interface MergeThroughputResult {
  readonly name: 'merge-throughput';
  readonly rows: number;
  readonly cellsPerRow: number;
  /** Cells decided per run (rows × cells per row). */
  readonly cells: number;
  /** Cells per run where both sides changed the cell to different values. */
  readonly conflictingCells: number;
  readonly runs: number;
  readonly medianMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** cells / median run time. */
  readonly cellsPerSecond: number;
  readonly targetCellsPerSecond: number;
  readonly meetsTarget: boolean;
}

export const TARGET_CELLS_PER_SECOND = 1_000_000;

const T0 = 1_732_470_000_000;
const NOW = T0 + 10_000_000;

interface Triple {
  readonly base: Row;
  readonly ours: Row;
  readonly theirs: Row;
}

function stamp(wall: number, counter: number, actor: string): string {
  return encodeHlc({ wall, counter, actor });
}

/**
 * One base row and two edited copies. The mix covers every clocked outcome:
 * newest-wins both ways, same value on both sides, one-sided edits, identical
 * stamps (tie-break), untouched cells, and now and then a far-future stamp.
 */
function buildTriple(i: number): Triple {
  const id = `bd-${i.toString(36).padStart(6, '0')}`;
  const w = T0 + i;
  const base: Record<string, CellValue> = {
    id,
    created_at: stamp(w, 0, 'alice'),
    created_by: 'alice',
  };
  const values: Record<string, CellValue> = {
    title: `issue ${i}`,
    description: `description of issue ${i}`,
    status: 'open',
    priority: i % 5,
    type: 'task',
    assignee: null,
    close_reason: null,
    deleted: 0,
  };
  for (const c of ISSUES.clocked) {
    base[c] = values[c] ?? null;
    base[clockColumn(c)] = stamp(w, 1, 'alice');
  }
  const ours: Record<string, CellValue> = { ...base };
  const theirs: Record<string, CellValue> = { ...base };
  const later = w + 1000;
  // title: both change it; the newer side alternates (newest-wins).
  ours.title = `ours ${i}`;
  ours.title_clk = stamp(later + (i % 2), 0, 'alice');
  theirs.title = `theirs ${i}`;
  theirs.title_clk = stamp(later + ((i + 1) % 2), 0, 'bob');
  // status: both close it (same value, different stamps: clean, newer stamp kept).
  ours.status = 'closed';
  ours.status_clk = stamp(later, 2, 'alice');
  theirs.status = 'closed';
  theirs.status_clk = stamp(later, 3, 'bob');
  // priority: only ours; assignee: only theirs.
  ours.priority = (i + 1) % 5;
  ours.priority_clk = stamp(later, 4, 'alice');
  theirs.assignee = 'bob';
  theirs.assignee_clk = stamp(later, 4, 'bob');
  // description: both change it; the actor decides at equal (wall, counter).
  ours.description = `ours text ${i}`;
  ours.description_clk = stamp(later, 5, 'alice');
  theirs.description = `theirs text ${i}`;
  theirs.description_clk = stamp(later, 5, 'bob');
  // deleted vs close_reason: a tombstone on one side, an edit on the other.
  if (i % 4 === 0) {
    ours.deleted = 1;
    ours.deleted_clk = stamp(later, 6, 'alice');
    theirs.close_reason = 'done';
    theirs.close_reason_clk = stamp(later, 6, 'bob');
  }
  // type: every 16th row has identical stamps on both sides (tie-break);
  // every 100th has a stamp from a clock far ahead (clamped flag).
  if (i % 16 === 0) {
    const s = stamp(later, 7, 'carol');
    ours.type = 'bug';
    ours.type_clk = s;
    theirs.type = 'feature';
    theirs.type_clk = s;
  } else if (i % 100 === 1) {
    ours.type = 'bug';
    ours.type_clk = stamp(NOW + 10 * 365 * 24 * 3600 * 1000, 0, 'mallory');
    theirs.type = 'feature';
    theirs.type_clk = stamp(later, 7, 'bob');
  }
  return { base, ours, theirs };
}

function once(triples: readonly Triple[]): { ms: number; cells: number; conflicting: number } {
  let cells = 0;
  let conflicting = 0;
  const opts = { now: NOW };
  const start = performance.now();
  for (const t of triples) {
    const d = decideRow(ISSUES, t.base, t.ours, t.theirs, opts);
    for (const c of d.cells) if (c.conflicting) conflicting++;
    cells += d.cells.length;
  }
  const ms = performance.now() - start;
  return { ms, cells, conflicting };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function benchMergeThroughput(options: MergeThroughputOptions = {}): Promise<MergeThroughputResult> {
  const rows = options.rows ?? 200_000;
  const runs = Math.max(1, options.runs ?? 7);
  const warmups = options.warmups ?? 2;
  const triples = Array.from({ length: rows }, (_, i) => buildTriple(i));
  for (let i = 0; i < warmups; i++) once(triples);
  const times: number[] = [];
  let cells = 0;
  let conflicting = 0;
  for (let i = 0; i < runs; i++) {
    const r = once(triples);
    times.push(r.ms);
    cells = r.cells;
    conflicting = r.conflicting;
    // Yield between runs so a runner's timers and logs are not starved.
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const medianMs = median(times);
  const cellsPerSecond = Math.round(cells / (medianMs / 1000));
  return {
    name: 'merge-throughput',
    rows,
    cellsPerRow: ISSUES.clocked.length + ISSUES.immutable.length,
    cells,
    conflictingCells: conflicting,
    runs,
    medianMs,
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    cellsPerSecond,
    targetCellsPerSecond: TARGET_CELLS_PER_SECOND,
    meetsTarget: cellsPerSecond >= TARGET_CELLS_PER_SECOND,
  };
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const result = await benchMergeThroughput();
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}
