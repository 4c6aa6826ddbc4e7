// grava dep add|remove, grava label add|remove, grava comment

import type { Command } from 'commander';
import { call } from '../context.js';
import type { Comment, Issue } from '../../storage/issues/issue-types.js';
import { issueLine } from '../render.js';
import { jsonOption, run } from '../run.js';

export function registerRelations(program: Command): void {
  const dep = program.command('dep').description('dependencies between issues: ID depends on DEPENDS_ON');
  dep.command('add')
    .description('make ID depend on DEPENDS_ON')
    .argument('<id>').argument('<depends_on>')
    .option('--type <type>', 'blocks | related | parent-child | discovered-from', 'blocks')
    .addOption(jsonOption())
    .action(async (id: string, on: string, o: { type: string; json?: boolean }) => run(o, async (out) => {
      const r = await call<{ issue_id: string; depends_on: string; type: string }>('dep.add', { id, depends_on: on, type: o.type });
      out.data(r, () => `${r.issue_id} depends on ${r.depends_on} (${r.type})`);
    }));
  dep.command('remove')
    .description('remove the dependency of ID on DEPENDS_ON')
    .argument('<id>').argument('<depends_on>')
    .addOption(jsonOption())
    .action(async (id: string, on: string, o: { json?: boolean }) => run(o, async (out) => {
      const r = await call<{ issue_id: string; depends_on: string }>('dep.remove', { id, depends_on: on });
      out.data(r, () => `${r.issue_id} no longer depends on ${r.depends_on}`);
    }));

  const label = program.command('label').description('labels on issues');
  label.command('add').argument('<id>').argument('<label>').addOption(jsonOption())
    .description('add a label')
    .action(async (id: string, l: string, o: { json?: boolean }) => run(o, async (out) => {
      const issue = await call<Issue>('label.add', { id, label: l });
      out.data(issue, () => issueLine(issue));
    }));
  label.command('remove').argument('<id>').argument('<label>').addOption(jsonOption())
    .description('remove a label')
    .action(async (id: string, l: string, o: { json?: boolean }) => run(o, async (out) => {
      const issue = await call<Issue>('label.remove', { id, label: l });
      out.data(issue, () => issueLine(issue));
    }));

  program.command('comment')
    .description('add a comment to an issue')
    .argument('<id>').argument('<text>')
    .addOption(jsonOption())
    .action(async (id: string, text: string, o: { json?: boolean }) => run(o, async (out) => {
      const c = await call<Comment>('comment.add', { id, text });
      out.data(c, () => `Commented on ${c.issue_id} (${c.id})`);
    }));
}
