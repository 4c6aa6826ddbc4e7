#!/usr/bin/env node
// The image's HEALTHCHECK (there is no curl in it): GET /healthz on the port
// the supervisor recorded in DATA_DIR/central-server.json. Exit 0 when it
// answers 200, 1 otherwise. Orchestrators probe /healthz and /readyz directly.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const dataDir = process.argv[2] ?? '/data';
try {
  const state = JSON.parse(readFileSync(join(dataDir, 'central-server.json'), 'utf8'));
  const host = ['0.0.0.0', '::', ''].includes(state.host) ? '127.0.0.1' : state.host;
  const shown = host.includes(':') ? `[${host}]` : host;
  const res = await fetch(`http://${shown}:${state.http_port}/healthz`, { signal: AbortSignal.timeout(4_000) });
  process.exit(res.status === 200 ? 0 : 1);
} catch (e) {
  process.stderr.write(`healthcheck: ${e.message}\n`);
  process.exit(1);
}
