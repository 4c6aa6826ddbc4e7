// Connections to a Dolt sql-server through knex + mysql2. knex lives only in
// src/storage; other layers see the repositories and procedures built on it.

import knexFactory, { type Knex } from 'knex';
import { GravaError } from '../../errors/grava-error.js';
import type { ConnectionTarget } from './dolt-server.js';

export type Db = Knex;
export type Tx = Knex.Transaction;

export function openDb(target: ConnectionTarget, database?: string, poolMax = 4): Db {
  return knexFactory({
    client: 'mysql2',
    connection: {
      ...target,
      ...(database ? { database } : {}),
      charset: 'utf8mb4',
      supportBigNumbers: true,
      bigNumberStrings: false,
      dateStrings: true,
      multipleStatements: false,
    },
    pool: { min: 0, max: poolMax },
    acquireConnectionTimeout: 30_000,
  });
}

/** Rows of a raw query (mysql2 returns [rows, fields]). */
export async function rows<T>(db: Db | Tx, sql: string, bindings: readonly unknown[] = []): Promise<T[]> {
  const res = (await db.raw(sql, bindings as Knex.RawBinding[])) as unknown as [T[] | T[][], unknown];
  const r = res[0];
  // A CALL returns [[rows], okPacket].
  return (Array.isArray(r) && Array.isArray(r[0]) ? r[0] : r) as T[];
}

/**
 * Commits a transaction opened with `db.transaction()` (no callback) and
 * fails when the COMMIT fails: knex settles `commit()` either way and
 * reports a failed COMMIT (Dolt's 1213 when another connection committed a
 * conflicting write first) only on `executionPromise`.
 */
export async function commitTx(tx: Tx): Promise<void> {
  await tx.commit();
  await tx.executionPromise;
}

export async function exec(db: Db | Tx, sql: string, bindings: readonly unknown[] = []): Promise<{ affectedRows: number }> {
  const res = (await db.raw(sql, bindings as Knex.RawBinding[])) as unknown as [{ affectedRows?: number }, unknown];
  return { affectedRows: res[0]?.affectedRows ?? 0 };
}

/** Maps a driver error to a GravaError, keeping Dolt's message (which never holds our secrets). */
export function storageError(e: unknown, what: string): GravaError {
  if (e instanceof GravaError) return e;
  // knex prefixes the SQL with its bound values (user text) to the message;
  // mysql2's sqlMessage is the server's own text.
  const raw = (e as { sqlMessage?: string }).sqlMessage ?? (e instanceof Error ? e.message : String(e));
  const line = raw.split('\n')[0] ?? raw;
  return new GravaError('GRAVA_E_STORAGE', `${what}: ${line.length > 300 ? `${line.slice(0, 300)}...` : line}`, undefined, { cause: e });
}

