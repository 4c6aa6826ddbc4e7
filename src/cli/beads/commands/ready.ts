// bd ready, blocked

import { type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { BlockedIssue, Issue } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { collect } from '../flags.js';
import { beadsIssue, beadsIssueWithCounts } from '../render.js';
import { brun, call } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { displayFlags, filterOf, intArg, line, listed, type ListOpts } from './list-query.js';

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

export { registerReady };
