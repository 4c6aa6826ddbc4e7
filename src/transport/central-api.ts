// The central's claim call (POST /v1/claims on the central's HTTP port): a
// claim decided by the central's merge service on its own main, in order
// with the queue's merges, answered in one round trip. Authenticated as the
// workspace's sync user (HTTP Basic). See docs/ARCHITECTURE.md, "Claims".

import { connect } from 'node:net';
import { GravaError, ERROR_CODES, type ErrorCode } from '../errors/grava-error.js';
import { remoteCredentials, type WorkspaceConfig } from '../storage/dolt/layout.js';
import type { Issue } from '../storage/issues/issue-types.js';

/** The central's default HTTP port (`grava server init --http-port`). */
export const DEFAULT_API_PORT = 50080;

/**
 * Where the claim call is: GRAVA_REMOTE_API when set; otherwise, for a plain http:// remote, the remote's
 * host on the default HTTP port. An https:// remote without GRAVA_REMOTE_API keeps claims off the call (the
 * call is plain HTTP, and a sync password must not cross a network in clear text when the sync does not).
 */
export function claimApiUrl(remoteUrl: string, env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  const set = env.GRAVA_REMOTE_API?.trim();
  if (set) return set.replace(/\/+$/, '');
  const u = new URL(remoteUrl);
  return u.protocol === 'http:' ? `http://${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${DEFAULT_API_PORT}` : undefined;
}

const listening = new Map<string, { ok: boolean; until: number }>();

/** apiListening, remembered for a minute per address (a sync asks at every cycle). */
export async function apiAvailable(api: string): Promise<boolean> {
  const known = listening.get(api);
  if (known && known.until > Date.now()) return known.ok;
  const ok = await apiListening(api);
  listening.set(api, { ok, until: Date.now() + 60_000 });
  return ok;
}

/** The HTTP Basic Authorization header of a sync user, as every call of the central takes it. */
export function basicAuth(creds: { readonly user: string; readonly password: string }): string {
  return `Basic ${Buffer.from(`${creds.user}:${creds.password}`, 'utf8').toString('base64')}`;
}

export interface CentralApi {
  readonly api: string;
  readonly creds: { readonly user: string; readonly password: string };
}

/** The central's calls for this workspace, when its remote is a grava server, it has a sync user, and the calls answer. */
export async function reachableCentralApi(config: WorkspaceConfig): Promise<CentralApi | undefined> {
  const creds = remoteCredentials(config);
  if (!creds || !config.remote || !/^https?:\/\//i.test(config.remote)) return undefined;
  const api = claimApiUrl(config.remote);
  return api !== undefined && (await apiAvailable(api)) ? { api, creds } : undefined;
}

/** Does something accept connections there? (A central whose HTTP port is not exposed: the caller claims by push.) */
export function apiListening(api: string, timeoutMs = 1_500): Promise<boolean> {
  const u = new URL(api);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve) => {
    const socket = connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port });
    const done = (ok: boolean): void => { socket.destroy(); resolve(ok); };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export type CallVerdict =
  | { readonly kind: 'won' | 'held'; readonly issue: Issue & { lease_until: string | null }; readonly main: string }
  | { readonly kind: 'refused'; readonly holder: string | null; readonly message: string; readonly main: string }
  | { readonly kind: 'absent' };

