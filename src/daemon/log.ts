// The daemon's log: pino, one JSON line per event, written to
// `.grava/daemon.log` through rotating-file-stream (rotated by size, a few
// files kept). Passed in to every service, never global. Nothing logged may
// hold a password or SQL with values: requests are logged by method name only.

import { basename, dirname } from 'node:path';
import { pino, type Logger } from 'pino';
import { createStream } from 'rotating-file-stream';

export type { Logger } from 'pino';

export const LOG_MAX_BYTES = 10 * 1024 * 1024;

export function fileLogger(path: string, opts: { maxBytes?: number; keep?: number; level?: string } = {}): { log: Logger; close: () => Promise<void> } {
  const stream = createStream(basename(path), {
    path: dirname(path),
    size: `${Math.max(1, Math.round((opts.maxBytes ?? LOG_MAX_BYTES) / 1024))}K`,
    maxFiles: opts.keep ?? 3,
    mode: 0o600,
  });
  const log = pino({
    level: opts.level ?? process.env.GRAVA_LOG_LEVEL ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Defence in depth: these keys never reach the file, whatever a caller passes.
    redact: { paths: ['password', '*.password', 'remotePassword', 'localPassword', 'params', '*.params'], censor: '[redacted]' },
  }, stream);
  return {
    log,
    close: () => new Promise((resolve) => {
      stream.end(() => resolve());
    }),
  };
}
