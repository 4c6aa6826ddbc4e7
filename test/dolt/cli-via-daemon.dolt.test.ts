// The whole CLI suite (test/dolt/cli.dolt.test.ts) again, every command going
// through the workspace daemon instead of direct mode: the same answers, the
// same error codes, nothing written on bad input.

import { afterAll } from 'vitest';
import { readdirSync } from 'node:fs';
import { inject } from 'vitest';

process.env.GRAVA_TEST_VIA_DAEMON = '1';
await import('./cli.dolt.test.js');

afterAll(async () => {
  // Stop every daemon these tests started (each stops its workspace server).
  const { execFileSync } = await import('node:child_process');
  const root = inject('testRoot');
  for (const d of readdirSync(root)) {
    try { execFileSync(process.execPath, [new URL('../../bin/grava.js', import.meta.url).pathname, 'daemon', 'stop'], { cwd: `${root}/${d}`, stdio: 'ignore', env: { ...process.env, GRAVA_NO_DAEMON: '' } }); } catch { /* not a workspace */ }
  }
});
