// The socket protocol's framing, request checking and the settings table.

import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { asRequest, encodeFrame, FrameDecoder, MAX_FRAME_BYTES } from '../../src/transport/rpc-codec.js';
import { effectiveSettings, syncSettings, SETTINGS } from '../../src/daemon/settings.js';
import { checkParams, isMethod } from '../../src/daemon/methods.js';
import { GravaError } from '../../src/errors/grava-error.js';
import { DaemonClock, tickWithParity, PARITY } from '../../src/storage/issues/clock-store.js';
import { encodeHlc, ZERO_STATE, type HlcState } from '../../src/merge/hlc.js';

describe('frame decoder', () => {
  it('reassembles frames split at any byte, several per chunk', () => {
    fc.assert(fc.property(fc.array(fc.jsonValue(), { minLength: 1, maxLength: 8 }), fc.array(fc.nat(), { maxLength: 10 }), (values, cuts) => {
      const bytes = Buffer.from(values.map((v) => `${JSON.stringify(v)}\n`).join(''));
      const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
      const d = new FrameDecoder();
      const got: unknown[] = [];
      let prev = 0;
      for (const p of [...points, bytes.length]) {
        for (const f of d.push(bytes.subarray(prev, p))) if (f.kind === 'frame') got.push(f.value);
        prev = p;
      }
      expect(got).toEqual(values.map((v) => JSON.parse(JSON.stringify(v)) as unknown));
      expect(d.pending).toBe(0);
    }));
  });

  it('reports bad JSON and goes on', () => {
    const d = new FrameDecoder();
    const out = d.push(Buffer.from('{nope\n{"id":1,"method":"x"}\n'));
    expect(out.map((o) => o.kind)).toEqual(['bad-json', 'frame']);
  });

  it('refuses a frame over the limit, with or without its newline, and then stops', () => {
    const small = new FrameDecoder(16);
    expect(small.push(Buffer.from('x'.repeat(17)))).toEqual([{ kind: 'oversized', bytes: 17 }]);
    expect(small.push(Buffer.from('{}\n'))).toEqual([]);
    const d = new FrameDecoder();
    const out = d.push(Buffer.from(`${'x'.repeat(MAX_FRAME_BYTES + 1)}\n`));
    expect(out[0]?.kind).toBe('oversized');
  });

  it('holds at most the limit of an unfinished frame', () => {
    const d = new FrameDecoder(1000);
    for (let i = 0; i < 9; i++) d.push(Buffer.from('x'.repeat(100)));
    expect(d.pending).toBe(900);
    expect(d.push(Buffer.from('x'.repeat(200)))[0]?.kind).toBe('oversized');
    expect(d.pending).toBe(0);
  });
});

describe('requests', () => {
  it('accepts a well-formed request and says what is wrong with a bad one', () => {
    expect(asRequest({ id: 1, method: 'issue.list', params: {} })).toEqual({ id: 1, method: 'issue.list', params: {} });
    expect(asRequest({ id: 'a', method: 'x' })).toEqual({ id: 'a', method: 'x', params: {} });
    expect(asRequest([1])).toMatch(/JSON object/);
    expect(asRequest({ method: 'x' })).toMatch(/"id"/);
    expect(asRequest({ id: 1, method: 7 })).toMatch(/"method"/);
    expect(asRequest({ id: 1, method: 'x', params: [] })).toMatch(/params/);
    expect(asRequest({ id: 1, method: 'x', version: 3 })).toMatch(/version/);
  });

  it('round-trips through the encoder', () => {
    const d = new FrameDecoder();
    const [f] = d.push(Buffer.from(encodeFrame({ id: 3, method: 'issue.show', params: { id: 'gr-1\nx' } })));
    expect(f).toEqual({ kind: 'frame', value: { id: 3, method: 'issue.show', params: { id: 'gr-1\nx' } } });
  });

  it('checks params against the method, naming the field', () => {
    expect(isMethod('issue.create')).toBe(true);
    expect(isMethod('constructor')).toBe(false);
    expect(checkParams('issue.create', { title: 't', priority: 1 })).toEqual({ title: 't', priority: 1 });
    const err = (() => { try { checkParams('issue.create', { title: 5 }); } catch (e) { return e; } return undefined; })();
    expect(err).toBeInstanceOf(GravaError);
    expect((err as GravaError).code).toBe('GRAVA_E_PROTOCOL');
    expect((err as GravaError).message).toMatch(/params\.title/);
    expect(() => checkParams('issue.show', { id: 'x', extra: 1 })).toThrow(/GRAVA_E_PROTOCOL|extra|Unrecognized/i);
  });
});

