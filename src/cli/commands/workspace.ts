// grava init, grava doctor, grava dolt start|stop|status

import type { Command } from 'commander';
import { run, jsonOption } from '../run.js';
import { daemonDisabled } from '../context.js';

export function registerWorkspace(program: Command): void {
  program
    .command('init')
    .description('create a workspace (.grava/) in the current directory')
    .option('--remote <url>', 'sync with: http(s)://HOST:PORT/DATABASE (a grava server), git+ssh://, git+https:// or git+file:// (the database on refs/dolt/data of a git repository), file:///PATH (a shared directory), or git-origin (this git repository\'s origin); an empty git ref or directory gets this workspace\'s new database')
    .option('--prefix <prefix>', 'issue id prefix', 'gr')
    .option('--actor <name>', 'who this workspace writes as (default: user@host)')
    .option('--ca-file <path>', 'an https central whose certificate a private CA signed: trust this CA bundle (PEM); kept as the remote.ca_file setting')
    .addOption(jsonOption())
    .action(async (opts: { remote?: string; prefix: string; actor?: string; caFile?: string; json?: boolean }) => run(opts, async (out) => {
      const { initWorkspace } = await import('../../transport/init.js');
      const r = await initWorkspace({ root: process.cwd(), prefix: opts.prefix, ...(opts.actor ? { actor: opts.actor } : {}), ...(opts.remote ? { remote: opts.remote } : {}), ...(opts.caFile !== undefined ? { caFile: opts.caFile } : {}), progress: (m) => out.info(m) });
      let daemonPid: number | null = null;
      if (!daemonDisabled()) {
        const { workspacePaths } = await import('../../storage/dolt/layout.js');
        const { startDaemon } = await import('../../daemon/control.js');
        try {
          daemonPid = (await startDaemon(workspacePaths(r.root))).pid;
          out.info(`daemon started (pid ${daemonPid}): it syncs on its own; \`grava daemon status\` shows it`);
        } catch (e) {
          // The workspace is made and usable; the next command tries the daemon again.
          const { asGravaError } = await import('../../errors/grava-error.js');
          const err = asGravaError(e);
          process.stderr.write(`warning: ${err.code}: ${err.message}\n`);
        }
      }
      out.data({ ...r, daemon_pid: daemonPid }, () => `Initialised grava workspace in ${r.root}/.grava (prefix ${r.prefix}, actor ${r.actor}${r.remote ? `, remote ${r.remote}${'published' in r && r.published ? ', where it published a new database' : ''}` : ', local only'})`);
    }));

  program
    .command('doctor')
    .description('check Dolt, the workspace and its server')
    .addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => run(opts, async (out) => {
      const { doctor } = await import('../doctor.js');
      const report = await doctor();
      out.data(report, () => report.lines.join('\n'));
      if (!report.ok) {
        process.stderr.write(`GRAVA_E_UNHEALTHY: ${report.lines.find((l) => l.startsWith('FAIL'))?.slice(6) ?? 'a check failed'}\n`);
        process.exitCode = 1;
      }
    }));

  const dolt = program.command('dolt').description("the workspace's own dolt sql-server");
  dolt.command('start').description('start (or reuse) the workspace server').addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => run(opts, async (out) => {
      const { openReplica } = await import('../../storage/replica.js');
      const r = await openReplica();
      await r.close();
      out.data({ running: true, pid: r.state.pid, port: r.state.port, socket: r.state.socket }, () => `workspace server running: pid ${r.state.pid}, port ${r.state.port}`);
    }));
  dolt.command('stop').description('stop the workspace server (and the daemon that owns it)').addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => run(opts, async (out) => {
      const { requireWorkspace } = await import('../../storage/dolt/layout.js');
      const { stopDaemon } = await import('../../daemon/control.js');
      const { localServer } = await import('../../storage/replica.js');
      const paths = requireWorkspace();
      const d = await stopDaemon(paths, { keepServer: true });
      const result = (await (await localServer(paths)).stop()) === 'stopped' || d.pid !== null ? 'stopped' : 'not-running';
      out.data({ result }, () => (result === 'stopped' ? 'workspace server stopped' : 'workspace server was not running'));
    }));
  dolt.command('status').description('is the workspace server running?').addOption(jsonOption())
    .action(async (opts: { json?: boolean }) => run(opts, async (out) => {
      const { localServer } = await import('../../storage/replica.js');
      const s = await (await localServer()).status();
      out.data({ running: s.running, ready: s.ready, pid: s.state?.pid ?? null, port: s.state?.port ?? null }, () => (s.running ? `running: pid ${s.state?.pid}, port ${s.state?.port}, ${s.ready ? 'ready' : 'not answering'}` : 'not running'));
    }));
}
