// bd show (view)

import { type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { IssueDetail } from '../../../storage/issues/issue-types.js';
import { issueDetail } from '../../render.js';
import { collect } from '../flags.js';
import { beadsDetail } from '../render.js';
import { brun, call, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { line } from './list-query.js';

function registerShow(program: Command): void {
  const show = program.command('show').alias('view')
    .description('show issues (JSON: an array, one detail per id)')
    .argument('[ids...]', 'issue ids')
    .option('--id <id>', 'an issue id (repeatable)', collect)
    .option('--include-dependents', 'add the issues that depend on it')
    .option('--include-comments', 'add the comments')
    .option('--short', 'one line per issue')
    .option('--long', 'every field (the default)');
  refuseFlags(show, { thread: '', refs: '', children: 'use `bd children ID`', 'as-of': '', watch: '', current: '', 'local-time': '' });
  show.action(async (args: string[], o: { id?: string[]; includeDependents?: boolean; includeComments?: boolean; short?: boolean }, cmd: Command) => brun(cmd, async (out) => {
    const ids = [...args, ...(o.id ?? [])];
    if (ids.length === 0) throw new GravaError('GRAVA_E_USAGE', 'at least one issue ID is required');
    const found: IssueDetail[] = [];
    for (const id of ids) {
      try { found.push(await call<IssueDetail>('issue.show', { id })); } catch (e) { softError(`Error fetching ${id}`, e); }
    }
    if (found.length === 0) throw new GravaError('GRAVA_E_NOT_FOUND', 'no issues found matching the provided IDs');
    out.data(found.map((d) => beadsDetail(d, { dependents: o.includeDependents === true, comments: o.includeComments === true })),
      () => found.map((d) => (o.short ? line(d) : issueDetail(d))).join(`\n${'─'.repeat(60)}\n`));
    return 0;
  }));
}

export { registerShow };
