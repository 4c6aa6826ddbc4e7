// A turn for one Dolt fetch or push, asked of a grava server (POST /v1/slots; the server's side is
// src/server/remote-slots.ts). The central serves a few remotesapi transfers at a time and the others wait
// in line, which costs less CPU than serving them all at once. Asking never stops a sync: a central without
// the call, one that does not answer, or a wait past `waitMs` means going ahead without a turn.

import { reachableCentralApi, type CentralApi } from './central-api.js';
import type { WorkspaceConfig } from '../storage/dolt/layout.js';

/** Centrals that answered 404 (slots turned off, or an older server), not asked again until the time given. */
const without = new Map<string, number>();

/** Asks for a slot, waiting in line at most `waitMs`: its id, or undefined (none given, or no answer). */
export async function callSlot(central: CentralApi, waitMs: number): Promise<string | undefined> {
  if ((without.get(central.api) ?? 0) > Date.now()) return undefined;
  try {
    const res = await fetch(`${central.api}/v1/slots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Basic ${Buffer.from(`${central.creds.user}:${central.creds.password}`, 'utf8').toString('base64')}` },
      body: JSON.stringify({ timeout_ms: waitMs }),
      signal: AbortSignal.timeout(waitMs + 5_000),
    });
    if (res.status === 404) without.set(central.api, Date.now() + 60_000);
    const body = (await res.json().catch(() => ({}))) as { slot?: unknown };
    return res.status === 200 && typeof body.slot === 'string' ? body.slot : undefined;
  } catch {
    return undefined;
  }
}

/** Hands a slot back; a failure is ignored (the central takes it back when its lease ends). */
export async function releaseSlot(central: CentralApi, id: string): Promise<void> {
  await fetch(`${central.api}/v1/slots/${encodeURIComponent(id)}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) })
    .then((res) => res.body?.cancel(), () => undefined);
}

/** How long a sync waits in line for a slot before going ahead without one (ms). */
export const SLOT_WAIT_MS = 30_000;

/** Runs `transfer` (one Dolt fetch or push) in a slot of the workspace's grava server, when it has the call. */
export async function withRemoteSlot<T>(config: WorkspaceConfig, transfer: () => Promise<T>, waitMs = SLOT_WAIT_MS): Promise<T> {
  const central = await reachableCentralApi(config);
  const id = central ? await callSlot(central, waitMs) : undefined;
  try {
    return await transfer();
  } finally {
    if (central && id !== undefined) await releaseSlot(central, id);
  }
}
