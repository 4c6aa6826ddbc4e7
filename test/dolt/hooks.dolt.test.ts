// The git hooks and the issues.jsonl merge driver with the real git CLI and
// real Dolt: two clones of one repository, each with its own workspace,
// exchanging issues only through commits of issues.jsonl.

import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, ok, testDir } from '../helpers/workspace.js';

interface IssueJson { id: string; title: string; description: string; priority: number }

const gitEnv = { GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.invalid', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.invalid' };
const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, env: { ...process.env, ...gitEnv, GRAVA_NO_DAEMON: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const show = async (ws: string, id: string): Promise<IssueJson> => (await ok(ws, ['show', id, '--json'])).json as IssueJson;

let origin: string;
let a: string;
let b: string;
let id: string;

async function cloneWithWorkspace(name: string): Promise<string> {
  const dir = join(testDir(name), 'repo');
  git(join(dir, '..'), 'clone', '-q', origin, 'repo');
  git(dir, 'config', 'pull.rebase', 'false');
  await ok(dir, ['init', '--actor', name]);
  return dir;
}

beforeAll(async () => {
  const root = testDir('hooks-origin');
  origin = join(root, 'origin.git');
  git(root, 'init', '-q', '--bare', '-b', 'main', 'origin.git');
  const seed = join(root, 'seed');
  git(root, 'clone', '-q', origin, 'seed');
  writeFileSync(join(seed, 'README'), 'a project\n');
  git(seed, 'add', 'README');
  git(seed, 'commit', '-q', '-m', 'initial');
  git(seed, 'push', '-q', 'origin', 'HEAD:main');
  a = await cloneWithWorkspace('hooks-a');
  b = await cloneWithWorkspace('hooks-b');
});

describe('grava hooks', () => {
  it('install chains the hook already there: it still runs, and its failure still stops the commit', async () => {
    const own = join(a, '.git', 'hooks', 'pre-commit');
    const ownText = '#!/bin/sh\necho ran >> "$(git rev-parse --show-toplevel)/.git/own-hook-ran"\n[ ! -f "$(git rev-parse --show-toplevel)/BLOCK" ]\n';
    writeFileSync(own, ownText);
    chmodSync(own, 0o755);
    const s = (await ok(a, ['hooks', 'install', '--json'])).json as { hooks: { hook: string; installed: boolean; chained: boolean }[]; merge_driver: boolean; attributes: boolean };
    expect(s.hooks.every((h) => h.installed)).toBe(true);
    expect(s.hooks.find((h) => h.hook === 'pre-commit')?.chained).toBe(true);
    expect(s).toMatchObject({ merge_driver: true, attributes: true });
    // Installing twice changes nothing.
    const again = (await ok(a, ['hooks', 'install', '--json'])).json;
    expect(again).toEqual(s);

    id = ((await ok(a, ['create', 'Shared through git', '--json'])).json as IssueJson).id;
    writeFileSync(join(a, 'BLOCK'), '');
    git(a, 'add', '.gitattributes');
    expect(() => git(a, 'commit', '-q', '-m', 'blocked by my own hook')).toThrow();
    expect(readFileSync(join(a, '.git', 'own-hook-ran'), 'utf8')).toContain('ran');
  });

  it('pre-commit puts issues.jsonl in the very commit (git commit -a) with a Grava-Dolt-Commit trailer', () => {
    execFileSync('rm', [join(a, 'BLOCK')]);
    writeFileSync(join(a, 'README'), 'a project, edited\n');
    git(a, 'commit', '-q', '-a', '-m', 'edit the readme');
    expect(git(a, 'show', '--name-only', '--format=', 'HEAD').split('\n')).toEqual(expect.arrayContaining(['README', 'issues.jsonl', '.gitattributes']));
    expect(git(a, 'show', 'HEAD:issues.jsonl')).toContain(id);
    expect(git(a, 'log', '-1', '--format=%B')).toMatch(/^Grava-Dolt-Commit: [0-9a-v]{32}/m);
    git(a, 'push', '-q', 'origin', 'HEAD:main');
  });

  it('pre-commit leaves issues.jsonl alone when nothing changed since the last export, and rewrites it after a write', async () => {
    await ok(a, ['hooks', 'run', 'pre-commit']);
    const first = statSync(join(a, 'issues.jsonl'));
    await new Promise((r) => setTimeout(r, 20));
    await ok(a, ['hooks', 'run', 'pre-commit']);
    expect(statSync(join(a, 'issues.jsonl')).mtimeMs).toBe(first.mtimeMs);
    await ok(a, ['comment', id, 'a write since the export']);
    await ok(a, ['hooks', 'run', 'pre-commit']);
    expect(statSync(join(a, 'issues.jsonl')).mtimeMs).toBeGreaterThan(first.mtimeMs);
    expect(readFileSync(join(a, 'issues.jsonl'), 'utf8')).toContain('a write since the export');
    git(a, 'commit', '-q', '-m', 'the comment');
    git(a, 'push', '-q', 'origin', 'HEAD:main');
  });

  it('post-merge imports what a pull brought', async () => {
    // B pulls the committed .gitattributes first, then installs its own hooks and driver config.
    git(b, 'pull', '-q', 'origin', 'main');
    await ok(b, ['hooks', 'install']);
    expect(git(b, 'status', '--porcelain')).toBe('');
    await ok(b, ['create', 'Made in B before the next pull']);
    git(b, 'commit', '-q', '--allow-empty', '-m', 'B exports');
    await ok(a, ['update', id, '--description', 'so B has something to pull']);
    git(a, 'commit', '-q', '--allow-empty', '-m', 'A exports');
    git(a, 'push', '-q', 'origin', 'HEAD:main');
    git(b, 'pull', '-q', '--no-edit', 'origin', 'main');
    expect(await show(b, id)).toMatchObject({ title: 'Shared through git', description: 'so B has something to pull' });
  });

  it('diverging edits of different cells and of the same cell merge through the driver: no markers, newest wins', async () => {
    git(b, 'push', '-q', 'origin', 'HEAD:main');
    git(a, 'pull', '-q', '--no-edit', 'origin', 'main');
    await ok(a, ['update', id, '--title', 'Title from A', '--priority', '1']);
    git(a, 'commit', '-q', '--allow-empty', '-m', 'A edits');
    git(a, 'push', '-q', 'origin', 'HEAD:main');
    await ok(b, ['update', id, '--description', 'Described in B', '--priority', '3']);
    git(b, 'commit', '-q', '--allow-empty', '-m', 'B edits');
    git(b, 'pull', '-q', '--no-edit', 'origin', 'main');
    const merged = readFileSync(join(b, 'issues.jsonl'), 'utf8');
    expect(merged).not.toMatch(/^(<<<<<<<|=======|>>>>>>>)/m);
    // B's priority was written after A's: newest wins; the other cells come from their own sides.
    expect(await show(b, id)).toMatchObject({ title: 'Title from A', description: 'Described in B', priority: 3 });
    git(b, 'push', '-q', 'origin', 'HEAD:main');
    git(a, 'pull', '-q', '--no-edit', 'origin', 'main');
    expect(await show(a, id)).toMatchObject({ title: 'Title from A', description: 'Described in B', priority: 3 });
  });

  it('a rebase goes through the merge driver and post-rewrite imports the result', async () => {
    git(b, 'pull', '-q', '--no-edit', 'origin', 'main');
    git(a, 'pull', '-q', '--no-edit', 'origin', 'main');
    await ok(b, ['update', id, '--description', 'B, pushed first']);
    git(b, 'commit', '-q', '--allow-empty', '-m', 'B first');
    git(b, 'push', '-q', 'origin', 'HEAD:main');
    await ok(a, ['update', id, '--title', 'A, rebased on top']);
    git(a, 'commit', '-q', '--allow-empty', '-m', 'A second');
    git(a, 'pull', '-q', '--rebase', 'origin', 'main');
    expect(readFileSync(join(a, 'issues.jsonl'), 'utf8')).not.toMatch(/^(<{7}|={7}|>{7})/m);
    expect(await show(a, id)).toMatchObject({ title: 'A, rebased on top', description: 'B, pushed first' });
    git(a, 'push', '-q', 'origin', 'HEAD:main');
  });

  it('a stash and its pop leave the database and the file consistent', async () => {
    await ok(a, ['update', id, '--title', 'Stashed edit']);
    git(a, 'commit', '-q', '--allow-empty', '-m', 'export the edit');
    writeFileSync(join(a, 'README'), 'work in progress\n');
    git(a, 'stash', '-q');
    git(a, 'stash', 'pop', '-q');
    expect(await show(a, id)).toMatchObject({ title: 'Stashed edit' });
    expect(git(a, 'status', '--porcelain')).not.toContain('issues.jsonl');
  });

  it('git commit PATH carries issues.jsonl too; GRAVA_SKIP_HOOKS=1 skips the export', async () => {
    await ok(a, ['update', id, '--title', 'Committed by path']);
    writeFileSync(join(a, 'README'), 'committed by path\n');
    git(a, 'commit', '-q', '-m', 'by path', 'README');
    expect(git(a, 'show', '--name-only', '--format=', 'HEAD').split('\n')).toEqual(expect.arrayContaining(['README', 'issues.jsonl']));
    expect(git(a, 'show', 'HEAD:issues.jsonl')).toContain('Committed by path');
    await ok(a, ['update', id, '--title', 'Not exported']);
    writeFileSync(join(a, 'README'), 'skipped\n');
    execFileSync('git', ['commit', '-q', '-a', '-m', 'skip hooks'], { cwd: a, env: { ...process.env, ...gitEnv, GRAVA_SKIP_HOOKS: '1' } });
    expect(git(a, 'show', 'HEAD:issues.jsonl')).not.toContain('Not exported');
    expect(git(a, 'log', '-1', '--format=%B')).not.toContain('Grava-Dolt-Commit');
  });

  it('uninstall puts the previous hook back exactly and removes the driver', async () => {
    const before = readFileSync(join(a, '.git', 'hooks', 'pre-commit.grava-chained'), 'utf8');
    const s = (await ok(a, ['hooks', 'uninstall', '--json'])).json as { hooks: { installed: boolean }[]; merge_driver: boolean };
    expect(s.hooks.every((h) => !h.installed)).toBe(true);
    expect(s.merge_driver).toBe(false);
    expect(readFileSync(join(a, '.git', 'hooks', 'pre-commit'), 'utf8')).toBe(before);
    expect(existsSync(join(a, '.git', 'hooks', 'post-merge'))).toBe(false);
  });

  it('respects core.hooksPath', async () => {
    git(b, 'config', 'core.hooksPath', '.githooks');
    mkdirSync(join(b, '.githooks'), { recursive: true });
    const s = (await ok(b, ['hooks', 'install', '--json'])).json as { hooks_dir: string; hooks: { installed: boolean }[] };
    expect(s.hooks_dir).toBe(join(b, '.githooks'));
    expect(existsSync(join(b, '.githooks', 'pre-commit'))).toBe(true);
  });

  it('a hook never blocks a commit when the repository has no workspace', async () => {
    const dir = join(testDir('hooks-nows'), 'repo');
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q');
    await ok(dir, ['hooks', 'install']);
    writeFileSync(join(dir, 'f'), 'x\n');
    git(dir, 'add', 'f');
    const out = execFileSync('git', ['commit', '-q', '-m', 'no workspace here'], { cwd: dir, env: { ...process.env, ...gitEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
    expect(git(dir, 'log', '--format=%s')).toContain('no workspace here');
    const r = await cli(dir, ['hooks', 'status', '--json']);
    expect(r.code).toBe(0);
  });

  it('a failed export stops the commit with GRAVA_E_EXPORT (GRAVA_SKIP_HOOKS=1 lets it through); a missing grava never does', async () => {
    const dir = join(testDir('hooks-fail'), 'repo');
    mkdirSync(dir, { recursive: true });
    git(dir, 'init', '-q');
    await ok(dir, ['init', '--actor', 'f']);
    await ok(dir, ['create', 'Cannot be exported']);
    await ok(dir, ['hooks', 'install']);
    // A directory where the file should go: the export cannot be written.
    mkdirSync(join(dir, 'issues.jsonl', 'x'), { recursive: true });
    writeFileSync(join(dir, 'f'), 'x\n');
    git(dir, 'add', 'f', '.gitattributes');
    let stderr = '';
    try { git(dir, 'commit', '-q', '-m', 'should stop'); } catch (e) { stderr = String((e as { stderr?: string }).stderr); }
    expect(stderr).toMatch(/GRAVA_E_EXPORT: the pre-commit hook could not export issues\.jsonl/);
    expect(() => git(dir, 'rev-parse', 'HEAD')).toThrow();
    execFileSync('git', ['commit', '-q', '-m', 'skipped'], { cwd: dir, env: { ...process.env, ...gitEnv, GRAVA_SKIP_HOOKS: '1' } });
    expect(git(dir, 'log', '--format=%s')).toContain('skipped');
    // grava moved away since the hooks were installed: the shim warns and the commit goes on.
    const shim = join(dir, '.git', 'hooks', 'pre-commit');
    writeFileSync(shim, readFileSync(shim, 'utf8').replaceAll('bin/grava.js', 'bin/gone.js'));
    writeFileSync(join(dir, 'f'), 'y\n');
    const out = execFileSync('git', ['commit', '-q', '-a', '-m', 'grava is gone'], { cwd: dir, env: { ...process.env, ...gitEnv }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
    expect(git(dir, 'log', '-1', '--format=%s')).toContain('grava is gone');
  });
});
