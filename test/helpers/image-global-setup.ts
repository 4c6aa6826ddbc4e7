// Global set-up for the `image` test project (npm run test:image): podman,
// runc and mmdebstrap installed from Debian's packages when missing, the
// image built by scripts/image.mjs, and the `dolt` project's set-up for the
// workspaces on the host. Afterwards every container and volume labelled
// for this run is removed, whether the tests passed or not.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import doltSetup from './dolt-global-setup.js';
// @ts-expect-error: a plain ESM helper of the build scripts, without types
import { ensurePodmanTools, podman } from '../../scripts/podman.mjs';

declare module 'vitest' {
  export interface ProvidedContext {
    image: string;
    imageSizeBytes: number;
    runLabel: string;
  }
}

type Podman = (args: string[], opts?: { allowFail?: boolean }) => { stdout: string; status: number };

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const teardownDolt = await doltSetup(project);
  (ensurePodmanTools as (say: (m: string) => void) => void)((m) => process.stderr.write(`test:image: ${m}\n`));
  const built = JSON.parse(execFileSync(process.execPath, [new URL('../../scripts/image.mjs', import.meta.url).pathname, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim().split('\n').pop() ?? '{}') as { image: string; size_bytes: number };
  const label = `grava-test-run=${randomBytes(6).toString('hex')}`;
  project.provide('image', built.image);
  project.provide('imageSizeBytes', built.size_bytes);
  project.provide('runLabel', label);
  return async () => {
    const run = podman as Podman;
    const ids = run(['ps', '-aq', '--filter', `label=${label}`], { allowFail: true }).stdout.trim().split('\n').filter(Boolean);
    if (ids.length > 0) run(['rm', '-f', '-t', '5', ...ids], { allowFail: true });
    const vols = run(['volume', 'ls', '-q', '--filter', `label=${label}`], { allowFail: true }).stdout.trim().split('\n').filter(Boolean);
    if (vols.length > 0) run(['volume', 'rm', '-f', ...vols], { allowFail: true });
    await teardownDolt();
  };
}
