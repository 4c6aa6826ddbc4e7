// bd close (done), reopen, defer, undefer

import type { Command } from 'commander';
import type { Issue, IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { beadsTime, collect } from '../flags.js';
import { beadsIssue, beadsJson } from '../render.js';
import { brun, call, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { usage } from './text-flags.js';

function registerClose(program: Command): void {
  const close = program.command('close').alias('done')
    .description('close issues: bd close ID1 ID2 --reason "Done"')
    .argument('[ids...]', 'issue ids')
    .option('-r, --reason <text>', 'why (repeatable: one shared reason, or one per id); default "Closed"', collect)
    .option('--resolution <text>', 'alias of --reason', collect)
    .option('--comment <text>', 'alias of --reason', collect)
    .option('-f, --force', 'close even when open issues block it');
  refuseFlags(close, { 'phase-complete': '', 'suggest-next': '', 'claim-next': 'use `bd ready --claim`', continue: '', 'no-auto': '', session: '', 'reason-file': '' });
  close.action(async (ids: string[], o: { reason?: string[]; resolution?: string[]; comment?: string[]; force?: boolean }, cmd: Command) => brun(cmd, async (out) => {
    if (ids.length === 0) throw usage('no issue ID provided (grava does not track a last-touched issue)');
    const reasons = [...(o.reason ?? []), ...(o.resolution ?? []), ...(o.comment ?? [])];
    if (reasons.length > 1 && reasons.length !== ids.length) throw usage(`got ${reasons.length} close reasons for ${ids.length} issue IDs; provide exactly one shared reason or one reason per issue`);
    // Every id must exist before anything is closed.
    const details: IssueDetail[] = [];
    for (const id of ids) details.push(await call<IssueDetail>('issue.show', { id }));
    const closed: Issue[] = [];
    for (const [n, d] of details.entries()) {
      const openBlockers = d.dependencies.filter((x) => x.type === 'blocks' && x.status !== 'closed').map((x) => x.id);
      if (openBlockers.length > 0 && !o.force) {
        process.stderr.write(`cannot close ${d.id}: blocked by open issues [${openBlockers.join(' ')}] (use --force to override)\n`);
        continue;
      }
      const reason = reasons.length > 1 ? reasons[n] : reasons[0];
      try {
        const issue = await call<Issue & { changed: boolean }>('issue.close', { id: d.id, reason });
        closed.push(issue);
        out.line(issue.changed ? `✓ Closed ${issue.id} — ${oneLine(issue.title)}: ${oneLine(issue.close_reason ?? '')}` : `${issue.id} was already closed; its reason stays: ${oneLine(issue.close_reason ?? '')}`);
      } catch (e) { softError(`Error closing ${d.id}`, e); }
    }
    if (closed.length > 0 && out.json) out.data(closed.map(beadsIssue), () => '');
    return closed.length > 0 ? 0 : 1;
  }));

  program.command('reopen')
    .description('reopen issues (any status but open)')
    .argument('<ids...>', 'issue ids')
    .option('-r, --reason <text>', 'why (recorded as a comment)')
    .action(async (ids: string[], o: { reason?: string }, cmd: Command) => brun(cmd, async (out) => {
      const reopened: Issue[] = [];
      let failed = false;
      for (const id of ids) {
        try {
          const before = await call<Issue>('issue.show', { id });
          if (before.status === 'open') { process.stderr.write(`${id} is already open\n`); continue; }
          const issue = await call<Issue>('issue.reopen', { id });
          if (o.reason !== undefined && o.reason.trim() !== '') await call('comment.add', { id, text: o.reason });
          reopened.push(issue);
          out.line(`↻ Reopened ${id}${o.reason ? `: ${oneLine(o.reason)}` : ''}`);
        } catch (e) { failed = true; softError(`Error resolving ${id}`, e); }
      }
      if (reopened.length > 0 && out.json) out.data(reopened.map(beadsIssue), () => '');
      return failed ? 1 : 0;
    }));
}

function registerDefer(program: Command): void {
  program.command('defer')
    .description('defer issues (status deferred, hidden from ready)')
    .argument('<ids...>', 'issue ids')
    .option('--until <when>', 'until then (+1d, tomorrow, 2026-12-01)')
    .action(async (ids: string[], o: { until?: string }, cmd: Command) => brun(cmd, async (out) => {
      const until = o.until !== undefined ? beadsTime('--until', o.until, new Date()) : undefined;
      return changeEach(ids, { status: 'deferred', ...(until ? { defer_until: until } : {}) }, out.json, (i) => `Deferred ${i.id}${until ? ` until ${until}` : ''}`);
    }));
  program.command('undefer')
    .description('make deferred issues open again')
    .argument('<ids...>', 'issue ids')
    .action(async (ids: string[], _o: unknown, cmd: Command) => brun(cmd, async (out) => changeEach(ids, { status: 'open', defer_until: null }, out.json, (i) => `Undeferred ${i.id}`)));
}

async function changeEach(ids: readonly string[], fields: Record<string, unknown>, json: boolean, line: (i: Issue) => string): Promise<number> {
  const done: Issue[] = [];
  for (const id of ids) {
    try {
      const issue = await call<Issue>('issue.update', { id, ...fields });
      done.push(issue);
      if (!json) process.stdout.write(`✓ ${line(issue)}\n`);
    } catch (e) { softError(`Error updating ${id}`, e); }
  }
  if (done.length > 0 && json) process.stdout.write(beadsJson(done.map(beadsIssue)));
  return done.length > 0 ? 0 : 1;
}

export function registerClosing(program: Command): void {
  registerClose(program);
  registerDefer(program);
}
