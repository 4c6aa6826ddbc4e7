// Fleet-wide claims against a real central: exactly one of N agents in
// different workspaces wins, the losers get GRAVA_E_CONFLICT naming the
// winner and see the winner locally; a claim and an unrelated edit both
// survive; offline, a claim is refused unless --offline, and a lost offline
// claim is reported by the next sync.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCentral, type Central } from '../helpers/central.js';
import { cli, errorCode, testDir } from '../helpers/workspace.js';
import { workspacePaths } from '../../src/storage/dolt/layout.js';
import { openReplica } from '../../src/storage/replica.js';
import { rows } from '../../src/storage/dolt/db.js';
import { dcli, dok } from '../helpers/daemon.js';
import type { CliResult } from '../helpers/workspace.js';

let central: Central;
const fleet: string[] = [];

async function clone(name: string): Promise<string> {
  const dir = testDir(name);
  await dok(dir, ['init', '--remote', central.url, '--actor', name], central.env);
  return dir;
}

interface IssueJson { id: string; title: string; assignee: string | null; status: string; changed?: boolean; decided_by?: string; via?: string }

beforeAll(async () => {
  central = await startCentral('claims-central');
  for (let i = 0; i < 10; i++) fleet.push(await clone(`agent${i}`));
}, 300_000);

afterAll(async () => {
  for (const w of fleet) await dcli(w, ['daemon', 'stop'], central.env);
  await central?.stop();
});

async function raceFor(n: number, staggerMs: number): Promise<void> {
  const made = (await dok(fleet[0]!, ['create', `contested by ${n}`, '--json'], central.env)).json as IssueJson;
  await dok(fleet[0]!, ['sync'], central.env);
  const claimers = fleet.slice(0, n);
  const results: CliResult[] = await Promise.all(claimers.map(async (w, k) => {
    await new Promise((r) => setTimeout(r, (k * staggerMs) % 97));
    // One claimer works in direct mode (no daemon): the same rule decides.
    return k === 1 ? cli(w, ['update', made.id, '--claim', '--json'], central.env) : dcli(w, ['update', made.id, '--claim', '--json'], central.env);
  }));
  const winners = results.filter((r) => r.code === 0);
  expect(winners).toHaveLength(1);
  const winner = (winners[0]!.json as IssueJson).assignee!;
  expect(winner).toMatch(/^agent\d$/);
  expect((winners[0]!.json as IssueJson).decided_by).toBe('central');
  // Against a grava server the central's claim call decides, in one round trip.
  expect((winners[0]!.json as IssueJson).via).toBe('call');
  for (const [k, r] of results.entries()) {
    if (r.code === 0) continue;
    expect(r.code, r.stderr).toBe(1);
    expect(errorCode(r), r.stderr).toBe('GRAVA_E_CONFLICT');
    expect(r.stderr).toContain(winner);
    // The loser's own replica already shows the winner, before any sync.
    const local = (await dok(claimers[k]!, ['show', made.id, '--json'], central.env)).json as IssueJson;
    expect(local).toMatchObject({ assignee: winner, status: 'in_progress' });
  }
  // Every replica agrees after a sync.
  for (const w of claimers) {
    await dok(w, ['sync'], central.env);
    expect(((await dok(w, ['show', made.id, '--json'], central.env)).json as IssueJson).assignee).toBe(winner);
  }
}

