// issues.jsonl at scale: export of 10,000 issues with 50,000 events (p50 of
// several runs, in the daemon's process as `grava export` runs it), and the
// pre-commit hook when nothing changed since the last export (CLI wall time
// with a warm daemon, beside `node -e 0` in the same run).

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { exportTo } from '../src/export/export.js';
import { encodeHlc } from '../src/merge/hlc.js';
import { clockColumn, columnsOf, ISSUES, EVENTS } from '../src/merge/tables.js';
import { exec } from '../src/storage/dolt/db.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { initLocalWorkspace, openReplica } from '../src/storage/replica.js';
import { summarize, fmt, type Summary } from './stats.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'grava.js');

export interface ExportBenchResult { issues: number; events: number; bytes: number; export_ms: Summary; hook_unchanged_ms: Summary; node_ms: Summary }

async function wall(args: string[], cwd: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GRAVA_NO_DAEMON;
  const t = performance.now();
  await run(process.execPath, args, { cwd, env });
  return performance.now() - t;
}

export async function benchExport(opts: { issues?: number; events?: number; runs?: number } = {}): Promise<ExportBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-export-'));
  const nIssues = opts.issues ?? 10_000;
  const nEvents = opts.events ?? 50_000;
  try {
    await run('git', ['init', '-q'], { cwd: dir });
    await initLocalWorkspace({ root: dir, actor: 'bench' });
    const replica = await openReplica(workspacePaths(dir));
    const now = Date.now() - 60_000;
    const icols = columnsOf(ISSUES);
    for (let i = 0; i < nIssues; i += 500) {
      const batch = [];
      for (let k = i; k < Math.min(nIssues, i + 500); k++) {
        const row: Record<string, unknown> = { id: `gr-${k.toString(36).padStart(5, '0')}`, created_at: new Date(now).toISOString(), created_by: 'bench', title: `issue ${k}`, description: 'a description of some length '.repeat(3), status: k % 3 === 0 ? 'closed' : 'open', priority: k % 5, type: 'task', assignee: null, close_reason: null, deleted: 0, design: null, acceptance_criteria: null, notes: null, external_ref: null, estimated_minutes: null, due_at: null, defer_until: null };
        for (const c of ISSUES.clocked) row[clockColumn(c)] = encodeHlc({ wall: now + k, counter: 0, actor: 'bench' });
        batch.push(icols.map((c) => row[c] ?? null));
      }
      await exec(replica.db, `INSERT INTO issues (${icols.map((c) => `\`${c}\``).join(', ')}) VALUES ${batch.map(() => `(${icols.map(() => '?').join(', ')})`).join(', ')}`, batch.flat());
    }
    const ecols = columnsOf(EVENTS);
    for (let i = 0; i < nEvents; i += 1000) {
      const batch = [];
      for (let k = i; k < Math.min(nEvents, i + 1000); k++) {
        batch.push([`ev-${k.toString(36).padStart(8, '0')}`, `gr-${(k % nIssues).toString(36).padStart(5, '0')}`, 'updated', 'bench', encodeHlc({ wall: now + k, counter: 1, actor: 'bench' }), JSON.stringify({ changes: { title: ['a', 'b'] } })]);
      }
      await exec(replica.db, `INSERT INTO events (${ecols.map((c) => `\`${c}\``).join(', ')}) VALUES ${batch.map(() => `(${ecols.map(() => '?').join(', ')})`).join(', ')}`, batch.flat());
    }
    const file = join(dir, 'issues.jsonl');
    const times: number[] = [];
    let bytes = 0;
    for (let k = 0; k < (opts.runs ?? 5); k++) {
      const t = performance.now();
      bytes = (await exportTo(replica.db, file)).bytes;
      times.push(performance.now() - t);
    }
    await replica.close();
    // The hook's fast path through the daemon: export once, then time unchanged runs beside node -e 0.
    await run(process.execPath, [BIN, 'hooks', 'install'], { cwd: dir });
    await wall([BIN, 'hooks', 'run', 'pre-commit'], dir);
    const hook: number[] = [];
    const node: number[] = [];
    for (let k = 0; k < 11; k++) {
      node.push(await wall(['-e', '0'], dir));
      hook.push(await wall([BIN, 'hooks', 'run', 'pre-commit'], dir));
    }
    return { issues: nIssues, events: nEvents, bytes, export_ms: summarize(times), hook_unchanged_ms: summarize(hook), node_ms: summarize(node) };
  } finally {
    await run(process.execPath, [BIN, 'daemon', 'stop'], { cwd: dir }).catch(() => undefined);
    await run(process.execPath, [BIN, 'dolt', 'stop'], { cwd: dir }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportExport(r: ExportBenchResult): string {
  return [
    `export of ${r.issues.toLocaleString('en')} issues and ${r.events.toLocaleString('en')} events (${(r.bytes / 1_048_576).toFixed(1)} MiB): ${fmt(r.export_ms)}`,
    `pre-commit hook with nothing changed (warm daemon): ${fmt(r.hook_unchanged_ms)}; node -e 0 in the same run: ${fmt(r.node_ms)}`,
  ].join('\n');
}
