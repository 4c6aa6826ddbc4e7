// The supervisor's HTTP service (fastify): /healthz (the supervisor is
// alive), /readyz (200 when ready, 503 otherwise), /metrics (Prometheus), and
// the calls of a sync user (HTTP Basic): POST /v1/claims (a claim decided in
// the merge queue's order), POST /v1/queue/wait (until main holds a head)
// GET /v1/main (main's head, so an idle workspace fetches only when it moved),
// and POST/DELETE /v1/slots (a turn for a Dolt fetch or push, remote-slots.ts).
// Failed sign-ins are limited per address and user (auth-limiter.ts), and the
// number of waits (for a merge or a slot) held open at once is capped.

import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { z } from 'zod';
import { asGravaError } from '../errors/grava-error.js';
import { isValidActor } from '../merge/hlc.js';
import { ID_PATTERN } from '../storage/issues/validate.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { ClaimAnswer, ClaimJob, WaitAnswer } from './merge-queue.js';
import type { ReadinessReport } from './readiness.js';
import { AuthLimiter } from './auth-limiter.js';
import { validUserName } from '../storage/versioning/central-admin.js';

export interface HttpHandlers {
  health(): Record<string, unknown>;
  readiness(): Promise<ReadinessReport>;
  metrics(): Promise<string>;
  /** Is this a sync user with this password? */
  readonly authenticate?: (user: string, password: string) => Promise<boolean>;
  readonly claim?: (job: ClaimJob) => Promise<ClaimAnswer>;
  readonly waitFor?: (branch: string, head: string, timeoutMs: number) => Promise<WaitAnswer>;
  /** main's head as the merge queue knows it, from memory (undefined until the queue has looked). */
  readonly mainHead?: () => string | undefined;
  /** Heads waiting in the merge queue (GET /v1/main's queue_depth: idle workspaces yield to a busy queue). */
  readonly queueDepth?: () => number;
  /** Workspaces waiting in line for a transfer slot (GET /v1/main's slots_waiting: idle workspaces yield to them too). */
  readonly slotsWaiting?: () => number;
  /** A workspace branch's head as the central's Dolt holds it now (null when there is no such branch). */
  readonly branchHead?: (branch: string) => Promise<string | null>;
  /** A slot for a Dolt fetch or push (remote-slots.ts): its id, or null when none came within `timeoutMs`. */
  readonly acquireSlot?: (timeoutMs: number, signal: AbortSignal) => Promise<string | null>;
  /** Hands a slot back by its id (a random UUID given only to the sync user who asked: the id is the credential). */
  readonly releaseSlot?: (id: string) => boolean;
  /** Failed sign-ins allowed per address and user within a minute (default 10). */
  readonly maxAuthFailures?: number;
  /** Waits held open at once, all users together (default 1024); past it a wait is answered 429 at once. */
  readonly maxWaits?: number;
  readonly now?: () => number;
}

const ClaimBody = z.strictObject({
  id: z.string().regex(ID_PATTERN),
  actor: z.string().refine(isValidActor, 'not a valid actor'),
  lease_ms: z.number().int().positive().max(30 * 86_400_000).optional(),
});

