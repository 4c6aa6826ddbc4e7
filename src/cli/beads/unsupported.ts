// The beads commands and flags grava does not have. Each gets a clear error
// that names it (GRAVA_E_UNSUPPORTED, exit 1) instead of beads' "unknown
// command", so an agent learns at once that the tool differs, not that it
// mistyped. Orchestration add-ons (molecules, wisps, gates, mail, federation)
// are out of grava's scope.

import type { Command } from 'commander';
import { cobraMessage } from './cobra.js';
import { GravaError } from '../../errors/grava-error.js';

const ORCHESTRATION = 'beads orchestration add-ons (molecules, wisps, gates, mail, federation) are outside grava';
const SYNC_IS_AUTOMATIC = 'grava syncs on its own through its daemon; `bd sync` runs a cycle now';

/** beads command → why grava lacks it (and what to use instead). */
export const UNSUPPORTED_COMMANDS: ReadonlyMap<string, string> = new Map([
  ['edit', 'it opens an editor, which agents cannot use; use `bd update ID --title/--description/--notes/--design`'],
  ['remember', 'grava has no memory store; keep notes in an issue (`bd update ID --notes`)'],
  ['memories', 'grava has no memory store'],
  ['forget', 'grava has no memory store'],
  ['recall', 'grava has no memory store'],
  ['lint', 'grava has no issue linter'],
  ['note', 'use `bd update ID --append-notes "text"`'],
  ['supersede', 'use `bd close ID --reason "superseded by NEW"` and `bd dep add NEW ID --type related`'],
  ['human', 'grava has no human-in-the-loop queue'],
  ['orphans', 'grava has no orphan scan'],
  ['preflight', 'grava has no preflight checks; run your project\'s own tests'],
  ['stale', 'grava has no stale-issue report'],
  ['tag', 'use `bd label add ID LABEL`'],
  ['rename', 'grava ids are hashes and never change'],
  ['link', 'use `bd dep add ID OTHER --type related`'],
  ['relate', 'use `bd dep add ID OTHER --type related`'],
  ['unrelate', 'use `bd dep remove ID OTHER`'],
  ['duplicate', 'use `bd close ID --reason "duplicate of OTHER"`'],
  ['duplicates', 'grava has no duplicate finder'],
  ['find-duplicates', 'grava has no duplicate finder'],
  ['graph', 'grava has no graph view; use `bd show ID` and `bd dep list ID`'],
  ['diff', 'grava has no diff view; `grava merge-inspect` explains merges'],
  ['history', 'grava has no history view'],
  ['query', 'use `bd list` and `bd search` filters'],
  ['todo', 'use issues'],
  ['batch', 'run one bd command per change'],
  ['statuses', 'grava\'s statuses are open, in_progress, blocked, deferred and closed'],
  ['types', 'grava\'s types are bug, feature, task, epic and chore'],
  ['set-state', ORCHESTRATION], ['state', ORCHESTRATION], ['promote', ORCHESTRATION], ['ship', ORCHESTRATION],
  ['mol', ORCHESTRATION], ['wisp', ORCHESTRATION], ['gate', ORCHESTRATION], ['mail', ORCHESTRATION], ['federation', ORCHESTRATION],
  ['formula', ORCHESTRATION], ['cook', ORCHESTRATION], ['pour', ORCHESTRATION], ['swarm', ORCHESTRATION], ['agent', ORCHESTRATION],
  ['slot', ORCHESTRATION], ['convoy', ORCHESTRATION], ['merge-slot', ORCHESTRATION],
  ['hooks', 'git hooks are not installed by grava yet'],
  ['config', 'use `grava config list|get|set`'],
  ['migrate', 'grava migrates its schema itself when a workspace opens'],
  ['daemon', 'use `grava daemon start|stop|status`'],
  ['import', 'grava imports its own JSONL with `grava import`'],
  ['export', 'grava exports its own JSONL with `grava export`'],
  ['backup', 'the central server has `grava server backup`'],
  ['upgrade', 'upgrade grava with npm'],
  ['onboard', 'run `bd prime` for the agent guide'],
  ['setup', 'run `bd prime` for the agent guide'],
  ['info', 'use `bd doctor` and `grava daemon status`'],
  ['where', 'grava finds the workspace as the nearest directory holding .grava/'],
  ['vc', 'grava commits and merges by itself; `grava merge-inspect` explains merges'],
  ['kv', 'grava has no key-value store'],
  ['sql', 'grava does not expose SQL'],
  ['branch', 'grava keeps one branch per workspace'],
  ['worktree', 'grava needs no worktree set-up'],
  ['compact', 'grava keeps every issue'], ['gc', 'grava keeps every issue'], ['prune', 'grava keeps every issue'], ['purge', 'grava keeps every issue'],
  ['jira', 'grava has no tracker integrations'], ['linear', 'grava has no tracker integrations'], ['github', 'grava has no tracker integrations'],
  ['gitlab', 'grava has no tracker integrations'], ['ado', 'grava has no tracker integrations'], ['notion', 'grava has no tracker integrations'],
  ['repo', 'grava has no multi-repository routing'],
]);

export function unsupportedCommand(name: string): GravaError {
  const why = UNSUPPORTED_COMMANDS.get(name) ?? SYNC_IS_AUTOMATIC;
  return new GravaError('GRAVA_E_UNSUPPORTED', `'bd ${name}' is not supported by grava: ${why}`, { command: name });
}

export function unsupportedFlag(command: string, flag: string, why?: string): GravaError {
  return new GravaError('GRAVA_E_UNSUPPORTED', `'bd ${command} ${flag}' is not supported by grava${why ? `: ${why}` : ''}`, { command, flag });
}

const REFUSED = new WeakMap<Command, Map<string, string>>();

/** The beads flags a command refuses (long names without dashes). */
export function refusedFlagsOf(cmd: Command): ReadonlySet<string> {
  return new Set(REFUSED.get(cmd)?.keys() ?? []);
}

/**
 * Names beads flags the command has in beads but grava does not (`flags`:
 * long name → reason, or '' for none). They are not declared as options
 * (declaring dozens costs start-up time on every command): commander
 * rejects them as unknown, and this command's error output turns that
 * into "not supported by grava" naming the flag. Exit code 1 either way.
 */
export function refuseFlags(cmd: Command, flags: Readonly<Record<string, string>>): Command {
  const known = REFUSED.get(cmd) ?? new Map<string, string>();
  for (const [name, why] of Object.entries(flags)) known.set(name, why);
  REFUSED.set(cmd, known);
  cmd.configureOutput({
    outputError: (str, write) => {
      const m = /unknown option '--([^'=]+)/.exec(str);
      const why = m ? known.get(m[1]!) : undefined;
      if (m && why !== undefined) write(`Error: ${unsupportedFlag(cmd.name(), `--${m[1]}`, why || undefined).message}\n`);
      else write(`Error: ${cobraMessage(str)}\n`);
    },
  });
  return cmd;
}
