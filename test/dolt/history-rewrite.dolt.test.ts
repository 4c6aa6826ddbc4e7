// The central's history moved by someone other than grava, against a real
// central server and the plain `dolt` CLI with the sync user's password:
//  - a legitimate rewind (main moved back to an ancestor, as a restore from an
//    older backup does): the next sync pushes the missing commits back and
//    reports remote_rewound;
//  - the attack from issue 18: a clone, `dolt reset --hard`, `DELETE FROM
//    issues`, a commit and `dolt push --force`: a healthy workspace refuses to
//    merge it (GRAVA_E_HISTORY_REWRITE), keeps every issue and pushes nothing.

import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { configureDoltHome } from '../../src/storage/versioning/central-admin.js';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

let central: Central;
let root: string;
let home: string;

/** `dolt <args>` as a plain client with the sync user's password in its environment (never on the command line). */
function dolt(cwd: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(inject('doltPath'), args, { cwd, env: { ...process.env, DOLT_ROOT_PATH: home, DOLT_REMOTE_PASSWORD: central.env.GRAVA_REMOTE_PASSWORD }, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`dolt ${args.join(' ')}: ${stderr || err.message}`));
      else resolve(stdout);
    });
  });
}

/** A fresh plain-dolt clone of the central, as an attacker (or an operator) would make it. */
async function rawClone(name: string): Promise<string> {
  const dir = join(root, name);
  await dolt(root, ['clone', '--user', central.env.GRAVA_REMOTE_USER!, central.url, dir]);
  return dir;
}

const titles = async (ws: string): Promise<string[]> => ((await ok(ws, ['list', '--json'])).json as { title: string }[]).map((i) => i.title).sort();

async function centralHead(): Promise<string> {
  const dir = await rawClone(`peek-${Date.now()}`);
  return (await dolt(dir, ['sql', '-r', 'csv', '-q', "SELECT hash FROM dolt_branches WHERE name = 'main'"])).trim().split('\n')[1] ?? '';
}

beforeAll(async () => {
  central = await startCentral('rewrite-central');
  root = testDir('rewrite');
  home = join(root, 'dolt-home');
  mkdirSync(home, { recursive: true });
  await configureDoltHome(inject('doltPath'), home, 'someone');
});

afterAll(async () => {
  await central.stop();
});

describe("the central's history moved by hand", () => {
  let a: string;
  let b: string;

  it('a rewind to an older commit (a restore from an older backup): the next sync pushes the missing commits back', async () => {
    a = testDir('ws-a');
    await ok(a, ['init', '--remote', central.url, '--actor', 'ws-a'], central.env);
    await ok(a, ['create', 'first']);
    await ok(a, ['sync'], central.env);
    await ok(a, ['create', 'second']);
    const head = ((await ok(a, ['sync', '--json'], central.env)).json as { head: string }).head;
    const raw = await rawClone('rewinder');
    await dolt(raw, ['reset', '--hard', 'HEAD~1']);
    await dolt(raw, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    expect(await centralHead()).not.toBe(head);

    const r = (await ok(a, ['sync', '--json'], central.env)).json as { remote_rewound: boolean; pushed: number };
    expect(r.remote_rewound).toBe(true);
    expect(r.pushed).toBeGreaterThan(0);
    expect(await centralHead()).toBe(head);
    b = testDir('ws-b');
    await ok(b, ['init', '--remote', central.url, '--actor', 'ws-b'], central.env);
    expect(await titles(b)).toEqual(['first', 'second']);
  });

  it('the attack (reset, DELETE FROM issues, force-push) is refused by a healthy workspace, which keeps every issue and pushes nothing', async () => {
    const raw = await rawClone('attacker');
    await dolt(raw, ['reset', '--hard', 'HEAD~1']);
    await dolt(raw, ['sql', '-q', 'DELETE FROM issues']);
    await dolt(raw, ['commit', '-Am', 'gone']);
    await dolt(raw, ['push', '--force', '--user', central.env.GRAVA_REMOTE_USER!, 'origin', 'main']);
    const attacked = await centralHead();

    await ok(b, ['create', 'made after the attack']);
    const r = await cli(b, ['sync', '--json'], central.env);
    expect(errorCode(r)).toBe('GRAVA_E_HISTORY_REWRITE');
    expect(r.stderr).toMatch(/removes \d+ issue row/);
    expect(await titles(b)).toEqual(['first', 'made after the attack', 'second']);
    expect(await centralHead()).toBe(attacked); // nothing was pushed over it
    // Every later sync refuses the same way until the central is repaired.
    expect(errorCode(await cli(b, ['sync'], central.env))).toBe('GRAVA_E_HISTORY_REWRITE');
  });
});
