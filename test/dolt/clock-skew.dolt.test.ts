// Skewed clocks against real Dolt (MERGE_SPEC §12). One workspace's clock
// runs a day ahead, then 10 s behind, through the GRAVA_CLOCK_SKEW_MS seam
// (src/storage/issues/clock-store.ts, in place of libfaketime): the fleet
// converges, a correct workspace's clock is not dragged ahead by what it
// pulls or overwrites, and the skewed workspace is named in the sync summary
// and an event.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_DRIFT_MS } from '../../src/merge/hlc.js';
import { rows } from '../../src/storage/dolt/db.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { openReplica } from '../../src/storage/replica.js';
import { startCentral, type Central } from '../helpers/central.js';
import { ok, testDir } from '../helpers/workspace.js';

interface SyncJson { clamped_stamps: number; skewed_actors: string[] }
interface IssueJson { id: string; title: string; created_at: string; updated_at: string }

const DAY = 86_400_000;
let central: Central;
let fast: string;
let right: string;

async function clone(name: string): Promise<string> {
  const dir = testDir(name);
  await ok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  return dir;
}
async function eventsOf(ws: string, kind: string): Promise<Record<string, unknown>[]> {
  const r = await openReplica(workspacePaths(ws));
  try {
    const list = await rows<{ data: string }>(r.db, 'SELECT data FROM events WHERE kind = ? ORDER BY at', [kind]);
    return list.map((e) => JSON.parse(e.data) as Record<string, unknown>);
  } finally {
    await r.close();
  }
}
const skew = (ms: number): Record<string, string> => ({ ...central.env, GRAVA_CLOCK_SKEW_MS: String(ms) });
const sync = async (ws: string, env: Record<string, string> = central.env): Promise<SyncJson> => (await ok(ws, ['sync', '--json'], env)).json as SyncJson;

beforeAll(async () => {
  central = await startCentral('skew-central');
  fast = await clone('fastclock');
  right = await clone('rightclock');
});
afterAll(async () => {
  await central?.stop();
});

describe('a workspace whose clock runs a day ahead', () => {
  it('is flagged by the workspace that pulls its stamps, which keeps its own clock within the drift bound', async () => {
    const x = (await ok(fast, ['create', 'Written a day ahead', '--json'], skew(DAY))).json as IssueJson;
    expect(Date.parse(x.created_at)).toBeGreaterThan(Date.now() + DAY / 2);
    await sync(fast, skew(DAY));
    const s = await sync(right);
    expect(s.clamped_stamps).toBeGreaterThan(0);
    expect(s.skewed_actors).toEqual(['fastclock']);
    // Overwriting the far-future title beats it, and does not drag this workspace's clock:
    // its next issue is stamped now, not a day ahead.
    const renamed = (await ok(right, ['update', x.id, '--title', 'Renamed on a right clock', '--json'])).json as IssueJson;
    expect(renamed.title).toBe('Renamed on a right clock');
    // Observing the far-future stamps moved its clock at most to now + maxDrift (they were clamped), never a day ahead.
    const y = (await ok(right, ['create', 'Made after the overwrite', '--json'])).json as IssueJson;
    expect(Date.parse(y.created_at) - Date.now()).toBeLessThanOrEqual(DEFAULT_MAX_DRIFT_MS + 5_000);
    // The event log names the skewed workspace.
    const events = await eventsOf(right, 'clock_skew_observed');
    expect(events.at(-1)).toMatchObject({ actors: ['fastclock'] });
  });

  it('the fleet converges: the overwrite reaches the skewed workspace and stays', async () => {
    await sync(right);
    await sync(fast, skew(DAY));
    const list = async (ws: string, env?: Record<string, string>): Promise<string[]> => ((await ok(ws, ['list', '--json'], env)).json as IssueJson[]).map((i) => `${i.id}:${i.title}`).sort();
    expect(await list(fast, skew(DAY))).toEqual(await list(right));
    expect((await list(right)).some((l) => l.endsWith(':Renamed on a right clock'))).toBe(true);
  });

  it('once its clock is fixed, a correct write made after it wins again', async () => {
    // Fixed (no skew): its own clock state was a day ahead and restarts from now.
    const z = (await ok(fast, ['create', 'After the fix', '--json'], central.env)).json as IssueJson & { title_clk?: string };
    expect(Math.abs(Date.parse(z.created_at) - Date.now())).toBeLessThan(60_000);
    await sync(fast);
    await sync(right);
    await ok(fast, ['update', z.id, '--title', 'from the fixed clock'], central.env);
    await new Promise((r) => setTimeout(r, 50));
    await ok(right, ['update', z.id, '--title', 'from the right clock, later']);
    await sync(fast);
    await sync(right);
    await sync(fast);
    for (const ws of [fast, right]) expect(((await ok(ws, ['show', z.id, '--json'])).json as IssueJson).title).toBe('from the right clock, later');
  });
});

describe('a workspace whose clock runs 10 s behind', () => {
  it('converges, and is not flagged (10 s is within the drift bound)', async () => {
    const slow = await clone('slowclock');
    const w = (await ok(right, ['create', 'Both edit this', '--json'])).json as IssueJson;
    await sync(right);
    await sync(slow, skew(-10_000));
    await ok(right, ['update', w.id, '--title', 'right first']);
    await new Promise((r) => setTimeout(r, 50));
    await ok(slow, ['update', w.id, '--title', 'slow second, stamped 10 s earlier'], skew(-10_000));
    const s1 = await sync(right);
    const s2 = await sync(slow, skew(-10_000));
    await sync(right);
    // Not flagged: 10 s is within the bound. (Rows from the day-ahead workspace above may still be
    // re-observed and counted when they change, so only the actors named are checked here.)
    expect([...s1.skewed_actors, ...s2.skewed_actors].filter((a) => a !== 'fastclock')).toEqual([]);
    const a = ((await ok(right, ['show', w.id, '--json'])).json as IssueJson).title;
    const b = ((await ok(slow, ['show', w.id, '--json'], skew(-10_000))).json as IssueJson).title;
    expect(a).toBe(b);
    expect(['right first', 'slow second, stamped 10 s earlier']).toContain(a);
  });
});
