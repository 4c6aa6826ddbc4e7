// Pure parts of the central server: options table, settings, the generated
// dolt sql-server config, metrics text, retention, restart backoff, and the
// HTTP routes (fastify inject, no sockets).

import { describe, expect, it } from 'vitest';
import { backupStamp, backupsToPrune } from '../../src/server/backup.js';
import { DEFAULTS, dialHost, doltConfig, doltConfigText, flagProperty, OPTIONS, optionsFor, parseOptions, remoteUrl, resolveSettings, startSettings } from '../../src/server/config.js';
import { envSecret } from '../../src/server/settings.js';
import { roleOf } from '../../src/storage/versioning/central-admin.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildHttpApp } from '../../src/server/http.js';
import { centralMetricFamilies, formatValue, METRICS_CONTENT_TYPE, renderMetrics, type MetricsSnapshot } from '../../src/server/metrics.js';
import { centralPaths } from '../../src/server/paths.js';
import type { ReadinessReport } from '../../src/server/readiness.js';
import { restartDelayMs } from '../../src/server/supervisor.js';

// Keys of Dolt 1.86.4's sql-server YAML (go/libraries/doltcore/servercfg/yaml_config.go); Dolt rejects unknown keys.
const DOLT_TOP_KEYS = ['log_level', 'log_format', 'max_logged_query_len', 'encode_logged_query', 'behavior', 'user', 'listener', 'performance', 'data_dir', 'cfg_dir', 'remotesapi', 'mcp_server', 'privilege_file', 'branch_control_file', 'user_session_vars', 'system_variables', 'jwks', 'golden_mysql_conn', 'metrics', 'cluster'];
const DOLT_LISTENER_KEYS = ['host', 'port', 'max_connections', 'back_log', 'max_connections_timeout_millis', 'read_timeout_millis', 'write_timeout_millis', 'tls_key', 'tls_cert', 'ca_cert', 'require_secure_transport', 'require_client_cert', 'allow_cleartext_passwords', 'socket'];

const paths = centralPaths('/srv/grava');

describe('server options table', () => {
  it('has one entry per setting, with a flag, a GRAVA_SERVER_* variable and a description', () => {
    const keys = OPTIONS.map((o) => o.key);
    expect(new Set(keys).size).toBe(keys.length);
    for (const o of OPTIONS) {
      expect(o.flag).toMatch(/^--[a-z][a-z-]+$/);
      expect(o.env).toMatch(/^GRAVA_SERVER_[A-Z_]+$/);
      expect(o.description.length).toBeGreaterThan(10);
    }
    // A container passes the same variables on every start: start takes every setting (the database only to check it).
    expect(optionsFor('start').map((o) => o.key)).toEqual(OPTIONS.map((o) => o.key));
    expect(optionsFor('backup').map((o) => o.key)).toEqual(['backupKeep']);
    expect(flagProperty('--remotesapi-port')).toBe('remotesapiPort');
  });

  it('takes flags before variables and reports every problem, not just the first', () => {
    const ok = parseOptions('init', { port: '4000', httpPort: '4100' }, { GRAVA_SERVER_PORT: '5000', GRAVA_SERVER_DATABASE: 'tracker', GRAVA_SERVER_MIN_FREE_MB: '2' });
    expect(ok.errors).toEqual([]);
    expect(ok.values).toEqual({ port: 4000, httpPort: 4100, database: 'tracker', minFreeBytes: 2 * 1024 * 1024 });
    const bad = parseOptions('init', { port: '80', host: 'example.com', database: '1x', maxConnections: 'lots' }, { GRAVA_SERVER_TLS_CERT: 'relative.pem' });
    expect(bad.errors).toHaveLength(5);
    expect(bad.errors.join('\n')).toMatch(/--port.*1024/);
    expect(bad.errors.join('\n')).toMatch(/--host/);
    expect(bad.errors.join('\n')).toMatch(/--tls-cert/);
  });

  it('fills in defaults, puts the metrics port beside the HTTP port and refuses port clashes', () => {
    const { settings, errors } = resolveSettings({});
    expect(errors).toEqual([]);
    expect(settings).toMatchObject({ database: 'grava', host: '127.0.0.1', port: 3306, remotesapiPort: 50051, httpPort: 50080, metricsPort: 50081, maxConnections: DEFAULTS.maxConnections });
    expect(settings.maxConnections).toBeGreaterThanOrEqual(100);
    expect(resolveSettings({ httpPort: 3306 }).errors[0]).toMatch(/--port and --http-port/);
    expect(resolveSettings({ tlsCert: '/c.pem' }).errors[0]).toMatch(/go together/);
  });
});

