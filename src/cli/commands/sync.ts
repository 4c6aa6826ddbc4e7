// grava sync, grava merge-inspect

import type { Command } from 'commander';
import { withReplica } from '../context.js';
import { jsonOption, run } from '../run.js';

export function registerSync(program: Command): void {
  program
    .command('sync')
    .description('run one sync cycle now: commit local changes, pull, merge (newest write wins per cell), push')
    .option('--force', 'accepted for compatibility (bd sync --force): every sync already runs a full cycle')
    .addOption(jsonOption())
    .action(async (o: { force?: boolean; json?: boolean }) => run(o, async (out) => {
      const { syncOnce } = await import('../../transport/sync.js');
      const r = await withReplica((rep) => syncOnce(rep));
      out.data(r, () => (r.noop
        ? `up to date (${r.duration_ms} ms)`
        : `synced in ${r.duration_ms} ms: pulled ${r.pulled} commit(s), pushed ${r.pushed}, ${r.conflicts_resolved} conflicting row(s) resolved, ${r.retries} retr${r.retries === 1 ? 'y' : 'ies'}`));
    }));
}
