// grava server init|start|stop|status|backup|restore: the central server.
// Flags of the settings come from the option table in src/server/config.ts.

import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { GravaError } from '../../errors/grava-error.js';
import { flagProperty, optionsFor, parseOptions, type Scope, type Tunables } from '../../server/config.js';
import { centralPaths } from '../../server/paths.js';
import { run, jsonOption } from '../run.js';

interface CommonOpts {
  dataDir: string;
  json?: boolean;
}

function withTableOptions(cmd: Command, scope: Scope): Command {
  const setup = scope === 'init' || scope === 'restore';
  for (const o of optionsFor(scope)) {
    const dflt = setup ? (o.defaultText ? ` (default ${o.defaultText})` : '') : ' (default: as set at init)';
    cmd.addOption(new Option(`${o.flag} <${o.argName}>`, `${o.description}${dflt}; env ${o.env}`));
  }
  return cmd;
}

function dataDirOption(): Option {
  return new Option('--data-dir <dir>', "the central server's data dir").makeOptionMandatory();
}

function parsed(scope: Scope, opts: Record<string, unknown>): Partial<Tunables> {
  const { values, errors } = parseOptions(scope, opts, process.env);
  if (errors.length > 0) throw new GravaError('GRAVA_E_USAGE', errors.join('; '));
  return values;
}

function seconds(raw: string | undefined, flag: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n <= 0) throw new GravaError('GRAVA_E_USAGE', `${flag} must be a positive number of seconds`);
  return n;
}