describe('settings given to a start', () => {
  const { settings: recorded } = resolveSettings({ port: 3307, httpPort: 50090, tlsCert: '/c.pem', tlsKey: '/k.pem' });

  it('replace the recorded ones and name what changed; the metrics port follows a new HTTP port when it was derived', () => {
    const r = startSettings(recorded, { httpPort: 6000, backupKeep: 3, doltLog: 'stderr' });
    expect(r.errors).toEqual([]);
    expect(r.settings).toMatchObject({ port: 3307, httpPort: 6000, metricsPort: 6001, backupKeep: 3, doltLog: 'stderr', tlsCert: '/c.pem' });
    expect(r.changed.sort()).toEqual(['backupKeep', 'doltLog', 'httpPort', 'metricsPort']);
    const pinned = startSettings({ ...recorded, metricsPort: 7000 }, { httpPort: 6000 });
    expect(pinned.settings.metricsPort).toBe(7000);
    expect(startSettings(recorded, { doltLog: 'file', port: 3307 }).changed).toEqual([]);
  });

  it('refuse a new database name and port clashes', () => {
    expect(startSettings(recorded, { database: 'other' }).errors[0]).toMatch(/fixed at init/);
    expect(startSettings(recorded, { database: 'grava' }).errors).toEqual([]);
    expect(startSettings(recorded, { httpPort: 3307 }).errors[0]).toMatch(/--port and --http-port/);
  });
});

describe('secrets from the environment or a _FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'grava-secret-'));
  const file = join(dir, 'pw');
  writeFileSync(file, 's3cret\n');
  writeFileSync(join(dir, 'empty'), '');

  it('reads NAME, or NAME_FILE without its trailing newline', () => {
    expect(envSecret({ X: 'direct' }, 'X')).toBe('direct');
    expect(envSecret({ X_FILE: file }, 'X')).toBe('s3cret');
    expect(envSecret({}, 'X')).toBeUndefined();
  });

  it('refuses both at once, a missing file and an empty one, naming the file and not the secret', () => {
    expect(() => envSecret({ X: 'direct', X_FILE: file }, 'X')).toThrow(/X or X_FILE, not both/);
    expect(() => envSecret({ X_FILE: join(dir, 'missing') }, 'X')).toThrow(/ENOENT/);
    expect(() => envSecret({ X_FILE: join(dir, 'empty') }, 'X')).toThrow(/is empty/);
    try { envSecret({ X: 'direct', X_FILE: file }, 'X'); } catch (e) { expect((e as Error).message).not.toContain('s3cret'); expect((e as { code: string }).code).toBe('GRAVA_E_USAGE'); }
  });
});

