// End-to-end time to resolve 10,000 conflicting rows in Dolt: both branches
// change the title of every issue; grava's merge decides each cell.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, openDb } from '../src/storage/dolt/db.js';
import { mergeRef } from '../src/storage/versioning/merge-runner.js';
import { initLocalWorkspace, openReplica } from '../src/storage/replica.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';

export async function benchDoltMerge(rowsN = 10_000): Promise<{ resolve_ms: number; conflict_rows: number; conflict_cells: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-merge-'));
  await initLocalWorkspace({ root: dir, actor: 'ours' });
  const r = await openReplica(workspacePaths(dir));
  try {
    const s = (t: number, a: string): string => `${String(t).padStart(16, '0')}-000000-${a}`;
    const clocked = ['title', 'description', 'status', 'priority', 'type', 'assignee', 'close_reason', 'deleted'];
    const cols = ['id', 'created_at', 'created_by', ...clocked.flatMap((c) => [c, `${c}_clk`])];
    for (let start = 0; start < rowsN; start += 500) {
      const chunk: unknown[][] = [];
      for (let i = start; i < Math.min(rowsN, start + 500); i++) {
        const c = s(1_000 + i, 'seed');
        chunk.push([`gr-${i.toString(36).padStart(5, '0')}`, '2030-01-01T00:00:00.000Z', 'seed', `t${i}`, c, '', c, 'open', c, 2, c, 'task', c, null, c, null, c, 0, c]);
      }
      await exec(r.db, `INSERT INTO issues (${cols.join(', ')}) VALUES ${chunk.map(() => `(${cols.map(() => '?').join(', ')})`).join(', ')}`, chunk.flat());
    }
    await exec(r.db, "CALL DOLT_COMMIT('-Am', 'seed')");
    await exec(r.db, "CALL DOLT_BRANCH('theirs')");
    await exec(r.db, "UPDATE issues SET title = CONCAT(title, ' ours'), title_clk = ?", [s(5_000_000, 'ours')]);
    await exec(r.db, "CALL DOLT_COMMIT('-Am', 'ours')");
    const theirs = openDb(r.server.target(r.state), 'grava/theirs', 1);
    await exec(theirs, "UPDATE issues SET title = CONCAT(title, ' theirs'), title_clk = ?", [s(6_000_000, 'theirs')]);
    await exec(theirs, "CALL DOLT_COMMIT('-Am', 'theirs')");
    await theirs.destroy();
    const t = performance.now();
    const m = await mergeRef(r.db, 'theirs', { clock: r.clock });
    const ms = performance.now() - t;
    return { resolve_ms: Math.round(ms), conflict_rows: m.conflictRows, conflict_cells: m.conflictCells };
  } finally {
    await r.server.stop();
    await r.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
