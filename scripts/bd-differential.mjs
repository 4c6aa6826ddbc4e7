#!/usr/bin/env node
// Runs the rows of test/beads/compat.json against grava's bd face and against
// the real beads 1.0.5, and compares exit codes and JSON shapes (array or
// object, and the keys each side prints). For whoever extends the dialect;
// it does not run in CI (beads takes minutes to build).
//
//   node scripts/bd-differential.mjs --beads /path/to/bd [--json] [--only TEXT]
//
// Build beads once, outside the clone (its Go modules come from the module proxy):
//   git clone https://github.com/steveyegge/beads && cd beads && git checkout v1.0.5
//   go build -o /tmp/beads-bin/bd ./cmd/bd
//
// Each side gets its own fresh workspace in a temporary directory; grava's
// runs through its daemon, which is stopped at the end.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jsonKind, runRow, topKeys } from './bd-compat-runner.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : undefined; };
const beadsBin = opt('--beads') ?? process.env.BEADS_BIN;
const only = opt('--only');
const asJson = args.includes('--json');
if (!beadsBin) {
  process.stderr.write('usage: node scripts/bd-differential.mjs --beads /path/to/beads/bd [--json] [--only TEXT]\n');
  process.exit(2);
}

const ACTOR = 'agent1';
const rows = JSON.parse(readFileSync(join(root, 'test', 'beads', 'compat.json'), 'utf8')).filter((r) => !only || r.name.includes(only));

function run(cmd, argv, cwd, { stdin, env } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', (e) => resolve({ code: 127, stdout, stderr: String(e) }));
    child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'bd-diff-'));
const gravaWs = join(scratch, 'grava');
const beadsWs = join(scratch, 'beads');
mkdirSync(gravaWs);
mkdirSync(beadsWs);
const gravaBd = join(scratch, 'bd');
symlinkSync(join(root, 'bin', 'grava.js'), gravaBd);
const gravaEnv = { GRAVA_DIALECT: '', GRAVA_NO_DAEMON: '' };
// beads: actor from BD_ACTOR, no git identity needed, nothing leaves the scratch directory.
const beadsEnv = { BD_ACTOR: ACTOR, BEADS_ACTOR: ACTOR, GIT_AUTHOR_NAME: ACTOR, GIT_AUTHOR_EMAIL: `${ACTOR}@example.invalid`, GIT_COMMITTER_NAME: ACTOR, GIT_COMMITTER_EMAIL: `${ACTOR}@example.invalid`, HOME: scratch };

const grava = (argv, o) => run(process.execPath, [gravaBd, ...argv], gravaWs, { stdin: o.stdin, env: { ...gravaEnv, ...o.env } });
const beads = (argv, o) => run(beadsBin, argv, beadsWs, { stdin: o.stdin, env: { ...beadsEnv, ...o.env } });

const setup = [
  await run(process.execPath, [gravaBd, 'init', '--prefix', 'test', '--actor', ACTOR], gravaWs, { env: gravaEnv }),
  await run('git', ['init', '-q'], beadsWs, { env: beadsEnv }),
  await run(beadsBin, ['init', '--non-interactive', '--skip-agents', '--skip-hooks', '--prefix', 'test'], beadsWs, { env: beadsEnv }),
];
for (const s of setup) if (s.code !== 0) { process.stderr.write(`set-up failed: ${s.stderr}\n`); process.exit(1); }

const report = [];
for (const row of rows) {
  const g = await runRow(grava, row, ACTOR);
  const b = await runRow(beads, row, ACTOR);
  const gj = (() => { try { return JSON.parse(g.result.stdout); } catch { return undefined; } })();
  const bj = (() => { try { return JSON.parse(b.result.stdout); } catch { return undefined; } })();
  const gk = topKeys(gj);
  const bk = topKeys(bj);
  const diff = [];
  if (g.result.code !== b.result.code) diff.push(`exit: grava ${g.result.code}, beads ${b.result.code}`);
  if (jsonKind(gj) !== jsonKind(bj)) diff.push(`JSON: grava ${jsonKind(gj)}, beads ${jsonKind(bj)}`);
  const onlyBeads = bk.filter((k) => !gk.includes(k));
  const onlyGrava = gk.filter((k) => !bk.includes(k));
  report.push({
    name: row.name, source: row.source, same: diff.length === 0, diff,
    keys_only_in_beads: onlyBeads, keys_only_in_grava: onlyGrava,
    grava_failures: g.failures, beads_failures: b.failures,
  });
}

await run(process.execPath, [join(root, 'bin', 'grava.js'), 'daemon', 'stop'], gravaWs, { env: gravaEnv });
rmSync(scratch, { recursive: true, force: true });

const same = report.filter((r) => r.same).length;
if (asJson) {
  process.stdout.write(`${JSON.stringify({ rows: report.length, same_exit_and_shape: same, report }, null, 2)}\n`);
} else {
  for (const r of report) {
    const mark = r.same ? 'same' : 'DIFF';
    process.stdout.write(`${mark}  ${r.name}\n`);
    for (const d of r.diff) process.stdout.write(`        ${d}\n`);
    if (r.keys_only_in_beads.length) process.stdout.write(`        keys only beads prints: ${r.keys_only_in_beads.join(', ')}\n`);
    if (r.keys_only_in_grava.length) process.stdout.write(`        keys only grava prints: ${r.keys_only_in_grava.join(', ')}\n`);
    for (const f of r.beads_failures) process.stdout.write(`        beads does not meet the row: ${f}\n`);
    for (const f of r.grava_failures) process.stdout.write(`        grava does not meet the row: ${f}\n`);
  }
  process.stdout.write(`\n${same} of ${report.length} rows: same exit code and JSON shape\n`);
}
