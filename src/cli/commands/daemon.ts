// grava daemon start|stop|restart|status|run, grava config get|set|list

import type { Command } from 'commander';
import { jsonOption, run } from '../run.js';
import { daemonDisabled } from '../context.js';

function when(iso: unknown): string {
  return typeof iso === 'string' ? iso : '-';
}

function statusText(s: Record<string, unknown>): string {
  if (!s.running) return `daemon not running (socket ${String(s.socket)}); any workspace command starts it, or \`grava daemon start\``;
  const last = s.last_sync as { at: string; duration_ms: number; pulled: number; pushed: number; writes: number; error: { code: string; message: string } | null } | null;
  const lines = [
    `daemon running: pid ${String(s.pid)}, up ${Math.round(Number(s.uptime_ms) / 1000)} s, grava ${String(s.version)}, socket ${String(s.socket)}`,
    `  pending writes ${String(s.pending_writes)}; next sync ${when(s.next_sync_at)}${typeof s.next_sync_reason === 'string' ? ` (${s.next_sync_reason})` : ''}; debounce ${String(s.debounce_ms)} ms`,
  ];
  if (last) lines.push(`  last sync ${last.at}: ${last.error ? `FAILED ${last.error.code}: ${last.error.message}` : `${last.duration_ms} ms, ${last.writes} write(s), pulled ${last.pulled}, pushed ${last.pushed}`}`);
  else lines.push('  no sync yet');
  if (Number(s.consecutive_failures) > 0) lines.push(`  ${String(s.consecutive_failures)} failed cycle(s) in a row; retrying with backoff (local work goes on)`);
  return lines.join('\n');
}

export function registerDaemon(program: Command): void {
  const daemon = program.command('daemon').description("the workspace's daemon: automatic sync, batching, a fast CLI (socket .grava/bd.sock)");

  daemon.command('start').description('start the daemon (and the workspace server) unless it is running').addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { requireWorkspace } = await import('../../storage/dolt/layout.js');
      const { startDaemon, daemonStatus } = await import('../../daemon/control.js');
      const paths = requireWorkspace();
      const r = await startDaemon(paths);
      const s = await daemonStatus(paths);
      out.data({ ...s, started: r.started }, () => `${r.started ? 'started' : 'already running'}: ${statusText(s)}`);
    }));

  daemon.command('stop').description('stop the daemon gracefully: commit the pending batch, sync once, stop the workspace server').addOption(jsonOption())
    .option('--timeout <seconds>', 'grace period before the daemon is killed', '30')
    .action(async (o: { json?: boolean; timeout: string }) => run(o, async (out) => {
      const { requireWorkspace } = await import('../../storage/dolt/layout.js');
      const { stopDaemon } = await import('../../daemon/control.js');
      const { GravaError } = await import('../../errors/grava-error.js');
      const secs = Number(o.timeout);
      if (!/^\d+$/.test(o.timeout) || secs <= 0) throw new GravaError('GRAVA_E_USAGE', '--timeout must be a positive number of seconds');
      const r = await stopDaemon(requireWorkspace(), { timeoutMs: secs * 1000 });
      out.data(r, () => (r.pid === null ? `daemon was not running${r.server === 'stopped' ? '; stopped the workspace server it left' : ''}` : `daemon ${r.pid} ${r.killed ? 'killed after the grace period' : 'stopped'}`));
    }));

  daemon.command('restart').description('stop, then start the daemon').addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { requireWorkspace } = await import('../../storage/dolt/layout.js');
      const { startDaemon, stopDaemon, daemonStatus } = await import('../../daemon/control.js');
      const paths = requireWorkspace();
      await stopDaemon(paths, { keepServer: true });
      await startDaemon(paths);
      const s = await daemonStatus(paths);
      out.data(s, () => `restarted: ${statusText(s)}`);
    }));

  daemon.command('status').description('is the daemon running? pending writes, next and last sync').addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const { requireWorkspace } = await import('../../storage/dolt/layout.js');
      const { daemonStatus } = await import('../../daemon/control.js');
      const s = await daemonStatus(requireWorkspace());
      out.data(s, () => statusText(s));
    }));

  daemon.command('run', { hidden: true }).description('run the daemon in the foreground (what `daemon start` spawns)')
    .action(async () => {
      const { runForeground } = await import('../../daemon/main.js');
      // Exit explicitly: nothing the daemon used may keep this process alive after its graceful stop.
      process.exit(await runForeground());
    });

  const config = program.command('config').description('workspace settings (.grava/config.json); the daemon applies a change at once');
  config.command('list').description('every setting with its value and default').addOption(jsonOption())
    .action(async (o: { json?: boolean }) => run(o, async (out) => {
      const list = await settingsCall<{ key: string; value: unknown; default: unknown; set: boolean; description: string }[]>('config.list', {});
      out.data(list, () => list.map((s) => `${s.key.padEnd(24)} ${String(s.value).padEnd(8)} ${s.set ? '' : '(default) '}${s.description}`).join('\n'));
    }));
  config.command('get').description('one setting').argument('<key>').addOption(jsonOption())
    .action(async (key: string, o: { json?: boolean }) => run(o, async (out) => {
      const s = await settingsCall<{ key: string; value: unknown }>('config.get', { key });
      out.data(s, () => String(s.value));
    }));
  config.command('set').description('change a setting (validated; a bad value changes nothing)').argument('<key>').argument('<value>').addOption(jsonOption())
    .action(async (key: string, value: string, o: { json?: boolean }) => run(o, async (out) => {
      const s = await settingsCall<{ key: string; value: unknown }>('config.set', { key, value });
      out.data(s, () => `${s.key} = ${String(s.value)}`);
    }));
}

/** Settings go through a running daemon (which applies them); otherwise the file is edited directly, without starting anything. */
async function settingsCall<T>(method: string, params: Record<string, unknown>): Promise<T> {
  const { requireWorkspace } = await import('../../storage/dolt/layout.js');
  const paths = requireWorkspace();
  if (!daemonDisabled()) {
    const { callDaemon } = await import('../../daemon/client.js');
    const { asGravaError } = await import('../../errors/grava-error.js');
    try {
      return (await callDaemon(paths, method, params, { autoStart: false })) as T;
    } catch (e) {
      if (!(asGravaError(e).data as { notRunning?: boolean } | undefined)?.notRunning) throw e;
    }
  }
  const s = await import('../../daemon/settings.js');
  const p = params as { key: string; value: string };
  if (method === 'config.list') return s.listSettings(paths) as T;
  if (method === 'config.get') return s.getSetting(paths, p.key) as T;
  return s.setSetting(paths, p.key, p.value) as T;
}
