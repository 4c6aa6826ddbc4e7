// Pure parts of the foundation: validation, ids, output, URLs, versions, backoff, config.

import { describe, expect, it } from 'vitest';
import { GravaError } from '../../src/errors/grava-error.js';
import { neutralise, oneLine } from '../../src/cli/output.js';
import { compareVersions } from '../../src/storage/dolt/dolt-binary.js';
import { serverConfigYaml } from '../../src/storage/dolt/dolt-server.js';
import { hashId, idLength, rowId, splitId } from '../../src/storage/issues/ids.js';
import { ID_PATTERN, validId, validLabel, validPrefix, validPriority, validStatus, validText, validTitle, validType } from '../../src/storage/issues/validate.js';
import { parseRemoteUrl } from '../../src/transport/remote-url.js';
import { backoffDelay } from '../../src/errors/retry.js';
import { isDeadConnection, isLocalContention, isPushRace } from '../../src/storage/dolt/contention.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try { fn(); return undefined; } catch (e) { return (e as GravaError).code; }
};

describe('validation', () => {
  it('accepts the documented values and rejects others with GRAVA_E_INVALID', () => {
    expect(validStatus('in_progress')).toBe('in_progress');
    expect(codeOf(() => validStatus('done'))).toBe('GRAVA_E_INVALID');
    expect(validType('epic')).toBe('epic');
    expect(codeOf(() => validType('story'))).toBe('GRAVA_E_INVALID');
    expect([0, 1, 2, 3, 4].map((p) => validPriority(p))).toEqual([0, 1, 2, 3, 4]);
    for (const bad of [-1, 5, 1.5, 'x', '']) expect(codeOf(() => validPriority(bad))).toBe('GRAVA_E_INVALID');
    expect(validId('gr-a1b2')).toBe('gr-a1b2');
    for (const bad of ['gr', 'GR-a1b2', 'gr-a1', "gr-a1b2'; --", '-a1b2']) expect(codeOf(() => validId(bad))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validPrefix('9x'))).toBe('GRAVA_E_INVALID');
  });

  it('keeps hostile but valid text as it is, and refuses NUL, lone surrogates and empty titles', () => {
    const evil = `'); DROP TABLE issues; -- \\ "q" 🦀 \u001b[31m`;
    expect(validTitle(evil)).toBe(evil);
    expect(codeOf(() => validTitle('   '))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validTitle('a\0b'))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validText('the description', 'x\uD800y'))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validTitle('x'.repeat(501)))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validLabel(' padded'))).toBe('GRAVA_E_INVALID');
    expect(codeOf(() => validLabel('tab\there'))).toBe('GRAVA_E_INVALID');
  });
});

describe('ids', () => {
  it('grow with the table so that collisions stay unlikely', () => {
    expect(idLength(0)).toBe(4);
    expect(idLength(100)).toBe(4);
    expect(idLength(1_000)).toBe(5);
    expect(idLength(100_000)).toBe(6);
    expect(36 ** idLength(5_000)).toBeGreaterThanOrEqual(10_000 * 5_001);
    expect(idLength(0, 6)).toBe(6);
    expect(idLength(1_000_000, 6)).toBe(7);
  });

  it('a split id is derived from the old id and the creation fields, valid, and lengthened on request', () => {
    const a = splitId('gr-a1b2c3d', 'bob', '2030-01-01T00:00:00.000Z');
    expect(a).toMatch(ID_PATTERN);
    expect(a).toMatch(/^gr-[0-9a-z]{9}$/);
    expect(splitId('gr-a1b2c3d', 'bob', '2030-01-01T00:00:00.000Z')).toBe(a);
    expect(splitId('gr-a1b2c3d', 'carol', '2030-01-01T00:00:00.000Z')).not.toBe(a);
    expect(splitId('gr-a1b2c3d', 'bob', '2030-01-01T00:00:00.000Z', 1)).toMatch(/^gr-[0-9a-z]{10}$/);
  });

  it('are prefix-dash-base36 of the requested length and differ between calls', () => {
    const ids = new Set(Array.from({ length: 2_000 }, () => hashId('gr', 6, 'alice', 1)));
    expect(ids.size).toBe(2_000);
    for (const id of ids) expect(id).toMatch(/^gr-[0-9a-z]{6}$/);
    expect(rowId('ev')).toMatch(/^ev-[0-9a-z]{20}$/);
  });
});

