// Everything the CLI prints goes through here: JSON for agents, neutralised
// text for terminals, and one-line errors that start with a stable code.

import { asGravaError, type GravaError } from '../errors/grava-error.js';

/** Makes control characters visible so stored text can never drive the terminal. */
export function neutralise(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One line: newlines and tabs also made visible. */
export function oneLine(text: string): string {
  return neutralise(text).replace(/\n/g, '\\n').replace(/\t/g, '\\t');
}

export interface Out {
  readonly json: boolean;
  data(value: unknown, human: () => string): void;
  info(line: string): void;
}

export function makeOut(json: boolean): Out {
  return {
    json,
    data(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : `${human()}\n`);
    },
    info(line) {
      if (!json) process.stderr.write(`${line}\n`);
    },
  };
}

export function printError(e: unknown, json: boolean): GravaError {
  const err = asGravaError(e);
  process.stderr.write(`${err.code}: ${oneLine(err.message)}\n`);
  if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
  return err;
}
