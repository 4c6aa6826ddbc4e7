// bd stats (status), count

import { type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { IssueStats } from '../../../storage/issues/issue-types.js';
import { collect } from '../flags.js';
import { brun, call } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { filterOf, intArg, listed, type ListOpts } from './list-query.js';

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

export { registerCounts };
