// The grava command-line program. It only registers commands; each command
// loads what it needs when it runs. Only the group named on the command line
// is loaded (all of them for help or an unknown command): start-up time is
// most of what an agent waits for when the daemon answers.

import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors/grava-error.js';
import { oneLine, printError } from './output.js';
import { dialectFor, type Dialect } from './dialect.js';
import { setNoDaemon } from './context.js';

type Register = (program: Command) => void;

const GROUPS: Readonly<Record<string, () => Promise<Register>>> = {
  workspace: async () => (await import('./commands/workspace.js')).registerWorkspace,
  issues: async () => (await import('./commands/issues.js')).registerIssues,
  relations: async () => (await import('./commands/relations.js')).registerRelations,
  sync: async () => (await import('./commands/sync.js')).registerSync,
  inspect: async () => (await import('./commands/inspect.js')).registerInspect,
  server: async () => (await import('./commands/server.js')).registerServer,
  daemon: async () => (await import('./commands/daemon.js')).registerDaemon,
  export: async () => (await import('./commands/export.js')).registerExport,
  hooks: async () => (await import('./commands/hooks.js')).registerHooks,
};

/** The group that holds each top-level command. */
const COMMAND_GROUP: Readonly<Record<string, string>> = {
  init: 'workspace', doctor: 'workspace', dolt: 'workspace',
  create: 'issues', show: 'issues', list: 'issues', ready: 'issues', update: 'issues', close: 'issues', reopen: 'issues', delete: 'issues',
  dep: 'relations', label: 'relations', comment: 'relations',
  sync: 'sync', 'merge-inspect': 'inspect', server: 'server', daemon: 'daemon', config: 'daemon', export: 'export', import: 'export', hooks: 'hooks',
};

/** The registration functions needed for this command line (every group when in doubt). */
export async function groupsFor(args: readonly string[]): Promise<Register[]> {
  const first = args.find((a) => !a.startsWith('-'));
  const one = first !== undefined ? COMMAND_GROUP[first] : undefined;
  const names = one && !args.includes('--help') && !args.includes('-h') ? [one] : Object.keys(GROUPS);
  return Promise.all(names.map((n) => GROUPS[n]!()));
}

export function buildProgram(groups: readonly Register[]): Command {
  const program = new Command('grava')
    .description('an issue tracker for fleets of AI coding agents, kept in Dolt')
    .version('0.1.0', '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      // Usage errors become one line with a stable code: `GRAVA_E_USAGE: ...`.
      outputError: (str, write) => write(`GRAVA_E_USAGE: ${oneLine(str.replace(/^error:\s*/, '').trim().replace(/\s*\n\s*/g, ' '))}\n`),
    })
    .option('--no-daemon', 'work directly against the workspace server, without starting or using a daemon (also GRAVA_NO_DAEMON=1)')
    .exitOverride();
  for (const register of groups) register(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) {
      sub.exitOverride();
      for (const leaf of sub.commands) leaf.exitOverride();
    }
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  let dialect: Dialect;
  try {
    dialect = dialectFor(argv[1], process.env);
  } catch (e) {
    return printError(e, false).exitCode;
  }
  if (dialect === 'beads') return (await import('./beads/main.js')).beadsMain(argv);
  return gravaMain(argv);
}

async function gravaMain(argv: string[]): Promise<number> {
  // --no-daemon may come anywhere on the line; it is taken out before commander sees the command's own flags.
  const rest = argv.slice(2);
  if (rest.includes('--no-daemon')) {
    setNoDaemon(true);
    argv = [...argv.slice(0, 2), ...rest.filter((a) => a !== '--no-daemon')];
  }
  const program = buildProgram(await groupsFor(argv.slice(2)));
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.ok;
      // A command group run without a subcommand shows its help as an error: wrong usage.
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (e.code === 'commander.executeSubCommandAsync') return EXIT.ok;
      return EXIT.usage;
    }
    throw e;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
}
