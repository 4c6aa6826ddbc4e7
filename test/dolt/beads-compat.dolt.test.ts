// The bd face against real Dolt, driven by the table in test/beads/compat.json
// (each row: a bd command line as beads documents it, the state it starts
// from, what must hold afterwards). The program is started as `bd` through a
// symlink, the way npm installs it, and goes through the workspace daemon.
// scripts/bd-differential.mjs runs the same rows against beads 1.0.5.

import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRow, type Bd, type BdResult, type CompatRow } from '../../scripts/bd-compat-runner.mjs';
import { testDir } from '../helpers/workspace.js';

const BIN = new URL('../../bin/grava.js', import.meta.url).pathname;
const ROWS = JSON.parse(readFileSync(new URL('../beads/compat.json', import.meta.url), 'utf8')) as CompatRow[];
const ACTOR = 'agent1';

let ws: string;
let bdPath: string;

function runProgram(program: string, cwd: string, args: readonly string[], opts: { stdin?: string | undefined; env?: Record<string, string | undefined> | undefined } = {}): Promise<BdResult> {
  return new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
    delete env.GRAVA_NO_DAEMON;
    if (opts.env && 'GRAVA_DIALECT' in opts.env) env.GRAVA_DIALECT = opts.env.GRAVA_DIALECT; else delete env.GRAVA_DIALECT;
    const child = spawn(process.execPath, [program, ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(opts.stdin ?? '');
  });
}

const bd: Bd = (args, opts) => runProgram(bdPath, ws, args, opts);

beforeAll(async () => {
  const dir = testDir('beads');
  bdPath = join(dir, 'bd');
  symlinkSync(BIN, bdPath);
  ws = join(dir, 'ws');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(ws);
  const r = await runProgram(bdPath, ws, ['init', '--prefix', 'test', '--actor', ACTOR]);
  if (r.code !== 0) throw new Error(`bd init failed: ${r.stderr}`);
});

afterAll(async () => {
  await runProgram(BIN, ws, ['daemon', 'stop']);
});

describe('bd commands as beads documents them (test/beads/compat.json)', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', async (_name, row) => {
    const { failures } = await runRow(bd, row, ACTOR);
    expect(failures).toEqual([]);
  });
});

describe('choosing the face', () => {
  it('GRAVA_DIALECT=beads makes grava speak beads, and =grava makes bd speak grava', async () => {
    const created = await runProgram(BIN, ws, ['create', 'Dialect check', '--json'], { env: { GRAVA_DIALECT: 'beads' } });
    expect(created.code).toBe(0);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    const asBeads = await runProgram(BIN, ws, ['show', id, '--json'], { env: { GRAVA_DIALECT: 'beads' } });
    expect(Array.isArray(JSON.parse(asBeads.stdout))).toBe(true);
    const asGrava = await runProgram(bdPath, ws, ['show', id, '--json'], { env: { GRAVA_DIALECT: 'grava' } });
    const g = JSON.parse(asGrava.stdout) as Record<string, unknown>;
    expect(Array.isArray(g)).toBe(false);
    // The grava face keeps its contract and gains beads' names beside its own.
    expect(g).toMatchObject({ id, type: 'task', issue_type: 'task', closed_at: null });
  });

  it('an unknown GRAVA_DIALECT is a usage error (exit 2) that runs nothing', async () => {
    const r = await runProgram(bdPath, ws, ['create', 'Never made', '--json'], { env: { GRAVA_DIALECT: 'klingon' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^GRAVA_E_USAGE: GRAVA_DIALECT must be beads or grava/);
    const search = await bd(['search', 'Never made', '--json'], {});
    expect(JSON.parse(search.stdout)).toEqual([]);
  });
});

describe('bad input through the dialect writes nothing', () => {
  const cases: [string, string[], RegExp][] = [
    ['an unknown flag', ['create', 'Bad one', '--frobnicate', 'x', '--json'], /^Error: unknown flag: --frobnicate/],
    ['a bad priority', ['create', 'Bad one', '-p', 'P9', '--json'], /invalid priority "P9"/],
    ['an unknown dependency', ['create', 'Bad one', '--deps', 'discovered-from:test-zzzzzz', '--json'], /no issue found matching "test-zzzzzz"/],
    ['a beads feature out of scope', ['create', 'Bad one', '--ephemeral', '--json'], /'bd create --ephemeral' is not supported by grava/],
    ['an unsupported command', ['mol', 'pour', 'thing'], /'bd mol' is not supported by grava/],
    ['a bad due date', ['create', 'Bad one', '--due', 'someday'], /invalid --due format "someday"/],
  ];
  it.each(cases)('%s: exit 1, a beads-style error, and no issue', async (_what, args, message) => {
    const before = await bd(['count', '--json'], {});
    const r = await bd(args, {});
    expect(r.code).toBe(1);
    const json = args.includes('--json') && r.stdout.trim().startsWith('{') ? JSON.parse(r.stdout) as { error: string; code?: string } : undefined;
    expect(json ? json.error : r.stderr).toMatch(message);
    if (!json) expect(r.stderr).toMatch(/^Error: /);
    const after = await bd(['count', '--json'], {});
    expect(JSON.parse(after.stdout)).toEqual(JSON.parse(before.stdout));
  });

  it('an unsupported command names itself with GRAVA_E_UNSUPPORTED in its JSON error', async () => {
    const r = await bd(['remember', 'insight', '--json'], {});
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: 'GRAVA_E_UNSUPPORTED', schema_version: 1 });
  });
});

describe('bd prime', () => {
  it("prints grava's guide for this workspace: the loop, automatic sync, claims, the session checklist", async () => {
    const r = await bd(['prime'], {});
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`You are **${ACTOR}**`);
    expect(r.stdout).toMatch(/bd ready --json[\s\S]*bd update ID --claim[\s\S]*bd close ID --reason/);
    expect(r.stdout).toContain('local only');
    expect(r.stdout).toMatch(/Before you end the session/);
  });

  it('prints nothing outside a workspace (session hooks run it anywhere)', async () => {
    const r = await runProgram(bdPath, testDir('noprime'), ['prime']);
    expect(r).toMatchObject({ code: 0, stdout: '' });
  });
});
