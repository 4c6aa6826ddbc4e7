// grava create | show | list | update | close | reopen | delete | ready

import { type Command, InvalidArgumentError } from 'commander';
import { call } from '../context.js';
import { issueDetail, issueLine, issueList } from '../render.js';
import { jsonOption, run } from '../run.js';
import { oneLine } from '../output.js';
import type { Issue, IssueDetail, UpdateIssueInput } from '../../storage/issues/issue-types.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

// Flags are validated again in storage; parsing here only turns the text into a number.
function priorityArg(v: string): number {
  if (!/^\s*-?\d+\s*$/.test(v)) throw new InvalidArgumentError(`invalid priority ${JSON.stringify(v)}; expected an integer from 0 to 4`);
  return Number(v);
}

interface ExtraFlags { notes?: string; design?: string; acceptance?: string; externalRef?: string }

/** The schema-3 fields as method params; '' clears a field on update. */
function extraParams(o: ExtraFlags): { notes?: string; design?: string; acceptance_criteria?: string; external_ref?: string } {
  return {
    ...(o.notes !== undefined ? { notes: o.notes } : {}),
    ...(o.design !== undefined ? { design: o.design } : {}),
    ...(o.acceptance !== undefined ? { acceptance_criteria: o.acceptance } : {}),
    ...(o.externalRef !== undefined ? { external_ref: o.externalRef } : {}),
  };
}

