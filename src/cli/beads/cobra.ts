// commander's error messages in cobra's words (the CLI library beads uses).

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
