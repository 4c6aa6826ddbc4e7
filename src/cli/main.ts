// The grava command-line program. It only registers commands; each command
// loads what it needs when it runs.

import { Command, CommanderError } from 'commander';
import { EXIT } from '../errors/grava-error.js';
import { oneLine } from './output.js';
import { registerIssues } from './commands/issues.js';
import { registerRelations } from './commands/relations.js';
import { registerWorkspace } from './commands/workspace.js';
import { registerSync } from './commands/sync.js';
import { registerInspect } from './commands/inspect.js';
import { registerServer } from './commands/server.js';

export function buildProgram(): Command {
  const program = new Command('grava')
    .description('an issue tracker for fleets of AI coding agents, kept in Dolt')
    .version('0.1.0', '-V, --version')
    .showSuggestionAfterError(true)
    .configureOutput({
      // Usage errors become one line with a stable code: `GRAVA_E_USAGE: ...`.
      outputError: (str, write) => write(`GRAVA_E_USAGE: ${oneLine(str.replace(/^error:\s*/, '').trim())}\n`),
    })
    .exitOverride();
  registerWorkspace(program);
  registerIssues(program);
  registerRelations(program);
  registerSync(program);
  registerInspect(program);
  registerServer(program);
  for (const c of program.commands) {
    c.exitOverride();
    for (const sub of c.commands) sub.exitOverride();
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
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
