// bd create | q | update | close | reopen | delete | defer | undefer

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { Issue, IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { beadsPriority, beadsTime, beadsType, collect, commaList, parseDep } from '../flags.js';
import { beadsIssue } from '../render.js';
import { brun, call, readStdin, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';

const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'closed'];

function usage(message: string): GravaError {
  return new GravaError('GRAVA_E_USAGE', message);
}

interface TextOpts { description?: string; body?: string; message?: string; bodyFile?: string; descriptionFile?: string; stdin?: boolean }

/** The description from -d / --body / -m, a file, or stdin (`-d -`, `--stdin`, `--body-file -`); undefined when none is given. */
async function descriptionOf(o: TextOpts): Promise<string | undefined> {
  const inline = [o.description, o.body, o.message].filter((v): v is string => v !== undefined);
  if (new Set(inline).size > 1) throw usage('--description, --body and --message give different texts; pass one');
  const file = o.bodyFile ?? o.descriptionFile;
  const sources = (inline.length > 0 ? 1 : 0) + (file !== undefined ? 1 : 0) + (o.stdin ? 1 : 0);
  if (sources > 1) throw usage('give the description one way: --description, --body-file or --stdin');
  if (o.stdin || inline[0] === '-' || file === '-') return (await readStdin()).replace(/\n+$/, '');
  if (file !== undefined) {
    try { return readFileSync(file, 'utf8'); } catch (e) { throw new GravaError('GRAVA_E_INVALID', `cannot read ${file}: ${(e as Error).message}`); }
  }
  return inline[0];
}

function textOptions(cmd: Command): Command {
  return cmd
    .option('-d, --description <text>', 'description (- reads stdin)')
    .option('--body <text>', 'alias of --description')
    .option('-m, --message <text>', 'alias of --description')
    .option('--body-file <file>', 'read the description from a file (- for stdin)')
    .option('--description-file <file>', 'alias of --body-file')
    .option('--stdin', 'read the description from stdin')
    .option('--design <text>', 'design notes')
    .option('--acceptance <text>', 'acceptance criteria')
    .option('--notes <text>', 'notes')
    .option('--external-ref <ref>', 'a reference in another system (gh-9, jira-ABC)')
    .option('-a, --assignee <name>', 'assignee')
    .option('-p, --priority <0-4|P0-P4>', 'priority, 0 most urgent')
    .option('-t, --type <type>', 'bug | feature | task | epic | chore')
    .option('-e, --estimate <minutes>', 'estimated minutes')
    .option('--due <when>', 'due date (+6h, tomorrow, 2026-12-01)')
    .option('--defer <when>', 'hide from ready until then');
}

function estimateOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new GravaError('GRAVA_E_INVALID', 'estimate must be a non-negative number of minutes');
  return Number(v);
}

type CreateOpts = TextOpts & {
  title?: string; design?: string; acceptance?: string; notes?: string; externalRef?: string; assignee?: string; priority?: string; type?: string;
  labels?: string[]; label?: string[]; parent?: string; deps?: string[]; estimate?: string; due?: string; defer?: string; silent?: boolean;
};

