// Partition drills (the short versions, issue 18): a TCP proxy on loopback
// between a workspace and the central blackholes or resets its connections.
// The workspace's daemon keeps taking local writes, its status shows the
// failed cycles, and once the link is back everything converges with nothing
// lost. Real central, real daemons; convergence and zero loss are asserted,
// timings are only printed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../helpers/central.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { testDir } from '../helpers/workspace.js';
import { dcli, dok, status, until } from '../helpers/daemon.js';
import { sleep } from '../../src/storage/dolt/process-util.js';

let central: Central;
let proxy: TcpProxy;
const roots: string[] = [];

const BLACKHOLE_MS = Number(process.env.GRAVA_PARTITION_MS ?? 5_000);
// A fetch or push caught in the blackhole is abandoned after this (the default is 120 s).
const ENV = (): Record<string, string> => ({ ...central.env, GRAVA_REMOTE_TIMEOUT_MS: '8000' });

async function clone(name: string, url: string): Promise<string> {
  const dir = testDir(name);
  await dok(dir, ['init', '--remote', url, '--actor', name], ENV());
  roots.push(dir);
  for (const [k, v] of Object.entries({ 'sync.debounce_ms': '100', 'sync.pull_interval_ms': '300' })) await dok(dir, ['config', 'set', k, v], ENV());
  return dir;
}

/** Nothing pending, no cycle running, the last one succeeded (a running cycle has taken the pending writes). */
const caughtUp = (s: Record<string, unknown>): true | undefined =>
  (s.pending_writes === 0 && s.syncing === false && s.consecutive_failures === 0 && (s.last_sync as { error: unknown } | null)?.error === null ? true : undefined);

const titles = async (dir: string): Promise<string[]> => ((await dok(dir, ['list', '--json'], ENV())).json as { title: string }[]).map((i) => i.title);

beforeAll(async () => {
  central = await startCentral('partition-central');
  proxy = await startTcpProxy(Number(new URL(central.url).port));
});

afterAll(async () => {
  for (const r of roots) await dcli(r, ['daemon', 'stop'], ENV());
  await proxy?.close();
  await central?.stop();
});

describe('a partition between a workspace and the central', () => {
  it(`blackholed for ${BLACKHOLE_MS / 1000} s: local writes go on, status shows failed cycles, then everything converges`, async () => {
    const behind = await clone('behind-proxy', central.url.replace(/:\d+\//, `:${proxy.port}/`));
    const direct = await clone('direct', central.url);
    await dok(behind, ['create', 'before the partition'], ENV());
    await until('the first sync through the proxy', async () => caughtUp(await status(behind)));

    proxy.blackhole(true);
    const t = Date.now();
    const written: string[] = [];
    let n = 0;
    while (Date.now() - t < BLACKHOLE_MS) {
      const title = `during the partition ${n++}`;
      const w = Date.now();
      await dok(behind, ['create', title], ENV());
      expect(Date.now() - w).toBeLessThan(5_000); // a local write never waits for the central
      written.push(title);
      await sleep(500);
    }
    await dok(direct, ['create', 'written on the other side'], ENV());
    proxy.blackhole(false);
    // A cycle caught in the blackhole fails once Dolt's connection gives up; the next one gets through.
    const failed = await until('a failed cycle in status', async () => {
      const s = await status(behind);
      const last = s.last_sync as { error: { code: string } | null } | null;
      return last?.error ? last.error.code : Number(s.consecutive_failures) > 0 ? 'failing' : undefined;
    }, 90_000);
    console.log(`partition: first failure shown after ${Date.now() - t} ms (${failed})`);
    await until('the workspace caught up', async () => {
      const s = await status(behind);
      return caughtUp(s);
    }, 120_000);
    console.log(`partition: caught up ${Date.now() - t} ms after the blackhole began`);
    await dok(direct, ['sync', '--force'], ENV());
    await dok(behind, ['sync', '--force'], ENV());
    const want = ['before the partition', 'written on the other side', ...written].sort();
    expect((await titles(behind)).sort()).toEqual(want);
    expect((await titles(direct)).sort()).toEqual(want);
  });

  it('connections reset mid-sync: the cycle fails fast, the next one succeeds, nothing is lost', async () => {
    const behind = roots[0]!;
    await dok(behind, ['create', 'before the reset'], ENV());
    proxy.reset();
    await dok(behind, ['create', 'after the reset'], ENV());
    await until('the workspace caught up after the reset', async () => {
      const s = await status(behind);
      return caughtUp(s);
    }, 60_000);
    const direct = roots[1]!;
    await dok(direct, ['sync', '--force'], ENV());
    expect(await titles(direct)).toEqual(expect.arrayContaining(['before the reset', 'after the reset']));
  });
});
