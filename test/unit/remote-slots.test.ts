// The central's turns for Dolt fetches and pushes: the line (remote-slots.ts), its HTTP call (http.ts) and
// the workspace's side (remote-slot.ts), which never lets the call stop a sync.

import { createServer } from 'node:http';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RemoteSlots, remoteSlotLeaseMs, remoteSlotLimit } from '../../src/server/remote-slots.js';
import { buildHttpApp } from '../../src/server/http.js';
import type { ReadinessReport } from '../../src/server/readiness.js';
import { callSlot, withRemoteSlot } from '../../src/transport/remote-slot.js';
import type { WorkspaceConfig } from '../../src/storage/dolt/layout.js';

afterEach(() => { vi.useRealTimers(); });

describe('remote slots', () => {
  it('grants up to the limit at once, then serves the line first come, first served', async () => {
    const slots = new RemoteSlots(2, 30_000);
    const a = await slots.acquire(1_000);
    const b = await slots.acquire(1_000);
    expect(a).not.toBeNull();
    expect(b).not.toBeNull();
    const order: string[] = [];
    const c = slots.acquire(10_000).then((id) => { order.push('c'); return id; });
    const d = slots.acquire(10_000).then((id) => { order.push('d'); return id; });
    expect(slots.stats()).toMatchObject({ in_use: 2, waiting: 2 });
    expect(slots.release(b!)).toBe(true);
    expect(slots.release(b!)).toBe(false); // handed back already
    expect(await c).not.toBeNull();
    expect(order).toEqual(['c']);
    slots.release(a!);
    expect(await d).not.toBeNull();
    expect(order).toEqual(['c', 'd']);
    expect(slots.stats()).toMatchObject({ limit: 2, in_use: 2, waiting: 0, granted_total: 4, queued_total: 2 });
  });

  it('a slot handed back goes to the first in line at once, not to a newcomer', async () => {
    const slots = new RemoteSlots(1, 30_000);
    const a = (await slots.acquire(1_000))!;
    const waiting = slots.acquire(10_000);
    slots.release(a);
    const newcomer = slots.acquire(0);
    expect(await waiting).not.toBeNull();
    expect(await newcomer).toBeNull();
    expect(slots.stats()).toMatchObject({ in_use: 1, waiting: 0, timed_out_total: 1 });
  });

  it('gives up after the wait, on an aborted signal, and when closed, counting the waits that timed out', async () => {
    vi.useFakeTimers();
    const slots = new RemoteSlots(1, 60_000);
    const held = (await slots.acquire(0))!;
    const timedOut = slots.acquire(1_000);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(await timedOut).toBeNull();
    const ac = new AbortController();
    const aborted = slots.acquire(10_000, ac.signal);
    ac.abort();
    expect(await aborted).toBeNull();
    expect(slots.stats()).toMatchObject({ waiting: 0, timed_out_total: 1 });
    const inLine = slots.acquire(10_000);
    slots.close();
    expect(await inLine).toBeNull();
    expect(slots.release(held)).toBe(false);
    expect(await slots.acquire(0)).toBeNull();
    expect(slots.stats()).toMatchObject({ in_use: 0, waiting: 0 });
  });

  it('takes a slot never handed back at the end of its lease and gives it to the line', async () => {
    vi.useFakeTimers();
    const slots = new RemoteSlots(1, 5_000);
    const lost = (await slots.acquire(0))!;
    const next = slots.acquire(60_000);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(slots.stats().waiting).toBe(1);
    await vi.advanceTimersByTimeAsync(2);
    expect(await next).not.toBeNull();
    expect(slots.release(lost)).toBe(false);
    expect(slots.stats()).toMatchObject({ in_use: 1, expired_total: 1 });
  });

  it('reads its limit and lease from the environment: the cores, at least 2, 0 turns the call off', () => {
    expect(remoteSlotLimit({}, 1)).toBe(2);
    expect(remoteSlotLimit({}, 8)).toBe(8);
    expect(remoteSlotLimit({ GRAVA_REMOTE_SLOTS: '0' }, 8)).toBe(0);
    expect(remoteSlotLimit({ GRAVA_REMOTE_SLOTS: 'four' }, 8)).toBe(8);
    expect(remoteSlotLeaseMs({})).toBe(30_000);
    expect(remoteSlotLeaseMs({ GRAVA_REMOTE_SLOT_LEASE_MS: '10' })).toBe(30_000);
  });
});

