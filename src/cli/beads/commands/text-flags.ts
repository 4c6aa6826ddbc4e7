// The flags bd create and bd update share: the description from text, a file
// or stdin, the fields agents write, and their checks.

import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { GravaError } from '../../../errors/grava-error.js';
import { readStdin } from '../run.js';

export const STATUSES = ['open', 'in_progress', 'blocked', 'deferred', 'closed'];

export function usage(message: string): GravaError {
  return new GravaError('GRAVA_E_USAGE', message);
}

export interface TextOpts { description?: string; body?: string; message?: string; bodyFile?: string; descriptionFile?: string; stdin?: boolean }

/** The description from -d / --body / -m, a file, or stdin (`-d -`, `--stdin`, `--body-file -`); undefined when none is given. */
export async function descriptionOf(o: TextOpts): Promise<string | undefined> {
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

export function textOptions(cmd: Command): Command {
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

export function estimateOf(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v.trim())) throw new GravaError('GRAVA_E_INVALID', 'estimate must be a non-negative number of minutes');
  return Number(v);
}

export type CreateOpts = TextOpts & {
  title?: string; design?: string; acceptance?: string; notes?: string; externalRef?: string; assignee?: string; priority?: string; type?: string;
  labels?: string[]; label?: string[]; parent?: string; deps?: string[]; estimate?: string; due?: string; defer?: string; silent?: boolean;
};
