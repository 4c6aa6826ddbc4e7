// The build a CLI or daemon runs: package version plus the time of the last
// TypeScript build (dist/.tsbuildinfo, rewritten by every build that changes
// any file), so a rebuilt grava never talks to a daemon of the old build.

import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function buildVersion(): string {
  // Tests pose as another build to drive the version handshake.
  if (process.env.GRAVA_TEST_BUILD) return process.env.GRAVA_TEST_BUILD;
  if (cached) return cached;
  const here = fileURLToPath(import.meta.url);
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch { /* not in a checkout: the version alone */ }
  let build = '';
  for (const stamp of [new URL('../.tsbuildinfo', import.meta.url), here]) {
    try { build = `+${Math.floor(statSync(stamp).mtimeMs).toString(36)}`; break; } catch { /* next */ }
  }
  cached = `${version}${build}`;
  return cached;
}
