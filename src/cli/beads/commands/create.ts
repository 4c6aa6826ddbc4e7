// bd create (new), bd q

import type { Command } from 'commander';
import type { Issue, IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { beadsPriority, beadsTime, beadsType, collect, commaList, parseDep } from '../flags.js';
import { beadsIssue } from '../render.js';
import { brun, call } from '../run.js';
import { refuseFlags } from '../unsupported.js';
import { descriptionOf, estimateOf, textOptions, usage, type CreateOpts } from './text-flags.js';

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

export { registerCreate };