/** One claim call. Errors carry the central's code (GRAVA_E_AUTH for a refused user, GRAVA_E_REMOTE when it cannot be asked). */
export async function callClaim(api: string, creds: { user: string; password: string }, req: { id: string; actor: string; leaseMs?: number }, timeoutMs = 60_000): Promise<CallVerdict> {
  let res: Response;
  try {
    res = await fetch(`${api}/v1/claims`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(creds) },
      body: JSON.stringify({ id: req.id, actor: req.actor, ...(req.leaseMs !== undefined ? { lease_ms: req.leaseMs } : {}) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new GravaError('GRAVA_E_REMOTE', `the central's claim call at ${api} failed (${(e as Error).message}); nothing was claimed`, { api });
  }
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (res.status === 200 && (body.verdict === 'won' || body.verdict === 'held')) return { kind: body.verdict, issue: body.issue as Issue & { lease_until: string | null }, main: String(body.main) };
  if (res.status === 409 && body.verdict === 'refused') return { kind: 'refused', holder: (body.holder as string | null) ?? null, message: String(body.message), main: String(body.main) };
  if (res.status === 404 && body.verdict === 'absent') return { kind: 'absent' };
  const code = typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'GRAVA_E_REMOTE';
  throw new GravaError(code, `the central refused the claim call (HTTP ${res.status}): ${typeof body.message === 'string' ? body.message : 'no reason given'}`, { status: res.status });
}

/**
 * main's head as the central's merge queue knows it (GET /v1/main: from the queue's memory, at most one poll
 * old, up to 250 ms on an idle queue), and with `branch` that workspace branch's newest head as the queue saw
 * it (null when it has not), how many heads wait in the queue and how many workspaces wait in line for a
 * transfer slot (each null from a central that does not say), or undefined when the call does not answer. Lets a workspace skip fetching a main that did not move, and push
 * its branch with --force when the central's copy is already in what it pushes.
 */
export async function callMainHead(api: string, creds: { user: string; password: string }, branch?: string, timeoutMs = 5_000): Promise<{ main: string; branchHead: string | null; queueDepth: number | null; slotsWaiting: number | null } | undefined> {
  try {
    const res = await fetch(`${api}/v1/main${branch === undefined ? '' : `?branch=${encodeURIComponent(branch)}`}`, {
      headers: { authorization: basicAuth(creds) },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    const hash = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-v]{32}$/.test(v);
    const count = (v: unknown): number | null => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
    return res.status === 200 && hash(body.main) ? { main: body.main, branchHead: hash(body.branch_head) ? body.branch_head : null, queueDepth: count(body.queue_depth), slotsWaiting: count(body.slots_waiting) } : undefined;
  } catch {
    return undefined;
  }
}

/** Not merged yet: with `main`, the central answered (its wait timed out) and named main's head as it stands;
 *  without, the call did not answer. */
export type WaitVerdict = { readonly kind: 'merged'; readonly main: string } | { readonly kind: 'pending'; readonly main?: string };

/**
 * Waits on the central until main holds `head` of `branch`, at most `timeoutMs`. A head the queue set
 * aside is an error with the central's code (GRAVA_E_HISTORY_REWRITE when it removes issue rows); anything
 * that keeps the call from answering is 'pending', and the caller looks for itself.
 */
export async function callWait(api: string, creds: { user: string; password: string }, req: { branch: string; head: string; timeoutMs: number }, signal?: AbortSignal): Promise<WaitVerdict> {
  // The call's own deadline, and the caller's signal, on one controller built by hand (a timeout signal
  // inside AbortSignal.any can be collected before it fires on some Node versions, nodejs/node#57736).
  // The deadline also covers reading the body.
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), req.timeoutMs + 5_000);
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let res: Response;
  let body: Record<string, unknown>;
  try {
    if (signal?.aborted) return { kind: 'pending' };
    res = await fetch(`${api}/v1/queue/wait`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: basicAuth(creds) },
      body: JSON.stringify({ branch: req.branch, head: req.head, timeout_ms: req.timeoutMs }),
      signal: ac.signal,
    });
    body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  } catch {
    return { kind: 'pending' };
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
  if (res.status === 200 && body.merged === true) return { kind: 'merged', main: String(body.main) };
  if (res.status === 200 && body.merged === false && typeof body.main === 'string' && /^[0-9a-v]{32}$/.test(body.main)) return { kind: 'pending', main: body.main };
  // The queue set this workspace's head aside (it removes issue rows, or its merge failed): no wait will end it.
  if (res.status === 409 && body.refused === true) {
    const code = typeof body.code === 'string' && body.code in ERROR_CODES ? (body.code as ErrorCode) : 'GRAVA_E_MERGE';
    throw new GravaError(code, `${String(body.message)}; this workspace's pushed branch was set aside by the central's merge queue (local work is kept)`, { queue_refused: true });
  }
  // Anything else (a user the call does not accept, a central restarting): the caller looks for itself.
  return { kind: 'pending' };
}