describe('generated dolt sql-server config', () => {
  const { settings } = resolveSettings({ port: 3307, remotesapiPort: 50052, httpPort: 50090, host: '10.0.0.5' });

  it('uses only keys Dolt knows, JSON lines, a socket for local admin and sizes for 50+ clients', () => {
    const c = doltConfig(settings, paths, { port: 3307 });
    for (const k of Object.keys(c)) expect(DOLT_TOP_KEYS).toContain(k);
    const listener = c.listener as Record<string, unknown>;
    for (const k of Object.keys(listener)) expect(DOLT_LISTENER_KEYS).toContain(k);
    expect(c.log_format).toBe('json');
    expect(c.data_dir).toBe('/srv/grava/dolt');
    expect(listener).toMatchObject({ host: '10.0.0.5', port: 3307, socket: '/srv/grava/run/dolt.sock', max_connections: 200 });
    expect(listener.read_timeout_millis).toBeGreaterThan(0);
    expect(listener.max_connections_timeout_millis).toBeGreaterThan(0);
    expect(c.remotesapi).toEqual({ port: 50052, read_only: false });
    // Dolt's metrics stay on loopback; the supervisor appends them to /metrics.
    expect(c.metrics).toMatchObject({ host: '127.0.0.1', port: 50091 });
    expect(c.system_variables).toEqual({ secure_file_priv: '/srv/grava/no-file-access' });
  });

  it('bootstraps on loopback without remotesapi or metrics', () => {
    const c = doltConfig(settings, paths, { port: 40000, bootstrap: true });
    expect(c.remotesapi).toBeUndefined();
    expect(c.metrics).toBeUndefined();
    expect(c.listener).toMatchObject({ host: '127.0.0.1', port: 40000 });
  });

  it('is valid YAML (JSON after a comment) and never holds a password', () => {
    const text = doltConfigText({ ...settings, tlsCert: '/etc/grava/cert.pem', tlsKey: '/etc/grava/key.pem' }, paths, { port: 3307 });
    expect(text.startsWith('#')).toBe(true);
    const json = JSON.parse(text.split('\n').slice(1).join('\n')) as { listener: Record<string, unknown> };
    expect(json.listener).toMatchObject({ tls_cert: '/etc/grava/cert.pem', tls_key: '/etc/grava/key.pem' });
    expect(text).not.toMatch(/password|"user"/i);
  });

  it('gives workspaces http://HOST:REMOTESAPI_PORT/DATABASE (https with TLS)', () => {
    expect(remoteUrl(settings)).toBe('http://10.0.0.5:50052/grava');
    expect(remoteUrl({ ...settings, tlsCert: '/c' }, 'central.example')).toBe('https://central.example:50052/grava');
    expect(remoteUrl({ ...settings, host: '::1' })).toBe('http://[::1]:50052/grava');
    expect(dialHost('0.0.0.0')).toBe('127.0.0.1');
  });

  it('moves the socket out of a data dir too deep for sun_path', () => {
    const deep = centralPaths(`/srv/${'d'.repeat(120)}`);
    expect(Buffer.byteLength(deep.socket)).toBeLessThanOrEqual(100);
    expect(deep.socket).toMatch(/grava-central-[0-9a-f]{16}\/dolt\.sock$/);
  });
});

const snapshot = (over: Partial<MetricsSnapshot> = {}): MetricsSnapshot => ({
  nowMs: 1_000_000, supervisorStartedAtMs: 940_000, ready: true, checks: { sql: true, remotesapi: true, disk: true }, doltUp: true, doltRestarts: 2,
  backupIntervalSeconds: 3600, lastBackupSuccessAtMs: 700_000, lastBackupOutcome: 'success', backupSuccesses: 5, backupFailures: 1,
  databaseSizeBytes: 12_345, mainCommits: 42, diskFreeBytes: 9e9, doltMetricsUp: true, ...over,
});

function value(text: string, series: string): string | undefined {
  return text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1);
}

