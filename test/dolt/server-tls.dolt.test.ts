// TLS end to end with a self-signed certificate: a central started with
// --tls-cert/--tls-key serves https on the remotesapi; a workspace that
// trusts the certificate (SSL_CERT_FILE, read by Dolt's Go runtime) clones
// and syncs through it; one that does not is refused with a clear error and
// keeps nothing. Real Dolt, real openssl, loopback only.

import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/storage/dolt/process-util.js';
import { cli, errorCode, ok, testDir } from '../helpers/workspace.js';

const ENV = { GRAVA_REMOTE_USER: 'syncer', GRAVA_REMOTE_PASSWORD: 'tls-Sync-Secret-404', GRAVA_SERVER_ROOT_PASSWORD: 'tls-Root-Secret-405' };

let root: string;
let dataDir: string;
let url: string;
let ca: string;
let otherCa: string;

/** A self-signed certificate for 127.0.0.1 (its own CA). */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.pem`);
  const key = join(dir, `${name}-key.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

beforeAll(async () => {
  root = testDir('tls');
  const server = selfSigned(root, 'server');
  ca = server.cert;
  otherCa = selfSigned(root, 'other').cert;
  dataDir = join(root, 'srv');
  const ports = [await freePort(), await freePort(), await freePort(), await freePort()].map(String);
  await ok(root, ['server', 'init', '--data-dir', dataDir, '--port', ports[0]!, '--remotesapi-port', ports[1]!, '--http-port', ports[2]!, '--metrics-port', ports[3]!,
    '--tls-cert', server.cert, '--tls-key', server.key], ENV);
  const started = (await ok(root, ['server', 'start', '--data-dir', dataDir, '--detach', '--backup-interval', '0', '--json'], ENV)).json as { remote_url: string; ready: boolean };
  expect(started.ready).toBe(true);
  url = started.remote_url;
});

afterAll(async () => {
  await cli(root, ['server', 'stop', '--data-dir', dataDir], ENV);
});

describe('TLS on the remotesapi', () => {
  it('advertises an https URL', () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/grava$/);
  });

  it('a workspace that trusts the certificate clones, creates and syncs (SSL_CERT_FILE, or --ca-file kept as remote.ca_file)', async () => {
    const trust = { ...ENV, SSL_CERT_FILE: ca };
    const a = testDir('tls-a');
    // The CA comes from the workspace's setting: nothing in the environment says to trust it.
    await ok(a, ['init', '--remote', url, '--actor', 'tls-a', '--ca-file', ca], { ...ENV, SSL_CERT_FILE: undefined });
    expect(((await ok(a, ['config', 'get', 'remote.ca_file', '--json'])).json as { value: string }).value).toBe(ca);
    await ok(a, ['create', 'over tls']);
    const r = (await ok(a, ['sync', '--json'], { ...ENV, SSL_CERT_FILE: undefined })).json as { pushed: number };
    expect(r.pushed).toBeGreaterThan(0);
    const b = testDir('tls-b');
    await ok(b, ['init', '--remote', url, '--actor', 'tls-b'], trust);
    expect(((await ok(b, ['list', '--json'])).json as { title: string }[]).map((i) => i.title)).toContain('over tls');
  });

  it('a workspace that trusts another certificate is refused, names the certificate problem and keeps nothing', async () => {
    const dir = testDir('tls-wrong');
    const r = await cli(dir, ['init', '--remote', url, '--actor', 'tls-wrong'], { ...ENV, SSL_CERT_FILE: otherCa });
    expect(r.code).not.toBe(0);
    expect(errorCode(r)).toMatch(/^GRAVA_E_(REMOTE|AUTH)$/);
    expect(r.stderr).toMatch(/certificate|x509|tls/i);
    expect(r.stderr).not.toContain(ENV.GRAVA_REMOTE_PASSWORD);
    expect(existsSync(join(dir, '.grava'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
    // The same through --ca-file; and a --ca-file that is not a file is refused before anything is made.
    const viaFlag = await cli(dir, ['init', '--remote', url, '--actor', 'tls-wrong', '--ca-file', otherCa], { ...ENV, SSL_CERT_FILE: undefined });
    expect(viaFlag.stderr).toMatch(/certificate|x509|tls/i);
    const missing = await cli(dir, ['init', '--remote', url, '--actor', 'tls-wrong', '--ca-file', join(dir, 'nope.pem')], ENV);
    expect(errorCode(missing)).toBe('GRAVA_E_INVALID');
    expect(readdirSync(dir)).toEqual([]);
  });
});
