// Global set-up for the `dolt` test project: checks that the real, pinned Dolt
// and the built CLI exist, gives every test file a private temp root, and
// after the run stops every dolt sql-server that a test left behind.

import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { findDolt } from '../../src/storage/dolt/dolt-binary.js';
import { commandLine, terminate, isAlive } from '../../src/storage/dolt/process-util.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testRoot: string;
    doltPath: string;
  }
}

function serverStates(dir: string, depth = 0): string[] {
  if (depth > 6 || !existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    let st;
    try { st = statSync(p); } catch { continue; }
    if (st.isDirectory() && name !== 'dolt' && name !== 'node_modules') out.push(...serverStates(p, depth + 1));
    else if (name === 'server.json' || name === 'central-server.json') out.push(p);
  }
  return out;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dolt = await findDolt();
  if (!existsSync(new URL('../../dist/cli/main.js', import.meta.url))) throw new Error('dist/ is missing: run `npm run setup` first');
  const root = mkdtempSync(join(tmpdir(), 'grava-test-'));
  project.provide('testRoot', root);
  project.provide('doltPath', dolt.path);
  return async () => {
    for (const state of serverStates(root)) {
      try {
        const { pid } = JSON.parse(readFileSync(state, 'utf8')) as { pid: number };
        if (pid && isAlive(pid)) await terminate(pid, 5_000);
      } catch { /* unreadable state: nothing to stop */ }
    }
    // Anything still running from this test root (e.g. a server whose state file a test overwrote).
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      const pid = Number(entry);
      if (pid === process.pid || !isAlive(pid)) continue;
      let cwd = '';
      try { cwd = readlinkSync(`/proc/${pid}/cwd`); } catch { /* gone */ }
      // Daemons (`grava daemon run`) name no path: they run in their workspace.
      if ((commandLine(pid) ?? []).some((arg) => arg.startsWith(root)) || cwd.startsWith(root)) await terminate(pid, 5_000);
    }
    if (!process.env.GRAVA_KEEP_TEST_DIRS) rmSync(root, { recursive: true, force: true });
  };
}
