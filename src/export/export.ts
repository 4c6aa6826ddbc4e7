// grava export: the whole database as issues.jsonl, written atomically.

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { fileStamp } from './file-stamp.js';
import { dirname, join } from 'node:path';
import { columnsOf, TABLES, type Row } from '../merge/tables.js';
import { rows, type Db, type Tx } from '../storage/dolt/db.js';
import { databaseHash, headHash, isDirty } from '../storage/dolt/version-control.js';
import { serialise } from './jsonl-format.js';

export interface ExportResult {
  readonly path: string;
  /** True when nothing changed since the export named by `unless`, and the file was left as it was. */
  readonly skipped: boolean;
  /** DOLT_HASHOF_DB at the export, and the file's stamp (fileStamp): pass both back as `unless` next time. */
  readonly db_hash: string;
  readonly file_stamp: string;
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

/**
 * Writes the export. With `unless` (the database hash and the file's sha256
 * recorded by the last export), nothing is read or written when neither has
 * changed since: the pre-commit hook's fast path.
 */
export async function exportTo(db: Db, path: string, unless?: { db_hash: string; file_stamp: string }): Promise<ExportResult> {
  if (unless) {
    const now = await databaseHash(db);
    if (now === unless.db_hash && fileStamp(path) === unless.file_stamp) return { path, skipped: true, db_hash: now, file_stamp: unless.file_stamp, dolt_commit: await headHash(db), dolt_dirty: await isDirty(db), rows: {}, bytes: 0 };
  }
  // One transaction: the rows, the hashes and the dirty flag describe the same state.
  const { all, head, dirty, hash } = await db.transaction(async (tx) => ({ all: await readAllRows(tx), head: await headHash(tx), dirty: await isDirty(tx), hash: await databaseHash(tx) }));
  const text = serialise(all);
  writeAtomically(path, text);
  return {
    path, skipped: false, db_hash: hash, file_stamp: fileStamp(path) ?? '', dolt_commit: head, dolt_dirty: dirty,
    rows: Object.fromEntries([...all].map(([t, r]) => [t, r.length])), bytes: Buffer.byteLength(text),
  };
}
