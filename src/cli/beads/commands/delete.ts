// bd delete: a preview unless --force

import type { Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { brun, call } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { usage } from './text-flags.js';

function registerDelete(program: Command): void {
  const del = program.command('delete')
    .description('delete issues; without --force only shows what would be deleted')
    .argument('[ids...]', 'issue ids')
    .option('-f, --force', 'really delete (leaves a tombstone that syncs; removes the issues\' dependency links)')
    .option('--dry-run', 'only show what would be deleted');
  refuseFlags(del, { cascade: 'delete dependents one by one', 'from-file': 'pass the ids as arguments' });
  del.action(async (ids: string[], o: { force?: boolean; dryRun?: boolean }, cmd: Command) => brun(cmd, async (out) => {
    const unique = [...new Set(ids)];
    if (unique.length === 0) throw usage('no issue IDs provided');
    const details: IssueDetail[] = [];
    const missing: string[] = [];
    for (const id of unique) {
      try { details.push(await call<IssueDetail>('issue.show', { id })); } catch (e) {
        if ((e as GravaError).code === 'GRAVA_E_NOT_FOUND' || (e as GravaError).code === 'GRAVA_E_INVALID') missing.push(id); else throw e;
      }
    }
    if (missing.length > 0) throw new GravaError('GRAVA_E_NOT_FOUND', missing.length === 1 ? `issue ${missing[0]} not found` : `issues not found: ${missing.join(', ')}`, { ids: missing });
    const links = details.flatMap((d) => [...d.dependencies.map((x) => `${d.id} → ${x.id} (${x.type})`), ...d.dependents.map((x) => `${x.id} → ${d.id} (inbound)`)]);
    if (!o.force || o.dryRun) {
      const preview = { dry_run: true, would_delete: details.map((d) => ({ id: d.id, title: d.title })), dependency_links: links };
      out.data(preview, () => [
        '', 'DELETE PREVIEW (nothing was changed)', '', `Issues to delete (${details.length}):`, ...details.map((d) => `  ${d.id}: ${oneLine(d.title)}`),
        ...(links.length > 0 ? ['', `Dependency links to remove: ${links.length}`, ...links.map((l) => `  ${l}`)] : []),
        '', `To proceed, run: bd delete ${unique.join(' ')} --force`, '',
      ].join('\n'));
      return 0;
    }
    let removed = 0;
    for (const d of details) removed += (await call<{ dependencies_removed: number }>('issue.delete', { id: d.id, unlink: true })).dependencies_removed;
    const payload = details.length === 1 ? { deleted: details[0]!.id, dependencies_removed: removed } : { deleted: details.map((d) => d.id), deleted_count: details.length, dependencies_removed: removed };
    out.data(payload, () => `✓ Deleted ${details.map((d) => d.id).join(', ')}\n  Removed ${removed} dependency link(s)`);
  }));
}

export { registerDelete };
