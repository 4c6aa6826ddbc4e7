// bd dep add|remove|list, bd dep X --blocks Y, bd label add|remove|list|list-all, bd comment, bd comments [add]

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { Comment, Issue, IssueDetail } from '../../../storage/issues/issue-types.js';
import { oneLine, neutralise } from '../../output.js';
import { beadsComment } from '../render.js';
import { brun, call, readStdin, softError } from '../run.js';
import { refuseFlags } from '../unsupported.js';

function usage(message: string): GravaError {
  return new GravaError('GRAVA_E_USAGE', message);
}

function refuseExternal(id: string): void {
  if (id.startsWith('external:')) throw new GravaError('GRAVA_E_UNSUPPORTED', `'bd dep add ... ${id}' is not supported by grava: cross-project (external:) dependencies`);
}

function registerDep(program: Command): void {
  const dep = program.command('dep')
    .description('dependencies: bd dep add ID DEPENDS_ON, bd dep BLOCKER --blocks BLOCKED')
    .argument('[blocker]')
    .option('-b, --blocks <id>', 'BLOCKER blocks this issue (it depends on BLOCKER)');
  dep.action(async (blocker: string | undefined, o: { blocks?: string }, cmd: Command) => brun(cmd, async (out) => {
    if (blocker === undefined || o.blocks === undefined) { cmd.help(); return; }
    refuseExternal(blocker);
    const r = await call<{ issue_id: string; depends_on: string; type: string }>('dep.add', { id: o.blocks, depends_on: blocker, type: 'blocks' });
    out.data({ status: 'added', blocker_id: r.depends_on, blocked_id: r.issue_id, type: r.type }, () => `✓ Added dependency: ${r.depends_on} blocks ${r.issue_id}`);
  }));

  const add = dep.command('add')
    .description('make ISSUE depend on DEPENDS_ON (DEPENDS_ON blocks it by default)')
    .argument('[issue]').argument('[depends_on]')
    .option('-t, --type <type>', 'blocks | related | parent-child | discovered-from', 'blocks')
    .option('--blocked-by <id>', 'the issue it depends on')
    .option('--depends-on <id>', 'the issue it depends on');
  refuseFlags(add, { file: 'add dependencies one command at a time', 'no-cycle-check': 'grava always refuses cycles of blocking dependencies' });
  add.action(async (id: string | undefined, on: string | undefined, o: { type: string; blockedBy?: string; dependsOn?: string }, cmd: Command) => brun(cmd, async (out) => {
    const flagged = o.blockedBy ?? o.dependsOn;
    if (on !== undefined && flagged !== undefined) throw usage('cannot use both positional depends-on-id and --blocked-by/--depends-on flag');
    const target = on ?? flagged;
    if (id === undefined || target === undefined) throw usage('requires 2 arg(s), only received 1 (or use --blocked-by/--depends-on flag)');
    refuseExternal(target);
    // beads keeps one type per pair: a different type is refused, not a change of the existing link.
    const existing = (await call<IssueDetail>('issue.show', { id })).dependencies.find((x) => x.id === target);
    if (existing && existing.type !== o.type) {
      throw new GravaError('GRAVA_E_CONFLICT', `dependency ${id} -> ${target} already exists with type ${JSON.stringify(existing.type)} (requested ${JSON.stringify(o.type)}); remove it first with 'bd dep remove' then re-add`);
    }
    const r = await call<{ issue_id: string; depends_on: string; type: string }>('dep.add', { id, depends_on: target, type: o.type });
    out.data({ status: 'added', issue_id: r.issue_id, depends_on_id: r.depends_on, type: r.type }, () => `✓ Added dependency: ${r.issue_id} depends on ${r.depends_on} (${r.type})`);
  }));

  dep.command('remove').alias('rm')
    .description('remove the dependency of ISSUE on DEPENDS_ON (whatever its type)')
    .argument('<issue>').argument('<depends_on>')
    .action(async (id: string, on: string, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      try {
        await call('dep.remove', { id, depends_on: on });
      } catch (e) {
        // beads: removing a dependency that is not there succeeds; an unknown issue still fails.
        if ((e as GravaError).code !== 'GRAVA_E_NOT_FOUND' || (e as GravaError).data?.depends_on === undefined) throw e;
        await call('issue.show', { id });
        await call('issue.show', { id: on });
      }
      out.data({ status: 'removed', issue_id: id, depends_on_id: on }, () => `✓ Removed dependency: ${id} no longer depends on ${on}`);
    }));

  dep.command('list')
    .description('what an issue depends on (--direction down, the default) or what depends on it (up)')
    .argument('<id>')
    .option('--direction <dir>', 'down | up', 'down')
    .option('-t, --type <type>', 'only this dependency type')
    .action(async (id: string, o: { direction: string; type?: string }, cmd: Command) => brun(cmd, async (out) => {
      if (o.direction !== 'down' && o.direction !== 'up') throw new GravaError('GRAVA_E_INVALID', `invalid direction ${JSON.stringify(o.direction)} (valid: down, up)`);
      const d = await call<IssueDetail>('issue.show', { id });
      const refs = (o.direction === 'down' ? d.dependencies : d.dependents).filter((x) => o.type === undefined || x.type === o.type);
      const json = refs.map((x) => ({ id: x.id, title: x.title, status: x.status, priority: x.priority, issue_type: x.issue_type, ...(x.assignee ? { assignee: x.assignee } : {}), dependency_type: x.type }));
      out.data(json, () => (refs.length === 0
        ? (o.direction === 'down' ? `\n${id} has no dependencies` : `\nNo issues depend on ${id}`)
        : refs.map((x) => `  ${x.id}: ${oneLine(x.title ?? '')} [P${x.priority ?? '?'}] (${x.status ?? '?'}) via ${x.type}`).join('\n')));
    }));

  for (const name of ['tree', 'cycles']) {
    dep.command(name, { hidden: true }).allowUnknownOption().allowExcessArguments().argument('[args...]').action(() => {
      throw new GravaError('GRAVA_E_UNSUPPORTED', `'bd dep ${name}' is not supported by grava; use \`bd dep list ID\` and \`bd show ID\``);
    });
  }
}

