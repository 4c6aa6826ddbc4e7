// The build a CLI or daemon runs: package version plus the build time of the
// compiled code, so a rebuilt grava never talks to a daemon of the old build.

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
  try { build = `+${Math.floor(statSync(here).mtimeMs).toString(36)}`; } catch { /* unreadable */ }
  cached = `${version}${build}`;
  return cached;
}
