// bd prime | sync | dolt push|pull | init | doctor | version
//
// sync, init and doctor are grava's own commands under their beads names:
// they run the grava face in this process, so there is one implementation.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { SyncResult } from '../../../transport/sync.js';
import { brun, call, jsonEnabled } from '../run.js';
import { refuseFlags } from '../unsupported.js';

/** Runs a grava command line in this process and keeps its exit code. */
async function grava(args: readonly string[], cmd: Command): Promise<void> {
  const { main } = await import('../../main.js');
  const json = jsonEnabled(cmd) && !args.includes('--json') ? ['--json'] : [];
  process.exitCode = await main(['node', 'grava', ...args, ...json]);
}

/** One sync cycle through the daemon (grava sync), reported the beads way. */
async function syncNow(cmd: Command, force: boolean): Promise<void> {
  await brun(cmd, async (out) => {
    const r = await call<SyncResult>('sync', { force });
    out.data(r, () => (r.noop ? `up to date (${r.duration_ms} ms)` : `✓ synced in ${r.duration_ms} ms: pulled ${r.pulled} commit(s), pushed ${r.pushed}, ${r.conflicts_resolved} conflicting row(s) resolved`));
  });
}

function registerPrime(program: Command): void {
  program.command('prime')
    .description("print the agent guide for this workspace (session-start hooks run it); .grava/PRIME.md overrides it")
    .option('--full', 'the whole guide (the default)')
    .option('--mcp', 'the same guide (grava has no MCP server)')
    .option('--export', 'print the built-in guide, ignoring .grava/PRIME.md')
    .option('--hook-json', 'wrap it for a Claude Code SessionStart hook')
    .action(async (o: { export?: boolean; hookJson?: boolean }) => {
      const { findWorkspaceRoot, readConfig, workspacePaths } = await import('../../../storage/dolt/layout.js');
      const root = findWorkspaceRoot();
      // Outside a workspace there is nothing to prime (as beads does): no output, exit 0.
      if (root === undefined) {
        if (o.hookJson) process.stdout.write(`${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: '' } })}\n`);
        return;
      }
      const paths = workspacePaths(root);
      const override = join(paths.dir, 'PRIME.md');
      let text: string;
      if (!o.export && existsSync(override)) text = readFileSync(override, 'utf8');
      else {
        const config = readConfig(paths);
        const { primeText } = await import('../prime.js');
        text = primeText({ actor: config.actor, prefix: config.prefix, remote: config.remote ?? null });
      }
      process.stdout.write(o.hookJson ? `${JSON.stringify({ hookSpecificOutput: { hookEventName: 'SessionStart', additionalContext: text } })}\n` : text);
    });
}

export function registerSession(program: Command): void {
  registerPrime(program);

  program.command('sync')
    .description("run one sync cycle now (grava's meaning: commit, pull, merge, push); the daemon also syncs on its own")
    .option('--force', 'sync now even if the daemon would wait')
    .action(async (o: { force?: boolean }, cmd: Command) => syncNow(cmd, o.force === true));

  const dolt = program.command('dolt').description('bd dolt push / pull: a sync cycle now (grava pushes and pulls in one cycle)');
  for (const verb of ['push', 'pull']) {
    dolt.command(verb).description(`run a sync cycle now (it ${verb === 'push' ? 'also pulls' : 'also pushes'})`)
      .action(async (_o: unknown, cmd: Command) => syncNow(cmd, true));
  }

  program.command('init')
    .description('create a grava workspace here (grava init)')
    .option('--prefix <prefix>', 'issue id prefix')
    .option('--remote <url>', 'sync with this remote (grava)')
    .option('--actor <name>', 'who this workspace writes as (also BD_ACTOR, BEADS_ACTOR)')
    .option('-q, --quiet', 'print less')
    .option('--non-interactive', 'never ask (grava never does)')
    .option('--skip-agents', 'grava writes no agent files')
    .option('--skip-hooks', 'grava installs no git hooks')
    .action(async (o: { prefix?: string; remote?: string; actor?: string }, cmd: Command) => {
      const actor = o.actor ?? process.env.BD_ACTOR ?? process.env.BEADS_ACTOR;
      await grava(['init', ...(o.prefix ? ['--prefix', o.prefix] : []), ...(o.remote ? ['--remote', o.remote] : []), ...(actor ? ['--actor', actor] : [])], cmd);
    });

  const doctor = program.command('doctor').description('check Dolt, the workspace and its server (grava doctor)');
  refuseFlags(doctor, { fix: 'grava doctor only reports', check: 'grava runs all its checks every time' });
  doctor.action(async (_o: unknown, cmd: Command) => grava(['doctor'], cmd));

  program.command('version').description('print the version')
    .action(() => { process.stdout.write('bd version 0.1.0 (grava)\n'); });
}
