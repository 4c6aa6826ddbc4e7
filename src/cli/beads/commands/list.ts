// bd list, children, search

import { type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import { oneLine } from '../../output.js';
import { commaList } from '../flags.js';
import { beadsIssueWithCounts } from '../render.js';
import { brun, call } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { displayFlags, filterOf, line, listed, listFlags, type ListOpts } from './list-query.js';

function registerList(program: Command): void {
  const list = displayFlags(listFlags(program.command('list').description('list issues (closed ones only with --status or --all)'), 50))
    .option('--all', 'include closed issues, no limit')
    .option('--title <text>', 'title contains this text')
    .option('--parent <id>', 'children of this issue')
    .option('--ready', 'only ready work (as bd ready)')
    .argument('[words...]');
  refuseFlags(list, {
    id: '', 'exclude-label': '', 'label-pattern': '', 'label-regex': '', format: 'use --json', watch: '', 'title-contains': 'use --title', 'desc-contains': 'use bd search',
    'notes-contains': '', 'created-after': '', 'created-before': '', 'updated-after': '', 'updated-before': '', 'closed-after': '', 'closed-before': '',
    'empty-description': '', 'no-labels': '', 'skip-labels': '', pinned: 'grava has no pinned issues', 'no-pinned': '', 'include-templates': '', 'include-gates': '',
    'include-infra': '', 'exclude-type': '', deferred: 'use --status deferred', overdue: '', 'defer-after': '', 'defer-before': '', 'due-after': '', 'due-before': '',
    'mol-type': '', 'wisp-type': '', spec: '', 'metadata-field': '', 'has-metadata-key': '', 'no-parent': '', stale: '',
  });
  list.action(async (words: string[], o: ListOpts, cmd: Command) => brun(cmd, async (out) => {
    if (words.length > 0) throw new GravaError('GRAVA_E_USAGE', `bd list does not accept positional arguments (got ${JSON.stringify(words[0])}); use flags instead (see bd list --help)`);
    const limit = o.limit ?? (o.all ? 0 : 50);
    const { issues, more } = await listed(o.ready ? 'issue.ready' : 'issue.list', filterOf(o, true), limit, o.sort, o.reverse === true);
    if (more) process.stderr.write(`\nShowing ${issues.length} issues; more results matched but were hidden by --limit. Use --limit 0 for all, or --limit N to raise the cap.\n`);
    out.data(issues.map(beadsIssueWithCounts), () => (issues.length === 0 ? 'No issues found.' : issues.map(line).join('\n')));
  }));

  displayFlags(program.command('children').description('the children of an issue (closed ones too)').argument('<id>'))
    .action(async (id: string, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const { issues } = await listed('issue.list', { parent: id }, 50, undefined, false);
      if (issues.length === 0 && !out.json) await call('issue.show', { id });
      out.data(issues.map(beadsIssueWithCounts), () => (issues.length === 0 ? `Issue '${id}' has no children` : issues.map(line).join('\n')));
    }));
}

function registerSearch(program: Command): void {
  const search = listFlags(program.command('search').description('find issues whose id, title, description or external ref contains the text'), 50)
    .argument('[query...]', 'the text')
    .option('--query <text>', 'the text');
  refuseFlags(search, {
    'desc-contains': 'the query already searches descriptions', 'notes-contains': '', 'external-contains': '', 'empty-description': '', 'no-labels': '',
    'created-after': '', 'created-before': '', 'updated-after': '', 'updated-before': '', 'closed-after': '', 'closed-before': '', 'metadata-field': '', 'has-metadata-key': '', long: '',
  });
  search.action(async (words: string[], o: ListOpts, cmd: Command) => brun(cmd, async (out) => {
    const query = o.query ?? words.join(' ');
    if (query.trim() === '') throw new GravaError('GRAVA_E_USAGE', 'search query is required');
    const status = commaList(o.status);
    const { issues } = await listed('issue.list', { ...filterOf({ ...o, status: status.length > 1 ? undefined : o.status }, true), query }, o.limit ?? 50, o.sort, o.reverse === true);
    out.data(issues.map((i) => { const x = beadsIssueWithCounts(i); delete x.parent; return x; }),
      () => (issues.length === 0 ? `No issues found matching '${oneLine(query)}'` : [`Found ${issues.length} issues matching '${oneLine(query)}':`, ...issues.map(line)].join('\n')));
  }));
}

export function registerListing(program: Command): void {
  registerList(program);
  registerSearch(program);
}
