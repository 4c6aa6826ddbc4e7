#!/usr/bin/env node
// Bundles the CLI (dist/bundle/) with esbuild: one module graph in a few files
// instead of ~25 ES modules plus commander's CommonJS files. Module loading is
// most of what a command costs when the daemon answers (measured ~10 ms of
// ~120 ms on Node 20). Database drivers, pino, zod and fastify stay external:
// only the daemon and direct mode load them. bin/grava.js uses the bundle when
// it is at least as new as the TypeScript build, and dist/ otherwise.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'dist', 'bundle');
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [join(root, 'src', 'cli', 'main.ts')],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['knex', 'mysql2', 'pino', 'rotating-file-stream', 'zod', 'fastify'],
  // commander is CommonJS: give the bundle a require().
  banner: { js: "import { createRequire as __gravaRequire } from 'node:module'; const require = __gravaRequire(import.meta.url);" },
  logLevel: 'warning',
});
