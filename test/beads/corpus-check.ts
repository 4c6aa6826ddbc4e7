// Classifies a documented `bd` command line against the bd face's commander
// program without running it: is the command there, and is every flag it
// uses declared? A flag or command declared only to be refused counts as
// unsupported (it gets GRAVA_E_UNSUPPORTED, not "unknown").

import type { Command } from 'commander';
import { refusedFlagsOf, UNSUPPORTED_COMMANDS } from '../../src/cli/beads/unsupported.js';

export type Verdict = 'supported' | 'unsupported' | 'unknown-command' | 'unknown-flag';

/** Splits a command line as a shell would (quotes, no expansion); stops at a pipe or `#`. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let has = false;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = null; else cur += ch;
    } else if (ch === '"' || ch === "'") { quote = ch; has = true; } else if (/\s/.test(ch)) {
      if (has || cur) words.push(cur);
      cur = ''; has = false;
    } else if ((ch === '|' || ch === '#') && !cur && !has) {
      break;
    } else { cur += ch; has = true; }
  }
  if (has || cur) words.push(cur);
  return words;
}

function findCommand(parent: Command, name: string): Command | undefined {
  return parent.commands.find((c) => c.name() === name || c.aliases().includes(name));
}

function flagKnown(cmd: Command, program: Command, flag: string): 'yes' | 'refused' | 'no' {
  const [name = ''] = flag.split('=');
  if (name.startsWith('--') && refusedFlagsOf(cmd).has(name.slice(2))) return 'refused';
  for (const c of [cmd, program]) {
    const opt = c.options.find((o) => o.long === name || o.short === name || (o.negate && o.long === name));
    if (opt) return 'yes';
  }
  if (name === '--help' || name === '-h') return 'yes';
  return 'no';
}

export function classify(program: Command, line: string): { verdict: Verdict; detail: string } {
  const words = shellWords(line);
  if (words[0] === 'bd') words.shift();
  // Global flags before the command.
  while (words[0]?.startsWith('-')) {
    const f = words.shift()!;
    if (flagKnown(program, program, f) === 'no' && !['-V', '--version'].includes(f)) return { verdict: 'unknown-flag', detail: f };
  }
  const name = words.shift();
  if (name === undefined) return { verdict: 'supported', detail: 'bd' };
  let cmd = findCommand(program, name);
  if (!cmd) return { verdict: UNSUPPORTED_COMMANDS.has(name) ? 'unsupported' : 'unknown-command', detail: name };
  if (UNSUPPORTED_COMMANDS.has(cmd.name()) && cmd.options.length === 0 && cmd.commands.length === 0 && (cmd as unknown as { _hidden?: boolean })._hidden) return { verdict: 'unsupported', detail: name };
  const sub = words[0] !== undefined && !words[0].startsWith('-') ? findCommand(cmd, words[0]) : undefined;
  if (sub) {
    words.shift();
    cmd = sub;
    if ((sub as unknown as { _hidden?: boolean })._hidden) return { verdict: 'unsupported', detail: `${name} ${sub.name()}` };
  } else if (cmd.commands.length > 0 && words[0] !== undefined && !words[0].startsWith('-') && !cmd.registeredArguments.length) {
    return { verdict: 'unknown-command', detail: `${name} ${words[0]}` };
  }
  for (const w of words) {
    if (!w.startsWith('-') || w === '-' || /^-\d/.test(w)) continue;
    const k = flagKnown(cmd, program, w);
    if (k === 'refused') return { verdict: 'unsupported', detail: w };
    if (k === 'no') return { verdict: 'unknown-flag', detail: w };
  }
  return { verdict: 'supported', detail: cmd.name() };
}