async function createIssue(titleArg: string | undefined, o: CreateOpts): Promise<Issue> {
  if (titleArg !== undefined && o.title !== undefined && titleArg !== o.title) throw usage(`cannot specify different titles as both positional argument and --title flag (positional ${JSON.stringify(titleArg)}, --title ${JSON.stringify(o.title)})`);
  const title = o.title ?? titleArg;
  if (title === undefined || title.trim() === '') throw usage('title required (bd create "Title" or --title="Title")');
  if (titleArg?.startsWith('-')) throw usage(`title ${JSON.stringify(titleArg)} looks like a flag; pass it as --title=${JSON.stringify(titleArg)}`);
  const now = new Date();
  const deps = commaList(o.deps).map(parseDep);
  const dependencies = deps.filter((d) => d.from === 'new').map((d) => ({ depends_on: d.to, type: d.type }));
  const blocksOthers = deps.filter((d) => d.to === 'new').map((d) => d.from);
  let labels = [...commaList(o.labels), ...commaList(o.label)];
  if (o.parent !== undefined) {
    // The parent exists and passes its labels on (beads' --parent); ids stay hash ids.
    const parent = await call<IssueDetail>('issue.show', { id: o.parent });
    labels = [...new Set([...labels, ...parent.labels])];
    dependencies.push({ depends_on: parent.id, type: 'parent-child' });
  }
  for (const other of blocksOthers) await call('issue.show', { id: other });
  const deferUntil = o.defer !== undefined ? beadsTime('--defer', o.defer, now) : undefined;
  const issue = await call<Issue>('issue.create', {
    title,
    description: await descriptionOf(o),
    priority: o.priority !== undefined ? beadsPriority(o.priority) : undefined,
    type: o.type !== undefined ? beadsType(o.type) : undefined,
    assignee: o.assignee,
    labels: labels.length > 0 ? labels : undefined,
    design: o.design, acceptance_criteria: o.acceptance, notes: o.notes, external_ref: o.externalRef,
    estimated_minutes: estimateOf(o.estimate),
    due_at: o.due !== undefined ? beadsTime('--due', o.due, now) : undefined,
    defer_until: deferUntil,
    status: deferUntil !== undefined && Date.parse(deferUntil) > now.getTime() ? 'deferred' : undefined,
    dependencies: dependencies.length > 0 ? dependencies : undefined,
  });
  for (const other of blocksOthers) await call('dep.add', { id: other, depends_on: issue.id, type: 'blocks' });
  return issue;
}

function registerCreate(program: Command): void {
  const create = textOptions(program.command('create').alias('new')
    .description('create an issue: bd create "Title" -p 1 -t bug --deps discovered-from:ID')
    .argument('[title]', 'the title (or --title)'))
    .option('--title <title>', 'the title')
    .option('-l, --labels <labels>', 'labels, comma-separated (repeatable)', collect)
    .option('--label <label>', 'a label (repeatable)', collect)
    .option('--parent <id>', 'make it a child of this issue (parent-child dependency; inherits its labels)')
    .option('--deps <deps>', 'dependencies, comma-separated: ID, blocks:ID, discovered-from:ID, related:ID (repeatable)', collect)
    .option('--silent', 'print only the new id');
  refuseFlags(create, {
    id: 'grava draws hash ids itself', 'waits-for': '', 'waits-for-gate': '', 'spec-id': '', skills: '', context: '', metadata: '',
    'dry-run': '', force: '', file: 'create issues one command at a time', graph: '', repo: '', ephemeral: 'every grava issue syncs',
    'no-history': '', 'mol-type': '', 'wisp-type': '', validate: '', 'design-file': '', 'no-inherit-labels': '',
  });
  create.action(async (title: string | undefined, o: CreateOpts, cmd: Command) => brun(cmd, async (out) => {
    const issue = await createIssue(title, o);
    if (o.silent && !out.json) { process.stdout.write(`${issue.id}\n`); return; }
    out.data(beadsIssue(issue), () => `✓ Created issue: ${issue.id} — ${oneLine(issue.title)}\n  Priority: P${issue.priority}\n  Status: ${issue.status}`);
  }));

  program.command('q')
    .description('quick capture: create an issue and print only its id')
    .argument('<title...>', 'title words')
    .option('-p, --priority <0-4|P0-P4>', 'priority')
    .option('-t, --type <type>', 'type')
    .option('-l, --labels <labels>', 'labels, comma-separated', collect)
    .action(async (words: string[], o: CreateOpts, cmd: Command) => brun(cmd, async () => {
      const issue = await createIssue(words.join(' '), o);
      process.stdout.write(`${issue.id}\n`);
    }));
}

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
  if (done.length > 0 && json) process.stdout.write((await import('../render.js')).beadsJson(done.map(beadsIssue)));
  return done.length > 0 ? 0 : 1;
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

export function registerWork(program: Command): void {
  registerShortcuts(program);
  registerCreate(program);
  registerUpdate(program);
  registerClose(program);
  registerDelete(program);
  registerDefer(program);
}
