// The `bd` face: the beads 1.0.5 dialect over grava's commands. It parses
// beads' commands and flags, calls the same workspace methods as `grava`
// (src/daemon/methods.ts), and prints beads' JSON shapes, messages and exit
// codes. Only the group named on the command line is loaded, as in grava.

import { Command, CommanderError, Option } from 'commander';
import { GravaError } from '../../errors/grava-error.js';
import { oneLine } from '../output.js';
import { cobraMessage } from './cobra.js';
import { unsupportedCommand, UNSUPPORTED_COMMANDS } from './unsupported.js';
import { printBeadsError } from './render.js';
import { registerClosing } from './commands/close.js';
import { registerCounts } from './commands/counts.js';
import { registerCreate } from './commands/create.js';
import { registerDelete } from './commands/delete.js';
import { registerListing } from './commands/list.js';
import { registerReady } from './commands/ready.js';
import { registerRelations } from './commands/relations.js';
import { registerSession } from './commands/session.js';
import { registerShow } from './commands/show.js';
import { registerUpdating } from './commands/update.js';

type Register = (program: Command) => void;

// The command modules are imported statically: the bundler then puts the
// whole face in one chunk (one module load, not a dozen small ones; measured
// ~4 ms less per command on Node 20), and only the named group registers.
const GROUPS: Readonly<Record<string, Register>> = {
  create: registerCreate, update: registerUpdating, close: registerClosing, delete: registerDelete,
  show: registerShow, list: registerListing, ready: registerReady, counts: registerCounts,
  relations: registerRelations, session: registerSession,
};

/** The group that registers each command (a small module each, so a command loads little). */
const COMMAND_GROUP: Readonly<Record<string, string>> = {
  create: 'create', new: 'create', q: 'create', update: 'update', priority: 'update', assign: 'update',
  close: 'close', done: 'close', reopen: 'close', defer: 'close', undefer: 'close', delete: 'delete',
  show: 'show', view: 'show', list: 'list', children: 'list', search: 'list', ready: 'ready', blocked: 'ready',
  stats: 'counts', status: 'counts', count: 'counts',
  dep: 'relations', label: 'relations', comment: 'relations', comments: 'relations',
  prime: 'session', sync: 'session', dolt: 'session', init: 'session', doctor: 'session', version: 'session',
};

/** Every group's registration (tests and the corpus check build the whole program). */
export function allBeadsGroups(): Register[] {
  return Object.values(GROUPS);
}

/**
 * `only`: the command named on the line; beads commands grava lacks are
 * registered (hidden) only when named, or all of them when `only` is undefined.
 */
export function buildBeadsProgram(groups: readonly Register[], only?: string): Command {
  const program = new Command('bd')
    .description('beads-compatible face of grava: an issue tracker for fleets of AI coding agents, kept in Dolt (run `bd prime` for the agent guide)')
    .version('bd version 0.1.0 (grava)', '-V, --version')
    .addOption(new Option('--json', 'print JSON on stdout (also BD_JSON=1)'))
    .option('--no-daemon', 'work directly against the workspace server (also GRAVA_NO_DAEMON=1)')
    .option('-q, --quiet', 'print less (grava prints little anyway)')
    .configureOutput({ outputError: (str, write) => write(`Error: ${oneLine(cobraMessage(str))}\n`) })
    .exitOverride();
  for (const register of groups) register(program);
  for (const name of only !== undefined ? [only].filter((n) => UNSUPPORTED_COMMANDS.has(n)) : UNSUPPORTED_COMMANDS.keys()) {
    if (program.commands.some((c) => c.name() === name)) continue;
    program.command(name, { hidden: true }).allowUnknownOption().allowExcessArguments().argument('[args...]')
      .action(() => { throw unsupportedCommand(name); });
  }
  const override = (c: Command): void => { c.exitOverride(); c.commands.forEach(override); };
  program.commands.forEach(override);
  return program;
}

export async function beadsMain(argv: string[]): Promise<number> {
  const rest = argv.slice(2);
  if (rest.includes('--no-daemon')) {
    const { setNoDaemon } = await import('../context.js');
    setNoDaemon(true);
  }
  const first = rest.find((a) => !a.startsWith('-'));
  const one = first !== undefined ? COMMAND_GROUP[first] : undefined;
  const names = one && !rest.includes('--help') && !rest.includes('-h') ? [one] : Object.keys(GROUPS);
  const program = buildBeadsProgram(names.map((n) => GROUPS[n]!), names.length === 1 ? first : undefined);
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      return 1;
    }
    if (e instanceof GravaError) return printBeadsError(e, rest.includes('--json'));
    throw e;
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
