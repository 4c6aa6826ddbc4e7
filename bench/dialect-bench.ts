// The cost of the bd face: the same request through `bd` and through
// `grava`, with a warm daemon in a local workspace, alternated in one run
// (so both see the same machine load). Reports medians and the bd/grava ratio.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { summarize, fmt, type Summary } from './stats.js';

const run = promisify(execFile);
const ROOT = new URL('../../', import.meta.url).pathname;
const BIN = join(ROOT, 'bin', 'grava.js');

export interface DialectPair { readonly name: string; readonly grava: Summary; readonly bd: Summary; readonly ratio: number }
export interface DialectBenchResult { readonly issues: number; readonly pairs: readonly DialectPair[] }

async function wall(program: string, args: readonly string[], cwd: string): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.GRAVA_NO_DAEMON;
  delete env.GRAVA_DIALECT;
  const t = performance.now();
  await run(process.execPath, [program, ...args], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
  return performance.now() - t;
}

export async function benchDialect(opts: { runs?: number; issues?: number } = {}): Promise<DialectBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-dialect-'));
  const bd = join(dir, 'bd');
  symlinkSync(BIN, bd);
  const ws = join(dir, 'ws');
  try {
    await run('mkdir', [ws]);
    await run(process.execPath, [BIN, 'init', '--actor', 'bench'], { cwd: ws });
    const issues = opts.issues ?? 50;
    let id = '';
    for (let i = 0; i < issues; i++) id = (JSON.parse((await run(process.execPath, [BIN, 'create', `bench ${i}`, '--json'], { cwd: ws })).stdout) as { id: string }).id;
    // The same request in each face (bd's list and ready also add relation counts, as beads does).
    const cases: { name: string; grava: string[]; bd: string[] }[] = [
      { name: 'show ID --json', grava: ['show', id, '--json'], bd: ['show', id, '--json'] },
      { name: 'list --json', grava: ['list', '--json'], bd: ['list', '--json'] },
      { name: 'ready --json', grava: ['ready', '--json'], bd: ['ready', '--json'] },
      { name: 'update ID --priority 1', grava: ['update', id, '--priority', '1'], bd: ['update', id, '--priority', '1'] },
    ];
    for (const c of cases) { await wall(BIN, c.grava, ws); await wall(bd, c.bd, ws); }
    const times = cases.map(() => ({ grava: [] as number[], bd: [] as number[] }));
    for (let k = 0; k < (opts.runs ?? 31); k++) {
      for (const [n, c] of cases.entries()) {
        // Alternate which face goes first, so neither always runs right after the other.
        if (k % 2 === 0) { times[n]!.grava.push(await wall(BIN, c.grava, ws)); times[n]!.bd.push(await wall(bd, c.bd, ws)); } else { times[n]!.bd.push(await wall(bd, c.bd, ws)); times[n]!.grava.push(await wall(BIN, c.grava, ws)); }
      }
    }
    const pairs = cases.map((c, n) => {
      const g = summarize(times[n]!.grava);
      const b = summarize(times[n]!.bd);
      return { name: c.name, grava: g, bd: b, ratio: b.p50 / g.p50 };
    });
    return { issues, pairs };
  } finally {
    await run(process.execPath, [BIN, 'daemon', 'stop'], { cwd: ws }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportDialect(r: DialectBenchResult): string {
  return [
    `bd face against grava, warm daemon, ${r.issues} issues, alternated in one run (bd p50 / grava p50)`,
    ...r.pairs.flatMap((p) => [`  ${p.name}`, `    grava: ${fmt(p.grava)}`, `    bd:    ${fmt(p.bd)}   ratio ${p.ratio.toFixed(3)}`]),
  ].join('\n');
}
