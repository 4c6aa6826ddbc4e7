// What bd list, ready, search, children and count share: beads' list flags, the
// storage filter they make, sorting, and one line per issue.

import { InvalidArgumentError, type Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import type { RelationCounts } from '../../../storage/issues/issue-queries.js';
import type { Issue } from '../../../storage/issues/issue-types.js';
import { oneLine } from '../../output.js';
import { beadsPriority, beadsType, collect, commaList } from '../flags.js';
import { call } from '../run.js';

export type Counted = Issue & RelationCounts;

export const SORTS = ['priority', 'created', 'updated', 'closed', 'status', 'id', 'title', 'type', 'assignee'] as const;

export function intArg(v: string): number {
  if (!/^\d+$/.test(v.trim())) throw new InvalidArgumentError(`invalid argument ${JSON.stringify(v)}: expected a whole number`);
  return Number(v);
}

/** One line per issue, as beads' flat list shows it. */
export function line(i: Issue): string {
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
export interface ListOpts {
  status?: string | undefined; priority?: string | undefined; assignee?: string | false | undefined; type?: string | undefined;
  label?: string[] | undefined; labelAny?: string[] | undefined; title?: string | undefined; limit?: number | undefined; all?: boolean | undefined;
  sort?: string | undefined; reverse?: boolean | undefined; parent?: string | undefined; ready?: boolean | undefined;
  priorityMin?: string | undefined; priorityMax?: string | undefined; query?: string | undefined; unassigned?: boolean | undefined;
}

export function priorityRange(o: ListOpts): number[] | undefined {
  const listed = commaList(o.priority).map(beadsPriority);
  if (o.priorityMin === undefined && o.priorityMax === undefined) return listed.length > 0 ? listed : undefined;
  const lo = o.priorityMin !== undefined ? beadsPriority(o.priorityMin) : 0;
  const hi = o.priorityMax !== undefined ? beadsPriority(o.priorityMax) : 4;
  const range = [0, 1, 2, 3, 4].filter((p) => p >= lo && p <= hi && (listed.length === 0 || listed.includes(p)));
  return range.length > 0 ? range : [-1];
}

/** The storage filter for beads' list flags. `closedByDefault`: leave closed issues out unless a status is named. */
export function filterOf(o: ListOpts, closedByDefault: boolean): Record<string, unknown> {
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

export function listFlags(cmd: Command, defaultLimit: number): Command {
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
export function displayFlags(cmd: Command): Command {
  for (const f of ['--pretty', '--tree', '--flat', '--long', '--no-pager', '--plain']) cmd.option(f, 'text layout (grava prints one line per issue)');
  return cmd;
}

export async function listed(method: string, filter: Record<string, unknown>, limit: number, sort: string | undefined, reverse: boolean): Promise<{ issues: Counted[]; more: boolean }> {
  const resort = sort !== undefined || reverse;
  // Storage's own order needs no more than one row past the limit (to know there are more).
  const fetch = !resort && limit > 0 ? { limit: limit + 1 } : {};
  const all = await call<Counted[]>(method, { ...Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)), ...fetch, with_counts: true });
  const sorted = resort ? sortIssues(all, sort ?? 'priority', reverse) : all;
  return limit > 0 ? { issues: sorted.slice(0, limit), more: sorted.length > limit } : { issues: sorted, more: false };
}
