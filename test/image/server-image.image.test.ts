// The central server's container image, for real (npm run test:image): built
// with podman by scripts/image.mjs, started with host networking on free
// loopback ports and a volume of its own. A workspace on the host clones
// through it, creates an issue and syncs; SIGTERM stops it cleanly; a new
// container on the same volume serves the same data. Containers and volumes
// are removed by the global teardown, also when a test fails.

import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort, sleep } from '../../src/storage/dolt/process-util.js';
import { ok, testDir } from '../helpers/workspace.js';
// @ts-expect-error: a plain ESM helper of the build scripts, without types
import { podman as podmanRaw } from '../../scripts/podman.mjs';

const podman = podmanRaw as (args: string[], opts?: { allowFail?: boolean }) => { stdout: string; stderr: string; status: number };
const SYNC = { GRAVA_REMOTE_USER: 'fleet', GRAVA_REMOTE_PASSWORD: 'image-Sync-Secret-77' };
const IMAGE_UID = '10001';

interface Ports { sql: number; remotesapi: number; http: number; metrics: number }
interface IssueJson { id: string; title: string }

let image: string;
let label: string;
let volume: string;
let backups: string;
let ports: Ports;
let url: string;

async function freePorts(): Promise<Ports> {
  const seen = new Set<number>();
  while (seen.size < 4) seen.add(await freePort());
  const [sql, remotesapi, http, metrics] = [...seen] as [number, number, number, number];
  return { sql, remotesapi, http, metrics };
}

function runContainer(name: string, env: Record<string, string> = {}): void {
  const vars = {
    // Loopback only: with host networking the container's listeners are the host's.
    GRAVA_SERVER_HOST: '127.0.0.1',
    GRAVA_SERVER_PORT: String(ports.sql),
    GRAVA_SERVER_REMOTESAPI_PORT: String(ports.remotesapi),
    GRAVA_SERVER_HTTP_PORT: String(ports.http),
    GRAVA_SERVER_METRICS_PORT: String(ports.metrics),
    GRAVA_SERVER_BACKUP_INTERVAL: '0',
    ...SYNC,
    ...env,
  };
  // Backups on a volume of their own, mounted inside the data volume, as the recipes in deploy/ have it.
  podman(['run', '-d', '--name', name, '--label', label, '--network', 'host', '--read-only', '-v', `${volume}:/data`, '-v', `${backups}:/data/backups`,
    ...Object.entries(vars).flatMap(([k, v]) => ['-e', `${k}=${v}`]), image]);
}

async function readyz(name: string): Promise<number> {
  const t = Date.now();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${ports.http}/readyz`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return Date.now() - t;
    } catch { /* not yet */ }
    const state = podman(['inspect', '--format', '{{.State.Status}}', name], { allowFail: true }).stdout.trim();
    if (state !== 'running') throw new Error(`container ${name} is ${state}: ${logs(name).slice(-2000)}`);
    if (Date.now() - t > 120_000) throw new Error(`container ${name} not ready after 120 s`);
    await sleep(200);
  }
}

function logs(name: string): string {
  const r = podman(['logs', name], { allowFail: true });
  return `${r.stdout}${r.stderr}`;
}

/** pid and its descendants, with their real uid and command line, from /proc. */
function processTree(pid: number): { pid: number; uid: string; command: string }[] {
  const out: { pid: number; uid: string; command: string }[] = [];
  const walk = (p: number): void => {
    const status = readFileSync(`/proc/${p}/status`, 'utf8');
    out.push({ pid: p, uid: /^Uid:\s+(\d+)/m.exec(status)?.[1] ?? '?', command: readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim() });
    let children = '';
    try { children = readFileSync(`/proc/${p}/task/${p}/children`, 'utf8'); } catch { /* exited */ }
    for (const c of children.trim().split(/\s+/).filter(Boolean)) walk(Number(c));
  };
  walk(pid);
  return out;
}

/** TCP listeners on the host as "address:port" (ss). */
function listeners(): string[] {
  return execFileSync('ss', ['-ltnH'], { encoding: 'utf8' }).trim().split('\n').map((l) => l.trim().split(/\s+/)[3] ?? '');
}

beforeAll(async () => {
  image = inject('image');
  label = inject('runLabel');
  ports = await freePorts();
  url = `http://127.0.0.1:${ports.remotesapi}/grava`;
  volume = `grava-test-${ports.remotesapi}`;
  backups = `${volume}-backups`;
  podman(['volume', 'create', '--label', label, volume]);
  podman(['volume', 'create', '--label', label, backups]);
});

afterAll(() => {
  for (const name of ['grava-first', 'grava-second']) podman(['rm', '-f', '-t', '5', `${name}-${ports.remotesapi}`], { allowFail: true });
});

