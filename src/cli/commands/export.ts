// grava export | import: the database as issues.jsonl and back.

import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { call } from '../context.js';
import { jsonOption, run } from '../run.js';

/** The root of the git repository around `from` (a `.git` directory or file), if any. */
export function gitRoot(from: string): string | undefined {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** The default issues.jsonl: at the git repository's root around the workspace, else at the workspace root. */
async function defaultFile(): Promise<string> {
  const { requireWorkspace } = await import('../../storage/dolt/layout.js');
  const ws = requireWorkspace();
  return join(gitRoot(ws.root) ?? ws.root, 'issues.jsonl');
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('write the whole database (every table, tombstones and cell clocks) as JSONL; the same state always gives the same bytes')
    .option('-o, --output <file>', 'where to write (default: issues.jsonl at the git repository root, or the workspace root)')
    .addOption(jsonOption())
    .action(async (o: { output?: string; json?: boolean }) => run(o, async (out) => {
      const path = o.output !== undefined ? resolve(o.output) : await defaultFile();
      if (existsSync(path) && statSync(path).isDirectory()) {
        const { GravaError } = await import('../../errors/grava-error.js');
        throw new GravaError('GRAVA_E_INVALID', `${path} is a directory; name a file`);
      }
      const r = await call<{ path: string; rows: Record<string, number>; bytes: number }>('export.write', { path });
      out.data(r, () => `exported ${Object.entries(r.rows).map(([t, n]) => `${n} ${t}`).join(', ')} to ${r.path} (${r.bytes} bytes)`);
    }));

  program
    .command('import')
    .description('merge a JSONL export into the database, cell by cell (the newer stamp wins); the whole file is checked first and nothing is written if any line is wrong')
    .option('-i, --input <file>', 'the file (default: issues.jsonl at the git repository root, or the workspace root)')
    .option('--dry-run', 'check the file and count what would change, writing nothing')
    .addOption(jsonOption())
    .action(async (o: { input?: string; dryRun?: boolean; json?: boolean }) => run(o, async (out) => {
      const path = o.input !== undefined ? resolve(o.input) : await defaultFile();
      const r = await call<{ rows_inserted: number; rows_updated: number; cells_taken: number; rows_unchanged: number; dry_run: boolean }>('import.file', { path, dry_run: o.dryRun === true ? true : undefined });
      out.data(r, () => `${r.dry_run ? 'would import' : 'imported'} ${path}: ${r.rows_inserted} new row(s), ${r.rows_updated} updated (${r.cells_taken} cell(s) from the file), ${r.rows_unchanged} unchanged`);
    }));
}