describe('the slot call', () => {
  const ready: ReadinessReport = { ready: true, checks: { sql: { ok: true, ms: 1 }, sql_port: { ok: true, ms: 1 }, remotesapi: { ok: true, ms: 1 }, disk: { ok: true, ms: 1, free_bytes: 1, min_free_bytes: 0 } } };
  const basic = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  const appWith = (slots: RemoteSlots) => buildHttpApp({
    health: () => ({}), readiness: () => Promise.resolve(ready), metrics: () => Promise.resolve(''),
    authenticate: (user, password) => Promise.resolve(user === 'sync' && password === 'pw'),
    acquireSlot: (ms, signal) => slots.acquire(ms, signal),
    releaseSlot: (id) => slots.release(id),
  });

  it('grants a slot to a sync user, answers null past the wait, and takes it back by its id', async () => {
    const slots = new RemoteSlots(1, 30_000);
    const app = appWith(slots);
    try {
      const ask = (payload: unknown, auth = basic('sync', 'pw')) => app.inject({ method: 'POST', url: '/v1/slots', headers: { authorization: auth }, payload: payload as Record<string, unknown> });
      expect((await ask({}, basic('sync', 'wrong'))).statusCode).toBe(401);
      const bad = await ask({ timeout_ms: 120_000 });
      expect(bad.statusCode).toBe(400);
      expect(bad.json<{ code: string }>().code).toBe('GRAVA_E_INVALID');
      expect(slots.stats().granted_total).toBe(0);
      const first = await ask({ timeout_ms: 0 });
      const id = first.json<{ slot: string }>().slot;
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
      expect((await ask({ timeout_ms: 20 })).json()).toEqual({ slot: null });
      expect((await app.inject({ method: 'DELETE', url: `/v1/slots/${id}` })).statusCode).toBe(204);
      const again = await app.inject({ method: 'DELETE', url: `/v1/slots/${id}` });
      expect(again.statusCode).toBe(404);
      expect(again.json<{ code: string }>().code).toBe('GRAVA_E_NOT_FOUND');
      expect(slots.stats()).toMatchObject({ in_use: 0, timed_out_total: 1 });
    } finally {
      await app.close();
    }
  });

  it('is absent (404) from an HTTP service given no slot handlers, as the supervisor does with GRAVA_REMOTE_SLOTS=0', async () => {
    const app = buildHttpApp({ health: () => ({}), readiness: () => Promise.resolve(ready), metrics: () => Promise.resolve(''), authenticate: () => Promise.resolve(true) });
    try {
      expect((await app.inject({ method: 'POST', url: '/v1/slots', headers: { authorization: basic('sync', 'pw') }, payload: {} })).statusCode).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('a workspace runs its transfer in a slot and hands it back; without an answer, past the wait or told to stop it goes ahead, and one that hangs up leaves the line', async () => {
    const slots = new RemoteSlots(1, 30_000);
    const app = appWith(slots);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as { port: number }).port;
    const config = { remote: 'http://127.0.0.1:1/db', actor: 'a', database: 'db' } as unknown as WorkspaceConfig;
    process.env.GRAVA_REMOTE_API = `http://127.0.0.1:${port}`;
    process.env.GRAVA_REMOTE_USER = 'sync';
    process.env.GRAVA_REMOTE_PASSWORD = 'pw';
    try {
      let during: number | undefined;
      expect(await withRemoteSlot(config, () => { during = slots.stats().in_use; return Promise.resolve('done'); })).toBe('done');
      expect(during).toBe(1);
      expect(slots.stats()).toMatchObject({ in_use: 0, granted_total: 1 });
      // A transfer that fails still hands its slot back.
      await expect(withRemoteSlot(config, () => Promise.reject(new Error('push failed')))).rejects.toThrow('push failed');
      expect(slots.stats().in_use).toBe(0);
      // The only slot held elsewhere: past the wait the transfer goes ahead without one.
      const other = (await slots.acquire(0))!;
      expect(await withRemoteSlot(config, () => Promise.resolve(slots.stats().in_use), { waitMs: 50 })).toBe(1);
      slots.release(other);
      // A central whose call does not answer (nothing listening there) lets the transfer go ahead.
      expect(await callSlot({ api: 'http://127.0.0.1:1', creds: { user: 'sync', password: 'pw' } }, 50)).toBeUndefined();
      // A workspace that hangs up while in line leaves it: the slot freed next goes to nobody.
      const held = (await slots.acquire(0))!;
      const ac = new AbortController();
      const asking = callSlot({ api: `http://127.0.0.1:${port}`, creds: { user: 'sync', password: 'pw' } }, 10_000, ac.signal);
      while (slots.stats().waiting === 0) await new Promise((r) => setTimeout(r, 5));
      ac.abort();
      expect(await asking).toBeUndefined();
      while (slots.stats().waiting > 0) await new Promise((r) => setTimeout(r, 5));
      slots.release(held);
      expect(slots.stats()).toMatchObject({ in_use: 0, waiting: 0 });
      // A sync told to stop is not a central that does not answer: the next transfer asks again.
      expect(await withRemoteSlot(config, () => Promise.resolve(slots.stats().in_use))).toBe(1);
    } finally {
      delete process.env.GRAVA_REMOTE_API;
      delete process.env.GRAVA_REMOTE_USER;
      delete process.env.GRAVA_REMOTE_PASSWORD;
      await app.close();
    }
  });

  it('a central that answers 404, or not at all, is not asked again for a minute', async () => {
    let asked = 0;
    const app = buildHttpApp({ health: () => ({}), readiness: () => Promise.resolve(ready), metrics: () => Promise.resolve('') });
    app.addHook('onRequest', (_req, _reply, done) => { asked++; done(); });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const central = { api: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, creds: { user: 'sync', password: 'pw' } };
    try {
      expect(await callSlot(central, 50)).toBeUndefined();
      expect(await callSlot(central, 50)).toBeUndefined();
      expect(asked).toBe(1);
    } finally {
      await app.close();
    }
    const hung = createServer(() => { /* never answers */ });
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    const silent = { api: `http://127.0.0.1:${(hung.address() as { port: number }).port}`, creds: { user: 'sync', password: 'pw' } };
    try {
      const t0 = Date.now();
      expect(await callSlot(silent, 10)).toBeUndefined(); // gives up after its wait and 5 s
      expect(Date.now() - t0).toBeGreaterThanOrEqual(5_000);
      const t1 = Date.now();
      expect(await callSlot(silent, 10)).toBeUndefined();
      expect(Date.now() - t1).toBeLessThan(1_000);
    } finally {
      hung.closeAllConnections();
      await new Promise((r) => hung.close(r));
    }
  }, 20_000);
});
