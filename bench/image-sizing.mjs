#!/usr/bin/env node
// `npm run bench:image`: what the central server's container needs, for the
// Kubernetes requests and limits. Starts the image (npm run image) with host
// networking on loopback, measures it idle, then under the heaviest load this
// machine can give it: N workspaces on the host (each with its own dolt
// sql-server) writing issues and all syncing at the same instant, R rounds.
// Reports the container's memory (median idle, peak under load) and CPU
// (cores used, from its cgroup's CPU time). One run; the machine is shared.
//
//   node bench/image-sizing.mjs [--workspaces 10] [--rounds 5] [--json]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { podman } from '../scripts/podman.mjs';

const run = promisify(execFile);
const BIN = new URL('../bin/grava.js', import.meta.url).pathname;
const SYNC = { GRAVA_REMOTE_USER: 'fleet', GRAVA_REMOTE_PASSWORD: 'sizing-Sync-Secret' };
const { values } = parseArgs({ options: { workspaces: { type: 'string', default: '10' }, rounds: { type: 'string', default: '5' }, json: { type: 'boolean' }, image: { type: 'string' } } });
const N = Number(values.workspaces);
const ROUNDS = Number(values.rounds);
const image = values.image ?? `localhost/grava-server:${JSON.parse((await import('node:fs')).readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}`;
const say = (m) => process.stderr.write(`bench:image: ${m}\n`);

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const grava = (cwd, args, env = {}) => run(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, GRAVA_NO_DAEMON: '1', ...env }, maxBuffer: 16 << 20 });

function bytes(text) {
  const m = /^([\d.]+)\s*([kMG]?B)/.exec(text.trim());
  if (!m) return NaN;
  return Number(m[1]) * { B: 1, kB: 1e3, MB: 1e6, GB: 1e9 }[m[2]];
}

function stats(name) {
  const [s] = JSON.parse(podman(['stats', '--no-stream', '--format', 'json', name]).stdout);
  return { mem: bytes(s.mem_usage.split('/')[0]), cpuSeconds: Number.parseFloat(s.cpu_time) * (s.cpu_time.endsWith('ms') ? 1e-3 : s.cpu_time.endsWith('µs') ? 1e-6 : 1) };
}

const ports = { sql: await freePort(), remotesapi: await freePort(), http: await freePort(), metrics: await freePort() };
const name = `grava-sizing-${ports.remotesapi}`;
const volume = name;
const root = mkdtempSync(join(tmpdir(), 'grava-sizing-'));
const workspaces = [];
try {
  podman(['volume', 'create', volume]);
  podman(['run', '-d', '--name', name, '--network', 'host', '--read-only', '-v', `${volume}:/data`,
    '-e', 'GRAVA_SERVER_HOST=127.0.0.1', '-e', `GRAVA_SERVER_PORT=${ports.sql}`, '-e', `GRAVA_SERVER_REMOTESAPI_PORT=${ports.remotesapi}`,
    '-e', `GRAVA_SERVER_HTTP_PORT=${ports.http}`, '-e', `GRAVA_SERVER_METRICS_PORT=${ports.metrics}`, '-e', 'GRAVA_SERVER_BACKUP_INTERVAL=0',
    ...Object.entries(SYNC).flatMap(([k, v]) => ['-e', `${k}=${v}`]), image]);
  for (let t = Date.now(); ; await sleep(200)) {
    try { if ((await fetch(`http://127.0.0.1:${ports.http}/readyz`)).status === 200) break; } catch { /* not yet */ }
    if (Date.now() - t > 120_000) throw new Error('the container did not become ready');
  }
  await sleep(5_000);
  const idle = [];
  for (let i = 0; i < 10; i++) { idle.push(stats(name)); await sleep(1_000); }
  const idleCores = (idle.at(-1).cpuSeconds - idle[0].cpuSeconds) / 9;
  say(`idle: ${(median(idle.map((s) => s.mem)) / 1e6).toFixed(0)} MB, ${idleCores.toFixed(3)} cores`);

  const url = `http://127.0.0.1:${ports.remotesapi}/grava`;
  say(`cloning ${N} workspaces`);
  for (let i = 0; i < N; i++) {
    const dir = join(root, `ws${i}`);
    (await import('node:fs')).mkdirSync(dir);
    await grava(dir, ['init', '--remote', url, '--actor', `ws${i}`], SYNC);
    workspaces.push(dir);
  }
  let peak = 0;
  let sampling = true;
  const sampler = (async () => { while (sampling) { peak = Math.max(peak, stats(name).mem); await sleep(250); } })();
  const before = stats(name);
  const t0 = Date.now();
  const cycles = [];
  let failed = 0;
  for (let r = 0; r < ROUNDS; r++) {
    await Promise.all(workspaces.map((dir, i) => grava(dir, ['create', `round ${r} from ws${i}`])));
    const results = await Promise.allSettled(workspaces.map(async (dir) => {
      const t = Date.now();
      await grava(dir, ['sync', '--json'], SYNC);
      cycles.push(Date.now() - t);
    }));
    failed += results.filter((x) => x.status === 'rejected').length;
  }
  const elapsed = (Date.now() - t0) / 1000;
  const after = stats(name);
  sampling = false;
  await sampler;
  const loadCores = (after.cpuSeconds - before.cpuSeconds) / elapsed;
  const result = {
    image, workspaces: N, rounds: ROUNDS,
    idle_memory_mb: Math.round(median(idle.map((s) => s.mem)) / 1e6), idle_cores: Number(idleCores.toFixed(3)),
    load_peak_memory_mb: Math.round(peak / 1e6), load_cores: Number(loadCores.toFixed(2)),
    sync_p50_ms: median(cycles), syncs: cycles.length, syncs_failed: failed, load_seconds: Number(elapsed.toFixed(1)),
  };
  say(`under load (${N} workspaces x ${ROUNDS} synchronous bursts): peak ${result.load_peak_memory_mb} MB, ${result.load_cores} cores; sync p50 ${result.sync_p50_ms} ms, ${failed} failed`);
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${Object.entries(result).map(([k, v]) => `${k}: ${v}`).join('\n')}\n`);
} finally {
  await Promise.all(workspaces.map((dir) => grava(dir, ['dolt', 'stop']).catch(() => undefined)));
  podman(['rm', '-f', '-t', '10', name], { allowFail: true });
  podman(['volume', 'rm', '-f', volume], { allowFail: true });
  rmSync(root, { recursive: true, force: true });
}
