// The supervisor's HTTP service (fastify): /healthz (the supervisor is
// alive), /readyz (200 when ready, 503 otherwise), /metrics (Prometheus), and
// the calls of a sync user (HTTP Basic): POST /v1/claims (a claim decided in
// the merge queue's order) and POST /v1/queue/wait (until main holds a head).

import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { z } from 'zod';
import { asGravaError } from '../errors/grava-error.js';
import { isValidActor } from '../merge/hlc.js';
import { ID_PATTERN } from '../storage/issues/validate.js';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { ClaimAnswer, ClaimJob, WaitAnswer } from './merge-queue.js';
import type { ReadinessReport } from './readiness.js';

export interface HttpHandlers {
  health(): Record<string, unknown>;
  readiness(): Promise<ReadinessReport>;
  metrics(): Promise<string>;
  /** Is this a sync user with this password? */
  readonly authenticate?: (user: string, password: string) => Promise<boolean>;
  readonly claim?: (job: ClaimJob) => Promise<ClaimAnswer>;
  readonly waitFor?: (branch: string, head: string, timeoutMs: number) => Promise<WaitAnswer>;
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
  /** The sync user of an HTTP Basic header, or undefined. */
  const userOf = async (header: string | undefined): Promise<string | undefined> => {
    const creds = basicCredentials(header);
    return creds && authenticate && (await authenticate(creds.user, creds.password)) ? creds.user : undefined;
  };
  const unauthorised = (reply: FastifyReply): FastifyReply => reply.code(401).header('www-authenticate', 'Basic realm="grava"').send(fail('GRAVA_E_AUTH', 'a sync user and its password are required (HTTP Basic)'));
  if (authenticate && waitFor) {
    app.post('/v1/queue/wait', async (req, reply) => {
      if ((await userOf(req.headers.authorization)) === undefined) return unauthorised(reply);
      const body = WaitBody.safeParse(req.body);
      if (!body.success) return reply.code(400).send(fail('GRAVA_E_INVALID', `invalid wait request: ${body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ')}`));
      const a = await waitFor(body.data.branch, body.data.head, body.data.timeout_ms ?? 30_000);
      if (a.kind === 'refused') return reply.code(409).send(fail(a.code, a.reason, { merged: false, refused: true, main: a.main }));
      return reply.send(a.kind === 'merged' ? { merged: true, main: a.main } : { merged: false });
    });
  }
  if (authenticate && claim) {
    app.post('/v1/claims', async (req, reply) => {
      const user = await userOf(req.headers.authorization);
      if (user === undefined) return unauthorised(reply);
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
