// The workspace clock survives losing its files (MERGE_SPEC §12): a lost or
// corrupt clock.json is recovered from this actor's own stamps in the
// database before a new stamp is issued, and a stored stamp that does not
// parse never lets an overwrite sort below it.

import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exec, rows } from '../../src/storage/dolt/db.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { openReplica } from '../../src/storage/replica.js';
import { cli, errorCode, newWorkspace, ok } from '../helpers/workspace.js';

const AHEAD = { GRAVA_CLOCK_SKEW_MS: '120000' };

async function sql<T>(ws: string, fn: (db: Parameters<typeof rows>[0]) => Promise<T>): Promise<T> {
  const r = await openReplica(workspacePaths(ws));
  try { return await fn(r.db); } finally { await r.close(); }
}
const maxAt = (ws: string): Promise<string> => sql(ws, async (db) => (await rows<{ m: string }>(db, 'SELECT MAX(at) AS m FROM events'))[0]!.m);
const newestAt = (ws: string, kind: string): Promise<string> => sql(ws, async (db) => (await rows<{ m: string }>(db, 'SELECT MAX(at) AS m FROM events WHERE kind = ?', [kind]))[0]!.m);

describe('a lost or corrupt clock file', () => {
  it.each([
    ['deleted', (p: string) => rmSync(p, { force: true })],
    ['corrupt', (p: string) => writeFileSync(p, '{"wall": not json')],
  ])('%s: the next stamp still comes after every stamp this actor issued', async (_how, damage) => {
    const ws = await newWorkspace(`clk-${_how}`);
    const x = (await ok(ws, ['create', 'Stamped two minutes ahead', '--json'], AHEAD)).json as { id: string };
    const before = await maxAt(ws);
    damage(join(ws, '.grava', 'clock.json'));
    rmSync(join(ws, '.grava', 'clock.daemon.json'), { force: true });
    // Now on the right time: without recovery, this comment would be stamped two minutes below the last one.
    await ok(ws, ['comment', x.id, 'after the loss']);
    expect(await newestAt(ws, 'commented') > before).toBe(true);
  });
});

describe('a stored stamp that does not parse', () => {
  it('an overwrite is refused when it would sort below it, and allowed (sorting above) otherwise', async () => {
    const ws = await newWorkspace('clk-garbage');
    const x = (await ok(ws, ['create', 'Corrupt clock', '--json'])).json as { id: string };
    await sql(ws, (db) => exec(db, "UPDATE issues SET title_clk = 'zzzz-not-a-stamp' WHERE id = ?", [x.id]));
    const r = await cli(ws, ['update', x.id, '--title', 'cannot beat it']);
    expect(errorCode(r)).toBe('GRAVA_E_STORAGE');
    expect(r.stderr).toMatch(/does not parse/);
    expect(((await ok(ws, ['show', x.id, '--json'])).json as { title: string }).title).toBe('Corrupt clock');
    await sql(ws, (db) => exec(db, "UPDATE issues SET title_clk = '0000-garbage' WHERE id = ?", [x.id]));
    await ok(ws, ['update', x.id, '--title', 'beats it']);
    const clk = await sql(ws, async (db) => (await rows<{ c: string }>(db, 'SELECT title_clk AS c FROM issues WHERE id = ?', [x.id]))[0]!.c);
    expect(clk > '0000-garbage').toBe(true);
  });
});
