// `npm run bench:slow-link [-- --rtt-ms 200] [--cycles 15] [--json]`: the sync cycle of a workspace whose
// link to the central adds a round-trip time (a TCP proxy on loopback, test/helpers/tcp-proxy.ts, in front
// of both the remotesapi and the HTTP port), next to a workspace on the plain link, in the same run and
// alternating. Queue mode (the default against a grava server). Target: under 2 s at 200 ms RTT.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findDolt } from '../src/storage/dolt/dolt-binary.js';
import { openReplica, type Replica } from '../src/storage/replica.js';
import { workspacePaths } from '../src/storage/dolt/layout.js';
import { cloneWorkspace } from '../src/transport/clone.js';
import { syncOnce } from '../src/transport/sync.js';
import { startCentralAt, SYNC_PASSWORD, SYNC_USER } from '../test/helpers/central-core.js';
import { startTcpProxy } from '../test/helpers/tcp-proxy.js';
import { fmt, summarize, type Summary } from './stats.js';

export interface SlowLinkResult { rtt_ms: number; slow: Summary; plain: Summary; ratio_p50: number; slow_wait: Summary; slow_phases_p50: Record<string, number> }

export async function benchSlowLink(o: { rttMs: number; cycles: number }): Promise<SlowLinkResult> {
  const dir = mkdtempSync(join(tmpdir(), 'grava-bench-slow-'));
  process.env.GRAVA_REMOTE_USER = SYNC_USER;
  process.env.GRAVA_REMOTE_PASSWORD = SYNC_PASSWORD;
  await findDolt();
  const central = await startCentralAt(dir);
  const remotes = await startTcpProxy(Number(new URL(central.url).port));
  const api = await startTcpProxy(central.httpPort);
  const open: Replica[] = [];
  try {
    const slowUrl = central.url.replace(/:\d+\//, `:${remotes.port}/`);
    const plain = await openReplica(workspacePaths((await cloneWorkspace({ root: mkdtempSync(join(dir, 'plain-')), remote: central.url, actor: 'plain' })).root));
    open.push(plain);
    const slow = await openReplica(workspacePaths((await cloneWorkspace({ root: mkdtempSync(join(dir, 'slow-')), remote: slowUrl, actor: 'slow' })).root));
    open.push(slow);
    remotes.latency(o.rttMs);
    api.latency(o.rttMs);
    const times = { slow: [] as number[], plain: [] as number[], wait: [] as number[] };
    const phases: Record<string, number[]> = {};
    for (let k = -1; k < o.cycles; k++) {
      for (const [name, r, apiUrl] of [['plain', plain, central.env.GRAVA_REMOTE_API], ['slow', slow, `http://127.0.0.1:${api.port}`]] as const) {
        process.env.GRAVA_REMOTE_API = apiUrl;
        await r.issues.create({ title: `${name} ${k}` });
        const s = await syncOnce(r);
        if (k < 0) continue;
        times[name].push(s.duration_ms);
        if (name === 'slow') {
          times.wait.push(s.phases.wait_ms);
          for (const [ph, ms] of Object.entries(s.phases) as [string, number][]) (phases[ph] ??= []).push(ms);
        }
      }
    }
    const slowS = summarize(times.slow);
    const plainS = summarize(times.plain);
    return { rtt_ms: o.rttMs, slow: slowS, plain: plainS, ratio_p50: slowS.p50 / plainS.p50, slow_wait: summarize(times.wait), slow_phases_p50: Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, summarize(v).p50])) };
  } finally {
    for (const r of open) { await r.server.stop().catch(() => undefined); await r.close().catch(() => undefined); }
    await remotes.close();
    await api.close();
    await central.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function reportSlowLink(r: SlowLinkResult): string {
  return [
    `sync cycle over a link with ${r.rtt_ms} ms of added round-trip time (queue mode, one new issue per cycle):`,
    `  slow link:  ${fmt(r.slow)}`,
    `    waiting for the queue: ${fmt(r.slow_wait)}`,
    `    phases at p50: ${Object.entries(r.slow_phases_p50).map(([k, v]) => `${k} ${Math.round(v)}`).join(', ')} ms`,
    `  plain link: ${fmt(r.plain)}`,
    `  slow / plain at p50: ${r.ratio_p50.toFixed(2)}x; target under 2 s: ${r.slow.p95 < 2000 ? 'met' : 'missed'} at p95`,
  ].join('\n');
}

if (process.argv[1]?.endsWith('slow-link.js')) {
  const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
  benchSlowLink({ rttMs: Number(arg('--rtt-ms') ?? 200), cycles: Number(arg('--cycles') ?? 15) }).then((r) => {
    process.stdout.write(`${process.argv.includes('--json') ? JSON.stringify(r, null, 2) : reportSlowLink(r)}\n`);
  }, (e: unknown) => { process.stderr.write(`bench failed: ${String(e)}\n`); process.exitCode = 1; });
}
