// The supervisor's HTTP service (fastify): /healthz (the supervisor is
// alive), /readyz (200 when ready, 503 otherwise) and /metrics (Prometheus).

import Fastify, { type FastifyInstance } from 'fastify';
import { METRICS_CONTENT_TYPE } from './metrics.js';
import type { ReadinessReport } from './readiness.js';

export interface HttpHandlers {
  health(): Record<string, unknown>;
  readiness(): Promise<ReadinessReport>;
  metrics(): Promise<string>;
}

export function buildHttpApp(h: HttpHandlers): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true });
  app.get('/healthz', () => Promise.resolve({ status: 'ok', ...h.health() }));
  app.get('/readyz', async (_req, reply) => {
    const report = await h.readiness();
    return reply.code(report.ready ? 200 : 503).send(report);
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await h.metrics();
    return reply.header('content-type', METRICS_CONTENT_TYPE).send(text);
  });
  return app;
}
