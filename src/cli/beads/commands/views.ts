// bd show | list | ready | blocked | search | children | stats (status) | count

import { InvalidArgumentError, type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { RelationCounts } from '../../../storage/issues/issue-queries.js';
import type { BlockedIssue, Issue, IssueDetail, IssueStats } from '../../../storage/issues/issue-types.js';
import { issueDetail } from '../../render.js';
import { oneLine } from '../../output.js';
import { beadsPriority, beadsType, collect, commaList } from '../flags.js';
import { beadsDetail, beadsIssue, beadsIssueWithCounts } from '../render.js';
import { brun, call, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';

type Counted = Issue & RelationCounts;

const SORTS = ['priority', 'created', 'updated', 'closed', 'status', 'id', 'title', 'type', 'assignee'] as const;

function intArg(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`invalid argument ${JSON.stringify(v)}: expected a whole number`);
  return Number(v);
}

/** One line per issue, as beads' flat list shows it. */
function line(i: Issue): string {
  const who = i.assignee ? ` @${oneLine(i.assignee)}` : '';
  const labels = i.labels.length > 0 ? ` [${i.labels.map(oneLine).join(', ')}]` : '';
  return `${i.id} [P${i.priority}] [${i.type}] ${i.status}${who}${labels} - ${oneLine(i.title)}`;
}

/** Orders issues as beads' --sort does: priority ascending; dates newest first; the rest ascending. */
export function sortIssues<T extends Issue>(issues: readonly T[], by: string, reverse: boolean): T[] {
  if (!(SORTS as readonly string[]).includes(by)) throw new GravaError('GRAVA_E_INVALID', `invalid sort field ${JSON.stringify(by)} (valid: ${SORTS.join(', ')})`);
  const key = (i: T): string | number => {
    switch (by) {
      case 'priority': return i.priority;
      case 'created': return i.created_at;
      case 'updated': return i.updated_at;
      case 'closed': return i.closed_at ?? '';
      case 'type': return i.type;
      case 'assignee': return i.assignee ?? '';
      default: return String(i[by as 'id' | 'title' | 'status']);
    }
  };
  const newestFirst = by === 'created' || by === 'updated' || by === 'closed';
  const sorted = [...issues].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    const c = x < y ? -1 : x > y ? 1 : 0;
    return newestFirst ? -c : c;
  });
  return reverse ? sorted.reverse() : sorted;
}

/** commander's options; `assignee` is false after --no-assignee. */
interface ListOpts {
  status?: string | undefined; priority?: string | undefined; assignee?: string | false | undefined; type?: string | undefined;
  label?: string[] | undefined; labelAny?: string[] | undefined; title?: string | undefined; limit?: number | undefined; all?: boolean | undefined;
  sort?: string | undefined; reverse?: boolean | undefined; parent?: string | undefined; ready?: boolean | undefined;
  priorityMin?: string | undefined; priorityMax?: string | undefined; query?: string | undefined; unassigned?: boolean | undefined;
}

function priorityRange(o: ListOpts): number[] | undefined {
  const listed = commaList(o.priority).map(beadsPriority);
  if (o.priorityMin === undefined && o.priorityMax === undefined) return listed.length > 0 ? listed : undefined;
  const lo = o.priorityMin !== undefined ? beadsPriority(o.priorityMin) : 0;
  const hi = o.priorityMax !== undefined ? beadsPriority(o.priorityMax) : 4;
  const range = [0, 1, 2, 3, 4].filter((p) => p >= lo && p <= hi && (listed.length === 0 || listed.includes(p)));
  return range.length > 0 ? range : [-1];
}

/** The storage filter for beads' list flags. `closedByDefault`: leave closed issues out unless a status is named. */
function filterOf(o: ListOpts, closedByDefault: boolean): Record<string, unknown> {
  const statuses = commaList(o.status);
  const all = statuses.includes('all') || o.all === true;
  const open = ['open', 'in_progress', 'blocked', 'deferred'];
  return {
    statuses: statuses.length > 0 && !statuses.includes('all') ? statuses : closedByDefault && !all ? open : undefined,
    priorities: priorityRange(o),
    types: o.type !== undefined ? commaList(o.type).map(beadsType) : undefined,
    assignee: typeof o.assignee === 'string' ? o.assignee : undefined,
    unassigned: o.assignee === false || o.unassigned === true ? true : undefined,
    labels: o.label && o.label.length > 0 ? commaList(o.label) : undefined,
    labels_any: o.labelAny && o.labelAny.length > 0 ? commaList(o.labelAny) : undefined,
    parent: o.parent,
    query: o.query ?? o.title,
  };
}

