// The workspace CLI end to end: real `grava` processes, a real dolt sql-server.

import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cli, errorCode, newWorkspace, ok, testDir } from '../helpers/workspace.js';

interface IssueJson { id: string; title: string; description: string; status: string; priority: number; type: string; assignee: string | null; labels: string[]; created_at: string; updated_at: string; close_reason: string | null }
interface DetailJson extends IssueJson { dependencies: { id: string; type: string }[]; dependents: { id: string }[]; comments: { body: string; author: string }[] }

let ws: string;
const create = async (title: string, ...flags: string[]): Promise<IssueJson> => (await ok(ws, ['create', title, ...flags, '--json'])).json as IssueJson;
const list = async (...flags: string[]): Promise<IssueJson[]> => (await ok(ws, ['list', ...flags, '--json'])).json as IssueJson[];

beforeAll(async () => {
  ws = await newWorkspace('cli');
});

describe('grava init', () => {
  it('creates a private .grava/ with its own .gitignore and a 0600 config', () => {
    expect(statSync(join(ws, '.grava')).mode & 0o777).toBe(0o700);
    expect(statSync(join(ws, '.grava', 'config.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(ws, '.grava', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
  });

  it('refuses to initialise twice and leaves the workspace untouched', async () => {
    const before = readFileSync(join(ws, '.grava', 'config.json'), 'utf8');
    const r = await cli(ws, ['init']);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('GRAVA_E_WORKSPACE_EXISTS');
    expect(readFileSync(join(ws, '.grava', 'config.json'), 'utf8')).toBe(before);
  });

  it('rejects a bad prefix or actor and creates nothing', async () => {
    const dir = testDir('badinit');
    for (const args of [['--prefix', 'Bad Prefix'], ['--actor', 'no spaces allowed']]) {
      const r = await cli(dir, ['init', ...args]);
      expect(r.code).toBe(1);
      expect(errorCode(r)).toBe('GRAVA_E_INVALID');
      expect(existsSync(join(dir, '.grava'))).toBe(false);
    }
  });

  it('commands outside a workspace fail with GRAVA_E_NO_WORKSPACE', async () => {
    const r = await cli(testDir('outside'), ['list']);
    expect(r.code).toBe(1);
    expect(errorCode(r)).toBe('GRAVA_E_NO_WORKSPACE');
  });
});

describe('issues', () => {
  it('create prints the issue with every contract field', async () => {
    const i = await create('Fix the parser', '--description', 'it breaks', '--priority', '1', '--type', 'bug', '--assignee', 'bob', '--label', 'a', '--label', 'b');
    expect(i).toMatchObject({ title: 'Fix the parser', description: 'it breaks', status: 'open', priority: 1, type: 'bug', assignee: 'bob', labels: ['a', 'b'] });
    expect(i.id).toMatch(/^gr-[0-9a-z]{4,}$/);
    expect(Date.parse(i.created_at)).not.toBeNaN();
    expect(Date.parse(i.updated_at)).toBeGreaterThanOrEqual(Date.parse(i.created_at));
    const shown = (await ok(ws, ['show', i.id, '--json'])).json as DetailJson;
    expect(shown).toMatchObject({ id: i.id, title: 'Fix the parser', dependencies: [], comments: [] });
  });

  it('update changes fields and bumps updated_at; close, reopen and delete work', async () => {
    const i = await create('to change');
    const u = (await ok(ws, ['update', i.id, '--title', 'changed', '--status', 'blocked', '--priority', '0', '--type', 'chore', '--json'])).json as IssueJson;
    expect(u).toMatchObject({ title: 'changed', status: 'blocked', priority: 0, type: 'chore' });
    expect(Date.parse(u.updated_at)).toBeGreaterThanOrEqual(Date.parse(i.updated_at));
    const c = (await ok(ws, ['close', i.id, '--reason', 'done', '--json'])).json as IssueJson;
    expect(c).toMatchObject({ status: 'closed', close_reason: 'done' });
    const r = (await ok(ws, ['reopen', i.id, '--json'])).json as IssueJson;
    expect(r).toMatchObject({ status: 'open', close_reason: null });
    await ok(ws, ['delete', i.id]);
    expect((await list()).map((x) => x.id)).not.toContain(i.id);
    const gone = await cli(ws, ['show', i.id]);
    expect(errorCode(gone)).toBe('GRAVA_E_NOT_FOUND');
  });

  it('list filters by status, assignee and label', async () => {
    const a = await create('filter a', '--assignee', 'carol', '--label', 'ui');
    const b = await create('filter b');
    await ok(ws, ['update', b.id, '--status', 'deferred']);
    expect((await list('--assignee', 'carol')).map((x) => x.id)).toEqual([a.id]);
    expect((await list('--label', 'ui')).map((x) => x.id)).toEqual([a.id]);
    expect((await list('--status', 'deferred')).map((x) => x.id)).toEqual([b.id]);
  });

  it('dependencies drive ready; cycles and self-dependencies are refused', async () => {
    const blocker = await create('blocker');
    const blocked = await create('blocked');
    await ok(ws, ['dep', 'add', blocked.id, blocker.id]);
    let ready = (await ok(ws, ['ready', '--json'])).json as IssueJson[];
    expect(ready.map((x) => x.id)).toContain(blocker.id);
    expect(ready.map((x) => x.id)).not.toContain(blocked.id);
    const cycle = await cli(ws, ['dep', 'add', blocker.id, blocked.id]);
    expect(errorCode(cycle)).toBe('GRAVA_E_INVALID');
    expect(errorCode(await cli(ws, ['dep', 'add', blocker.id, blocker.id]))).toBe('GRAVA_E_INVALID');
    await ok(ws, ['close', blocker.id]);
    ready = (await ok(ws, ['ready', '--json'])).json as IssueJson[];
    expect(ready.map((x) => x.id)).toContain(blocked.id);
    const shown = (await ok(ws, ['show', blocked.id, '--json'])).json as DetailJson;
    expect(shown.dependencies).toEqual([expect.objectContaining({ id: blocker.id, type: 'blocks' })]);
    await ok(ws, ['dep', 'remove', blocked.id, blocker.id]);
    expect(((await ok(ws, ['show', blocked.id, '--json'])).json as DetailJson).dependencies).toEqual([]);
    expect(errorCode(await cli(ws, ['dep', 'remove', blocked.id, blocker.id]))).toBe('GRAVA_E_NOT_FOUND');
    const related = (await ok(ws, ['dep', 'add', blocked.id, blocker.id, '--type', 'related', '--json'])).json;
    expect(related).toMatchObject({ type: 'related' });
    expect(errorCode(await cli(ws, ['dep', 'add', blocked.id, blocker.id, '--type', 'sometimes']))).toBe('GRAVA_E_INVALID');
  });

  it('labels and comments', async () => {
    const i = await create('labelled');
    expect(((await ok(ws, ['label', 'add', i.id, 'x', '--json'])).json as IssueJson).labels).toEqual(['x']);
    expect(((await ok(ws, ['label', 'remove', i.id, 'x', '--json'])).json as IssueJson).labels).toEqual([]);
    expect(errorCode(await cli(ws, ['label', 'remove', i.id, 'x']))).toBe('GRAVA_E_NOT_FOUND');
    await ok(ws, ['comment', i.id, 'first']);
    await ok(ws, ['comment', i.id, 'second\nline']);
    const shown = (await ok(ws, ['show', i.id, '--json'])).json as DetailJson;
    expect(shown.comments.map((c) => c.body)).toEqual(['first', 'second\nline']);
    expect(shown.comments[0]?.author).toBe('cli');
  });

  it('--claim: the holder claiming again changes nothing; a claim of someone else\'s issue or of a closed one is refused naming the holder', async () => {
    const i = await create('claim me');
    const first = (await ok(ws, ['update', i.id, '--claim', '--json'])).json as IssueJson & { changed: boolean };
    expect(first).toMatchObject({ assignee: 'cli', status: 'in_progress', changed: true });
    const again = (await ok(ws, ['update', i.id, '--claim', '--json'])).json as IssueJson & { changed: boolean };
    expect(again).toMatchObject({ assignee: 'cli', status: 'in_progress', changed: false });
    const theirs = await create('held by someone else');
    await ok(ws, ['update', theirs.id, '--assignee', 'other-agent']);
    const refused = await cli(ws, ['update', theirs.id, '--claim']);
    expect(refused.code).toBe(1);
    expect(errorCode(refused)).toBe('GRAVA_E_CONFLICT');
    expect(refused.stderr).toContain('other-agent');
    const closed = await create('closed');
    await ok(ws, ['close', closed.id]);
    const onClosed = await cli(ws, ['update', closed.id, '--claim']);
    expect(errorCode(onClosed)).toBe('GRAVA_E_CONFLICT');
    expect(((await ok(ws, ['show', closed.id, '--json'])).json as IssueJson).status).toBe('closed');
  });

  it('two concurrent claims by the same agent: one writes the claim, the other finds it held', async () => {
    const i = await create('race');
    const results = await Promise.all([cli(ws, ['update', i.id, '--claim', '--json']), cli(ws, ['update', i.id, '--claim', '--json'])]);
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    expect(results.map((r) => (r.json as { changed: boolean }).changed).sort()).toEqual([false, true]);
  });

  it('--unclaim: only the holder, or anyone with --force; the issue is open and unassigned again', async () => {
    const i = await create('give back');
    await ok(ws, ['update', i.id, '--claim']);
    const back = (await ok(ws, ['update', i.id, '--unclaim', '--json'])).json as IssueJson;
    expect(back).toMatchObject({ assignee: null, status: 'open' });
    expect(errorCode(await cli(ws, ['update', i.id, '--unclaim']))).toBe('GRAVA_E_CONFLICT');
    await ok(ws, ['update', i.id, '--assignee', 'someone', '--status', 'in_progress']);
    const notMine = await cli(ws, ['update', i.id, '--unclaim']);
    expect(errorCode(notMine)).toBe('GRAVA_E_CONFLICT');
    expect(notMine.stderr).toContain('someone');
    const forced = (await ok(ws, ['update', i.id, '--unclaim', '--force', '--json'])).json as IssueJson;
    expect(forced).toMatchObject({ assignee: null, status: 'open' });
    expect((await cli(ws, ['update', i.id, '--force'])).code).toBe(2);
    expect((await cli(ws, ['update', i.id, '--claim', '--unclaim'])).code).toBe(2);
  });
});

describe('bad input', () => {
  const evil = [
    `it's "quoted"`,
    "'); DROP TABLE issues; --",
    'back\\slash \\n \\0 \\\\',
    'emoji 🦀🧪 and 中文 and é',
    '\u001b[31mred\u001b[0m and a bell \u0007',
    '   leading and trailing   ',
  ];

  it('stores hostile text byte for byte and neutralises it on the terminal', async () => {
    for (const title of evil) {
      const i = await create(title, '--description', `${title}\nsecond line`);
      const back = (await ok(ws, ['show', i.id, '--json'])).json as IssueJson;
      expect(Buffer.from(back.title)).toEqual(Buffer.from(title));
      expect(back.description).toBe(`${title}\nsecond line`);
      const human = await ok(ws, ['show', i.id]);
      expect(human.stdout).not.toContain('\u001b');
      expect(human.stdout).not.toContain('\u0007');
    }
    expect((await list()).length).toBeGreaterThan(evil.length);
  });

  it.each([
    [['create', 'x', '--priority', '7'], 'GRAVA_E_INVALID', 1],
    [['create', 'x', '--priority', 'high'], 'GRAVA_E_USAGE', 2],
    [['create', 'x', '--type', 'story'], 'GRAVA_E_INVALID', 1],
    [['create', ''], 'GRAVA_E_INVALID', 1],
    [['create', 'x', '--bogus'], 'GRAVA_E_USAGE', 2],
    [['create'], 'GRAVA_E_USAGE', 2],
    [['list', '--status', 'done'], 'GRAVA_E_INVALID', 1],
    [['show', 'not an id'], 'GRAVA_E_INVALID', 1],
    [['show', 'gr-zzzzzz'], 'GRAVA_E_NOT_FOUND', 1],
    [['update', 'gr-zzzzzz', '--title', 'x'], 'GRAVA_E_NOT_FOUND', 1],
    [['label', 'add', 'gr-zzzzzz', ' padded '], 'GRAVA_E_INVALID', 1],
    [['frobnicate'], 'GRAVA_E_USAGE', 2],
    [['dep'], undefined, 2],
  ] as [string[], string | undefined, number][])('grava %j fails with %s, exit %i, and writes nothing', async (args, code, exit) => {
    const before = await list();
    const events = (await ok(ws, ['list', '--json'])).stdout;
    const r = await cli(ws, [...args]);
    expect(r.code).toBe(exit);
    if (code !== undefined) {
      expect(errorCode(r)).toBe(code);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(await list()).toEqual(before);
    expect((await ok(ws, ['list', '--json'])).stdout).toBe(events);
  });

  it('long texts round-trip and can be replaced (events keep whole old and new values)', async () => {
    const big = 'x'.repeat(40_000);
    const i = await create('big', '--description', big);
    await ok(ws, ['update', i.id, '--description', `${big}y`]);
    expect(((await ok(ws, ['show', i.id, '--json'])).json as IssueJson).description).toBe(`${big}y`);
    const tooBig = await cli(ws, ['update', i.id, '--description', 'z'.repeat(70_000)]);
    expect(errorCode(tooBig)).toBe('GRAVA_E_INVALID');
    expect(tooBig.stderr.length).toBeLessThan(500);
  });

  it('an invalid update changes no field, even the valid ones in the same request', async () => {
    const i = await create('atomic update');
    const r = await cli(ws, ['update', i.id, '--title', 'new title', '--status', 'nonsense']);
    expect(errorCode(r)).toBe('GRAVA_E_INVALID');
    const back = (await ok(ws, ['show', i.id, '--json'])).json as IssueJson;
    expect(back.title).toBe('atomic update');
  });

  it('--json errors keep stdout pure JSON', async () => {
    const r = await cli(ws, ['show', 'gr-zzzzzz', '--json']);
    expect((r.json as { error: { code: string } }).error.code).toBe('GRAVA_E_NOT_FOUND');
  });

  it('--help helps and exits 0', async () => {
    const r = await cli(ws, ['create', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--priority');
  });
});

describe('credentials', () => {
  const viaDaemon = process.env.GRAVA_TEST_VIA_DAEMON === '1';
  it.runIf(viaDaemon)('through the daemon: a CLI with another remote password never restarts the server; a daemon restarted with it does', async () => {
    const pid = async (env: Record<string, string>): Promise<number> => ((await ok(ws, ['daemon', 'status', '--json'], env)).json as { server_pid: number }).server_pid;
    await ok(ws, ['daemon', 'restart'], { GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'one' });
    const a = await pid({});
    await ok(ws, ['list'], { GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'two' });
    await ok(ws, ['list'], { GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'two', GRAVA_NO_DAEMON: '1' });
    expect(await pid({})).toBe(a);
    await ok(ws, ['daemon', 'restart'], { GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'two' });
    expect(await pid({})).not.toBe(a);
  });

  it.skipIf(viaDaemon)('a changed remote password restarts the workspace server; the same one reuses it', async () => {
    const pid = async (env: Record<string, string>): Promise<number> => {
      await ok(ws, ['list'], env);
      return ((await ok(ws, ['dolt', 'status', '--json'], env)).json as { pid: number }).pid;
    };
    const a = await pid({ GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'one' });
    expect(await pid({ GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'one' })).toBe(a);
    const b = await pid({ GRAVA_REMOTE_USER: 'u', GRAVA_REMOTE_PASSWORD: 'two' });
    expect(b).not.toBe(a);
    const state = readFileSync(join(ws, '.grava', 'server.json'), 'utf8');
    expect(state).not.toContain('two');
  });
});

describe('grava doctor', () => {
  it('reports Dolt and the workspace', async () => {
    const r = (await ok(ws, ['doctor', '--json'])).json as { ok: boolean; dolt: { path: string; version: string }; workspace: { root: string; private: boolean } };
    expect(r.ok).toBe(true);
    expect(r.dolt.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(existsSync(r.dolt.path)).toBe(true);
    expect(r.workspace).toMatchObject({ root: ws, private: true });
  });

  it('works outside a workspace and says there is none', async () => {
    const r = (await ok(testDir('nows'), ['doctor', '--json'])).json as { dolt: { version: string }; workspace: { root: string | null } };
    expect(r.dolt.version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(r.workspace.root).toBeNull();
  });
});

describe('fixes found while building the bd dialect', () => {
  it('an unknown command prints its "Did you mean" hint on the same line, with no literal \\n', async () => {
    const r = await cli(ws, ['lst']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("GRAVA_E_USAGE: unknown command 'lst' (Did you mean list?)\n");
  });

  it("the invalid-id hint shows an id with the workspace's own prefix", async () => {
    const zz = testDir('prefixed');
    await ok(zz, ['init', '--prefix', 'zz', '--actor', 'p']);
    const r = await cli(zz, ['show', 'zz-1']);
    expect(errorCode(r)).toBe('GRAVA_E_INVALID');
    expect(r.stderr).toContain('ids here look like zz-a1b2');
  });

  it('adding or removing a label moves updated_at', async () => {
    const i = await create('labelled later');
    await new Promise((r) => setTimeout(r, 20));
    const added = (await ok(ws, ['label', 'add', i.id, 'later', '--json'])).json as IssueJson;
    expect(Date.parse(added.updated_at)).toBeGreaterThan(Date.parse(i.updated_at));
    await new Promise((r) => setTimeout(r, 20));
    const removed = (await ok(ws, ['label', 'remove', i.id, 'later', '--json'])).json as IssueJson;
    expect(Date.parse(removed.updated_at)).toBeGreaterThan(Date.parse(added.updated_at));
  });

  it('close records "Closed" without a reason, and closing a closed issue keeps its first reason and time', async () => {
    const i = await create('closed twice');
    const first = (await ok(ws, ['close', i.id, '--json'])).json as IssueJson & { closed_at: string; changed: boolean };
    expect(first).toMatchObject({ status: 'closed', close_reason: 'Closed', changed: true });
    expect(Date.parse(first.closed_at)).toBeGreaterThanOrEqual(Date.parse(i.created_at));
    const again = await ok(ws, ['close', i.id, '--reason', 'a second reason']);
    expect(again.stdout).toContain('was already closed');
    const shown = (await ok(ws, ['show', i.id, '--json'])).json as IssueJson & { closed_at: string };
    expect(shown).toMatchObject({ close_reason: 'Closed', closed_at: first.closed_at });
  });

  it('issue JSON carries issue_type and closed_at beside the contract fields, and the new fields round-trip', async () => {
    const i = (await ok(ws, ['create', 'with notes', '--type', 'bug', '--notes', 'n', '--design', 'd', '--acceptance', 'a', '--external-ref', 'gh-9', '--json'])).json as Record<string, unknown>;
    expect(i).toMatchObject({ type: 'bug', issue_type: 'bug', closed_at: null, notes: 'n', design: 'd', acceptance_criteria: 'a', external_ref: 'gh-9' });
    const cleared = (await ok(ws, ['update', String(i.id), '--notes', '', '--external-ref', '', '--json'])).json as Record<string, unknown>;
    expect(cleared).toMatchObject({ notes: '', external_ref: null, design: 'd' });
  });
});
