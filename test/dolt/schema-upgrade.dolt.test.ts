// A fleet upgrading from schema version 2 to 3 (the beads fields): the
// central still holds version 2, each workspace migrates itself when it
// opens, independently, and the two identical migrations merge; a cell
// added by the migration is merged newest-wins like any other, and
// merge-inspect explains a merge whose base predates the migration.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exec, openDb, rows } from '../../src/storage/dolt/db.js';
import { V3_ISSUE_CELLS } from '../../src/storage/issues/schema.js';
import { clockColumn } from '../../src/merge/tables.js';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

interface IssueJson { id: string; title: string; notes: string; design: string }

let central: Central;

async function clone(name: string): Promise<string> {
  const dir = testDir(name);
  await ok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  return dir;
}
const sync = async (ws: string): Promise<void> => { await ok(ws, ['sync', '--json'], central.env); };
const show = async (ws: string, id: string): Promise<IssueJson> => (await ok(ws, ['show', id, '--json'])).json as IssueJson;

beforeAll(async () => {
  central = await startCentral('upgrade-central');
});
afterAll(async () => {
  await central?.stop();
});

describe('upgrading a fleet from schema 2 to 3', () => {
  it('workspaces migrate independently, merge the same migration, and merge the new cells newest-wins', async () => {
    // An issue written before the upgrade, then the central taken back to schema version 2.
    const old = await clone('up-old');
    const y = (await ok(old, ['create', 'Written at version 2', '--json'])).json as IssueJson;
    await sync(old);
    const root = openDb({ host: '127.0.0.1', port: central.sqlPort, user: 'root', password: central.rootPassword }, 'grava', 1);
    try {
      const drops = V3_ISSUE_CELLS.flatMap((c) => [`DROP COLUMN \`${c}\``, `DROP COLUMN \`${clockColumn(c)}\``]).join(', ');
      await exec(root, `ALTER TABLE issues ${drops}`);
      await exec(root, 'DELETE FROM grava_migrations WHERE version = 3');
      await exec(root, "CALL DOLT_COMMIT('-Am', 'test: the central at schema version 2')");
      const cols = await rows<{ n: number }>(root, "SELECT COUNT(*) AS n FROM information_schema.columns WHERE table_schema = 'grava' AND table_name = 'issues' AND column_name = 'notes'");
      expect(Number(cols[0]?.n)).toBe(0);
    } finally {
      await root.destroy();
    }

    // Two agents clone version 2; each grava migrates its own replica to version 3.
    const a = await clone('up-a');
    const b = await clone('up-b');
    await ok(a, ['update', y.id, '--title', 'Title from A']);
    await ok(b, ['update', y.id, '--title', 'Title from B']);
    await sync(a);
    await sync(b);
    // B's sync merged A's migration commit into its own: the merge base predates both migrations.
    const explained = (await ok(b, ['merge-inspect', '--commit', 'HEAD', '--json'], central.env)).json as { rows: { table: string; key: string; column?: string }[] };
    expect(JSON.stringify(explained.rows)).toContain('Title from B');
    await sync(a);
    expect(await show(a, y.id)).toMatchObject({ title: 'Title from B' });

    // The new cells: both write the notes; the newer write wins on every replica.
    await ok(a, ['update', y.id, '--notes', 'notes from A', '--json']);
    await ok(b, ['update', y.id, '--notes', 'notes from B', '--design', 'design from B', '--json']);
    await sync(a);
    await sync(b);
    await sync(a);
    for (const ws of [a, b]) expect(await show(ws, y.id)).toMatchObject({ title: 'Title from B', notes: 'notes from B', design: 'design from B' });

    // One migration row, whatever order the replicas migrated in.
    const check = openDb({ host: '127.0.0.1', port: central.sqlPort, user: 'root', password: central.rootPassword }, 'grava', 1);
    try {
      const v = await rows<{ version: number }>(check, 'SELECT version FROM grava_migrations ORDER BY version');
      expect(v.map((r) => Number(r.version))).toEqual([1, 2, 3]);
      const notes = await rows<{ notes: string }>(check, 'SELECT notes FROM issues WHERE id = ?', [y.id]);
      expect(notes[0]?.notes).toBe('notes from B');
    } finally {
      await check.destroy();
    }
  });
});

describe('a central carrying a migration from the future', () => {
  it('a workspace whose grava is older refuses to merge with GRAVA_E_SCHEMA_NEWER, and changes and pushes nothing', async () => {
    const ws = await clone('older-grava');
    const mine = (await ok(ws, ['create', 'Written by the older grava', '--json'])).json as IssueJson;
    const root = openDb({ host: '127.0.0.1', port: central.sqlPort, user: 'root', password: central.rootPassword }, 'grava', 1);
    const centralHead = async (): Promise<string> => (await rows<{ h: string }>(root, "SELECT HASHOF('main') AS h"))[0]!.h;
    try {
      await exec(root, 'ALTER TABLE issues ADD COLUMN from_the_future TEXT NULL, ADD COLUMN from_the_future_clk VARCHAR(96) NULL');
      await exec(root, "INSERT INTO grava_migrations (version, name) VALUES (99, 'a migration from the future')");
      await exec(root, "CALL DOLT_COMMIT('-Am', 'test: schema version 99')");
      const before = await centralHead();
      const r = await cli(ws, ['sync', '--json'], central.env);
      expect(r.code).toBe(1);
      expect(errorCode(r)).toBe('GRAVA_E_SCHEMA_NEWER');
      expect(r.stderr).toMatch(/schema version 99, newer than this grava knows \(3\); upgrade grava/);
      expect(await centralHead()).toBe(before);
      // The local work is still there, unmerged and unpushed.
      expect((await ok(ws, ['show', mine.id, '--json'])).json).toMatchObject({ title: 'Written by the older grava' });
    } finally {
      await root.destroy();
    }
  });
});
