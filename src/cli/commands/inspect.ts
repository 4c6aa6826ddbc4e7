// grava merge-inspect: explain every cell decision of a merge, past or previewed.

import type { Command } from 'commander';
import type { RowDecision } from '../../merge/decide.js';
import type { CellDecision } from '../../merge/outcome.js';
import { formatValue } from '../../merge/explain.js';
import { call } from '../context.js';
import type { InspectTarget } from '../../storage/versioning/merge-preview.js';
import { oneLine } from '../output.js';
import { jsonOption, run } from '../run.js';


function cellLine(c: CellDecision, sentence: string): string {
  return `    ${c.column.padEnd(13)} base ${oneLine(formatValue(c.base))}  ours ${oneLine(formatValue(c.ours))}  theirs ${oneLine(formatValue(c.theirs))}  -> ${c.outcome} (${c.winner})\n      ${oneLine(sentence)}`;
}

export function registerInspect(program: Command): void {
  program
    .command('merge-inspect')
    .description('explain a merge cell by cell: a preview of merging REF into HEAD, or a past merge commit')
    .option('--fetch', 'fetch from the remote first (a grava server, a git repository or a shared directory)')
    .option('--ref <ref>', 'what to merge into HEAD', 'origin/main')
    .option('--commit <hash>', 'explain this past merge commit instead')
    .option('--table <table>', 'only this table (issues, dependencies, labels, comments, events)')
    .option('--id <id>', 'only rows of this issue')
    .option('--all', 'also list cells that did not change')
    .addOption(jsonOption())
    .action(async (o: { fetch?: boolean; ref: string; commit?: string; table?: string; id?: string; all?: boolean; json?: boolean }) => run(o, async (out) => {
      const { explainCell } = await import('../../merge/explain.js');
      const report = await call<{ target: InspectTarget; rows: RowDecision[] }>('merge.inspect', { fetch: o.fetch, ref: o.ref, commit: o.commit, table: o.table, id: o.id });
      const visible = (d: RowDecision): CellDecision[] => d.cells.filter((c) => o.all === true || c.winner !== 'base');
      const json = {
        ...report.target,
        rows: report.rows.map((d) => ({
          table: d.table, key: d.key, outcome: d.outcome,
          cells: visible(d).map((c) => ({ ...c, sentence: explainCell(d.table, d.key, c) })),
        })),
        summary: {
          rows: report.rows.length,
          conflicting_cells: report.rows.reduce((n, d) => n + d.cells.filter((c) => c.conflicting).length, 0),
        },
      };
      out.data(json, () => {
        const head = `${report.target.merge ? `merge ${report.target.merge}` : `preview of merging ${o.ref} into HEAD`}\n  base ${report.target.base}  ours ${report.target.ours}  theirs ${report.target.theirs}`;
        if (report.rows.length === 0) return `${head}\n  nothing changed on either side`;
        const body = report.rows.map((d) => `  ${d.table} ${oneLine(Object.values(d.key).join(' -> '))} (${d.outcome})\n${visible(d).map((c) => cellLine(c, explainCell(d.table, d.key, c))).join('\n')}`);
        return `${head}\n${body.join('\n')}\n  ${json.summary.rows} row(s), ${json.summary.conflicting_cells} conflicting cell(s)`;
      });
    }));
}
