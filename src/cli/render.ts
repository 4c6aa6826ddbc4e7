// Human-readable views of issues. Every stored string passes through oneLine/neutralise.

import type { Comment, Issue, IssueDetail } from '../storage/issues/issue-types.js';
import { neutralise, oneLine } from './output.js';

export function issueLine(i: Issue): string {
  const who = i.assignee ? ` @${oneLine(i.assignee)}` : '';
  const labels = i.labels.length ? ` [${i.labels.map(oneLine).join(', ')}]` : '';
  return `${i.id}  P${i.priority} ${i.type.padEnd(7)} ${i.status.padEnd(11)} ${oneLine(i.title)}${who}${labels}`;
}

export function issueList(issues: readonly Issue[], empty = 'no issues'): string {
  return issues.length === 0 ? empty : issues.map(issueLine).join('\n');
}

function commentBlock(c: Comment): string {
  return `  ${c.created_at} ${oneLine(c.author)} (${c.id}):\n${neutralise(c.body).split('\n').map((l) => `    ${l}`).join('\n')}`;
}

export function issueDetail(i: IssueDetail): string {
  const lines = [
    `${i.id}: ${oneLine(i.title)}`,
    `  status ${i.status}   priority P${i.priority}   type ${i.type}   assignee ${i.assignee ? oneLine(i.assignee) : '-'}`,
    `  created ${i.created_at} by ${oneLine(i.created_by)}   updated ${i.updated_at}`,
  ];
  if (i.close_reason) lines.push(`  close reason: ${oneLine(i.close_reason)}`);
  if (i.labels.length) lines.push(`  labels: ${i.labels.map(oneLine).join(', ')}`);
  const dates = [i.due_at ? `due ${i.due_at}` : '', i.defer_until ? `deferred until ${i.defer_until}` : '', i.estimated_minutes !== null ? `estimate ${i.estimated_minutes} min` : '', i.external_ref ? `ref ${oneLine(i.external_ref)}` : ''].filter(Boolean);
  if (dates.length) lines.push(`  ${dates.join('   ')}`);
  if (i.description) lines.push('', ...neutralise(i.description).split('\n').map((l) => `  ${l}`));
  for (const [title, text] of [['design', i.design], ['acceptance criteria', i.acceptance_criteria], ['notes', i.notes]] as const) {
    if (text) lines.push('', `  ${title}:`, ...neutralise(text).split('\n').map((l) => `    ${l}`));
  }
  if (i.dependencies.length) lines.push('', '  depends on:', ...i.dependencies.map((d) => `    ${d.id} (${d.type}) ${d.status ?? '?'} ${oneLine(d.title ?? '')}`));
  if (i.dependents.length) lines.push('', '  needed by:', ...i.dependents.map((d) => `    ${d.id} (${d.type}) ${d.status ?? '?'} ${oneLine(d.title ?? '')}`));
  if (i.comments.length) lines.push('', '  comments:', ...i.comments.map(commentBlock));
  return lines.join('\n');
}
