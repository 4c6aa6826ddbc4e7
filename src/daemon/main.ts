// `grava daemon run`: the daemon process itself. Private files only (umask
// 077), a log of its own, and a graceful stop on SIGTERM, SIGINT or a
// `daemon.stop` request; SIGHUP re-reads the settings.

import { requireWorkspace } from '../storage/dolt/layout.js';
import { asGravaError } from '../errors/grava-error.js';
import { Daemon } from './daemon.js';
import { fileLogger } from './log.js';

export async function runForeground(): Promise<number> {
  process.umask(0o077);
  const paths = requireWorkspace();
  const maxBytes = Number(process.env.GRAVA_DAEMON_LOG_MAX_BYTES);
  const { log, close } = fileLogger(paths.daemonLog, Number.isFinite(maxBytes) && maxBytes > 0 ? { maxBytes } : {});
  const frame = Number(process.env.GRAVA_DAEMON_FRAME_TIMEOUT_MS);
  const daemon = new Daemon({ paths, log, ...(Number.isFinite(frame) && frame > 0 ? { frameTimeoutMs: frame } : {}) });
  let started: boolean;
  try {
    started = await daemon.start();
  } catch (e) {
    const err = asGravaError(e);
    log.error({ error: { code: err.code, message: err.message } }, 'daemon failed to start');
    process.stderr.write(`${err.code}: ${err.message}\n`);
    await close();
    return 1;
  }
  if (!started) {
    log.info('another daemon already serves this workspace; exiting');
    await close();
    return 0;
  }
  const stop = (why: string): void => { void daemon.shutdown(why); };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => daemon.reloadSettings());
  process.on('uncaughtException', (e) => { log.fatal({ err: e.message, stack: e.stack }, 'uncaught exception'); stop('crash'); });
  process.on('unhandledRejection', (e) => { log.error({ err: String(e) }, 'unhandled rejection'); });
  await daemon.run();
  await close();
  return 0;
}