function registerLabel(program: Command): void {
  const label = program.command('label').description('labels: bd label add ID... LABEL');
  const change = (verb: 'add' | 'remove'): void => {
    label.command(verb)
      .description(`${verb} one label (the last argument) ${verb === 'add' ? 'to' : 'from'} issues`)
      .argument('<args...>', 'issue ids, then the label')
      .action(async (args: string[], _o: unknown, cmd: Command) => brun(cmd, async (out) => {
        if (args.length < 2) throw usage(`requires at least 2 arg(s), only received ${args.length}`);
        const name = verb === 'add' ? args.at(-1)!.trim() : args.at(-1)!;
        if (name === '') throw new GravaError('GRAVA_E_INVALID', 'label cannot be empty');
        const done: { issue_id: string; label: string; status: string }[] = [];
        for (const id of args.slice(0, -1)) {
          try {
            await call<Issue>(`label.${verb}`, { id, label: name });
          } catch (e) {
            // Removing a label that is not there is a no-op in beads; an unknown issue is reported and skipped.
            const err = e as GravaError;
            if (!(verb === 'remove' && err.code === 'GRAVA_E_NOT_FOUND' && err.data?.label !== undefined)) { softError(`Error resolving ${id}`, e); continue; }
          }
          done.push({ issue_id: id, label: name, status: verb === 'add' ? 'added' : 'removed' });
          out.line(verb === 'add' ? `✓ Added label '${oneLine(name)}' to ${id}` : `✓ Removed label '${oneLine(name)}' from ${id}`);
        }
        if (out.json) out.data(done, () => '');
      }));
  };
  change('add');
  change('remove');
  label.command('list').description('the labels of an issue').argument('<id>')
    .action(async (id: string, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const i = await call<Issue>('issue.show', { id });
      out.data([...i.labels], () => (i.labels.length === 0 ? `\n${id} has no labels` : [`\nLabels for ${id}:`, ...i.labels.map((l) => `  - ${oneLine(l)}`)].join('\n')));
    }));
  label.command('list-all').description('every label in use, with how many issues carry it')
    .action(async (_o: unknown, cmd: Command) => brun(cmd, async (out) => {
      const tally = new Map<string, number>();
      for (const i of await call<Issue[]>('issue.list', {})) for (const l of i.labels) tally.set(l, (tally.get(l) ?? 0) + 1);
      const rows = [...tally.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([l, count]) => ({ label: l, count }));
      out.data(rows, () => (rows.length === 0 ? 'No labels' : rows.map((r) => `  ${oneLine(r.label)} (${r.count})`).join('\n')));
    }));
}