describe('terminal output', () => {
  it('makes control characters visible and keeps ordinary text', () => {
    expect(neutralise('\u001b[31mred\u0007')).toBe('\\u001b[31mred\\u0007');
    expect(neutralise('emoji 🦀 é\nnext')).toBe('emoji 🦀 é\nnext');
    expect(oneLine('a\nb\tc')).toBe('a\\nb\\tc');
    expect(neutralise('\u009b2J')).toBe('\\u009b2J');
  });
});

describe('remote URLs', () => {
  it('accept http(s)://HOST:PORT/DATABASE and refuse the rest', () => {
    expect(parseRemoteUrl('http://127.0.0.1:50051/grava')).toMatchObject({ host: '127.0.0.1', port: 50051, database: 'grava' });
    for (const bad of ['ftp://x/y', 'http://h:1/', 'http://user:pw@h:1/db', 'not a url', 'http://h:1/a/b']) {
      expect(codeOf(() => parseRemoteUrl(bad))).toBe('GRAVA_E_INVALID');
    }
  });

  it('never echo credentials embedded in a URL', () => {
    let message = '';
    try { parseRemoteUrl('http://user:s3cret@h:1/db'); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/invalid remote URL/);
    expect(message).not.toContain('s3cret');
  });
});

describe('Dolt versions', () => {
  it('compare numerically', () => {
    expect(compareVersions('1.86.4', '1.86.4')).toBe(0);
    expect(compareVersions('1.9.0', '1.86.4')).toBe(-1);
    expect(compareVersions('2.3.1', '1.86.4')).toBe(1);
  });
});

describe('backoff', () => {
  it('is jittered in [ceiling/2, ceiling], exponential and bounded', () => {
    const b = { baseMs: 50, maxMs: 2_000 };
    expect(backoffDelay(0, b, () => 0)).toBe(25);
    expect(backoffDelay(0, b, () => 0.999)).toBe(49);
    expect(backoffDelay(3, b, () => 0.5)).toBe(300);
    expect(backoffDelay(20, b, () => 0.999)).toBeLessThan(2_000);
    expect(backoffDelay(20, b, () => 0)).toBe(1_000);
    expect(backoffDelay(5000, b, () => 0.5)).toBe(1_500);
  });
});

describe('contention errors (texts from Dolt 1.86 and its source)', () => {
  it('a push that lost the race, in each of Dolt\'s words', () => {
    const seen = "To http://127.0.0.1:41795/grava\n ! [rejected]            main -> main (non-fast-forward)\nerror: failed to push some refs to 'http://127.0.0.1:41795/grava'";
    expect(isPushRace(seen)).toBe(true);
    expect(isPushRace('dataset head is not ancestor of commit; the tip of your current branch is behind its remote counterpart')).toBe(true);
    expect(isPushRace('cannot fast forward from a to b. a is ahead of b already')).toBe(true);
    expect(isPushRace("can't fast forward merge")).toBe(true);
    expect(isPushRace('unknown push error; permission denied')).toBe(false);
    expect(isPushRace('connection refused')).toBe(false);
  });

  it('a local transaction that lost to another connection, also through a GravaError cause', () => {
    expect(isLocalContention({ errno: 1213, message: 'x' })).toBe(true);
    expect(isLocalContention({ errno: 1105, sqlMessage: 'optimistic lock failed on database Root update' })).toBe(true);
    expect(isLocalContention(new Error('serialization failure: this transaction conflicts with a committed transaction from another client, try restarting transaction'))).toBe(true);
    expect(isLocalContention(new Error('write failed', { cause: { errno: 1105, sqlMessage: 'optimistic lock failed on database Root update' } }))).toBe(true);
    expect(isLocalContention(new Error("merging origin/main failed: CALL DOLT_MERGE('--no-commit', 'origin/main') - error: local changes would be stomped by merge:"))).toBe(true);
    expect(isLocalContention({ errno: 1105, sqlMessage: 'table not found: issues' })).toBe(false);
    expect(isLocalContention(new Error('duplicate primary key'))).toBe(false);
  });
});