describe('metrics text', () => {
  it('renders HELP, TYPE and samples in the Prometheus text format, escaping help and label values', () => {
    const text = renderMetrics([
      { name: 'a_total', help: 'line one\nback\\slash', type: 'counter', samples: [{ value: 3 }] },
      { name: 'b', help: 'b', type: 'gauge', samples: [{ labels: { k: 'q"uo\nte' }, value: Infinity }, { labels: { k: 'n' }, value: NaN }] },
    ]);
    expect(text).toBe([
      '# HELP a_total line one\\nback\\\\slash',
      '# TYPE a_total counter',
      'a_total 3',
      '# HELP b b',
      '# TYPE b gauge',
      'b{k="q\\"uo\\nte"} +Inf',
      'b{k="n"} NaN',
      '',
    ].join('\n'));
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(() => renderMetrics([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow();
    expect(() => renderMetrics([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow();
  });

  it("reports grava's figures: readiness, restarts, backup age and outcome, size, commits", () => {
    const text = renderMetrics(centralMetricFamilies(snapshot()));
    expect(value(text, 'grava_ready')).toBe('1');
    expect(value(text, 'grava_dolt_restarts_total')).toBe('2');
    expect(text).toContain('# TYPE grava_dolt_restarts_total counter');
    expect(value(text, 'grava_backup_last_success_timestamp_seconds')).toBe('700');
    expect(value(text, 'grava_backup_last_success_age_seconds')).toBe('300');
    expect(value(text, 'grava_backup_last_outcome')).toBe('1');
    expect(value(text, 'grava_backups_total{outcome="failure"}')).toBe('1');
    expect(value(text, 'grava_database_size_bytes')).toBe('12345');
    expect(value(text, 'grava_main_commits')).toBe('42');
    expect(value(text, 'grava_ready_check{check="remotesapi"}')).toBe('1');
    expect(value(text, 'grava_supervisor_uptime_seconds')).toBe('60');
    expect(text).not.toContain('grava_remote_slots');
  });

  it('reports the transfer slots: limit, in use, waiting, asks by outcome and expired leases', () => {
    const slots = { limit: 2, in_use: 2, waiting: 3, granted_total: 10, queued_total: 4, timed_out_total: 1, expired_total: 1 };
    const text = renderMetrics(centralMetricFamilies(snapshot({ slots })));
    expect(value(text, 'grava_remote_slots')).toBe('2');
    expect(value(text, 'grava_remote_slots_in_use')).toBe('2');
    expect(value(text, 'grava_remote_slots_waiting')).toBe('3');
    expect(value(text, 'grava_remote_slot_asks_total{outcome="granted"}')).toBe('6');
    expect(value(text, 'grava_remote_slot_asks_total{outcome="granted_after_waiting"}')).toBe('4');
    expect(value(text, 'grava_remote_slot_asks_total{outcome="gave_up"}')).toBe('1');
    expect(value(text, 'grava_remote_slot_leases_expired_total')).toBe('1');
  });

  it('marks a missing backup as age +Inf and outcome -1, and leaves out figures it could not read', () => {
    const text = renderMetrics(centralMetricFamilies(snapshot({ ready: false, lastBackupSuccessAtMs: null, lastBackupOutcome: null, mainCommits: null, databaseSizeBytes: null })));
    expect(value(text, 'grava_ready')).toBe('0');
    expect(value(text, 'grava_backup_last_success_age_seconds')).toBe('+Inf');
    expect(value(text, 'grava_backup_last_outcome')).toBe('-1');
    expect(text).not.toContain('grava_main_commits');
    expect(text).not.toContain('grava_database_size_bytes');
    expect(value(renderMetrics(centralMetricFamilies(snapshot({ lastBackupOutcome: 'failure' }))), 'grava_backup_last_outcome')).toBe('0');
  });
});

describe('backup retention and restart backoff', () => {
  const at = (m: number): string => backupStamp(new Date(Date.UTC(2026, 0, 1, 0, m)));

  it('keeps the newest N complete backups, always the new one, and drops incomplete ones', () => {
    const entries = [0, 1, 2, 3, 4].map((m) => ({ name: at(m), complete: true }));
    expect(backupsToPrune(entries, 2, at(4))).toEqual([at(0), at(1), at(2)]);
    expect(backupsToPrune(entries, 10, at(4))).toEqual([]);
    expect(backupsToPrune([...entries, { name: at(5), complete: false }, { name: 'operator-notes', complete: false }], 3, at(4))).toEqual([at(0), at(1), at(5)]);
    expect(at(3) > at(2)).toBe(true);
  });

  it('restarts at once, then backs off exponentially up to 30 s', () => {
    expect([1, 2, 3, 4, 5].map(restartDelayMs)).toEqual([0, 500, 1000, 2000, 4000]);
    expect(restartDelayMs(30)).toBe(30_000);
  });
});

describe('HTTP routes', () => {
  const report = (ready: boolean): ReadinessReport => ({
    ready,
    checks: { sql: { ok: ready, ms: 1 }, sql_port: { ok: true, ms: 1 }, remotesapi: { ok: true, ms: 1 }, disk: { ok: true, ms: 1, free_bytes: 1, min_free_bytes: 0 } },
  });

  it('serves /healthz, /readyz (503 when not ready) and /metrics as Prometheus text', async () => {
    let ready = false;
    const app = buildHttpApp({ health: () => ({ pid: 1 }), readiness: () => Promise.resolve(report(ready)), metrics: () => Promise.resolve('grava_ready 0\n') });
    try {
      expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok', pid: 1 });
      expect((await app.inject('/readyz')).statusCode).toBe(503);
      ready = true;
      const r = await app.inject('/readyz');
      expect(r.statusCode).toBe(200);
      expect(r.json<ReadinessReport>().ready).toBe(true);
      const m = await app.inject('/metrics');
      expect(m.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
      expect(m.body).toBe('grava_ready 0\n');
      expect((await app.inject('/nope')).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const HEAD = 'vls22087965rpvmq5hvaq0vt8lkdhla9';

  it('after too many failed sign-ins a user is refused 429 from that address, without its password being checked, until the minute is over; other users go on', async () => {
    let now = 0;
    let checked = 0;
    const app = buildHttpApp({
      health: () => ({}), readiness: () => Promise.resolve(report(true)), metrics: () => Promise.resolve(''),
      authenticate: (user, password) => { checked++; return Promise.resolve(password === `${user}-pw`); },
      waitFor: () => Promise.resolve({ kind: 'merged', main: HEAD }),
      maxAuthFailures: 3, now: () => now,
    });
    const wait = (auth: string): Promise<{ statusCode: number; json: () => { code?: string; merged?: boolean }; headers: Record<string, unknown> }> =>
      app.inject({ method: 'POST', url: '/v1/queue/wait', headers: { authorization: auth }, payload: { branch: 'ws/a', head: HEAD } });
    try {
      for (let i = 0; i < 3; i++) expect((await wait(basic('alice', 'guess'))).statusCode).toBe(401);
      expect(checked).toBe(3);
      const limited = await wait(basic('alice', 'alice-pw'));
      expect(limited.statusCode).toBe(429);
      expect(limited.json().code).toBe('GRAVA_E_AUTH');
      expect(limited.headers['retry-after']).toBe('60');
      expect(checked).toBe(3);
      expect((await wait(basic('bob', 'bob-pw'))).json()).toEqual({ merged: true, main: HEAD });
      now = 60_001;
      expect((await wait(basic('alice', 'alice-pw'))).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('past the cap on waits held open, a wait is answered 429 at once (the workspace then looks at main itself)', async () => {
    const release: (() => void)[] = [];
    const app = buildHttpApp({
      health: () => ({}), readiness: () => Promise.resolve(report(true)), metrics: () => Promise.resolve(''),
      authenticate: () => Promise.resolve(true),
      waitFor: () => new Promise((resolve) => release.push(() => resolve({ kind: 'merged', main: HEAD }))),
      maxWaits: 2,
    });
    const wait = (): Promise<{ statusCode: number; json: () => { code?: string } }> =>
      app.inject({ method: 'POST', url: '/v1/queue/wait', headers: { authorization: basic('a', 'b') }, payload: { branch: 'ws/a', head: HEAD } });
    try {
      const held = [wait(), wait()];
      while (release.length < 2) await new Promise((r) => setTimeout(r, 5));
      const over = await wait();
      expect(over.statusCode).toBe(429);
      expect(over.json().code).toBe('GRAVA_E_REMOTE');
      for (const r of release.splice(0)) r();
      expect((await Promise.all(held)).map((r) => r.statusCode)).toEqual([200, 200]);
      const again = wait();
      while (release.length < 1) await new Promise((r) => setTimeout(r, 5));
      release[0]!();
      expect((await again).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('roleOf', () => {
  it('reads only the privilege lists, never the user name', () => {
    expect(roleOf(["GRANT CLONE_ADMIN, SUPER ON *.* TO `syncer`@`%`"])).toBe('sync');
    expect(roleOf(['GRANT CLONE_ADMIN ON *.* TO `super-ci`@`%`'])).toBe('readonly');
    expect(roleOf(['GRANT CLONE_ADMIN ON *.* TO `superman`@`%`'])).toBe('readonly');
    expect(roleOf(['GRANT USAGE ON *.* TO `clone_admin_super`@`%`'])).toBe('other');
    expect(roleOf(['GRANT USAGE ON *.* TO `x`@`%`', 'GRANT SUPER ON *.* TO `x`@`%`', 'GRANT CLONE_ADMIN ON *.* TO `x`@`%`'])).toBe('sync');
  });
});