function listFlags(cmd: Command, defaultLimit: number): Command {
  return cmd
    .option('-s, --status <status>', 'status, or a comma list (open,in_progress), or all')
    .option('-p, --priority <p>', 'priority (0-4 or P0-P4; comma list)')
    .option('-a, --assignee <name>', 'assignee')
    .option('-t, --type <type>', 'type (comma list)')
    .option('-l, --label <labels>', 'has all these labels (comma list, repeatable)', collect)
    .option('--label-any <labels>', 'has at least one of these labels (comma list, repeatable)', collect)
    .option('-n, --limit <n>', `at most this many (default ${defaultLimit}; 0 for all)`, intArg)
    .option('--sort <field>', `sort by ${SORTS.join(', ')}`)
    .option('-r, --reverse', 'reverse the order')
    .option('--priority-min <p>', 'at least this urgent… from this priority')
    .option('--priority-max <p>', '…to this priority')
    .option('--no-assignee', 'only unassigned issues');
}

/** Display flags that change only beads' text layout: accepted, and the flat layout is used. */
function displayFlags(cmd: Command): Command {
  for (const f of ['--pretty', '--tree', '--flat', '--long', '--no-pager', '--plain']) cmd.option(f, 'text layout (grava prints one line per issue)');
  return cmd;
}

async function listed(method: string, filter: Record<string, unknown>, limit: number, sort: string | undefined, reverse: boolean): Promise<{ issues: Counted[]; more: boolean }> {
  const all = await call<Counted[]>(method, { ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)), with_counts: true });
  const sorted = sort !== undefined || reverse ? sortIssues(all, sort ?? 'priority', reverse) : all;
  return limit > 0 ? { issues: sorted.slice(0, limit), more: sorted.length > limit } : { issues: sorted, more: false };
}

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

