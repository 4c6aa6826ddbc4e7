// Running podman on a machine like this one (Debian 12, root, cgroups in
// hybrid mode): the runc runtime, and no default ulimits (raising
// RLIMIT_NOFILE is refused here). Written to grava's own containers.conf,
// used only when the user has not named one in CONTAINERS_CONF.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheBase } from './dolt-pin.mjs';

export function cacheDir(...parts) {
  const dir = join(cacheBase(), ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function has(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** The environment podman runs with: the caller's, plus grava's containers.conf unless CONTAINERS_CONF is set. */
export function podmanEnv() {
  if (process.env.CONTAINERS_CONF) return process.env;
  const conf = join(cacheDir('image'), 'containers.conf');
  const runtime = has('runc') ? '\n[engine]\nruntime = "runc"\n' : '';
  writeFileSync(conf, `# written by grava's scripts/podman.mjs; set CONTAINERS_CONF to use your own\n[containers]\ndefault_ulimits = []\n${runtime}`);
  return { ...process.env, CONTAINERS_CONF: conf };
}

/** podman ARGS; throws with its stderr when it fails. */
export function podman(args, opts = {}) {
  const r = spawnSync('podman', args, { env: podmanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, ...opts });
  if (r.error) throw new Error(`podman failed to start: ${r.error.message}`);
  if (r.status !== 0 && !opts.allowFail) throw new Error(`podman ${args.join(' ')} exited with ${r.status}: ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`);
  return r;
}

/** Installs podman, runc and mmdebstrap from Debian's packages when missing (root only). */
export function ensurePodmanTools(say = (m) => process.stderr.write(`${m}\n`)) {
  const missing = ['podman', 'runc', 'mmdebstrap'].filter((c) => !has(c));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`${missing.join(', ')} not found; install them (Debian: apt-get install podman runc mmdebstrap)`);
  say(`installing ${missing.join(', ')} from Debian's packages`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-q'], ['install', '-y', '-q', 'podman', 'runc', 'mmdebstrap']]) {
    const r = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (r.status !== 0) throw new Error(`apt-get ${args.join(' ')} failed`);
  }
}
