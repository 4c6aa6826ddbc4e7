// Which face the program shows: `grava` (its own contract) or `bd` (the
// beads dialect, src/cli/beads/). Chosen by the name the program was started
// as; GRAVA_DIALECT=beads|grava overrides it for scripts.

import { basename } from 'node:path';
import { GravaError } from '../errors/grava-error.js';

export type Dialect = 'grava' | 'beads';

export function dialectFor(program: string | undefined, env: NodeJS.ProcessEnv): Dialect {
  const forced = env.GRAVA_DIALECT;
  if (forced !== undefined && forced !== '') {
    if (forced === 'beads' || forced === 'bd') return 'beads';
    if (forced === 'grava') return 'grava';
    throw new GravaError('GRAVA_E_USAGE', `GRAVA_DIALECT must be beads or grava, not ${JSON.stringify(forced.slice(0, 40))}`);
  }
  const name = program === undefined ? '' : basename(program).replace(/\.(c|m)?js$/, '');
  return name === 'bd' ? 'beads' : 'grava';
}
