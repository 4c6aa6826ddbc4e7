// The `bd` face: the beads 1.0.5 dialect over grava's commands. It parses
// beads' commands and flags, calls the same workspace methods as `grava`
// (src/daemon/methods.ts), and prints beads' JSON shapes, messages and exit
// codes. Only the group named on the command line is loaded, as in grava.

import { Command, CommanderError, Option } from 'commander';
import { GravaError } from '../../errors/grava-error.js';
import { oneLine } from '../output.js';
import { unsupportedCommand, UNSUPPORTED_COMMANDS } from './unsupported.js';
import { printBeadsError } from './render.js';

type Register = (program: Command) => void;

const GROUPS: Readonly<Record<string, () => Promise<Register>>> = {
  work: async () => (await import('./commands/work.js')).registerWork,
  views: async () => (await import('./commands/views.js')).registerViews,
  relations: async () => (await import('./commands/relations.js')).registerRelations,
  session: async () => (await import('./commands/session.js')).registerSession,
};

const COMMAND_GROUP: Readonly<Record<string, string>> = {
  create: 'work', new: 'work', q: 'work', priority: 'work', assign: 'work', update: 'work', close: 'work', done: 'work', reopen: 'work', delete: 'work', defer: 'work', undefer: 'work',
  show: 'views', view: 'views', list: 'views', ready: 'views', blocked: 'views', search: 'views', children: 'views', stats: 'views', status: 'views', count: 'views',
  dep: 'relations', label: 'relations', comment: 'relations', comments: 'relations',
  prime: 'session', sync: 'session', dolt: 'session', init: 'session', doctor: 'session', version: 'session',
};

/** The way commander's messages read in cobra's words (beads' CLI library). */
export function cobraMessage(commanderMessage: string): string {
  const m = commanderMessage.replace(/^error:\s*/, '').trim().replace(/\s*\n\s*/g, ' ');
  let x: RegExpExecArray | null;
  if ((x = /^unknown command '([^']+)'(?:.*Did you mean ([\w-]+)\?)?/.exec(m))) {
    return `unknown command ${JSON.stringify(x[1])} for "bd"${x[2] ? ` (did you mean ${JSON.stringify(x[2])}?)` : ''} (run 'bd --help' for usage)`;
  }
  if ((x = /^unknown option '(-[^-'][^']*)'/.exec(m))) return `unknown shorthand flag: '${x[1]!.slice(1, 2)}' in ${x[1]}`;
  if ((x = /^unknown option '([^']+)'/.exec(m))) return `unknown flag: ${x[1]}`;
  if ((x = /^option '(?:-\w, )?(--[\w-]+)[^']*' argument missing/.exec(m))) return `flag needs an argument: ${x[1]}`;
  if ((x = /^missing required argument '([^']+)'/.exec(m))) return `requires at least 1 arg(s), only received 0 (missing ${x[1]})`;
  return m;
}

export function buildBeadsProgram(groups: readonly Register[]): Command {
  const program = new Command('bd')
    .description('beads-compatible face of grava: an issue tracker for fleets of AI coding agents, kept in Dolt (run `bd prime` for the agent guide)')
    .version('bd version 0.1.0 (grava)', '-V, --version')
    .addOption(new Option('--json', 'print JSON on stdout (also BD_JSON=1)'))
    .option('--no-daemon', 'work directly against the workspace server (also GRAVA_NO_DAEMON=1)')
    .option('-q, --quiet', 'print less (grava prints little anyway)')
    .configureOutput({ outputError: (str, write) => write(`Error: ${oneLine(cobraMessage(str))}\n`) })
    .exitOverride();
  for (const register of groups) register(program);
  for (const name of UNSUPPORTED_COMMANDS.keys()) {
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
  const program = buildBeadsProgram(await Promise.all(names.map((n) => GROUPS[n]!())));
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
