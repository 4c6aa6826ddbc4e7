// A turn for one Dolt fetch or push of a sync cycle, asked of a grava server (POST /v1/slots; the server's
// side is src/server/remote-slots.ts). The central serves a few remotesapi transfers at a time and the
// others wait in line, which costs less CPU than serving them all at once. Asking never stops a sync: a
// central without the call, one that does not answer, a wait past `waitMs` or a sync told to stop means
// going ahead without a turn.

import { basicAuth, reachableCentralApi, type CentralApi } from './central-api.js';
import type { WorkspaceConfig } from '../storage/dolt/layout.js';

/** How long a sync waits in line for a slot before going ahead without one (ms). */
export const SLOT_WAIT_MS = 30_000;

/** Centrals not asked again until the time given: ones that answered 404 (slots turned off, or an older
 *  server) or did not answer at all, so a central whose HTTP port hangs costs one wait, not one per transfer. */
const without = new Map<string, number>();
const SKIP_MS = 60_000;

/** Asks for a slot, waiting in line at most `waitMs`: its id, or undefined (none given, no answer, or `signal` aborted). */
export async function callSlot(central: CentralApi, waitMs: number, signal?: AbortSignal): Promise<string | undefined> {
  if ((without.get(central.api) ?? 0) > Date.now() || signal?.aborted) return undefined;
  const deadline = AbortSignal.timeout(waitMs + 5_000);
  try {
    const res = await fetch(`${central.api}/v1/slots`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(central.creds) },
      body: JSON.stringify({ timeout_ms: waitMs }),
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
    });
    if (res.status === 404) without.set(central.api, Date.now() + SKIP_MS);
    const body = (await res.json().catch(() => ({}))) as { slot?: unknown };
    return res.status === 200 && typeof body.slot === 'string' ? body.slot : undefined;
  } catch {
    // A sync told to stop is not a central that does not answer.
    if (!signal?.aborted) without.set(central.api, Date.now() + SKIP_MS);
    return undefined;
  }
}

/** Hands a slot back; a failure is ignored (the central takes it back when its lease ends). */
export async function releaseSlot(central: CentralApi, id: string): Promise<void> {
  try {
    const res = await fetch(`${central.api}/v1/slots/${encodeURIComponent(id)}`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) });
    await res.body?.cancel();
  } catch { /* taken back at the end of its lease */ }
}

/** Runs `transfer` (one Dolt fetch or push) in a slot of the workspace's grava server, when it has the call. */
export async function withRemoteSlot<T>(config: WorkspaceConfig, transfer: () => Promise<T>, o: { readonly waitMs?: number; readonly signal?: AbortSignal | undefined } = {}): Promise<T> {
  const central = await reachableCentralApi(config);
  const id = central ? await callSlot(central, o.waitMs ?? SLOT_WAIT_MS, o.signal) : undefined;
  try {
    return await transfer();
  } finally {
    if (central && id !== undefined) await releaseSlot(central, id);
  }
}