async function commentText(words: readonly string[], o: { stdin?: boolean; file?: string }): Promise<string> {
  const sources = (words.length > 0 ? 1 : 0) + (o.stdin ? 1 : 0) + (o.file !== undefined ? 1 : 0);
  if (sources === 0) throw usage('no comment text provided (use positional args, --stdin, or --file)');
  if (sources > 1) throw usage('give the comment one way: as arguments, --stdin or --file');
  let text: string;
  if (o.stdin) text = (await readStdin()).replace(/\n+$/, '');
  else if (o.file !== undefined) {
    try { text = readFileSync(o.file, 'utf8'); } catch (e) { throw new GravaError('GRAVA_E_INVALID', `cannot read ${o.file}: ${(e as Error).message}`); }
  } else text = words.join(' ');
  if (text.trim() === '') throw new GravaError('GRAVA_E_INVALID', 'comment text cannot be empty');
  return text;
}

function registerComments(program: Command): void {
  program.command('comment')
    .description('comment on an issue: bd comment ID "text"')
    .argument('<id>').argument('[text...]')
    .option('--stdin', 'read the text from stdin')
    .option('--file <path>', 'read the text from a file')
    .action(async (id: string, words: string[], o: { stdin?: boolean; file?: string }, cmd: Command) => brun(cmd, async (out) => {
      const c = await call<Comment>('comment.add', { id, text: await commentText(words, o) });
      out.data(beadsComment(c), () => `✓ Comment added to ${id}`);
    }));

  const comments = program.command('comments')
    .description('list the comments of an issue (oldest first); bd comments add ID "text"')
    .argument('[id]')
    .action(async (id: string | undefined, _o: unknown, cmd: Command) => brun(cmd, async (out) => {
      if (id === undefined) throw usage('requires at least 1 arg(s), only received 0');
      if (id === 'list') throw usage('"bd comments list" is not valid; to list comments on an issue, run: bd comments <issue-id>');
      const d = await call<IssueDetail>('issue.show', { id });
      out.data(d.comments.map(beadsComment), () => (d.comments.length === 0 ? `No comments on ${id}`
        : [`\nComments on ${id}:\n`, ...d.comments.map((c) => `[${oneLine(c.author)}] at ${c.created_at}\n${neutralise(c.body).split('\n').map((l) => `  ${l}`).join('\n')}\n`)].join('\n')));
    }));
  const add = comments.command('add').description('add a comment').argument('<id>').argument('[text]')
    .option('-f, --file <path>', 'read the text from a file');
  refuseFlags(add, { author: 'comments are written as the workspace\'s actor' });
  add.action(async (id: string, text: string | undefined, o: { file?: string }, cmd: Command) => brun(cmd, async (out) => {
    const c = await call<Comment>('comment.add', { id, text: await commentText(text !== undefined ? [text] : [], o) });
    out.data(beadsComment(c), () => `Comment added to ${id}`);
  }));
}

export function registerRelations(program: Command): void {
  registerDep(program);
  registerLabel(program);
  registerComments(program);
}