describe('sql-server config', () => {
  it('is JSON (valid YAML) with only keys Dolt knows', () => {
    const text = serverConfigYaml({ doltPath: 'd', dataDir: '/d', doltHome: '/h', configPath: '/c', statePath: '/s', logPath: '/l', lockPath: '/k', socket: '/tmp/x.sock', remotesapiPort: 50051, user: 'root', password: 'pw' }, 3306);
    const json = JSON.parse(text.split('\n').slice(1).join('\n')) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(['behavior', 'cfg_dir', 'data_dir', 'listener', 'log_format', 'log_level', 'remotesapi']);
    expect(json.listener).toMatchObject({ host: '127.0.0.1', port: 3306, socket: '/tmp/x.sock' });
    expect(text).not.toContain('pw');
  });
});

describe('remotes of every transport', () => {
  it('are told apart, and credentials are refused without being echoed', async () => {
    const { parseRemote, gitPlusUrl } = await import('../../src/transport/remote-url.js');
    expect(parseRemote('http://127.0.0.1:50051/grava')).toMatchObject({ transport: 'server', port: 50051 });
    expect(parseRemote('git+ssh://git@github.com/o/r.git')).toEqual({ transport: 'git', url: 'git+ssh://git@github.com/o/r.git', hosted: true });
    expect(parseRemote('git+file:///srv/r.git')).toEqual({ transport: 'git', url: 'git+file:///srv/r.git', hosted: false });
    expect(parseRemote('file:///srv/shared/')).toEqual({ transport: 'dir', url: 'file:///srv/shared', path: '/srv/shared' });
    for (const bad of ['git+https://u:tok3n@h/o/r.git', 'git+https://tok3n@h/o/r.git', 'git+ssh://git:tok3n@h/o/r.git', 'file://host/x', 'file:///', 'ftp://h/x', 'git+file://h/x', 'https://github.com/o/r.git', 'nonsense']) {
      let err: { code?: string; message?: string } | undefined;
      try { parseRemote(bad); } catch (e) { err = e as typeof err; }
      expect(err?.code, bad).toBe('GRAVA_E_INVALID');
      expect(err?.message).not.toContain('tok3n');
    }
    expect(gitPlusUrl('git@github.com:o/r.git', '/w')).toBe('git+ssh://git@github.com/./o/r.git');
    expect(gitPlusUrl('https://github.com/o/r.git', '/w')).toBe('git+https://github.com/o/r.git');
    expect(gitPlusUrl('../origin.git', '/w/repo')).toBe('git+file:///w/origin.git');
    expect(gitPlusUrl('/srv/origin.git', '/w')).toBe('git+file:///srv/origin.git');
  });
});

describe('isDeadConnection', () => {
  it('is a connection that died before the statement was sent, found through causes; not a lost race or a bad statement', () => {
    const closed = new Error("Can't add new command when connection is in closed state");
    expect(isDeadConnection(new Error('create failed', { cause: closed }))).toBe(true);
    expect(isDeadConnection(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isDeadConnection(Object.assign(new Error('connect ENOENT /x/dolt.sock'), { code: 'ENOENT' }))).toBe(true);
    expect(isDeadConnection(new Error('serialization failure'))).toBe(false);
    expect(isDeadConnection(new Error("Duplicate entry 'x' for key 'PRIMARY'"))).toBe(false);
  });
});