describe('fleet-wide claims', () => {
  it('3 agents in different workspaces claim at once: exactly one wins, repeated with different timings', async () => {
    for (const stagger of [0, 13, 41]) await raceFor(3, stagger);
  });

  it('10 agents claim at once: exactly one wins, the nine others are told who', async () => {
    await raceFor(10, 0);
  });

  it('a claim made while another workspace edits the title: both survive', async () => {
    const [a, b] = [fleet[0]!, fleet[1]!];
    const made = (await dok(a, ['create', 'old title', '--json'], central.env)).json as IssueJson;
    await dok(a, ['sync'], central.env);
    await dok(b, ['sync'], central.env);
    const [edit, claim] = await Promise.all([
      dcli(a, ['update', made.id, '--title', 'new title'], central.env),
      dcli(b, ['update', made.id, '--claim', '--json'], central.env),
    ]);
    expect([edit.code, claim.code]).toEqual([0, 0]);
    await dok(a, ['sync'], central.env);
    await dok(b, ['sync'], central.env);
    await dok(a, ['sync'], central.env);
    for (const w of [a, b]) {
      expect((await dok(w, ['show', made.id, '--json'], central.env)).json).toMatchObject({ title: 'new title', assignee: 'agent1', status: 'in_progress' });
    }
  });

  it('a claim with a lease can be taken by another agent once it expires, and ready lists it then', async () => {
    const [holder, other] = [fleet[7]!, fleet[8]!];
    const made = (await dok(holder, ['create', 'leased', '--json'], central.env)).json as IssueJson;
    const bad = await dcli(holder, ['update', made.id, '--claim', '--lease', 'soon'], central.env);
    expect(bad.code).toBe(2);
    const claimed = (await dok(holder, ['update', made.id, '--claim', '--lease', '5s', '--json'], central.env)).json as IssueJson & { lease_until: string };
    expect(claimed).toMatchObject({ assignee: 'agent7', decided_by: 'central' });
    const until = Date.parse(claimed.lease_until);
    expect(until).toBeGreaterThan(Date.now());
    const early = await dcli(other, ['update', made.id, '--claim'], central.env);
    if (Date.now() < until) {
      expect(errorCode(early)).toBe('GRAVA_E_CONFLICT');
      expect(early.stderr).toContain('agent7');
      await dok(other, ['sync'], central.env);
      expect(((await dok(other, ['ready', '--json'], central.env)).json as IssueJson[]).map((i) => i.id)).not.toContain(made.id);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, until - Date.now()) + 200));
    await dok(other, ['sync'], central.env);
    expect(((await dok(other, ['ready', '--json'], central.env)).json as IssueJson[]).map((i) => i.id)).toContain(made.id);
    const taken = (await dok(other, ['update', made.id, '--claim', '--json'], central.env)).json as IssueJson;
    expect(taken).toMatchObject({ assignee: 'agent8', status: 'in_progress', changed: true });
    await dok(holder, ['sync'], central.env);
    expect(((await dok(holder, ['show', made.id, '--json'], central.env)).json as IssueJson).assignee).toBe('agent8');
  });

  it('an issue made here and not yet synced is sent first, then claimed at the central', async () => {
    const a = fleet[2]!;
    const made = (await dok(a, ['create', 'fresh', '--json'], central.env)).json as IssueJson;
    const claimed = (await dok(a, ['update', made.id, '--claim', '--json'], central.env)).json as IssueJson;
    expect(claimed).toMatchObject({ assignee: 'agent2', decided_by: 'central', changed: true });
  });

  it('an offline claim made later than a claim the central decided still loses to it (weak stamp), and the loser is told', async () => {
    const [winner, stale] = [fleet[5]!, fleet[6]!];
    const made = (await dok(winner, ['create', 'decided first', '--json'], central.env)).json as IssueJson;
    await dok(winner, ['sync'], central.env);
    await dok(stale, ['sync'], central.env);
    await dok(stale, ['config', 'set', 'sync.pull_interval_ms', '0'], central.env);
    const won = (await dok(winner, ['update', made.id, '--claim', '--json'], central.env)).json as IssueJson;
    expect(won).toMatchObject({ assignee: 'agent5', decided_by: 'central' });
    await new Promise((r) => setTimeout(r, 50)); // the offline claim is later in wall time
    await central.stop();
    let offline: CliResult;
    try {
      offline = await dcli(stale, ['update', made.id, '--claim', '--offline', '--json'], central.env);
    } finally {
      await central.start();
    }
    expect(offline.json).toMatchObject({ assignee: 'agent6', decided_by: 'local' });
    const s = (await dok(stale, ['sync', '--json'], central.env)).json as { lost_claims?: { id: string; holder: string }[] };
    expect(s.lost_claims).toEqual([{ id: made.id, holder: 'agent5' }]);
    // ... and an event records it.
    const r = await openReplica(workspacePaths(stale));
    try {
      const ev = await rows<{ data: string }>(r.db, "SELECT data FROM events WHERE issue_id = ? AND kind = 'claim_lost'", [made.id]);
      expect(ev.map((e) => JSON.parse(e.data) as unknown)).toEqual([{ holder: 'agent5', actor: 'agent6' }]);
    } finally {
      await r.close();
    }
    for (const w of [stale, winner]) {
      await dok(w, ['sync'], central.env);
      expect(((await dok(w, ['show', made.id, '--json'], central.env)).json as IssueJson).assignee).toBe('agent5');
    }
  });

  it('offline: refused by default with nothing claimed; --offline claims locally and the next sync reports the lost claim', async () => {
    const [a, b] = [fleet[3]!, fleet[4]!];
    const made = (await dok(a, ['create', 'offline race', '--json'], central.env)).json as IssueJson;
    await dok(a, ['sync'], central.env);
    await dok(b, ['sync'], central.env);
    await dok(b, ['config', 'set', 'sync.pull_interval_ms', '0'], central.env);
    await central.stop();
    let offline: CliResult;
    try {
      const refused = await dcli(b, ['update', made.id, '--claim'], central.env);
      expect(refused.code).toBe(1);
      expect(errorCode(refused)).toBe('GRAVA_E_REMOTE');
      expect(refused.stderr).toContain('--offline');
      expect(((await dok(b, ['show', made.id, '--json'], central.env)).json as IssueJson).assignee).toBeNull();
      offline = await dcli(b, ['update', made.id, '--claim', '--offline', '--json'], central.env);
    } finally {
      await central.start();
    }
    expect(offline.code).toBe(0);
    expect(offline.json).toMatchObject({ assignee: 'agent4', decided_by: 'local' });
    // Meanwhile agent3 claims it at the central (it reached the central first).
    const won = (await dok(a, ['update', made.id, '--claim', '--json'], central.env)).json as IssueJson;
    expect(won.assignee).toBe('agent3');
    const s = (await dok(b, ['sync', '--json'], central.env)).json as { lost_claims?: { id: string; holder: string }[] };
    // agent3's claim is newer than the offline one, so the merge gives agent3 the issue, and the sync says so.
    const final = ((await dok(b, ['show', made.id, '--json'], central.env)).json as IssueJson).assignee;
    expect(final).toBe('agent3');
    expect(s.lost_claims).toEqual([{ id: made.id, holder: 'agent3' }]);
    const st = (await dok(b, ['daemon', 'status', '--json'], central.env)).json as { last_sync: { lost_claims: unknown[] } };
    expect(st.last_sync.lost_claims).toEqual([{ id: made.id, holder: 'agent3' }]);
  });
});
