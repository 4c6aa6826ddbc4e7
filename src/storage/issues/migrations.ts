// Versioned migrations, recorded in the database itself. Applying pending
// migrations makes one Dolt commit; when nothing is pending, no commit.

import { GravaError } from '../../errors/grava-error.js';
import { exec, rows, storageError, type Db } from '../dolt/db.js';
import { MIGRATIONS, MIGRATIONS_TABLE, type Migration } from './schema.js';
import { commitAll } from '../dolt/version-control.js';

export interface MigrationResult {
  readonly applied: readonly number[];
  readonly version: number;
  readonly commit: string | null;
}

async function tableExists(db: Db, name: string): Promise<boolean> {
  const r = await rows<{ n: number }>(db, 'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?', [name]);
  return Number(r[0]?.n ?? 0) > 0;
}

export async function schemaVersion(db: Db): Promise<number> {
  if (!(await tableExists(db, MIGRATIONS_TABLE))) return 0;
  const r = await rows<{ v: number | null }>(db, `SELECT MAX(version) AS v FROM ${MIGRATIONS_TABLE}`);
  return Number(r[0]?.v ?? 0);
}

export async function migrate(db: Db, actor: string, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationResult> {
  try {
    if (!(await tableExists(db, MIGRATIONS_TABLE))) {
      // No clocks or timestamps here: two replicas that apply the same migration write identical rows.
      await exec(db, `CREATE TABLE ${MIGRATIONS_TABLE} (version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL)`);
    }
    const current = await schemaVersion(db);
    const latest = migrations.at(-1)?.version ?? 0;
    if (current > latest) {
      throw new GravaError('GRAVA_E_STORAGE', `the database is at schema version ${current}, newer than this grava (${latest}); upgrade grava`);
    }
    const applied: number[] = [];
    for (const m of migrations.filter((x) => x.version > current)) {
      for (const s of m.statements) await exec(db, s);
      await exec(db, `INSERT INTO ${MIGRATIONS_TABLE} (version, name) VALUES (?, ?)`, [m.version, m.name]);
      applied.push(m.version);
    }
    const commit = applied.length > 0 ? await commitAll(db, `grava: migrate schema to version ${latest}`, actor) : null;
    return { applied, version: Math.max(current, latest), commit };
  } catch (e) {
    throw storageError(e, 'migration failed');
  }
}
