// grava export / import against real Dolt: deterministic bytes, a recovery
// that round-trips byte for byte, newest-wins merging of a file, and bad
// files refused with their line numbers and nothing written.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, errorCode, newWorkspace, ok, testDir } from '../helpers/workspace.js';

interface ImportJson { rows_inserted: number; rows_updated: number; cells_taken: number; rows_unchanged: number; dry_run: boolean }

let ws: string;
const exportTo = async (dir: string, file: string): Promise<string> => {
  await ok(dir, ['export', '-o', file, '--json']);
  return readFileSync(file, 'utf8');
};

beforeAll(async () => {
  ws = await newWorkspace('exp');
  const a = (await ok(ws, ['create', 'First', '-p', '1', '--label', 'web', '--notes', 'n1', '--json'])).json as { id: string };
  const b = (await ok(ws, ['create', 'Second', '--json'])).json as { id: string };
  await ok(ws, ['dep', 'add', b.id, a.id]);
  await ok(ws, ['comment', a.id, 'a comment\nwith two lines']);
  await ok(ws, ['close', b.id, '--reason', 'done']);
  const c = (await ok(ws, ['create', 'Deleted', '--json'])).json as { id: string };
  await ok(ws, ['delete', c.id]);
});

describe('grava export', () => {
  it('writes every table, tombstones and clocks included, one object per line with its table', async () => {
    const text = await exportTo(ws, join(ws, 'out.jsonl'));
    const rows = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const tables = new Set(rows.map((r) => r.table));
    expect([...tables].sort()).toEqual(['comments', 'dependencies', 'events', 'issues', 'labels']);
    expect(rows.filter((r) => r.table === 'issues' && r.deleted === 1)).toHaveLength(1);
    expect(rows.find((r) => r.table === 'issues' && r.title === 'First')).toMatchObject({ notes: 'n1', priority: 1 });
    expect(Object.keys(rows[0]!)).toContain('title_clk');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('the same state gives the same bytes, and the default file is issues.jsonl at the git root', async () => {
    const repo = testDir('exp-git');
    execFileSync('git', ['init', '-q'], { cwd: repo });
    const inner = join(repo, 'sub');
    mkdirSync(inner);
    await ok(inner, ['init', '--actor', 'g']);
    await ok(inner, ['create', 'In git', '--json']);
    const r = (await ok(inner, ['export', '--json'])).json as { path: string; rows: Record<string, number> };
    expect(r.path).toBe(join(repo, 'issues.jsonl'));
    const first = readFileSync(r.path, 'utf8');
    await ok(inner, ['export']);
    expect(readFileSync(r.path, 'utf8')).toBe(first);
  });
});

describe('grava import', () => {
  it('importing the file just exported changes nothing', async () => {
    const file = join(ws, 'same.jsonl');
    const before = await exportTo(ws, file);
    const r = (await ok(ws, ['import', '-i', file, '--json'])).json as ImportJson;
    expect(r).toMatchObject({ rows_inserted: 0, rows_updated: 0, cells_taken: 0 });
    expect(r.rows_unchanged).toBeGreaterThan(5);
    expect(await exportTo(ws, join(ws, 'same2.jsonl'))).toBe(before);
  });

  it('recovery: a new workspace importing the export holds the same data and exports the same bytes', async () => {
    const file = join(ws, 'backup.jsonl');
    const original = await exportTo(ws, file);
    const fresh = await newWorkspace('exp-recovered');
    const r = (await ok(fresh, ['import', '-i', file, '--json'])).json as ImportJson;
    expect(r.rows_inserted).toBe(original.trimEnd().split('\n').length);
    expect(await exportTo(fresh, join(fresh, 'again.jsonl'))).toBe(original);
    const list = (await ok(fresh, ['list', '--json'])).json as { title: string }[];
    expect(list.map((i) => i.title).sort()).toEqual(['First', 'Second']);
  });

  it('merges cell by cell: the newer stamp wins on each side, whichever replica made it', async () => {
    const file = join(ws, 'base.jsonl');
    await exportTo(ws, file);
    const other = await newWorkspace('exp-other');
    await ok(other, ['import', '-i', file]);
    const first = ((await ok(other, ['list', '--json'])).json as { id: string; title: string }[]).find((i) => i.title === 'First')!;
    // The other replica edits the title; this one edits the description later.
    await ok(other, ['update', first.id, '--title', 'First, renamed elsewhere']);
    const theirs = join(ws, 'theirs.jsonl');
    await exportTo(other, theirs);
    await ok(ws, ['update', first.id, '--description', 'described here']);
    const dry = (await ok(ws, ['import', '-i', theirs, '--dry-run', '--json'])).json as ImportJson;
    expect(dry).toMatchObject({ dry_run: true, rows_updated: 1, cells_taken: 1 });
    expect(((await ok(ws, ['show', first.id, '--json'])).json as { title: string }).title).toBe('First');
    const r = (await ok(ws, ['import', '-i', theirs, '--json'])).json as ImportJson;
    expect(r).toMatchObject({ rows_updated: 1, cells_taken: 1 });
    expect((await ok(ws, ['show', first.id, '--json'])).json).toMatchObject({ title: 'First, renamed elsewhere', description: 'described here' });
    // A write after the import is stamped after the imported cells, so it wins.
    await ok(ws, ['update', first.id, '--title', 'Mine again']);
    await ok(ws, ['import', '-i', theirs]);
    expect((await ok(ws, ['show', first.id, '--json'])).json).toMatchObject({ title: 'Mine again' });
  });

  it('a bad file is refused with every problem and its line number, and nothing is written', async () => {
    const good = (await exportTo(ws, join(ws, 'good.jsonl'))).trimEnd().split('\n');
    const lines = [...good];
    lines[1] = '<<<<<<< HEAD';
    lines[2] = lines[2]!.replace(/"status":"\w+"/, '"status":"done"');
    const bad = join(ws, 'bad.jsonl');
    writeFileSync(bad, `${lines.join('\n')}\n{"table":"issues"`);
    const before = await exportTo(ws, join(ws, 'before.jsonl'));
    const r = await cli(ws, ['import', '-i', bad, '--json']);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('GRAVA_E_IMPORT_INVALID');
    const problems = (r.json as { error: { data: { problems: { line: number; code: string }[] } } }).error.data.problems;
    expect(problems.map((p) => p.line)).toEqual(expect.arrayContaining([2, 3, lines.length + 1]));
    expect(problems.find((p) => p.line === 2)?.code).toBe('conflict_marker');
    expect(r.stderr).toMatch(/line 2: a git conflict marker/);
    expect(await exportTo(ws, join(ws, 'after.jsonl'))).toBe(before);
  });

  it('a missing file is a clear error', async () => {
    const r = await cli(ws, ['import', '-i', join(ws, 'nope.jsonl')]);
    expect(errorCode(r)).toBe('GRAVA_E_NOT_FOUND');
    expect(r.stderr).toContain('nope.jsonl');
  });
});
