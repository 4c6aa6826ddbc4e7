// grava hooks install | uninstall | status, and grava hooks run HOOK (what
// the installed shims call).
//
// pre-commit exports issues.jsonl and stages it, so it is in the very commit
// being made; prepare-commit-msg adds a `Grava-Dolt-Commit:` trailer naming
// the Dolt commit the export was taken from; post-merge, post-checkout and
// post-rewrite import issues.jsonl when it changed; merge-driver merges
// issues.jsonl three ways, cell by cell. A hook never blocks a commit because
// grava or the workspace is missing (it warns and exits 0); it blocks when the
// export itself fails, and GRAVA_SKIP_HOOKS=1 skips every hook.

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { fileStamp } from '../../export/file-stamp.js';
import { call } from '../context.js';
import { jsonOption, run } from '../run.js';
import { isObject, readJsonFile } from '../../storage/dolt/json-file.js';

interface HookState { jsonl_stamp: string | null; dolt_commit: string | null; dolt_dirty: boolean; db_hash?: string | undefined }

async function workspaceAt(repoRoot: string): Promise<{ stateFile: string; root: string } | undefined> {
  const { findWorkspaceRoot, workspacePaths } = await import('../../storage/dolt/layout.js');
  const root = findWorkspaceRoot(repoRoot);
  return root === undefined ? undefined : { stateFile: join(workspacePaths(root).dir, 'hooks-state.json'), root };
}

/**
 * pre-push (git passes the remote's name and URL): when the workspace syncs
 * through this same git remote (refs/dolt/data), a sync runs first, so no
 * pushed commit (its issues.jsonl, its Grava-Dolt-Commit trailer) names a
 * Dolt commit the remote lacks. A failed sync stops the git push.
 */
async function prePush(ws: { root: string }, args: readonly string[]): Promise<number> {
  const url = args[1];
  if (!url) return 0;
  const { readConfig, workspacePaths } = await import('../../storage/dolt/layout.js');
  const remote = readConfig(workspacePaths(ws.root)).remote;
  if (!remote?.startsWith('git+')) return 0;
  const { gitPlusUrl } = await import('../../transport/remote-url.js');
  let pushedTo: string;
  try { pushedTo = gitPlusUrl(url, ws.root); } catch { return 0; }
  if (pushedTo.replace(/\/+$/, '') !== remote.replace(/\/+$/, '')) return 0;
  try {
    await call('sync', { force: true });
    return 0;
  } catch (e) {
    const err = e as { code?: string; message?: string };
    warn('pre-push', `the issue database (refs/dolt/data) could not be pushed to ${args[0] ?? url} first (${err.code ?? 'error'}: ${err.message ?? String(e)}); the git push is stopped so that no pushed commit names a Dolt commit that remote lacks. Fix it, or push with GRAVA_SKIP_HOOKS=1`);
    return 1;
  }
}

function readState(file: string): HookState {
  // Missing or corrupt: nothing is known about the last export, so the next hook exports again (safe, slower once).
  const r = readJsonFile(file, isObject);
  return r.status === 'ok' ? (r.value as unknown as HookState) : { jsonl_stamp: null, dolt_commit: null, dolt_dirty: false };
}

/** Errors that mean grava or its workspace cannot be reached: a hook warns and lets the commit go on. */
const UNREACHABLE = new Set(['GRAVA_E_NO_WORKSPACE', 'GRAVA_E_DAEMON', 'GRAVA_E_DAEMON_VERSION', 'GRAVA_E_SERVER', 'GRAVA_E_DOLT_MISSING', 'GRAVA_E_DOLT_VERSION', 'GRAVA_E_LOCKED', 'GRAVA_E_SHUTTING_DOWN']);

const warn = (hook: string, message: string): void => { process.stderr.write(`grava ${hook} hook: ${message}\n`); };