function registerReady(program: Command): void {
  const ready = displayFlags(program.command('ready').description('work that can start now: open, not blocked, not deferred'))
    .option('-n, --limit <n>', 'at most this many (default 100; 0 for all)', intArg)
    .option('-p, --priority <n>', 'only this priority', intArg)
    .option('-a, --assignee <name>', 'only this assignee')
    .option('-u, --unassigned', 'only unassigned issues')
    .option('-s, --sort <policy>', 'priority (default) | oldest | hybrid')
    .option('-l, --label <labels>', 'has all these labels (comma list, repeatable)', collect)
    .option('--label-any <labels>', 'has at least one of these labels', collect)
    .option('-t, --type <type>', 'only this type')
    .option('--parent <id>', 'only children of this issue')
    .option('--claim', 'claim the first ready, unassigned issue (the central decides across the fleet)');
  refuseFlags(ready, { mol: '', 'mol-type': '', 'include-deferred': '', 'include-ephemeral': '', gated: '', 'exclude-type': '', 'exclude-label': '', explain: '', 'metadata-field': '', 'has-metadata-key': '' });
  ready.action(async (o: ListOpts & { sort?: string; claim?: boolean; limit?: number; priority?: string }, cmd: Command) => brun(cmd, async (out) => {
    const policy = o.sort ?? 'priority';
    if (!['priority', 'oldest', 'hybrid'].includes(policy)) throw new GravaError('GRAVA_E_INVALID', `invalid sort policy '${policy}'. Valid values: hybrid, priority, oldest`);
    if (o.claim && o.assignee !== undefined) throw new GravaError('GRAVA_E_USAGE', '--claim cannot be combined with --assignee');
    const filter = filterOf({ ...o, priority: o.priority !== undefined ? String(o.priority) : undefined, status: undefined, sort: undefined }, false);
    const limit = o.limit ?? 100;
    const { issues, more } = await listed('issue.ready', { ...filter, ...(o.claim ? { unassigned: true } : {}) }, o.claim ? 0 : limit, policy === 'oldest' ? 'created' : undefined, policy === 'oldest');
    if (o.claim) {
      // The first candidate this agent wins; a lost race moves on to the next.
      for (const candidate of issues) {
        try {
          const claimed = await call<Issue>('issue.claim', { id: candidate.id });
          out.data([beadsIssueWithCounts({ ...candidate, ...claimed })], () => `✓ Claimed issue: ${claimed.id} — ${oneLine(claimed.title)}`);
          return;
        } catch (e) { if ((e as GravaError).code !== 'GRAVA_E_CONFLICT') throw e; }
      }
      out.data([], () => '\n○ No ready work to claim\n');
      return;
    }
    if (more) process.stderr.write(`Showing ${issues.length} ready issues. Use --limit 0 for all, or --limit N to raise the cap.\n`);
    out.data(issues.map(beadsIssueWithCounts), () => (issues.length === 0 ? '\nNo ready work found\n' : `${issues.map((i, n) => `${n + 1}. ${line(i)}`).join('\n')}\n\nReady: ${issues.length} issues with no active blockers`));
  }));

  program.command('blocked').description('issues that an issue that is not closed blocks')
    .option('--parent <id>', 'only children of this issue')
    .action(async (o: { parent?: string }, cmd: Command) => brun(cmd, async (out) => {
      let blocked = await call<BlockedIssue[]>('issue.blocked', {});
      if (o.parent !== undefined) {
        const children = new Set((await call<Issue[]>('issue.list', { parent: o.parent })).map((i) => i.id));
        blocked = blocked.filter((b) => children.has(b.id));
      }
      out.data(blocked.map((b) => ({ ...beadsIssue(b), blocked_by_count: b.blocked_by.length, blocked_by: b.blocked_by })),
        () => (blocked.length === 0 ? '\nNo blocked issues\n' : [`\nBlocked issues (${blocked.length}):\n`, ...blocked.map((b) => `[P${b.priority}] ${b.id}: ${oneLine(b.title)}\n  Blocked by ${b.blocked_by.length} open dependencies: [${b.blocked_by.join(' ')}]\n`)].join('\n')));
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

function registerCounts(program: Command): void {
  const stats = (name: string): void => {
    const c = program.command(name).description('counts of issues by status, and how many are ready or blocked')
      .option('--all', 'every issue (the default)')
      .option('--no-activity', 'without recent activity (grava shows none)');
    refuseFlags(c, { assigned: 'use `bd count --assignee NAME --by-status`' });
    c.action(async (_o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const s = await call<IssueStats>('issue.stats', {});
      const summary = {
        total_issues: s.total, open_issues: s.open, in_progress_issues: s.in_progress, closed_issues: s.closed,
        blocked_issues: s.blocked_by_dependencies, deferred_issues: s.deferred, ready_issues: s.ready, pinned_issues: 0,
        epics_eligible_for_closure: s.epics_eligible_for_closure, average_lead_time_hours: s.average_lead_time_hours,
      };
      out.data({ summary }, () => ['Issue database status', '', `  Total Issues:  ${s.total}`, `  Open:          ${s.open}`, `  In Progress:   ${s.in_progress}`,
        `  Blocked:       ${s.blocked_by_dependencies}`, `  Deferred:      ${s.deferred}`, `  Closed:        ${s.closed}`, `  Ready to Work: ${s.ready}`].join('\n'));
    }));
  };
  stats('stats');
  stats('status');

  const count = program.command('count').description('count issues (closed ones too unless --status)')
    .option('-s, --status <status>', 'status or all')
    .option('-p, --priority <n>', 'priority', intArg)
    .option('-a, --assignee <name>', 'assignee')
    .option('-t, --type <type>', 'type')
    .option('-l, --label <labels>', 'has all these labels', collect)
    .option('--label-any <labels>', 'has one of these labels', collect);
  const groups = ['status', 'priority', 'type', 'assignee', 'label'] as const;
  for (const g of groups) count.option(`--by-${g}`, `group by ${g}`);
  count.action(async (o: ListOpts & Record<string, unknown>, cmd: Command) => brun(cmd, async (out) => {
    const by = groups.filter((g) => o[`by${g[0]!.toUpperCase()}${g.slice(1)}`] === true);
    if (by.length > 1) throw new GravaError('GRAVA_E_USAGE', 'only one --by-* flag can be specified');
    const { issues } = await listed('issue.list', filterOf({ ...o, priority: o.priority !== undefined ? String(o.priority) : undefined }, false), 0, undefined, false);
    if (by.length === 0) { out.data({ count: issues.length }, () => String(issues.length)); return; }
    const g = by[0]!;
    const tally = new Map<string, number>();
    const add = (k: string): void => { tally.set(k, (tally.get(k) ?? 0) + 1); };
    for (const i of issues) {
      if (g === 'label') for (const l of i.labels) add(l);
      else add(g === 'status' ? i.status : g === 'priority' ? `P${i.priority}` : g === 'type' ? i.type : i.assignee ?? '(unassigned)');
    }
    const rows = [...tally.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([group, n]) => ({ group, count: n }));
    out.data({ total: issues.length, groups: rows }, () => [`Total: ${issues.length}`, '', ...rows.map((r) => `${r.group}: ${r.count}`)].join('\n'));
  }));
}

export function registerViews(program: Command): void {
  registerShow(program);
  registerList(program);
  registerReady(program);
  registerSearch(program);
  registerCounts(program);
}
