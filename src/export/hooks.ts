// Installing grava's git hooks and the issues.jsonl merge driver, chained
// with the hooks a repository already has. The repository is read with
// isomorphic-git (its root, its git dir, core.hooksPath); the shims are
// plain sh that users' git runs.
//
// Each shim runs the hook that was there before (kept beside it as
// `<hook>.grava-chained`, with the same arguments; its failure still stops
// the commit), then `grava hooks run <hook>`. Uninstall puts the old hooks
// back exactly; installing twice changes nothing.

import * as fs from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import git from 'isomorphic-git';
import { GravaError } from '../errors/grava-error.js';

export const HOOKS = ['pre-commit', 'prepare-commit-msg', 'post-merge', 'post-checkout', 'post-rewrite', 'pre-push'] as const;
export type HookName = (typeof HOOKS)[number];

const MARKER = '# grava-hook v1';
export const DRIVER = 'grava-jsonl';
const ATTRIBUTE_LINE = `issues.jsonl merge=${DRIVER}`;

export interface Repo {
  readonly root: string;
  readonly gitdir: string;
  readonly hooksDir: string;
}

/** The git repository around `from`: its root, git dir (worktrees included) and hooks directory. */
export async function findRepo(from: string): Promise<Repo> {
  let root: string;
  try {
    root = await git.findRoot({ fs, filepath: resolve(from) });
  } catch {
    throw new GravaError('GRAVA_E_NOT_FOUND', `no git repository at or above ${from}`);
  }
  const dotGit = join(root, '.git');
  let gitdir = dotGit;
  if (fs.statSync(dotGit).isFile()) {
    const m = /^gitdir:\s*(.+)$/m.exec(fs.readFileSync(dotGit, 'utf8'));
    if (m) gitdir = resolve(root, m[1]!.trim());
  }
  const configured = (await git.getConfig({ fs, dir: root, gitdir, path: 'core.hooksPath' })) as string | undefined;
  const hooksDir = configured ? (isAbsolute(configured) ? configured : resolve(root, configured)) : join(gitdir, 'hooks');
  return { root, gitdir, hooksDir };
}

function shim(hook: HookName, node: string, bin: string): string {
  const q = (s: string): string => `'${s.replace(/'/g, "'\\''")}'`;
  return `#!/bin/sh
${MARKER}: installed by \`grava hooks install\`; \`grava hooks uninstall\` puts back what was here.
chained="$(dirname "$0")/${hook}.grava-chained"
if [ -x "$chained" ]; then "$chained" "$@" || exit $?; fi
[ "\${GRAVA_SKIP_HOOKS:-}" = "1" ] && exit 0
if [ ! -f ${q(bin)} ] || [ ! -x ${q(node)} ]; then
  echo "grava ${hook} hook: grava is not at ${bin.replace(/"/g, '')} any more; skipping (run grava hooks install again)" >&2
  exit 0
fi
exec ${q(node)} ${q(bin)} hooks run ${hook} "$@"
`;
}

function isOurs(path: string): boolean {
  try { return fs.readFileSync(path, 'utf8').includes(MARKER); } catch { return false; }
}

export interface HookStatus {
  readonly hook: HookName;
  readonly installed: boolean;
  readonly chained: boolean;
}

export interface HooksStatus {
  readonly repo: string;
  readonly hooks_dir: string;
  readonly hooks: readonly HookStatus[];
  readonly merge_driver: boolean;
  readonly attributes: boolean;
}

export async function hooksStatus(repo: Repo): Promise<HooksStatus> {
  const driver = (await git.getConfig({ fs, dir: repo.root, gitdir: repo.gitdir, path: `merge.${DRIVER}.driver` })) as string | undefined;
  const attrs = join(repo.root, '.gitattributes');
  return {
    repo: repo.root,
    hooks_dir: repo.hooksDir,
    hooks: HOOKS.map((hook) => ({ hook, installed: isOurs(join(repo.hooksDir, hook)), chained: fs.existsSync(join(repo.hooksDir, `${hook}.grava-chained`)) })),
    merge_driver: driver !== undefined,
    attributes: fs.existsSync(attrs) && fs.readFileSync(attrs, 'utf8').split('\n').includes(ATTRIBUTE_LINE),
  };
}

/** Installs the shims (chaining existing hooks), the merge driver in the repository's config, and the .gitattributes line. */
export async function installHooks(repo: Repo, node: string, bin: string): Promise<HooksStatus> {
  fs.mkdirSync(repo.hooksDir, { recursive: true });
  for (const hook of HOOKS) {
    const path = join(repo.hooksDir, hook);
    const chained = join(repo.hooksDir, `${hook}.grava-chained`);
    if (fs.existsSync(path) && !isOurs(path)) {
      if (fs.existsSync(chained)) throw new GravaError('GRAVA_E_CONFLICT', `${chained} already exists; move it away before installing`);
      fs.renameSync(path, chained);
    }
    fs.writeFileSync(path, shim(hook, node, bin), { mode: 0o755 });
    fs.chmodSync(path, 0o755);
  }
  const driver = `${shellQuote(node)} ${shellQuote(bin)} hooks run merge-driver %O %A %B %P`;
  await git.setConfig({ fs, dir: repo.root, gitdir: repo.gitdir, path: `merge.${DRIVER}.name`, value: 'grava issues.jsonl: merged cell by cell, newest stamp wins' });
  await git.setConfig({ fs, dir: repo.root, gitdir: repo.gitdir, path: `merge.${DRIVER}.driver`, value: driver });
  const attrs = join(repo.root, '.gitattributes');
  const text = fs.existsSync(attrs) ? fs.readFileSync(attrs, 'utf8') : '';
  if (!text.split('\n').includes(ATTRIBUTE_LINE)) fs.writeFileSync(attrs, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${ATTRIBUTE_LINE}\n`);
  return hooksStatus(repo);
}

/** Removes grava's shims and puts back the hooks they chained; removes the merge driver and the attribute line. */
export async function uninstallHooks(repo: Repo): Promise<HooksStatus> {
  for (const hook of HOOKS) {
    const path = join(repo.hooksDir, hook);
    const chained = join(repo.hooksDir, `${hook}.grava-chained`);
    if (isOurs(path)) fs.rmSync(path);
    if (fs.existsSync(chained) && !fs.existsSync(path)) fs.renameSync(chained, path);
  }
  await git.setConfig({ fs, dir: repo.root, gitdir: repo.gitdir, path: `merge.${DRIVER}.name`, value: undefined });
  await git.setConfig({ fs, dir: repo.root, gitdir: repo.gitdir, path: `merge.${DRIVER}.driver`, value: undefined });
  const attrs = join(repo.root, '.gitattributes');
  if (fs.existsSync(attrs)) {
    const kept = fs.readFileSync(attrs, 'utf8').split('\n').filter((l) => l !== ATTRIBUTE_LINE);
    const text = kept.join('\n');
    if (text.trim() === '') fs.rmSync(attrs); else fs.writeFileSync(attrs, text);
  }
  return hooksStatus(repo);
}

function shellQuote(s: string): string {
  return /^[\w./@-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
}

/** Where grava's own entry point is, for the shims (the package's bin/grava.js). */
export function gravaBin(packageRoot: string): string {
  return join(packageRoot, 'bin', 'grava.js');
}

