// Reading and writing rows for the merge: Dolt's dolt_conflicts_<t> layout,
// AS OF reads, and batched upserts of merged rows.

import { columnsOf, type CellValue, type Row, type TableSpec } from '../../merge/tables.js';
import { exec, rows, type Db, type Tx } from '../dolt/db.js';

export interface ConflictRow {
  readonly id: string;
  readonly base: Row | null;
  readonly ours: Row | null;
  readonly theirs: Row | null;
}

function side(raw: Record<string, CellValue>, spec: TableSpec, prefix: string, diffType?: string): Row | null {
  if (diffType === 'removed') return null;
  const row: Record<string, CellValue> = {};
  for (const c of columnsOf(spec)) row[c] = raw[`${prefix}${c}`] ?? null;
  // A side without a primary key is a side where the row does not exist.
  return spec.pk.every((k) => row[k] === null) ? null : row;
}

export async function readConflicts(db: Db | Tx, spec: TableSpec): Promise<ConflictRow[]> {
  const raw = await rows<Record<string, CellValue>>(db, `SELECT * FROM \`dolt_conflicts_${spec.name}\``);
  return raw.map((r) => ({
    id: String(r.dolt_conflict_id),
    base: side(r, spec, 'base_'),
    ours: side(r, spec, 'our_', String(r.our_diff_type)),
    theirs: side(r, spec, 'their_', String(r.their_diff_type)),
  }));
}

const BATCH = 200;

/** Inserts or overwrites whole rows, in batches. */
export async function upsertRows(db: Db | Tx, spec: TableSpec, list: readonly Row[]): Promise<void> {
  const cols = columnsOf(spec);
  const nonKey = cols.filter((c) => !spec.pk.includes(c));
  for (let i = 0; i < list.length; i += BATCH) {
    const chunk = list.slice(i, i + BATCH);
    const values = chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ');
    const args = chunk.flatMap((r) => cols.map((c) => r[c] ?? null));
    await exec(db, `INSERT INTO \`${spec.name}\` (${cols.map((c) => `\`${c}\``).join(', ')}) VALUES ${values} ON DUPLICATE KEY UPDATE ${nonKey.map((c) => `\`${c}\` = VALUES(\`${c}\`)`).join(', ')}`, args);
  }
}

export async function deleteRows(db: Db | Tx, spec: TableSpec, keys: readonly Readonly<Record<string, CellValue>>[]): Promise<void> {
  for (const k of keys) {
    await exec(db, `DELETE FROM \`${spec.name}\` WHERE ${spec.pk.map((c) => `\`${c}\` = ?`).join(' AND ')}`, spec.pk.map((c) => k[c] ?? null));
  }
}

export function keyString(spec: TableSpec, row: Readonly<Record<string, CellValue>>): string {
  return JSON.stringify(spec.pk.map((k) => row[k] ?? null));
}

/**
 * Rows of `spec` at a commit, by primary key. `SELECT *`, not the spec's
 * columns: a commit from before a migration lacks the newer columns, which
 * read as NULL (the value they had before they existed).
 */
export async function rowsAsOf(db: Db | Tx, spec: TableSpec, commit: string, keys: readonly string[]): Promise<Map<string, Row>> {
  const out = new Map<string, Row>();
  const cols = '*';
  for (let i = 0; i < keys.length; i += BATCH) {
    const chunk = keys.slice(i, i + BATCH).map((k) => JSON.parse(k) as CellValue[]);
    const where = chunk.map(() => `(${spec.pk.map((c) => `\`${c}\` = ?`).join(' AND ')})`).join(' OR ');
    // 'WORKING' is the working set: the table as it is now, uncommitted writes included.
    const r = commit === 'WORKING'
      ? await rows<Record<string, CellValue>>(db, `SELECT ${cols} FROM \`${spec.name}\` WHERE ${where}`, chunk.flat())
      : await rows<Record<string, CellValue>>(db, `SELECT ${cols} FROM \`${spec.name}\` AS OF ? WHERE ${where}`, [commit, ...chunk.flat()]);
    for (const raw of r) {
      const row: Record<string, CellValue> = {};
      for (const c of columnsOf(spec)) row[c] = raw[c] ?? null;
      out.set(keyString(spec, row), row);
    }
  }
  return out;
}

/** Primary keys of rows that differ between two commits. */
export async function changedKeys(db: Db | Tx, spec: TableSpec, from: string, to: string): Promise<Set<string>> {
  const sel = spec.pk.map((c) => `to_${c} AS \`t_${c}\`, from_${c} AS \`f_${c}\``).join(', ');
  const r = await rows<Record<string, CellValue>>(db, `SELECT ${sel} FROM dolt_diff(?, ?, ?)`, [from, to, spec.name]);
  const out = new Set<string>();
  for (const row of r) {
    const to_ = spec.pk.map((c) => row[`t_${c}`] ?? null);
    const from_ = spec.pk.map((c) => row[`f_${c}`] ?? null);
    out.add(JSON.stringify(to_.every((v) => v === null) ? from_ : to_));
  }
  return out;
}

/**
 * Every clock stamp in the rows that changed between two commits (the cells
 * a pull brought in, merged or fast-forwarded), for the local clock to
 * observe. Columns a side's schema lacks are skipped (`SELECT *`).
 */
export async function stampsBetween(db: Db | Tx, specs: readonly TableSpec[], from: string, to: string): Promise<string[]> {
  const read = async (spec: TableSpec): Promise<string[]> => {
    const clocks = spec.appendOnly ? (spec.name === 'events' ? ['at'] : []) : spec.clocked.map((c) => `${c}_clk`);
    if (clocks.length === 0) return [];
    // Only the stamp columns: the rows' other cells are not read (names from the schema's own specs).
    const r = await rows<Record<string, CellValue>>(db, `SELECT ${clocks.map((c) => `\`to_${c}\``).join(', ')} FROM dolt_diff(?, ?, ?) WHERE diff_type <> 'removed'`, [from, to, spec.name]);
    const out: string[] = [];
    for (const row of r) for (const c of clocks) { const v = row[`to_${c}`]; if (typeof v === 'string') out.push(v); }
    return out;
  };
  // Only the tables whose data changed between the two commits (one summary instead of a diff per table:
  // a typical pull touches issues and events, and each dolt_diff costs a few ms even when empty).
  const changed = new Set((await rows<{ to_table_name: string | null; data_change: number | boolean }>(db,
    'SELECT to_table_name, data_change FROM dolt_diff_summary(?, ?)', [from, to])).filter((t) => Boolean(Number(t.data_change))).map((t) => t.to_table_name));
  const wanted = specs.filter((spec) => changed.has(spec.name));
  // On a pool the tables are read side by side; a transaction has one connection, so one after another.
  if ('isTransaction' in db && db.isTransaction) {
    const out: string[] = [];
    for (const spec of wanted) out.push(...(await read(spec)));
    return out;
  }
  return (await Promise.all(wanted.map(read))).flat();
}