export function registerServer(program: Command): void {
  const server = program.command('server').description('the central server workspaces sync with: dolt sql-server + supervisor (health, metrics, backups)');

  withTableOptions(server.command('init').description('create the data dir: database with the schema committed, root password, sync user (GRAVA_REMOTE_USER / GRAVA_REMOTE_PASSWORD)'), 'init')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: CommonOpts & Record<string, unknown>) => run(opts, async (out) => {
      const values = parsed('init', opts);
      const { initServer } = await import('../../server/central.js');
      const r = await initServer({ dataDir: opts.dataDir, values });
      out.data(r, () => [
        `Initialised grava server in ${r.data_dir} (Dolt ${r.dolt_version})`,
        `  database ${r.database} at ${r.main_head}; sync user ${r.sync_user}${r.readonly_user ? `, read-only user ${r.readonly_user}` : ''}; root password ${r.root_password}`,
        `  SQL ${r.host}:${r.ports.sql}, remotesapi *:${r.ports.remotesapi} (all interfaces), HTTP ${r.host}:${r.ports.http}`,
        `  workspaces use: ${r.remote_url}`,
        `  next: grava server start --data-dir ${r.data_dir} --detach`,
      ].join('\n'));
    }));

  withTableOptions(server.command('start').description('run the supervisor: dolt sql-server (restarted if it dies), /healthz /readyz /metrics, scheduled backups; settings given here replace those recorded at init, and are recorded'), 'start')
    .addOption(dataDirOption())
    .option('--init', 'first initialise the data dir when it holds no server yet (empty, or only lost+found), as `server init` would: the container image starts this way')
    .option('--detach', 'run in the background; return once ready')
    .option('--ready-timeout <seconds>', 'with --detach: how long to wait for readiness', '120')
    .addOption(jsonOption())
    .action(async (opts: CommonOpts & { init?: boolean; detach?: boolean; readyTimeout?: string } & Record<string, unknown>) => run(opts, async (out) => {
      const values = parsed('start', opts);
      const paths = centralPaths(opts.dataDir);
      const { jsonLog } = await import('../../server/log.js');
      const log = jsonLog((line) => process.stderr.write(line));
      if (opts.init && !existsSync(paths.settings)) {
        const { initServer } = await import('../../server/central.js');
        const { initLockPath } = await import('../../server/paths.js');
        const { withFileLock } = await import('../../storage/dolt/file-lock.js');
        // One init per data dir at a time: the loser of two concurrent starts finds the settings and reuses them.
        await withFileLock(initLockPath(paths), async () => {
          if (existsSync(paths.settings)) return; // a non-empty dir without settings is refused by init, naming the problem
          const r = await initServer({ dataDir: paths.dir, values: parsed('init', opts) });
          log.info('initialised an empty data dir', { data_dir: r.data_dir, database: r.database, main_head: r.main_head, sync_user: r.sync_user, root_password: r.root_password, dolt_version: r.dolt_version });
        }, 300_000);
      }
      if (opts.detach) {
        const { serverStatus, startDetached } = await import('../../server/control.js');
        const script = process.argv[1];
        if (!script) throw new GravaError('GRAVA_E_INTERNAL', 'cannot tell which script runs grava');
        const command = [process.execPath, script, 'server', 'start', '--data-dir', paths.dir];
        // The supervisor records these under its lock; GRAVA_SERVER_* variables reach it through the environment.
        for (const o of optionsFor('start')) {
          const raw = opts[flagProperty(o.flag)];
          if (typeof raw === 'string') command.push(o.flag, raw);
        }
        const started = await startDetached(paths, command, seconds(opts.readyTimeout, '--ready-timeout', 120) * 1000);
        const st = await serverStatus(paths);
        out.data({ ...st, ready_ms: started.ready_ms, already_running: started.already_running },
          () => `grava server ${started.already_running ? 'already running' : 'started'}: supervisor ${st.supervisor_pid}, dolt ${st.dolt_pid}, ready in ${started.ready_ms} ms; workspaces use ${st.remote_url}`);
        return;
      }
      const { serve } = await import('../../server/supervisor.js');
      const t = Date.now();
      await serve({ paths, values, log }, async (s) => {
        const r = await s.readiness();
        out.data({ ready: r.ready, supervisor_pid: process.pid, ready_ms: Date.now() - t }, () => `grava server running (pid ${process.pid}), ${r.ready ? 'ready' : 'not ready yet'}; stop with Ctrl-C or \`grava server stop --data-dir ${paths.dir}\``);
      });
    }));

  server.command('stop').description('stop the supervisor and Dolt (gracefully, forcibly after --timeout)')
    .addOption(dataDirOption())
    .option('--timeout <seconds>', 'grace period before SIGKILL', '30')
    .addOption(jsonOption())
    .action(async (opts: CommonOpts & { timeout?: string }) => run(opts, async (out) => {
      const { stopServer } = await import('../../server/control.js');
      const r = await stopServer(centralPaths(opts.dataDir), seconds(opts.timeout, '--timeout', 30) * 1000);
      out.data(r, () => (r.stopped ? `grava server stopped (supervisor ${r.supervisor}, dolt ${r.dolt}) in ${r.duration_ms} ms` : 'grava server was not running'));
    }));

  server.command('status').description('is the server running and ready? pids, ports, restarts, backups, the merge queue')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: CommonOpts) => run(opts, async (out) => {
      const { serverStatus } = await import('../../server/control.js');
      const s = await serverStatus(centralPaths(opts.dataDir));
      out.data(s, () => [
        `${s.running ? 'running' : 'not running'}${s.ready ? ', ready' : ', not ready'}: supervisor ${s.supervisor_pid ?? '-'}, dolt ${s.dolt_pid ?? '-'}, restarts ${s.restarts}`,
        `  SQL ${s.host}:${s.ports.sql}, remotesapi *:${s.ports.remotesapi}, HTTP ${s.host}:${s.ports.http}; workspaces use ${s.remote_url}`,
        `  backups: every ${s.backup.interval_seconds || '-'} s, ${s.backup.stored} stored (keep ${s.backup.keep}), last outcome ${s.backup.last_outcome ?? 'none yet'}${s.backup.last_success_at ? `, last success at ${s.backup.last_success_at}` : ''}`,
        ...(s.queue ? [`  merge queue: ${s.queue.depth} waiting${s.queue.depth > 0 ? ` (oldest ${(s.queue.oldest_wait_ms / 1000).toFixed(1)} s)` : ''}, ${s.queue.merged_total} merged, ${s.queue.refused_total} refused${s.queue.last_error ? `; last error: ${s.queue.last_error}` : ''}`] : []),
        ...(s.slots && s.slots.limit > 0 ? [`  transfer slots: ${s.slots.in_use} of ${s.slots.limit} in use, ${s.slots.waiting} waiting; ${s.slots.granted_total} granted (${s.slots.queued_total} after waiting), ${s.slots.timed_out_total} waits gave up, ${s.slots.expired_total} leases expired`] : []),
        ...(s.queue?.last_main_restore ? [`  ALERT: main was force-moved to ${s.queue.last_main_restore.from} and restored to ${s.queue.last_main_restore.to} at ${s.queue.last_main_restore.at} (${s.queue.main_restored_total} time(s)); see docs/OPERATIONS.md, "History rewritten on the central"`] : []),
      ].join('\n'));
    }));

  withTableOptions(server.command('backup').description("back the database up now: DOLT_BACKUP into a new folder under the data dir's backups/ (or --to)"), 'backup')
    .addOption(dataDirOption())
    .option('--to <url>', 'file:///path (or another URL Dolt backups accept) instead of a new folder under backups/')
    .addOption(jsonOption())
    .action(async (opts: CommonOpts & { to?: string } & Record<string, unknown>) => run(opts, async (out) => {
      const values = parsed('backup', opts);
      const { backupNow } = await import('../../server/control.js');
      const r = await backupNow(centralPaths(opts.dataDir), { ...(opts.to !== undefined ? { to: opts.to } : {}), ...(values.backupKeep !== undefined ? { keep: values.backupKeep } : {}) });
      out.data(r, () => `backed up ${r.database} at ${r.main_head} to ${r.url} in ${r.duration_ms} ms${r.pruned.length ? `; removed ${r.pruned.length} old backup(s)` : ''}`);
    }));

  withTableOptions(server.command('restore').description('create a NEW data dir from a backup, verified against the commit its manifest recorded'), 'restore')
    .addOption(dataDirOption())
    .requiredOption('--from <url>', 'the backup: file:///path (a folder under backups/) or another URL with --expect-commit')
    .option('--expect-commit <hash>', "main's commit when the backup was taken (default: from the backup's manifest)")
    .addOption(jsonOption())
    .action(async (opts: CommonOpts & { from: string; expectCommit?: string } & Record<string, unknown>) => run(opts, async (out) => {
      const values = parsed('restore', opts);
      const { restoreServer } = await import('../../server/central.js');
      const r = await restoreServer({ dataDir: opts.dataDir, from: opts.from, values, ...(opts.expectCommit ? { expectCommit: opts.expectCommit } : {}) });
      out.data(r, () => `restored ${r.database} into ${r.data_dir}: main at ${r.main_head} (verified against ${r.expected_head}); start it with \`grava server start --data-dir ${r.data_dir} --detach\``);
    }));

  const user = server.command('user').description('per-agent sync users on the running server: each workspace can sync as its own user; a removed user is refused at once');
  user.command('add').description('add a user; the password comes from --password-file or stdin, or is generated and printed once (stored nowhere)')
    .argument('<name>', "1-32 letters, digits, '.', '_' or '-'")
    .addOption(dataDirOption())
    .option('--readonly', 'clone and fetch only (a push is refused)')
    .option('--password-file <file>', 'read the password from this file (its first line)')
    .option('--password-stdin', 'read the password from stdin (its first line)')
    .addOption(jsonOption())
    .action(async (name: string, opts: CommonOpts & { readonly?: boolean; passwordFile?: string; passwordStdin?: boolean }) => run(opts, async (out) => {
      if (opts.passwordFile && opts.passwordStdin) throw new GravaError('GRAVA_E_USAGE', 'give --password-file or --password-stdin, not both');
      const password = opts.passwordFile !== undefined ? readPassword(() => readFileSync(opts.passwordFile ?? '', 'utf8'), `--password-file ${opts.passwordFile}`)
        : opts.passwordStdin ? readPassword(() => readFileSync(0, 'utf8'), 'stdin') : undefined;
      const { addUser } = await import('../../server/control.js');
      const r = await addUser(centralPaths(opts.dataDir), name, { role: opts.readonly ? 'readonly' : 'sync', ...(password !== undefined ? { password } : {}) });
      out.data(r, () => `added ${r.role} user ${r.user}${r.password ? `; its generated password (shown once, stored nowhere): ${r.password}` : ''}`);
    }));
  user.command('remove').description('remove a user: its next fetch or push is refused, other users go on')
    .argument('<name>')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (name: string, opts: CommonOpts) => run(opts, async (out) => {
      const { removeUser } = await import('../../server/control.js');
      const r = await removeUser(centralPaths(opts.dataDir), name);
      out.data(r, () => `removed user ${r.user}`);
    }));
  user.command('list').description('the users workspaces can log in as, with their roles')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (opts: CommonOpts) => run(opts, async (out) => {
      const { usersOf } = await import('../../server/control.js');
      const users = await usersOf(centralPaths(opts.dataDir));
      out.data(users, () => (users.length === 0 ? 'no users' : users.map((u) => `${u.name}\t${u.role}${u.initial ? '\t(created at init)' : ''}`).join('\n')));
    }));
}

/** The first line of a password source; an empty one is refused (the message names the source, never the value). */
function readPassword(read: () => string, source: string): string {
  let text: string;
  try { text = read(); } catch (e) { throw new GravaError('GRAVA_E_USAGE', `cannot read the password from ${source}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`); }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw new GravaError('GRAVA_E_INVALID', `the password from ${source} is empty`);
  return line;
}
