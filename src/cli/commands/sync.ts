// grava sync: one cycle now (through the daemon when it runs)

import type { Command } from 'commander';
import { call, daemonDisabled } from '../context.js';
import { wantsProgress, watchSync } from '../sync-progress.js';
import type { SyncResult } from '../../transport/sync.js';
import { jsonOption, run } from '../run.js';

function repairsText(r: SyncResult): string {
  return (r.repairs ?? []).map((x) => (x.kind === 'dependency_cycle'
    ? `; the merge made a cycle of blocking dependencies, so it removed ${x.issue_id} -> ${x.depends_on} (the newest edge of the cycle)`
    : `; two different issues had drawn the id ${x.issue_id}: the one created second is now ${x.new_id}`)).join('');
}

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('run one sync cycle now: commit local changes, pull, merge (newest write wins per cell), push')
    .option('--force', 'sync now even if the daemon would wait (bd sync --force); every sync runs a full cycle')
    .option('--progress', 'while the sync runs long, say what it is doing on stderr every few seconds (the default when stderr is a terminal and --json is not given)')
    .option('--no-progress', 'never say what a long sync is doing')
    .addOption(jsonOption())
    .action(async (o: { force?: boolean; json?: boolean; progress?: boolean }) => run(o, async (out) => {
      const progress = wantsProgress({ progress: o.progress, json: o.json, stderrIsTty: process.stderr.isTTY, daemonDisabled: daemonDisabled() });
      const stop = progress ? watchSync((line) => process.stderr.write(`${line}\n`)) : undefined;
      const r = await call<SyncResult & { writes?: number }>('sync', { force: o.force === true }).finally(() => stop?.());
      out.data(r, () => (r.noop
        ? `up to date (${r.duration_ms} ms)`
        : `synced in ${r.duration_ms} ms: pulled ${r.pulled} commit(s), pushed ${r.pushed}, ${r.conflicts_resolved} conflicting row(s) resolved, ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}${r.clamped_stamps > 0 ? `; ${r.clamped_stamps} stamp(s) from clocks running ahead (${r.skewed_actors.join(', ')}) were clamped` : ''}${repairsText(r)}${r.remote_rewound ? "; the central's main had moved back (a restore from an older backup, or a force-push): this workspace's commits were merged and pushed again" : ''}`));
    }));
}
