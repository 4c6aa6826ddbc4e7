// grava export: the whole database as issues.jsonl, written atomically.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { columnsOf, TABLES, type Row } from '../merge/tables.js';
import { rows, type Db, type Tx } from '../storage/dolt/db.js';
import { headHash, isDirty } from '../storage/dolt/version-control.js';
import { serialise } from './jsonl-format.js';

export interface ExportResult {
  readonly path: string;
  /** The Dolt commit the export was taken from, and whether uncommitted writes were in it too. */
  readonly dolt_commit: string;
  readonly dolt_dirty: boolean;
  /** Rows written per table. */
  readonly rows: Readonly<Record<string, number>>;
  readonly bytes: number;
}

/** Every row of every replicated table (tombstones and clocks included). */
export async function readAllRows(db: Db | Tx): Promise<Map<string, Row[]>> {
  const out = new Map<string, Row[]>();
  for (const spec of TABLES) {
    const cols = columnsOf(spec).map((c) => `\`${c}\``).join(', ');
    out.set(spec.name, await rows<Row>(db, `SELECT ${cols} FROM \`${spec.name}\``));
  }
  return out;
}

/** Writes `text` to `path` through a temporary file in the same directory and a rename. */
export function writeAtomically(path: string, text: string): void {
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.grava-tmp`);
  try {
    const fd = openSync(tmp, 'w', 0o644);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export async function exportTo(db: Db, path: string): Promise<ExportResult> {
  // One transaction: the rows, the head and the dirty flag describe the same state.
  const { all, head, dirty } = await db.transaction(async (tx) => ({ all: await readAllRows(tx), head: await headHash(tx), dirty: await isDirty(tx) }));
  const text = serialise(all);
  writeAtomically(path, text);
  return { path, dolt_commit: head, dolt_dirty: dirty, rows: Object.fromEntries([...all].map(([t, r]) => [t, r.length])), bytes: Buffer.byteLength(text) };
}
