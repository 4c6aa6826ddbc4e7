#!/usr/bin/env node
// grava / bd entry point. The TypeScript is built into dist/ by `npm run setup`.
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1 caches compiled code on disk: most of a warm command's start-up.
module.enableCompileCache?.();

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('GRAVA_E_INTERNAL: grava is not built; run `npm run setup` in the grava checkout\n');
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