describe('the grava-server image', () => {
  it('holds no compiler, npm or dev dependency, runs as a non-root user and keeps a node health check', () => {
    const config = JSON.parse(podman(['image', 'inspect', '--format', '{{json .Config}}', image]).stdout) as { User: string; Entrypoint: string[]; Volumes: Record<string, unknown> };
    const [inspected] = JSON.parse(podman(['image', 'inspect', image]).stdout) as { Healthcheck?: { Test: string[] } }[];
    const health = inspected?.Healthcheck;
    expect(config.User).toBe(`${IMAGE_UID}:${IMAGE_UID}`);
    expect(config.Entrypoint.slice(0, 2)).toEqual(['/usr/bin/tini', '--']);
    expect(config.Entrypoint).toEqual(expect.arrayContaining(['server', 'start', '--data-dir', '/data', '--init']));
    expect(health?.Test).toEqual(['CMD', 'node', '/app/healthcheck.mjs', '/data']);
    expect(Object.keys(config.Volumes)).toEqual(['/data']);
    const inside = podman(['run', '--rm', '--entrypoint', 'sh', image, '-c',
      'for c in gcc cc go npm npx; do command -v $c; done; ls /app/node_modules; ls -d /root/.npm /data/.npm 2>/dev/null; true']).stdout.split('\n');
    expect(inside.filter((l) => l.startsWith('/'))).toEqual([]);
    for (const dev of ['vitest', 'typescript', 'esbuild', 'eslint', 'fast-check', 'kubernetes-models']) expect(inside).not.toContain(dev);
    for (const prod of ['knex', 'mysql2', 'fastify', 'commander']) expect(inside).toContain(prod);
    console.log(`image ${image}: ${(inject('imageSizeBytes') / 1e6).toFixed(0)} MB`);
  });

  it('initialises an empty volume on first start: a generated root password stored 0600 and never printed, processes not root', async () => {
    const name = `grava-first-${ports.remotesapi}`;
    runContainer(name);
    const ms = await readyz(name);
    console.log(`first start (init + start) ready in ${ms} ms`);
    const stat = podman(['exec', name, 'stat', '-c', '%a %u', '/data/root-password']).stdout.trim();
    expect(stat).toBe(`600 ${IMAGE_UID}`);
    const password = podman(['exec', name, 'cat', '/data/root-password']).stdout.trim();
    expect(password.length).toBeGreaterThanOrEqual(24);
    const out = logs(name);
    expect(out).toContain('initialised an empty data dir');
    expect(out).not.toContain(password);
    expect(out).not.toContain(SYNC.GRAVA_REMOTE_PASSWORD);
    // The image has no ps(1): read the container's processes from the host's /proc.
    const tree = processTree(Number(podman(['inspect', '--format', '{{.State.Pid}}', name]).stdout.trim()));
    expect(tree.map((p) => p.command)).toEqual(expect.arrayContaining([expect.stringContaining('tini'), expect.stringContaining('grava.js'), expect.stringContaining('sql-server')]));
    expect(new Set(tree.map((p) => p.uid))).toEqual(new Set([IMAGE_UID]));
    // Only Dolt's remotesapi listens beyond loopback (Dolt binds it on every interface).
    const mine = listeners().filter((a) => [ports.sql, ports.http, ports.metrics, ports.remotesapi].some((p) => a.endsWith(`:${p}`)));
    for (const a of mine) {
      if (a.endsWith(`:${ports.remotesapi}`)) continue;
      expect(a).toMatch(/^127\.0\.0\.1:/);
    }
    expect(mine.filter((a) => !a.endsWith(`:${ports.remotesapi}`))).toHaveLength(3);
  });

  it('serves a workspace on the host: clone, create, sync', async () => {
    const ws = testDir('ws-a');
    await ok(ws, ['init', '--remote', url, '--actor', 'ws-a'], SYNC);
    const created = (await ok(ws, ['create', 'made beside the container', '--json'])).json as IssueJson;
    const synced = (await ok(ws, ['sync', '--json'], SYNC)).json as { pushed: number };
    expect(synced.pushed).toBeGreaterThan(0);
    expect(created.id).toMatch(/\S/);
  });

  it('writes a backup into the backups volume', () => {
    const name = `grava-first-${ports.remotesapi}`;
    const r = JSON.parse(podman(['exec', name, 'node', '/app/bin/grava.js', 'server', 'backup', '--data-dir', '/data', '--json']).stdout) as { url: string; main_head: string };
    expect(r.url).toMatch(/^file:\/\/\/data\/backups\//);
    const stored = podman(['run', '--rm', '-v', `${backups}:/b`, '--entrypoint', 'ls', image, '/b']).stdout.trim().split('\n');
    expect(stored).toHaveLength(1);
    expect(r.url).toContain(stored[0]);
  });

  it('passes its health check, and stops promptly on SIGTERM with a clean Dolt shutdown', () => {
    const name = `grava-first-${ports.remotesapi}`;
    expect(podman(['healthcheck', 'run', name], { allowFail: true }).status).toBe(0);
    const t = Date.now();
    podman(['stop', '-t', '30', name]);
    const ms = Date.now() - t;
    console.log(`podman stop took ${ms} ms`);
    expect(ms).toBeLessThan(30_000); // within the grace period: no SIGKILL
    expect(podman(['inspect', '--format', '{{.State.ExitCode}}', name]).stdout.trim()).toBe('0');
    const stopped = logs(name).split('\n').filter((l) => l.includes('"msg":"stopped"'));
    expect(stopped).toHaveLength(1);
    expect(JSON.parse(stopped[0] ?? '{}')).toMatchObject({ component: 'grava-server', dolt: 'stopped' });
  });

  it('a new container on the same volume serves the same data, with settings given to this start', async () => {
    const name = `grava-second-${ports.remotesapi}`;
    ports = { ...ports, http: await freePort() }; // every GRAVA_SERVER_* variable is honoured on every start
    runContainer(name, { GRAVA_SERVER_METRICS_PORT: String(await freePort()) });
    await readyz(name);
    expect(logs(name)).not.toContain('initialised an empty data dir');
    const ws = testDir('ws-b');
    await ok(ws, ['init', '--remote', url, '--actor', 'ws-b'], SYNC);
    const titles = ((await ok(ws, ['list', '--json'])).json as IssueJson[]).map((i) => i.title);
    expect(titles).toContain('made beside the container');
    podman(['stop', '-t', '30', name]);
  });
});