export function registerIssues(program: Command): void {
  program
    .command('create')
    .description('create an issue and print it')
    .argument('<title>', 'the title')
    .option('-d, --description <text>', 'a longer description')
    .option('-p, --priority <0-4>', 'priority; 0 is the most urgent (default 2)', priorityArg)
    .option('-t, --type <type>', 'bug | feature | task | epic | chore (default task)')
    .option('-a, --assignee <name>', 'who works on it')
    .option('-l, --label <label>', 'a label (repeatable)', collect)
    .option('--notes <text>', 'notes')
    .option('--design <text>', 'design notes')
    .option('--acceptance <text>', 'acceptance criteria')
    .option('--external-ref <ref>', 'a reference in another system (gh-9, jira-ABC)')
    .addOption(jsonOption())
    .action(async (title: string, o: { description?: string; priority?: number; type?: string; assignee?: string; label?: string[] } & ExtraFlags & { json?: boolean }) => run(o, async (out) => {
      const issue = await call<Issue>('issue.create', { title, description: o.description, priority: o.priority, type: o.type, assignee: o.assignee, labels: o.label, ...extraParams(o) });
      out.data(issue, () => `Created ${issue.id}: ${oneLine(issue.title)}`);
    }));

  program
    .command('show')
    .description('show one issue with its dependencies, labels and comments')
    .argument('<id>')
    .addOption(jsonOption())
    .action(async (id: string, o: { json?: boolean }) => run(o, async (out) => {
      const issue = await call<IssueDetail>('issue.show', { id });
      out.data(issue, () => issueDetail(issue));
    }));

  program
    .command('list')
    .description('list issues (deleted ones are left out)')
    .option('-s, --status <status>', 'only this status')
    .option('-a, --assignee <name>', 'only this assignee')
    .option('-l, --label <label>', 'only issues with this label')
    .addOption(jsonOption())
    .action(async (o: { status?: string; assignee?: string; label?: string; json?: boolean }) => run(o, async (out) => {
      const issues = await call<Issue[]>('issue.list', { status: o.status, assignee: o.assignee, label: o.label });
      out.data(issues, () => issueList(issues));
    }));

  program
    .command('ready')
    .description('open issues not blocked by any unclosed issue')
    .addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const issues = await call<Issue[]>('issue.ready');
      out.data(issues, () => issueList(issues, 'nothing is ready'));
    }));

  program
    .command('update')
    .description('change fields of an issue')
    .argument('<id>')
    .option('--title <title>')
    .option('-d, --description <text>')
    .option('-s, --status <status>', 'open | in_progress | blocked | deferred | closed')
    .option('-p, --priority <0-4>', 'priority', priorityArg)
    .option('-t, --type <type>', 'bug | feature | task | epic | chore')
    .option('-a, --assignee <name>', "assignee ('' to unassign)")
    .option('--claim', 'assign to yourself and start, only if nobody has it; with a remote the central decides (exactly one agent of the fleet wins)')
    .option('--lease <duration>', 'with --claim: the claim expires after this long (30m, 2h, 1d); then another agent may claim it')
    .option('--offline', 'with --claim: claim in this replica only when the central is unreachable (a lost claim is reported at the next sync)')
    .option('--unclaim', 'give your claim back (assignee cleared, status open)')
    .option('--force', 'with --unclaim: take back anyone\'s claim')
    .option('--notes <text>', "notes ('' clears them)")
    .option('--design <text>', "design notes ('' clears them)")
    .option('--acceptance <text>', "acceptance criteria ('' clears them)")
    .option('--external-ref <ref>', "a reference in another system ('' clears it)")
    .addOption(jsonOption())
    .action(async (id: string, o: { title?: string; description?: string; status?: string; priority?: number; type?: string; assignee?: string; claim?: boolean; lease?: string; offline?: boolean; unclaim?: boolean; force?: boolean; json?: boolean } & ExtraFlags) => run(o, async (out) => {
      const input: UpdateIssueInput = {
        ...extraParams(o),
        ...(o.title !== undefined ? { title: o.title } : {}),
        ...(o.description !== undefined ? { description: o.description } : {}),
        ...(o.status !== undefined ? { status: o.status } : {}),
        ...(o.priority !== undefined ? { priority: o.priority } : {}),
        ...(o.type !== undefined ? { type: o.type } : {}),
        ...(o.assignee !== undefined ? { assignee: o.assignee === '' ? null : o.assignee } : {}),
      };
      const { GravaError } = await import('../../errors/grava-error.js');
      if ((o.claim || o.unclaim) && Object.keys(input).length > 0) throw new GravaError('GRAVA_E_USAGE', '--claim and --unclaim cannot be combined with other changes');
      if (o.claim && o.unclaim) throw new GravaError('GRAVA_E_USAGE', '--claim and --unclaim exclude each other');
      if ((o.offline || o.lease !== undefined) && !o.claim) throw new GravaError('GRAVA_E_USAGE', '--offline and --lease go with --claim');
      let leaseMs: number | undefined;
      if (o.lease !== undefined) {
        const { parseLease } = await import('../../storage/issues/claims.js');
        leaseMs = parseLease(o.lease);
        if (leaseMs === undefined) throw new GravaError('GRAVA_E_USAGE', `invalid --lease ${JSON.stringify(o.lease)}; use a number and a unit s, m, h or d (from 1s to 30d), for example 30m`);
      }
      if (o.force && !o.unclaim) throw new GravaError('GRAVA_E_USAGE', '--force goes with --unclaim');
      if (!o.claim && !o.unclaim && Object.keys(input).length === 0) throw new GravaError('GRAVA_E_USAGE', 'nothing to update; pass at least one of --title, --description, --status, --priority, --type, --assignee, --notes, --design, --acceptance, --external-ref, --claim, --unclaim');
      const issue = o.claim ? await call<Issue>('issue.claim', { id, offline: o.offline === true ? true : undefined, lease_ms: leaseMs })
        : o.unclaim ? await call<Issue>('issue.unclaim', { id, force: o.force === true ? true : undefined })
          : await call<Issue>('issue.update', { id, ...input });
      out.data(issue, () => `Updated ${issueLine(issue)}`);
    }));

  program
    .command('close')
    .description('close an issue')
    .argument('<id>')
    .option('-r, --reason <text>', 'why it is closed (default "Closed"); closing a closed issue keeps its first reason')
    .addOption(jsonOption())
    .action(async (id: string, o: { reason?: string; json?: boolean }) => run(o, async (out) => {
      const issue = await call<Issue & { changed: boolean }>('issue.close', { id, reason: o.reason });
      out.data(issue, () => (issue.changed ? `Closed ${issue.id}: ${oneLine(issue.title)}` : `${issue.id} was already closed (reason kept: ${oneLine(issue.close_reason ?? '')})`));
    }));

  program
    .command('reopen')
    .description('reopen a closed issue')
    .argument('<id>')
    .addOption(jsonOption())
    .action(async (id: string, o: { json?: boolean }) => run(o, async (out) => {
      const issue = await call<Issue>('issue.reopen', { id });
      out.data(issue, () => `Reopened ${issue.id}: ${oneLine(issue.title)}`);
    }));

  program
    .command('delete')
    .description('delete an issue (leaves a tombstone that merges like any other change)')
    .argument('<id>')
    .addOption(jsonOption())
    .action(async (id: string, o: { json?: boolean }) => run(o, async (out) => {
      const r = await call<{ id: string; deleted: true }>('issue.delete', { id });
      out.data(r, () => `Deleted ${r.id}`);
    }));
}
