#!/usr/bin/env node
// grava / bd entry point. The TypeScript is built into dist/ by `npm run setup`.
import { existsSync, statSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1 caches compiled code on disk: most of a warm command's start-up.
module.enableCompileCache?.();

// The bundled CLI (scripts/bundle.mjs) when it is at least as new as the
// TypeScript build; the compiled modules otherwise.
const compiled = new URL('../dist/cli/main.js', import.meta.url);
const bundled = new URL('../dist/bundle/main.js', import.meta.url);
const mtime = (u) => { try { return statSync(u).mtimeMs; } catch { return -1; } };
const entry = mtime(bundled) >= mtime(new URL('../dist/.tsbuildinfo', import.meta.url)) && mtime(bundled) > 0 ? bundled : compiled;
if (!existsSync(entry)) {
  process.stderr.write('GRAVA_E_INTERNAL: grava is not built; run `npm run setup` in the grava checkout\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
