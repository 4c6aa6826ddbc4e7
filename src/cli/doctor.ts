// grava doctor: Dolt, the workspace, its server and schema. Works outside a workspace too.

import { findWorkspaceRoot, readConfig, workspacePaths } from '../storage/dolt/layout.js';
import { findDolt, readDoltPin } from '../storage/dolt/dolt-binary.js';
import { localServer } from '../storage/replica.js';
import { asGravaError } from '../errors/grava-error.js';
import { statSync } from 'node:fs';

export interface DoctorReport {
  ok: boolean;
  dolt: { path: string | null; version: string | null; pinned: string; error?: string };
  workspace: { root: string | null; prefix?: string; actor?: string; remote?: string | null; private?: boolean };
  server: { running: boolean; ready: boolean; pid: number | null; port: number | null } | null;
  central?: { url: string; transport: string; reachable: boolean };
  daemon?: { running: boolean; pid: number | null; version: string | null };
  lines: string[];
}

export async function doctor(): Promise<DoctorReport> {
  const pin = readDoltPin();
  const lines: string[] = [];
  const report: DoctorReport = { ok: true, dolt: { path: null, version: null, pinned: pin.version }, workspace: { root: null }, server: null, lines };
  try {
    const d = await findDolt();
    report.dolt = { path: d.path, version: d.version, pinned: pin.version };
    lines.push(`ok    dolt ${d.version} at ${d.path}${d.version === pin.version ? '' : ` (grava is pinned to ${pin.version})`}`);
  } catch (e) {
    const err = asGravaError(e);
    report.ok = false;
    report.dolt = { path: null, version: null, pinned: pin.version, error: `${err.code}: ${err.message}` };
    lines.push(`FAIL  ${err.code}: ${err.message}`);
  }
  const root = findWorkspaceRoot();
  if (!root) {
    lines.push('info  no workspace here (run `grava init` to create one)');
    return report;
  }
  const paths = workspacePaths(root);
  const config = readConfig(paths);
  const mode = statSync(paths.dir).mode & 0o777;
  report.workspace = { root, prefix: config.prefix, actor: config.actor, remote: config.remote ?? null, private: mode === 0o700 };
  lines.push(`ok    workspace ${root} (prefix ${config.prefix}, actor ${config.actor}, ${config.remote ? `remote ${config.remote}` : 'local only'})`);
  if (mode !== 0o700) { report.ok = false; lines.push(`FAIL  ${paths.dir} has mode ${mode.toString(8)}; it should be 700`); }
  if (report.dolt.path) {
    const s = await (await localServer()).status();
    report.server = { running: s.running, ready: s.ready, pid: s.state?.pid ?? null, port: s.state?.port ?? null };
    lines.push(s.running ? `${s.ready ? 'ok  ' : 'FAIL'}  workspace server pid ${s.state?.pid} port ${s.state?.port}${s.ready ? '' : ' is not answering'}` : 'info  workspace server is not running (the next command starts it)');
    if (s.running && !s.ready) report.ok = false;
  }
  const { health } = await import('../daemon/control.js');
  const h = await health(paths);
  report.daemon = { running: h !== undefined, pid: h?.pid ?? null, version: h?.version ?? null };
  lines.push(h ? `ok    daemon pid ${h.pid} (grava ${h.version}) on ${paths.daemonSocket}` : 'info  daemon is not running (the next command starts it)');
  if (config.remote) {
    // Unreachable is information, not a failure: workspaces work offline.
    const { checkReachable } = await import('../transport/reachability.js');
    const { parseRemote } = await import('../transport/remote-url.js');
    const transport = parseRemote(config.remote).transport;
    const what = { server: 'central server', git: 'git remote', dir: 'shared directory' }[transport];
    const reachable = await checkReachable(config.remote, 2_000, { probeGit: true }).then(() => true, () => false);
    report.central = { url: config.remote, transport, reachable };
    lines.push(reachable ? `ok    ${what} ${config.remote} ${transport === 'server' ? 'accepts connections' : 'answers'}` : `info  ${what} ${config.remote} is unreachable (local work goes on; sync later)`);
  }
  return report;
}