/** The user and password of an HTTP Basic Authorization header, or undefined. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const text = Buffer.from(m[1]!, 'base64').toString('utf8');
  const at = text.indexOf(':');
  return at > 0 ? { user: text.slice(0, at), password: text.slice(at + 1) } : undefined;
}

const WaitBody = z.strictObject({
  branch: z.string().regex(/^ws\/[A-Za-z0-9._-]{1,80}$/),
  head: z.string().regex(/^[0-9a-v]{32}$/),
  timeout_ms: z.number().int().min(0).max(60_000).optional(),
});

const SlotBody = z.strictObject({ timeout_ms: z.number().int().min(0).max(60_000).optional() });

const MainQuery = z.strictObject({ branch: z.string().regex(/^ws\/[A-Za-z0-9._-]{1,80}$/).optional() });

const fail = (code: string, message: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ code, message, ...extra });

export function buildHttpApp(h: HttpHandlers): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true, bodyLimit: 16_384 });
  app.get('/healthz', () => Promise.resolve({ status: 'ok', ...h.health() }));
  app.get('/readyz', async (_req, reply) => {
    const report = await h.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await h.metrics();
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(text);
  });
  const { authenticate, claim, waitFor } = h;
  const limiter = new AuthLimiter({ max: h.maxAuthFailures ?? 10, windowMs: 60_000, maxKeys: 10_000, now: h.now ?? Date.now });
  /** The sync user of a request's HTTP Basic header; or how long its address and user must wait after too many
   *  failed attempts; or undefined (no or wrong credentials). */
  const callerOf = async (req: FastifyRequest): Promise<{ user: string } | { retryMs: number } | undefined> => {
    const creds = basicCredentials(req.headers.authorization);
    // A name no sync user can have is refused before it costs a check or an entry in the limiter.
    if (!creds || !authenticate || !validUserName(creds.user)) return undefined;
    const retryMs = limiter.blockedFor(req.ip, creds.user);
    if (retryMs > 0) return { retryMs };
    if (await authenticate(creds.user, creds.password)) {
      limiter.succeeded(req.ip, creds.user);
      return { user: creds.user };
    }
    limiter.failed(req.ip, creds.user);
    return undefined;
  };
  const refuse = (reply: FastifyReply, caller: { retryMs: number } | undefined): FastifyReply => {
    if (caller === undefined) return reply.code(401).header('www-authenticate', 'Basic realm="grava"').send(fail('GRAVA_E_AUTH', 'a sync user and its password are required (HTTP Basic)'));
    const s = Math.ceil(caller.retryMs / 1000);
    return reply.code(429).header('retry-after', String(s)).send(fail('GRAVA_E_AUTH', `too many failed sign-ins for this user from this address; try again in ${s} s`));
  };
  let waits = 0;
  if (authenticate && waitFor) {
    app.post('/v1/queue/wait', async (req, reply) => {
      const caller = await callerOf(req);
      if (caller === undefined || 'retryMs' in caller) return refuse(reply, caller);
      const body = WaitBody.safeParse(req.body);
      if (!body.success) return reply.code(400).send(fail('GRAVA_E_INVALID', `invalid wait request: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`));
      // Past the cap the workspace is told at once; it then looks at main itself, as when the call does not answer.
      if (waits >= (h.maxWaits ?? 1024)) return reply.code(429).header('retry-after', '1').send(fail('GRAVA_E_REMOTE', 'too many workspaces are waiting on the central at once; look at main instead'));
      waits++;
      let a: WaitAnswer;
      try {
        a = await waitFor(body.data.branch, body.data.head, body.data.timeout_ms ?? 30_000);
      } finally {
        waits--;
      }
      if (a.kind === 'refused') return reply.code(409).send(fail(a.code, a.reason, { merged: false, refused: true, main: a.main }));
      return reply.send(a.kind === 'merged' ? { merged: true, main: a.main } : a.main === undefined ? { merged: false } : { merged: false, main: a.main });
    });
  }
  if (authenticate && h.mainHead) {
    const { mainHead } = h;
    app.get('/v1/main', async (req, reply) => {
      const caller = await callerOf(req);
      if (caller === undefined || 'retryMs' in caller) return refuse(reply, caller);
      const query = MainQuery.safeParse(req.query);
      if (!query.success) return reply.code(400).send(fail('GRAVA_E_INVALID', 'invalid query: branch must be ws/<name>'));
      const main = mainHead();
      if (main === undefined) return reply.code(503).send(fail('GRAVA_E_NOT_RUNNING', "the central's merge queue has not looked at main yet"));
      const { branch } = query.data;
      const depth = { ...(h.queueDepth ? { queue_depth: h.queueDepth() } : {}), ...(h.slotsWaiting ? { slots_waiting: h.slotsWaiting() } : {}) };
      return reply.send(branch === undefined || !h.branchHead ? { main, ...depth } : { main, branch_head: await h.branchHead(branch), ...depth });
    });
  }
  if (authenticate && h.acquireSlot && h.releaseSlot) {
    const { acquireSlot, releaseSlot } = h;
    app.post('/v1/slots', async (req, reply) => {
      const caller = await callerOf(req);
      if (caller === undefined || 'retryMs' in caller) return refuse(reply, caller);
      const body = SlotBody.safeParse(req.body ?? {});
      if (!body.success) return reply.code(400).send(fail('GRAVA_E_INVALID', `invalid slot request: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`));
      if (waits >= (h.maxWaits ?? 1024)) return reply.code(429).header('retry-after', '1').send(fail('GRAVA_E_REMOTE', 'too many workspaces are waiting on the central at once; go ahead without a slot'));
      // A workspace that hangs up while in line leaves it (a slot granted to it would sit idle until its lease
      // ends), including one that hung up while its sign-in was checked.
      const gone = new AbortController();
      reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort(); });
      if (req.raw.socket?.destroyed === true || reply.raw.destroyed) gone.abort();
      waits++;
      let id: string | null;
      try {
        id = await acquireSlot(body.data.timeout_ms ?? 30_000, gone.signal);
      } finally {
        waits--;
      }
      if (id !== null && gone.signal.aborted) {
        releaseSlot(id);
        return reply.send({ slot: null });
      }
      return reply.send({ slot: id });
    });
    // No sign-in check: the slot's id is its credential, and a hand-back then costs the central's Dolt nothing.
    app.delete('/v1/slots/:id', (req, reply) => {
      const { id } = req.params as { id: string };
      return releaseSlot(id) ? reply.code(204).send() : reply.code(404).send(fail('GRAVA_E_NOT_FOUND', 'no such slot is held (handed back already, or its lease ended)'));
    });
  }
  if (authenticate && claim) {
    app.post('/v1/claims', async (req, reply) => {
      const caller = await callerOf(req);
      if (caller === undefined || 'retryMs' in caller) return refuse(reply, caller);
      const { user } = caller;
      const body = ClaimBody.safeParse(req.body);
      if (!body.success) return reply.code(400).send(fail('GRAVA_E_INVALID', `invalid claim request: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`));
      try {
        const a = await claim({ id: body.data.id, actor: body.data.actor, ...(body.data.lease_ms !== undefined ? { leaseMs: body.data.lease_ms } : {}) });
        if (a.kind === 'absent') return reply.code(404).send(fail('GRAVA_E_NOT_FOUND', `no issue ${body.data.id} on the central server`, { verdict: 'absent', main: a.main }));
        if (a.kind === 'refused') return reply.code(409).send(fail('GRAVA_E_CONFLICT', a.message, { verdict: 'refused', holder: a.holder, main: a.main }));
        return reply.send({ verdict: a.kind, issue: a.issue, main: a.main, user });
      } catch (e) {
        const err = asGravaError(e);
        const status = err.code === 'GRAVA_E_NOT_FOUND' ? 404 : err.code === 'GRAVA_E_INVALID' ? 400 : err.code === 'GRAVA_E_SHUTTING_DOWN' ? 503 : err.code === 'GRAVA_E_PUSH_REJECTED' ? 409 : 500;
        return reply.code(status).send(fail(err.code, err.message.split('\n')[0] ?? err.code));
      }
    });
  }
  return app;
}