describe('workspace settings', () => {
  it('defaults when nothing is set, auto pull of 10 s with a remote and none without', () => {
    const { values, errors } = effectiveSettings(undefined);
    expect(errors).toEqual([]);
    expect(syncSettings(values, { transport: 'server' })).toEqual({ debounceMs: 5_000, maxDelayMs: 30_000, maxBatchWrites: 1_000, pullIntervalMs: 10_000, mode: 'auto' });
    expect(syncSettings(values, undefined).pullIntervalMs).toBe(0);
    // A hosted git remote is pulled gently and pushed to at most every 30 s; a local git repository or a directory is not.
    expect(syncSettings(values, { transport: 'git', hosted: true })).toMatchObject({ debounceMs: 30_000, maxDelayMs: 30_000, pullIntervalMs: 60_000 });
    expect(syncSettings(values, { transport: 'git', hosted: false })).toMatchObject({ debounceMs: 5_000, pullIntervalMs: 10_000 });
    expect(syncSettings(values, { transport: 'dir' })).toMatchObject({ debounceMs: 5_000, pullIntervalMs: 10_000 });
  });

  it('validates every key and reports a bad stored value instead of using it', () => {
    for (const s of SETTINGS) expect(typeof s.parse(String(s.default))).not.toBe('object');
    const { values, errors } = effectiveSettings({ 'sync.debounce_ms': -1, 'sync.mode': 'queue', 'sync.pull_interval_ms': '2000' });
    expect(errors).toHaveLength(2);
    expect(values['sync.debounce_ms']).toBe(5_000);
    expect(values['sync.pull_interval_ms']).toBe(2_000);
  });
});

describe('stamps of the daemon and of direct processes never collide', () => {
  it('the two writers issue counters of different parity, strictly increasing, from any shared state', () => {
    fc.assert(fc.property(fc.nat({ max: 1_000 }), fc.nat({ max: 999_999 }), fc.array(fc.integer({ min: -5, max: 5 }), { minLength: 1, maxLength: 50 }), (wall, counter, moves) => {
      const start: HlcState = { wall: 1_700_000_000_000 + wall, counter };
      const issued = new Set<string>();
      for (const [who, parity] of [['d', PARITY.daemon], ['c', PARITY.direct]] as const) {
        let state = start;
        let now = start.wall;
        let prev = '';
        for (const m of moves) {
          now += m;
          const t = tickWithParity(state, now, 'alice', undefined, parity);
          expect(t.stamp.counter % 2).toBe(parity);
          const s = encodeHlc(t.stamp);
          expect(s > prev).toBe(true);
          expect(issued.has(s), `${who} reissued ${s}`).toBe(false);
          issued.add(s);
          prev = s;
          state = t.state;
        }
      }
    }));
    expect(tickWithParity(ZERO_STATE, 5, 'a', undefined, PARITY.direct).stamp.counter).toBe(1);
  });
});

describe('claim rule (MERGE_SPEC §13a), with an injected clock', () => {
  it('claimable, held, refused, and a lease that expires', async () => {
    const { claimVerdict, unclaimVerdict, parseLease } = await import('../../src/storage/issues/claims.js');
    const now = 1_800_000_000_000;
    expect(claimVerdict({ assignee: null, status: 'open' }, 'a')).toEqual({ kind: 'claim' });
    expect(claimVerdict({ assignee: '', status: 'in_progress' }, 'a')).toEqual({ kind: 'claim' });
    expect(claimVerdict({ assignee: 'a', status: 'in_progress' }, 'a')).toEqual({ kind: 'held' });
    expect(claimVerdict({ assignee: 'a', status: 'open' }, 'a')).toEqual({ kind: 'claim' });
    expect(claimVerdict({ assignee: 'b', status: 'in_progress' }, 'a')).toMatchObject({ kind: 'refused', holder: 'b' });
    expect(claimVerdict({ assignee: null, status: 'closed' }, 'a')).toMatchObject({ kind: 'refused', holder: null });
    expect(claimVerdict({ assignee: null, status: 'blocked' }, 'a')).toMatchObject({ kind: 'refused' });
    // b's lease runs until now + 1 s: refused before, claimable from the instant it expires.
    expect(claimVerdict({ assignee: 'b', status: 'in_progress' }, 'a', { leaseUntil: now + 1_000, now })).toMatchObject({ kind: 'refused', holder: 'b' });
    expect(claimVerdict({ assignee: 'b', status: 'in_progress' }, 'a', { leaseUntil: now + 1_000, now: now + 1_000 })).toEqual({ kind: 'claim' });
    expect(claimVerdict({ assignee: 'b', status: 'closed' }, 'a', { leaseUntil: now, now: now + 5 })).toMatchObject({ kind: 'refused' });
    expect(unclaimVerdict({ assignee: 'b' }, 'a', false)).toMatchObject({ kind: 'refused', holder: 'b' });
    expect(unclaimVerdict({ assignee: 'b' }, 'a', true)).toEqual({ kind: 'unclaim' });
    expect(unclaimVerdict({ assignee: null }, 'a', true)).toMatchObject({ kind: 'refused' });
    expect([parseLease('30m'), parseLease('2h'), parseLease('1s'), parseLease('30d')]).toEqual([1_800_000, 7_200_000, 1_000, 2_592_000_000]);
    for (const bad of ['0s', '31d', '10', 'm', '1.5h', '-3m', '']) expect(parseLease(bad), bad).toBeUndefined();
  });
});

describe("the daemon's clock file", () => {
  it('a failed write fails its own caller only; the next write lands', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'grava-clock-')), 'later');
    const clock = await DaemonClock.open(join(dir, 'clock.json'), join(dir, 'direct.json'), 'a', () => 1_000);
    clock.next();
    await expect(clock.persist()).rejects.toThrow(/ENOENT/); // its folder does not exist yet
    mkdirSync(dir);
    const stamp = clock.next();
    await clock.persist();
    expect(JSON.parse(readFileSync(join(dir, 'clock.json'), 'utf8'))).toMatchObject({ wall: 1_000 });
    expect(stamp).toContain('-a');
  });
});