async function runHook(hook: string, args: readonly string[]): Promise<number> {
  if (process.env.GRAVA_SKIP_HOOKS === '1') return 0;
  if (hook === 'merge-driver') return mergeDriver(args);
  // The repository's root by walking up to .git: no isomorphic-git on the hooks' hot path.
  const { gitRoot } = await import('./export.js');
  const root = gitRoot(process.cwd());
  if (root === undefined) { warn(hook, `not inside a git repository (${process.cwd()}); skipping`); return 0; }
  const repo = { root };
  const ws = await workspaceAt(repo.root);
  if (!ws) { warn(hook, `no grava workspace at or above ${repo.root}; skipping`); return 0; }
  const file = join(repo.root, 'issues.jsonl');
  if (hook === 'pre-commit') {
    let r: { skipped: boolean; dolt_commit: string; dolt_dirty: boolean; db_hash: string; file_stamp: string };
    const last = readState(ws.stateFile);
    try {
      // Nothing changed since the last export (same database hash, same file): the file stays as it is.
      const unless = last.db_hash && last.jsonl_stamp ? { db_hash: last.db_hash, file_stamp: last.jsonl_stamp } : undefined;
      r = await call<{ skipped: boolean; dolt_commit: string; dolt_dirty: boolean; db_hash: string; file_stamp: string }>('export.write', { path: file, unless });
    } catch (e) {
      const err = e as { code?: string; message?: string };
      // A broken or unreachable workspace never blocks a commit; a failed export does.
      if (err.code !== undefined && UNREACHABLE.has(err.code)) {
        warn(hook, `${err.code}: ${err.message ?? ''}; issues.jsonl not updated`);
        return 0;
      }
      const { GravaError } = await import('../../errors/grava-error.js');
      throw new GravaError('GRAVA_E_EXPORT', `the pre-commit hook could not export issues.jsonl (${err.code ?? 'error'}: ${err.message ?? String(e)}); fix it, or commit with GRAVA_SKIP_HOOKS=1`);
    }
    // An unchanged export was staged when it was written; a new one is staged now.
    if (!r.skipped) execFileSync('git', ['add', '--', 'issues.jsonl'], { cwd: repo.root, stdio: ['ignore', 'ignore', 'inherit'] });
    writeFileSync(ws.stateFile, JSON.stringify({ jsonl_stamp: r.file_stamp, dolt_commit: r.dolt_commit, dolt_dirty: r.dolt_dirty, db_hash: r.db_hash } satisfies HookState), { mode: 0o600 });
    return 0;
  }
  if (hook === 'prepare-commit-msg') {
    const msgFile = args[0];
    const state = readState(ws.stateFile);
    if (!msgFile || !state.dolt_commit || state.jsonl_stamp !== fileStamp(file)) return 0;
    const text = readFileSync(msgFile, 'utf8');
    if (/^Grava-Dolt-Commit:/m.test(text)) return 0;
    const trailer = `Grava-Dolt-Commit: ${state.dolt_commit}${state.dolt_dirty ? ' (+ uncommitted writes)' : ''}`;
    // Before git's comment lines, so the trailer survives the message cleanup.
    const lines = text.split('\n');
    const firstComment = lines.findIndex((l) => l.startsWith('#'));
    const at = firstComment < 0 ? lines.length : firstComment;
    const head = lines.slice(0, at).join('\n').replace(/\n*$/, '');
    writeFileSync(msgFile, `${head}\n\n${trailer}\n${lines.slice(at).join('\n')}`);
    return 0;
  }
  if (hook === 'post-merge' || hook === 'post-checkout' || hook === 'post-rewrite') {
    const now = fileStamp(file);
    const state = readState(ws.stateFile);
    if (now === null || now === state.jsonl_stamp) return 0;
    try {
      const r = await call<{ rows_inserted: number; rows_updated: number; cells_taken: number }>('import.file', { path: file });
      // The database changed: the next pre-commit exports again (no stale database hash).
      writeFileSync(ws.stateFile, JSON.stringify({ ...state, jsonl_stamp: now, db_hash: undefined } satisfies HookState), { mode: 0o600 });
      if (r.rows_inserted + r.rows_updated > 0) warn(hook, `imported issues.jsonl: ${r.rows_inserted} new row(s), ${r.rows_updated} updated (${r.cells_taken} cell(s))`);
    } catch (e) {
      const err = e as { code?: string; message?: string };
      warn(hook, `issues.jsonl was not imported: ${err.code ?? 'error'}: ${err.message ?? String(e)}`);
    }
    return 0;
  }
  if (hook === 'pre-push') return prePush(ws, args);
  warn(hook, 'not a hook grava knows; nothing to do');
  return 0;
}

/** git's merge driver: %O %A %B [%P]; the result goes into %A; exit 0 when merged. */
async function mergeDriver(args: readonly string[]): Promise<number> {
  const [base, ours, theirs, name] = args;
  if (!base || !ours || !theirs) { process.stderr.write('GRAVA_E_USAGE: hooks run merge-driver BASE OURS THEIRS [PATH]\n'); return 2; }
  const { mergeJsonl } = await import('../../export/merge-driver.js');
  const r = mergeJsonl(readFileSync(base, 'utf8'), readFileSync(ours, 'utf8'), readFileSync(theirs, 'utf8'), Date.now());
  if (!r.ok) {
    const p = r.problems[0]!;
    process.stderr.write(`grava merge driver: ${name ?? 'issues.jsonl'} (${r.side}) is not valid JSONL, line ${p.line}: ${p.message}; leaving the merge to you\n`);
    return 1;
  }
  writeFileSync(ours, r.text);
  return 0;
}

export function registerHooks(program: Command): void {
  const hooks = program.command('hooks').description('git hooks that keep issues.jsonl in every commit, and its merge driver');
  hooks.command('install')
    .description('install the hooks (chained with existing ones, respecting core.hooksPath) and the issues.jsonl merge driver')
    .addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { findRepo, installHooks, gravaBin } = await import('../../export/hooks.js');
      const { packageRoot } = await import('../../storage/dolt/dolt-binary.js');
      const s = await installHooks(await findRepo(process.cwd()), process.execPath, gravaBin(packageRoot()));
      out.data(s, () => `installed ${s.hooks.map((h) => `${h.hook}${h.chained ? ' (chained)' : ''}`).join(', ')} in ${s.hooks_dir}; merge driver for issues.jsonl registered (commit .gitattributes)`);
    }));
  hooks.command('uninstall')
    .description('remove the hooks and put back the ones they chained; remove the merge driver')
    .addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { findRepo, uninstallHooks } = await import('../../export/hooks.js');
      const s = await uninstallHooks(await findRepo(process.cwd()));
      out.data(s, () => `removed grava's hooks from ${s.hooks_dir}`);
    }));
  hooks.command('status')
    .description('which hooks are installed, chained, and whether the merge driver is registered')
    .addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { findRepo, hooksStatus } = await import('../../export/hooks.js');
      const s = await hooksStatus(await findRepo(process.cwd()));
      out.data(s, () => [...s.hooks.map((h) => `${h.hook}: ${h.installed ? 'installed' : 'not installed'}${h.chained ? ', chains the previous hook' : ''}`), `merge driver: ${s.merge_driver ? 'registered' : 'not registered'}; .gitattributes: ${s.attributes ? 'yes' : 'no'}`].join('\n'));
    }));
  hooks.command('run', { hidden: true })
    .description('run one hook (the installed shims call this)')
    .argument('<hook>')
    .argument('[args...]')
    .allowUnknownOption()
    .action(async (hook: string, args: string[]) => run({}, async () => { process.exitCode = await runHook(hook, args); }));
}
