#!/usr/bin/env node
// `npm run setup`: every set-up step, safe to repeat.
//   1. npm dependencies, if missing or older than package-lock.json
//   2. the TypeScript build (incremental)
//   3. the pinned Dolt, built with Go from the module proxy if not cached
// Prints where Dolt is.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, mkdirSync, renameSync, rmSync, mkdtempSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { doltCachePath, readPin } from './dolt-pin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const quiet = process.argv.includes('--quiet');
const say = (msg) => { if (!quiet) process.stderr.write(`setup: ${msg}\n`); };

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], ...opts });
  if (r.error) throw new Error(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
}

function mtime(p) { try { return statSync(p).mtimeMs; } catch { return 0; } }

// 1. npm dependencies
const stamp = join(root, 'node_modules', '.package-lock.json');
if (!existsSync(stamp) || mtime(join(root, 'package-lock.json')) > mtime(stamp)) {
  say('installing npm dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
} else say('npm dependencies are up to date');

// 2. TypeScript
say('building TypeScript');
run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json']);
say('bundling the CLI');
run(process.execPath, [join(root, 'scripts', 'bundle.mjs')]);

// 3. Dolt
const pin = readPin(root);
let dolt = process.env.GRAVA_DOLT_BIN;
if (dolt) {
  say(`GRAVA_DOLT_BIN is set; using ${dolt}`);
  if (!existsSync(dolt)) throw new Error(`GRAVA_DOLT_BIN=${dolt} does not exist`);
} else {
  dolt = doltCachePath(pin);
  if (!existsSync(dolt)) {
    say(`building Dolt ${pin.version} (${pin.moduleVersion}) with Go; a cold build takes a few minutes`);
    const go = spawnSync('go', ['version'], { encoding: 'utf8' });
    if (go.status !== 0) throw new Error('Go is needed to build Dolt and was not found on PATH');
    mkdirSync(dirname(dolt), { recursive: true, mode: 0o755 });
    const tmpDir = mkdtempSync(join(dirname(dolt), '.build-'));
    const tmp = join(tmpDir, 'dolt');
    const started = Date.now();
    try {
      run('go', ['build', '-trimpath', '-o', tmp, `${pin.module}/cmd/dolt`], {
        cwd: join(root, 'tools', 'dolt'),
        env: { ...process.env, CGO_ENABLED: '1', GOFLAGS: '-mod=readonly -buildvcs=false' },
      });
      renameSync(tmp, dolt); // atomic: a half-written binary is never cached
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
    say(`built Dolt in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
// A fixed private DOLT_ROOT_PATH: `dolt version` writes a version-check file there.
const versionHome = join(dirname(dirname(dirname(doltCachePath(pin)))), 'dolt-version-home');
mkdirSync(versionHome, { recursive: true, mode: 0o700 });
const v = spawnSync(dolt, ['version'], { encoding: 'utf8', env: { ...process.env, DOLT_ROOT_PATH: versionHome } });
const version = /dolt version (\S+)/.exec(v.stdout ?? '')?.[1];
if (!version) throw new Error(`could not read the version of ${dolt}: ${v.stderr ?? ''}`);
process.stdout.write(`Dolt ${version}: ${dolt}\n`);
