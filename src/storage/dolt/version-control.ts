// Dolt's version-control procedures, wrapped with grava's rules: never an
// empty commit, commits authored by the workspace's actor.

import { exec, rows, type Db, type Tx } from './db.js';

export function authorOf(actor: string): string {
  return `${actor} <${actor}@grava.invalid>`;
}

export async function isDirty(db: Db | Tx): Promise<boolean> {
  const r = await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dolt_status');
  return Number(r[0]?.n ?? 0) > 0;
}

/** Commits everything if the working set is dirty. Returns the hash, or null when there was nothing to commit. */
export async function commitAll(db: Db | Tx, message: string, actor: string): Promise<string | null> {
  if (!(await isDirty(db))) return null;
  const r = await rows<{ hash: string }>(db, "CALL DOLT_COMMIT('-Am', ?, '--author', ?)", [message, authorOf(actor)]);
  return r[0]?.hash ?? null;
}

export async function headHash(db: Db | Tx, ref = 'HEAD'): Promise<string> {
  const r = await rows<{ h: string }>(db, 'SELECT HASHOF(?) AS h', [ref]);
  return r[0]?.h ?? '';
}

export async function commitCount(db: Db | Tx): Promise<number> {
  const r = await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM dolt_log');
  return Number(r[0]?.n ?? 0);
}

export async function createBranch(db: Db | Tx, name: string, from?: string): Promise<void> {
  await exec(db, from ? 'CALL DOLT_BRANCH(?, ?)' : 'CALL DOLT_BRANCH(?)', from ? [name, from] : [name]);
}

/** A hash of the whole database, working set included (DOLT_HASHOF_DB: changes with any write, under 1 ms). */
export async function databaseHash(db: Db | Tx): Promise<string> {
  return (await rows<{ h: string }>(db, 'SELECT DOLT_HASHOF_DB() AS h'))[0]?.h ?? '';
}

/** The hashes of some tables, working set included (DOLT_HASHOF_TABLE): they change only when those tables do. */
export async function tablesHash(db: Db | Tx, tables: readonly string[]): Promise<string> {
  const cols = tables.map((_, n) => `DOLT_HASHOF_TABLE(?) AS h${n}`).join(', ');
  const r = (await rows<Record<string, string>>(db, `SELECT ${cols}`, tables))[0] ?? {};
  return tables.map((_, n) => r[`h${n}`] ?? '').join(':');
}
