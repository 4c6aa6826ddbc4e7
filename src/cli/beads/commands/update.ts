// bd update, bd priority, bd assign

import type { Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { Issue, IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { beadsPriority, beadsTime, beadsType, collect, commaList } from '../flags.js';
import { beadsIssue } from '../render.js';
import { brun, call, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { descriptionOf, estimateOf, STATUSES, textOptions, usage, type CreateOpts } from './text-flags.js';

type UpdateOpts = CreateOpts & {
  status?: string; appendNotes?: string; acceptanceCriteria?: string; addLabel?: string[]; removeLabel?: string[]; setLabels?: string[]; claim?: boolean;
  lease?: string; unclaim?: boolean;
};

/** The field changes of an update, validated before any issue is touched. */
async function updateFields(o: UpdateOpts): Promise<Record<string, unknown>> {
  if (o.status !== undefined && !STATUSES.includes(o.status)) throw new GravaError('GRAVA_E_INVALID', `invalid status ${JSON.stringify(o.status)} (valid: ${STATUSES.join(', ')})`);
  if (o.title !== undefined && o.title.trim() === '') throw new GravaError('GRAVA_E_INVALID', 'title cannot be empty');
  if (o.notes !== undefined && o.appendNotes !== undefined) throw usage('cannot specify both --notes and --append-notes');
  const now = new Date();
  const acceptance = o.acceptance ?? o.acceptanceCriteria;
  const fields: Record<string, unknown> = {
    title: o.title, description: await descriptionOf(o), status: o.status,
    priority: o.priority !== undefined ? beadsPriority(o.priority) : undefined,
    type: o.type !== undefined ? beadsType(o.type) : undefined,
    assignee: o.assignee === undefined ? undefined : o.assignee === '' ? null : o.assignee,
    design: o.design, acceptance_criteria: acceptance, notes: o.notes, append_notes: o.appendNotes,
    external_ref: o.externalRef === undefined ? undefined : o.externalRef === '' ? null : o.externalRef,
    estimated_minutes: estimateOf(o.estimate),
    due_at: o.due === undefined ? undefined : o.due === '' ? null : beadsTime('--due', o.due, now),
    defer_until: o.defer === undefined ? undefined : o.defer === '' ? null : beadsTime('--defer', o.defer, now),
  };
  // beads: a future --defer defers the issue, and clearing it reopens a deferred one (unless --status says otherwise).
  if (o.status === undefined && typeof fields.defer_until === 'string' && Date.parse(fields.defer_until) > now.getTime()) fields.status = 'deferred';
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
}

async function applyLabels(id: string, o: UpdateOpts): Promise<void> {
  const add = commaList(o.addLabel);
  const remove = commaList(o.removeLabel);
  if (o.setLabels !== undefined) {
    const want = new Set(commaList(o.setLabels));
    const have = (await call<Issue>('issue.show', { id })).labels;
    for (const l of have) if (!want.has(l)) await call('label.remove', { id, label: l });
    for (const l of want) if (!have.includes(l)) await call('label.add', { id, label: l });
  }
  for (const l of add) await call('label.add', { id, label: l });
  for (const l of remove) {
    try { await call('label.remove', { id, label: l }); } catch (e) { if ((e as GravaError).code !== 'GRAVA_E_NOT_FOUND') throw e; }
  }
}

async function applyParent(id: string, parent: string): Promise<void> {
  const d = await call<IssueDetail>('issue.show', { id });
  if (parent !== '') await call('issue.show', { id: parent });
  for (const old of d.dependencies.filter((x) => x.type === 'parent-child' && x.id !== parent)) await call('dep.remove', { id, depends_on: old.id });
  if (parent !== '') await call('dep.add', { id, depends_on: parent, type: 'parent-child' });
}

function registerUpdate(program: Command): void {
  const update = textOptions(program.command('update')
    .description('change issues: bd update ID --claim, bd update ID --notes "..." --priority 1')
    .argument('[ids...]', 'issue ids'))
    .option('--title <title>', 'new title')
    .option('-s, --status <status>', 'open | in_progress | blocked | deferred | closed')
    .option('--append-notes <text>', 'append to the notes on a new line')
    .option('--acceptance-criteria <text>', 'alias of --acceptance')
    .option('--add-label <labels>', 'add labels, comma-separated (repeatable)', collect)
    .option('--remove-label <labels>', 'remove labels, comma-separated (repeatable)', collect)
    .option('--set-labels <labels>', 'replace all labels, comma-separated (repeatable)', collect)
    .option('--parent <id>', "make it a child of this issue ('' removes the parent)")
    .option('--claim', 'claim it: assignee = you, status in_progress; the central decides across the fleet')
    .option('--lease <duration>', 'with --claim: the claim expires after this long (30m, 2h, 1d) (grava)')
    .option('--unclaim', 'give your claim back: assignee cleared, status open (grava)');
  refuseFlags(update, {
    session: '', 'await-id': '', ephemeral: '', persistent: '', 'no-history': '', history: '', metadata: '', 'set-metadata': '', 'unset-metadata': '',
    'spec-id': '', 'design-file': '', 'allow-empty-description': '',
  });
  update.action(async (ids: string[], o: UpdateOpts, cmd: Command) => brun(cmd, async (out) => {
    if (ids.length === 0) throw usage('no issue ID provided (grava does not track a last-touched issue)');
    const fields = await updateFields(o);
    const labelsChange = o.addLabel !== undefined || o.removeLabel !== undefined || o.setLabels !== undefined;
    if (o.claim && o.unclaim) throw usage('--claim and --unclaim exclude each other');
    if (o.lease !== undefined && !o.claim) throw usage('--lease goes with --claim');
    let leaseMs: number | undefined;
    if (o.lease !== undefined) {
      const { parseLease } = await import('../../../storage/issues/claims.js');
      leaseMs = parseLease(o.lease);
      if (leaseMs === undefined) throw usage(`invalid --lease ${JSON.stringify(o.lease)}; use a number and a unit s, m, h or d, for example 30m`);
    }
    if (!o.claim && !o.unclaim && Object.keys(fields).length === 0 && !labelsChange && o.parent === undefined) {
      out.data([], () => 'No updates specified');
      return 0;
    }
    const updated: Issue[] = [];
    for (const id of ids) {
      let issue: Issue | undefined;
      try {
        if (o.claim) issue = await call<Issue>('issue.claim', { id, lease_ms: leaseMs });
        if (o.unclaim) issue = await call<Issue>('issue.unclaim', { id });
      } catch (e) { softError(`Error ${o.claim ? 'claiming' : 'unclaiming'} ${id}`, e); continue; }
      try {
        if (Object.keys(fields).length > 0) issue = await call<Issue>('issue.update', { id, ...fields });
        if (labelsChange) await applyLabels(id, o);
        if (o.parent !== undefined) await applyParent(id, o.parent);
        if (labelsChange || o.parent !== undefined || issue === undefined) issue = await call<Issue>('issue.show', { id });
      } catch (e) { softError(`Error updating ${id}`, e); continue; }
      updated.push(issue);
      out.line(`✓ Updated issue: ${issue.id} — ${oneLine(issue.title)}`);
    }
    if (updated.length > 0 && out.json) out.data(updated.map(beadsIssue), () => '');
    return updated.length > 0 ? 0 : 1;
  }));
}


function registerShortcuts(program: Command): void {
  program.command('priority').description('set the priority of an issue: bd priority ID 1').argument('<id>').argument('<priority>')
    .action(async (id: string, p: string, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const issue = await call<Issue>('issue.update', { id, priority: beadsPriority(p) });
      out.data(beadsIssue(issue), () => `✓ Set priority of ${issue.id} — ${oneLine(issue.title)} to P${issue.priority}`);
    }));
  program.command('assign').description("assign an issue: bd assign ID NAME ('' unassigns)").argument('<id>').argument('<name>')
    .action(async (id: string, name: string, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const issue = await call<Issue>('issue.update', { id, assignee: name === '' ? null : name });
      out.data(beadsIssue(issue), () => `✓ Assigned ${issue.id} to ${issue.assignee ? oneLine(issue.assignee) : 'nobody'}`);
    }));
}

export function registerUpdating(program: Command): void {
  registerUpdate(program);
  registerShortcuts(program);
}
