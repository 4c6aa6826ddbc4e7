// Per-agent users on the central (`grava server user add|remove|list`),
// against a real central server: each workspace syncs as its own user; a
// removed user's fetch and push are refused at once while the others go on;
// a read-only user can clone and fetch but not push; bad input is refused
// with a stable code and changes nothing.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

let central: Central;
let root: string;

const server = (args: string[]): Promise<ReturnType<typeof cli> extends Promise<infer R> ? R : never> =>
  cli(root, ['server', ...args, '--data-dir', central.dataDir], { GRAVA_SERVER_ROOT_PASSWORD: central.rootPassword });

async function workspaceAs(name: string, user: string, password: string): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = testDir(name);
  const env = { GRAVA_REMOTE_USER: user, GRAVA_REMOTE_PASSWORD: password };
  await ok(dir, ['init', '--remote', central.url, '--actor', name], env);
  return { dir, env };
}

beforeAll(async () => {
  central = await startCentral('users-central');
  root = testDir('users');
});

afterAll(async () => {
  await central.stop();
});

describe('grava server user', () => {
  const alicePassword = 'alice-Secret-31337';
  let bobPassword = '';

  it('adds users with a password from a file or a generated one, shown once', async () => {
    const file = join(root, 'alice-password');
    writeFileSync(file, `${alicePassword}\n`, { mode: 0o600 });
    const alice = await server(['user', 'add', 'alice', '--password-file', file, '--json']);
    expect(alice.code).toBe(0);
    expect(alice.json).toEqual({ user: 'alice', role: 'sync', password_generated: false });
    expect(alice.stdout + alice.stderr).not.toContain(alicePassword);
    const bob = await server(['user', 'add', 'bob', '--json']);
    const b = bob.json as { password_generated: boolean; password: string };
    expect(b.password_generated).toBe(true);
    expect(b.password.length).toBeGreaterThanOrEqual(24);
    bobPassword = b.password;
    await server(['user', 'add', 'reader', '--readonly', '--password-file', file]);
    const list = (await server(['user', 'list', '--json'])).json as { name: string; role: string; initial: boolean }[];
    expect(list).toEqual(expect.arrayContaining([
      { name: 'alice', role: 'sync', initial: false },
      { name: 'bob', role: 'sync', initial: false },
      { name: 'reader', role: 'readonly', initial: false },
      { name: central.env.GRAVA_REMOTE_USER, role: 'sync', initial: true },
    ]));
  });

  it('lets each workspace sync as its own user; a removed user is refused at once and the others go on', async () => {
    const a = await workspaceAs('ws-alice', 'alice', alicePassword);
    const b = await workspaceAs('ws-bob', 'bob', bobPassword);
    await ok(a.dir, ['create', 'from alice']);
    await ok(a.dir, ['sync'], a.env);
    await ok(b.dir, ['sync'], b.env);
    expect(((await ok(b.dir, ['list', '--json'])).json as { title: string }[]).map((i) => i.title)).toContain('from alice');

    expect((await server(['user', 'remove', 'alice', '--json'])).json).toEqual({ user: 'alice', removed: true });
    await ok(a.dir, ['create', 'after removal']);
    const refused = await cli(a.dir, ['sync'], a.env);
    expect(errorCode(refused)).toBe('GRAVA_E_AUTH');
    expect(refused.stderr).not.toContain(alicePassword);
    await ok(b.dir, ['create', 'from bob, after removal']);
    await ok(b.dir, ['sync'], b.env);
    const titles = ((await ok(b.dir, ['list', '--json'])).json as { title: string }[]).map((i) => i.title);
    expect(titles).toContain('from bob, after removal');
    expect(titles).not.toContain('after removal');
    expect(((await server(['user', 'list', '--json'])).json as { name: string }[]).map((u) => u.name)).not.toContain('alice');
  });

  it('a read-only user clones and fetches, and its push is refused', async () => {
    const r = await workspaceAs('ws-reader', 'reader', alicePassword);
    expect(((await ok(r.dir, ['list', '--json'])).json as { title: string }[]).map((i) => i.title)).toContain('from alice');
    await ok(r.dir, ['create', 'from the reader']);
    const push = await cli(r.dir, ['sync'], r.env);
    expect(push.code).not.toBe(0);
    expect(errorCode(push)).toMatch(/^GRAVA_E_(AUTH|REMOTE)$/);
  });

  it('refuses bad input with a stable code and changes nothing', async () => {
    const before = (await server(['user', 'list', '--json'])).json;
    expect(errorCode(await server(['user', 'add', 'root']))).toBe('GRAVA_E_INVALID');
    expect(errorCode(await server(['user', 'add', 'no spaces']))).toBe('GRAVA_E_INVALID');
    expect(errorCode(await server(['user', 'add', 'bob']))).toBe('GRAVA_E_CONFLICT');
    expect(errorCode(await server(['user', 'remove', 'nobody']))).toBe('GRAVA_E_NOT_FOUND');
    expect(errorCode(await server(['user', 'add', 'carol', '--password-file', join(root, 'missing')]))).toBe('GRAVA_E_USAGE');
    const empty = join(root, 'empty');
    writeFileSync(empty, '\n');
    expect(errorCode(await server(['user', 'add', 'carol', '--password-file', empty]))).toBe('GRAVA_E_INVALID');
    expect((await server(['user', 'list', '--json'])).json).toEqual(before);
  });

  it('needs the server running', async () => {
    await central.stop();
    try {
      expect(errorCode(await server(['user', 'list']))).toBe('GRAVA_E_NOT_RUNNING');
    } finally {
      await central.start();
    }
  });
});
